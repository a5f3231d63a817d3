//! Directory globs as the workspace tools read them.
//!
//! JS workspaces (`workspaces`, `pnpm-workspace.yaml` `packages`) are expanded the way
//! `@manypkg/get-packages` 3 does it with tinyglobby (`onlyDirectories`, `ignore:
//! ["**/node_modules"]`): one trailing `/` dropped, the pattern posix-normalised (`./a` → `a`,
//! `a//b` → `a/b`, `a/../b` → `b`), `!pattern` is an ignore pattern that also stops the walk
//! from entering a matching directory, `!!pattern` is dropped, and `*`/`**` never match a name
//! starting with `.` unless the pattern segment itself starts with `.` (picomatch `dot: false`).
//! Cargo `members` use the `glob` crate's rules, where `*` does match dot names.
//!
//! The walk only enters directories that some pattern can still match below, so a workspace
//! `packages/*` costs one `read_dir` of `packages/` however large each package is.

use std::fs;
use std::path::{Path, PathBuf};

/// One segment of a normalised pattern.
#[derive(Debug, Clone)]
enum Seg {
    /// `**`: zero or more directories.
    Globstar,
    Literal(String),
    Wild(globset::GlobMatcher, bool),
}

impl Seg {
    fn matches(&self, name: &str, dot: bool) -> bool {
        match self {
            Seg::Globstar => dot || !name.starts_with('.'),
            Seg::Literal(l) => l == name,
            Seg::Wild(m, explicit_dot) => {
                (dot || *explicit_dot || !name.starts_with('.')) && m.is_match(name)
            }
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    segs: Vec<Seg>,
}

impl Pattern {
    /// Compiles an already normalised pattern (`a/*/b`). `None` if a segment is not a valid glob.
    fn compile(pattern: &str) -> Option<Pattern> {
        let mut segs = Vec::new();
        for part in pattern.split('/') {
            if part == "**" {
                // `a/**/**/b` is `a/**/b`.
                if !matches!(segs.last(), Some(Seg::Globstar)) {
                    segs.push(Seg::Globstar);
                }
            } else if part.contains(['*', '?', '[', '{']) {
                let glob = globset::GlobBuilder::new(part)
                    .literal_separator(true)
                    .build()
                    .ok()?;
                segs.push(Seg::Wild(glob.compile_matcher(), part.starts_with('.')));
            } else {
                segs.push(Seg::Literal(part.replace('\\', "")));
            }
        }
        Some(Pattern { segs })
    }

    pub(crate) fn matches(&self, path: &[&str], dot: bool) -> bool {
        full(&self.segs, path, dot)
    }

    /// Whether some strict descendant of `path` could match.
    fn can_descend(&self, path: &[&str], dot: bool) -> bool {
        below(&self.segs, path, dot)
    }
}

fn full(segs: &[Seg], path: &[&str], dot: bool) -> bool {
    match segs.first() {
        None => path.is_empty(),
        Some(Seg::Globstar) => {
            full(&segs[1..], path, dot)
                || (!path.is_empty()
                    && segs[0].matches(path[0], dot)
                    && full(segs, &path[1..], dot))
        }
        Some(s) => !path.is_empty() && s.matches(path[0], dot) && full(&segs[1..], &path[1..], dot),
    }
}

fn below(segs: &[Seg], path: &[&str], dot: bool) -> bool {
    if path.is_empty() {
        return !segs.is_empty();
    }
    match segs.first() {
        None => false,
        Some(Seg::Globstar) => {
            below(&segs[1..], path, dot)
                || (segs[0].matches(path[0], dot) && below(segs, &path[1..], dot))
        }
        Some(s) => s.matches(path[0], dot) && below(&segs[1..], &path[1..], dot),
    }
}

/// `path.posix.normalize` for a relative pattern: drops `.` and empty segments, resolves `..`
/// against earlier segments. Returns `None` when the pattern climbs out of the root (such a
/// pattern can never name a package inside the repository).
pub(crate) fn posix_normalize(p: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            s => out.push(s),
        }
    }
    Some(out.join("/"))
}

/// Expands `{a,b}` alternatives (nested too) so that braces spanning `/` work.
fn expand_braces(p: &str) -> Vec<String> {
    let bytes = p.as_bytes();
    let Some(open) = p.find('{') else {
        return vec![p.to_string()];
    };
    let mut depth = 0;
    let mut close = None;
    let mut commas = Vec::new();
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            b',' if depth == 1 => commas.push(i),
            _ => {}
        }
    }
    let Some(close) = close else {
        return vec![p.to_string()];
    };
    if commas.is_empty() {
        // `{a}` is literal in picomatch; keep it for globset, which treats it as one alternative.
        return vec![p.to_string()];
    }
    let (head, tail) = (&p[..open], &p[close + 1..]);
    let mut bounds = vec![open];
    bounds.extend(&commas);
    bounds.push(close);
    let mut out = Vec::new();
    for w in bounds.windows(2) {
        let alt = &p[w[0] + 1..w[1]];
        for e in expand_braces(&format!("{head}{alt}{tail}")) {
            out.push(e);
        }
    }
    out
}

/// A compiled set of include and ignore directory patterns.
#[derive(Debug, Clone, Default)]
pub(crate) struct DirGlobs {
    include: Vec<Pattern>,
    ignore: Vec<Pattern>,
    /// Whether wildcards match names starting with `.` (Cargo: yes; JS: no).
    dot: bool,
}

/// A pattern that cannot be compiled: the caller reports it with the file it came from.
#[derive(Debug)]
pub(crate) struct BadPattern(pub String);

