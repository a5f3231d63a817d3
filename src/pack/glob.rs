//! A port of the subset of minimatch 10 that ignore-walk uses: options `{matchBase, dot,
//! flipNegate, nocase}`, brace expansion, `**`, partial matching. Each path segment is matched
//! with a case-insensitive globset matcher.

use globset::{GlobBuilder, GlobMatcher};

#[derive(Debug, Clone)]
enum Seg {
    Globstar,
    /// Lower-cased literal.
    Lit(String),
    Glob {
        m: GlobMatcher,
        /// minimatch's lone `*` never matches an empty segment.
        star_only: bool,
    },
}

/// One compiled ignore rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub negate: bool,
    empty: bool,
    set: Vec<Vec<Seg>>,
    /// ignore-walk's "relative rule": some alternative is one segment, or one plus a trailing `/`.
    pub relative: bool,
}

impl Rule {
    pub fn new(pattern: &str) -> Rule {
        let mut negate = false;
        let mut p = pattern;
        while let Some(rest) = p.strip_prefix('!') {
            negate = !negate;
            p = rest;
        }
        if p.is_empty() {
            return Rule {
                negate,
                empty: true,
                set: Vec::new(),
                relative: false,
            };
        }
        let mut parts_list: Vec<Vec<String>> = Vec::new();
        for alt in brace_expand(p) {
            let raw: Vec<&str> = split_slashes(&alt);
            // minimatch levelOneOptimize: collapse `**/**`, drop `x/..`.
            let mut parts: Vec<String> = Vec::new();
            for part in raw {
                let prev = parts.last().map(String::as_str);
                if part == "**" && prev == Some("**") {
                    continue;
                }
                if part == ".."
                    && let Some(pr) = prev
                    && pr != ".."
                    && pr != "."
                    && pr != "**"
                {
                    parts.pop();
                    continue;
                }
                parts.push(part.to_string());
            }
            if parts.is_empty() {
                parts.push(String::new());
            }
            parts_list.push(parts);
        }
        let relative = parts_list.iter().any(|parts| {
            let last_nonempty = parts.last().is_some_and(|s| !s.is_empty());
            parts.len() <= if last_nonempty { 1 } else { 2 }
        });
        let set = parts_list
            .iter()
            .map(|parts| parts.iter().map(|s| compile_seg(s)).collect())
            .collect();
        Rule {
            negate,
            empty: false,
            set,
            relative,
        }
    }

    /// minimatch `match(f, partial)` with `flipNegate`: true when the pattern (sans `!`) hits.
    pub fn matches(&self, f: &str, partial: bool) -> bool {
        if self.empty {
            return f.is_empty();
        }
        if f == "/" && partial {
            return true;
        }
        let ff: Vec<&str> = split_slashes(f);
        let filename = ff
            .iter()
            .rev()
            .find(|s| !s.is_empty())
            .copied()
            .unwrap_or("");
        for pattern in &self.set {
            let hit = if pattern.len() == 1 {
                match_one(&[filename], pattern, partial)
            } else {
                match_one(&ff, pattern, partial)
            };
            if hit {
                return true;
            }
        }
        false
    }
}

/// `split(/\/+/)`.
fn split_slashes(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'/' {
            out.push(&s[start..i]);
            while i < bytes.len() && bytes[i] == b'/' {
                i += 1;
            }
            start = i;
        } else {
            i += 1;
        }
    }
    out.push(&s[start..]);
    out
}

fn compile_seg(s: &str) -> Seg {
    if s == "**" {
        return Seg::Globstar;
    }
    let magic = s.contains(['*', '?', '[', '\\', '{']);
    if !magic {
        return Seg::Lit(s.to_lowercase());
    }
    // Inside a segment `**` is just `*` for minimatch; globset would reject it.
    let mut g = s.to_string();
    while g.contains("**") {
        g = g.replace("**", "*");
    }
    let star_only = g == "*";
    match GlobBuilder::new(&g)
        .case_insensitive(true)
        .literal_separator(true)
        .backslash_escape(true)
        .empty_alternates(true)
        .build()
    {
        Ok(glob) => Seg::Glob {
            m: glob.compile_matcher(),
            star_only,
        },
        // minimatch treats an unparsable class (`[abc`) literally.
        Err(_) => Seg::Lit(s.replace('\\', "").to_lowercase()),
    }
}

fn seg_hit(p: &Seg, f: &str) -> bool {
    match p {
        Seg::Globstar => true,
        Seg::Lit(l) => f.to_lowercase() == *l,
        Seg::Glob { m, star_only } => !(*star_only && f.is_empty()) && m.is_match(f),
    }
}