impl DirGlobs {
    /// JS workspace globs with tinyglobby's rules (see the module docs).
    pub(crate) fn js(patterns: &[String]) -> Result<DirGlobs, BadPattern> {
        let mut globs = DirGlobs::default();
        for raw in patterns {
            if raw.is_empty() {
                continue;
            }
            let (neg, body) = match raw.strip_prefix('!') {
                Some(rest) if rest.starts_with('(') => (false, raw.as_str()),
                Some(rest) if rest.starts_with('!') && !rest[1..].starts_with('(') => continue,
                Some(rest) => (true, rest),
                None => (false, raw.as_str()),
            };
            let body = body.strip_suffix('/').unwrap_or(body);
            for expanded in expand_braces(body) {
                let Some(norm) = posix_normalize(&expanded) else {
                    continue;
                };
                if norm.is_empty() {
                    // `.` names the root itself, which is already the root package.
                    continue;
                }
                let pat = Pattern::compile(&norm).ok_or_else(|| BadPattern(raw.clone()))?;
                if neg {
                    globs.ignore.push(pat);
                } else {
                    globs.include.push(pat);
                }
            }
        }
        Ok(globs)
    }

    /// Cargo `members` globs (`glob` crate rules: `*` matches dot names, no braces).
    pub(crate) fn cargo(patterns: &[String]) -> Result<DirGlobs, BadPattern> {
        let mut globs = DirGlobs {
            dot: true,
            ..DirGlobs::default()
        };
        for raw in patterns {
            let body = raw.trim_end_matches('/');
            let Some(norm) = posix_normalize(body) else {
                continue;
            };
            if norm.is_empty() {
                continue;
            }
            let pat = Pattern::compile(&norm).ok_or_else(|| BadPattern(raw.clone()))?;
            globs.include.push(pat);
        }
        Ok(globs)
    }

    fn included(&self, path: &[&str]) -> bool {
        self.include.iter().any(|p| p.matches(path, self.dot))
    }

    fn ignored(&self, path: &[&str]) -> bool {
        self.ignore.iter().any(|p| p.matches(path, self.dot))
    }

    fn worth_entering(&self, path: &[&str]) -> bool {
        self.include.iter().any(|p| p.can_descend(path, self.dot))
    }

    /// Every directory under `root` matched by an include pattern and by no ignore pattern,
    /// never entering `node_modules` (nor `.git`). Unsorted.
    pub(crate) fn expand(&self, root: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        if self.include.is_empty() {
            return out;
        }
        let mut rel: Vec<String> = Vec::new();
        let mut visited = std::collections::HashSet::new();
        self.walk(root, &mut rel, &mut out, &mut visited);
        out
    }

    fn walk(
        &self,
        dir: &Path,
        rel: &mut Vec<String>,
        out: &mut Vec<PathBuf>,
        visited: &mut std::collections::HashSet<PathBuf>,
    ) {
        // Symlinked directories are followed (as tinyglobby does); a cycle is entered once.
        if let Ok(real) = fs::canonicalize(dir)
            && !visited.insert(real)
        {
            return;
        }
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        let mut names: Vec<(String, PathBuf)> = Vec::new();
        for entry in entries.flatten() {
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name == "node_modules" || name == ".git" {
                continue;
            }
            let is_dir = match entry.file_type() {
                Ok(ft) if ft.is_dir() => true,
                Ok(ft) if ft.is_symlink() => entry.path().is_dir(),
                _ => false,
            };
            if is_dir {
                names.push((name, entry.path()));
            }
        }
        for (name, path) in names {
            rel.push(name);
            let segs: Vec<&str> = rel.iter().map(String::as_str).collect();
            if !self.ignored(&segs) {
                if self.included(&segs) {
                    out.push(path.clone());
                }
                if self.worth_entering(&segs) {
                    self.walk(&path, rel, out, visited);
                }
            }
            rel.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, path: &str) -> bool {
        let p = Pattern::compile(&posix_normalize(pattern).unwrap()).unwrap();
        p.matches(&path.split('/').collect::<Vec<_>>(), false)
    }

    #[test]
    fn segment_rules() {
        assert!(m("packages/*", "packages/a"));
        assert!(!m("packages/*", "packages/a/b"));
        assert!(!m("packages/*", "packages/.hidden"));
        assert!(m("packages/.*", "packages/.hidden"));
        assert!(m("packages/**", "packages/a/b"));
        assert!(m("packages/**/x", "packages/x"));
        assert!(m("packages/**/x", "packages/a/b/x"));
        assert!(!m("packages/**/x", "packages/.a/x"));
        assert!(m("./apps/*", "apps/web"));
        assert!(m("apps/../libs/*", "libs/x"));
        assert!(m("libs/[ab]*", "libs/alpha"));
        assert!(!m("libs/[ab]*", "libs/core"));
    }

    #[test]
    fn braces_and_negations() {
        assert_eq!(expand_braces("{a,b/c}/*"), ["a/*", "b/c/*"]);
        assert_eq!(expand_braces("x/{a,{b,c}}"), ["x/a", "x/b", "x/c"]);
        let g = DirGlobs::js(&[
            "packages/*/".into(),
            "!packages/private".into(),
            "!!ignored".into(),
            "".into(),
        ])
        .unwrap();
        assert!(g.included(&["packages", "a"]));
        assert!(g.ignored(&["packages", "private"]));
        assert_eq!(g.ignore.len(), 1);
        assert!(g.worth_entering(&["packages"]));
        assert!(!g.worth_entering(&["packages", "a"]));
        assert!(!g.worth_entering(&["docs"]));
    }

    #[test]
    fn normalise() {
        assert_eq!(posix_normalize("./a//b/./c").as_deref(), Some("a/b/c"));
        assert_eq!(posix_normalize("a/../b").as_deref(), Some("b"));
        assert_eq!(posix_normalize("../x"), None);
    }
}