/// minimatch's classic `matchOne` (dot: true).
fn match_one(file: &[&str], pattern: &[Seg], partial: bool) -> bool {
    let (fl, pl) = (file.len(), pattern.len());
    let (mut fi, mut pi) = (0, 0);
    while fi < fl && pi < pl {
        let p = &pattern[pi];
        let f = file[fi];
        if let Seg::Globstar = p {
            let pr = pi + 1;
            if pr == pl {
                return file[fi..].iter().all(|s| *s != "." && *s != "..");
            }
            let mut fr = fi;
            while fr < fl {
                if match_one(&file[fr..], &pattern[pr..], partial) {
                    return true;
                }
                let swallowee = file[fr];
                if swallowee == "." || swallowee == ".." {
                    break;
                }
                fr += 1;
            }
            return partial && fr == fl;
        }
        if !seg_hit(p, f) {
            return false;
        }
        fi += 1;
        pi += 1;
    }
    if fi == fl && pi == pl {
        true
    } else if fi == fl {
        partial
    } else {
        fi == fl - 1 && file[fi].is_empty()
    }
}

/// Bash-style brace expansion as minimatch does it (`{a,b}`; a lone `{a}` stays literal).
fn brace_expand(s: &str) -> Vec<String> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'{' => {
                // Find the matching close brace and top-level commas.
                let mut depth = 0;
                let mut commas = Vec::new();
                let mut j = i;
                let mut close = None;
                while j < bytes.len() {
                    match bytes[j] {
                        b'\\' => j += 1,
                        b'{' => depth += 1,
                        b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                close = Some(j);
                                break;
                            }
                        }
                        b',' if depth == 1 => commas.push(j),
                        _ => {}
                    }
                    j += 1;
                }
                let Some(close) = close else {
                    return vec![s.to_string()];
                };
                if commas.is_empty() {
                    // Not an expansion; expand what follows it.
                    let head = &s[..=close];
                    return brace_expand(&s[close + 1..])
                        .into_iter()
                        .map(|t| format!("{head}{t}"))
                        .collect();
                }
                let pre = &s[..i];
                let post = &s[close + 1..];
                let mut bounds = vec![i];
                bounds.extend(&commas);
                bounds.push(close);
                let mut out = Vec::new();
                for w in bounds.windows(2) {
                    let alt = &s[w[0] + 1..w[1]];
                    for a in brace_expand(alt) {
                        for p in brace_expand(post) {
                            out.push(format!("{pre}{a}{p}"));
                        }
                    }
                }
                return out;
            }
            _ => i += 1,
        }
    }
    vec![s.to_string()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, f: &str, partial: bool) -> bool {
        Rule::new(p).matches(f, partial)
    }

    #[test]
    fn agrees_with_minimatch_observations() {
        // Each case observed with minimatch 10.2.5 {matchBase, dot, flipNegate, nocase}.
        assert!(!m("a/*", "a/", false));
        assert!(m("*", "a/", false));
        assert!(!m("a/**", "a", false));
        assert!(m("a/**", "a/", false));
        assert!(!m("docs/", "docs", false));
        assert!(!m("docs/", "/docs/", false));
        assert!(!m("/docs", "docs/", false));
        assert!(m("docs", "x/docs/", false));
        assert!(!m("!docs/keep.md", "/docs", true));
        assert!(m("!docs/keep.md", "docs", true));
        assert!(m("a/**/b", "a/b", false));
        assert!(m("**/.git", "/.git", false));
        assert!(m("**/.git", "x/.git", false));
        assert!(m("readme{,.*[^~$]}", "readme", false));
        assert!(m("readme{,.*[^~$]}", "README.md", false));
        assert!(!m("readme{,.*[^~$]}", "readme~", false));
        assert!(!m("lib/*.js", "/lib/x.js", false));
        assert!(m("[abc", "[abc", false));
        assert!(m("*.JS", "x.js", false));
    }

    #[test]
    fn relative_rules() {
        assert!(Rule::new("docs/").relative);
        assert!(Rule::new("docs").relative);
        assert!(!Rule::new("/docs").relative);
        assert!(!Rule::new("a/b").relative);
    }

    #[test]
    fn braces() {
        assert_eq!(brace_expand("{a,b/c}"), vec!["a", "b/c"]);
        assert_eq!(brace_expand("x{a}y"), vec!["x{a}y"]);
        assert_eq!(brace_expand("r{,.md}"), vec!["r", "r.md"]);
    }
}
