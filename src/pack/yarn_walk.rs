//! Which files `yarn pack` (Yarn 4, plugin-pack's `genPackList`) puts in a tarball, for Yarn
//! workspaces. It differs from npm's packlist: only ignore files inside the package count (not
//! the workspace root's), `.github` is always left out, `main`, `module`, `browser` and `bin`
//! are always in, nested workspaces and Yarn's own files are out.
//!
//! Paths are matched as Yarn matches them: absolute from the package (`/lib/x.js`), with
//! micromatch's `dot` and `nocase`; a pattern without `/` matches the basename.

use std::fs;
use std::path::Path;

use serde_json::Value;

use super::PackError;
use super::glob::Rule;

/// Always in (plugin-pack's accept list).
const ALWAYS: &[&str] = &[
    "/package.json",
    "/readme",
    "/readme.*",
    "/license",
    "/license.*",
    "/licence",
    "/licence.*",
    "/changelog",
    "/changelog.*",
];

/// Always out, plus the rc file.
const NEVER: &[&str] = &[
    "/package.tgz",
    ".github",
    ".git",
    ".hg",
    "node_modules",
    ".npmignore",
    ".gitignore",
    ".#*",
    ".DS_Store",
    ".yarnrc.yml",
];

/// The project's own files, left out when the package is the project root: the lockfile, the
/// install state, the virtual folder and the PnP files at their default paths. (The cache is
/// global by default in Yarn 4, so `.yarn/cache` is packed unless `.yarnrc.yml` makes it local.)
const PROJECT_FILES: &[&str] = &[
    "/yarn.lock",
    "/.yarn/install-state.gz",
    "/.yarn/__virtual__",
    "/.yarn/unplugged",
    "/.pnp.cjs",
    "/.pnp.data.json",
    "/.pnp.loader.mjs",
];

/// The `.yarnrc.yml` settings that move project files into the package.
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Yarnrc {
    yarn_path: Option<String>,
    cache_folder: Option<String>,
    enable_global_cache: Option<bool>,
}

fn project_files(root: &Path) -> Vec<String> {
    let mut out: Vec<String> = PROJECT_FILES.iter().map(|s| s.to_string()).collect();
    let rc: Yarnrc = fs::read_to_string(root.join(".yarnrc.yml"))
        .ok()
        .and_then(|t| serde_saphyr::from_str::<Option<Yarnrc>>(&t).ok().flatten())
        .unwrap_or_default();
    if let Some(p) = rc.yarn_path {
        out.push(resolve("/", &p));
    }
    match (rc.cache_folder, rc.enable_global_cache) {
        (Some(c), Some(false)) => out.push(resolve("/", &c)),
        (None, Some(false)) => out.push("/.yarn/cache".into()),
        _ => {}
    }
    out
}

/// An accept list and a reject list of patterns (a leading `!` negates).
#[derive(Default, Clone)]
struct List {
    accept: Vec<String>,
    reject: Vec<String>,
}

/// Yarn's `k_`: 2 when a negated pattern matches, else 1 when a pattern matches, else 0.
/// Patterns are compiled once per thread: they repeat for every file and package.
fn verdict(path: &str, patterns: &[String]) -> u8 {
    thread_local! {
        static COMPILED: std::cell::RefCell<std::collections::HashMap<String, Rule>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    let hits = |negated: bool| {
        COMPILED.with(|c| {
            let mut c = c.borrow_mut();
            patterns
                .iter()
                .filter(|p| p.starts_with('!') == negated)
                .any(|p| {
                    let body = if negated { &p[1..] } else { p.as_str() };
                    c.entry(body.to_string())
                        .or_insert_with(|| Rule::new(body))
                        .matches(path, false)
                })
        })
    };
    if hits(true) {
        2
    } else if hits(false) {
        1
    } else {
        0
    }
}

impl List {
    /// This list's say on `path`: kept (`false`), left out (`true`), or nothing.
    fn decide(&self, path: &str) -> Option<bool> {
        match verdict(path, &self.accept) {
            0 => {}
            v => return Some(v == 2),
        }
        match verdict(path, &self.reject) {
            0 => None,
            v => Some(v == 1),
        }
    }
}

/// Yarn's `bRe`: is `path` left out? The first list with a say decides.
fn ignored(path: &str, global: &List, lists: Option<&[List]>) -> bool {
    std::iter::once(global)
        .chain(lists.unwrap_or_default())
        .find_map(|l| l.decide(path))
        .unwrap_or(false)
}

/// `path.resolve(cwd, p)` on Yarn's virtual paths (`/`-rooted, no trailing slash).
fn resolve(cwd: &str, p: &str) -> String {
    let joined = if p.starts_with('/') {
        p.to_string()
    } else {
        format!("{cwd}/{p}")
    };
    format!("/{}", super::walk::collapse(&joined))
}

/// One line of an ignore file or `files` entry (Yarn's `RRe`/`EDt`): comments and blanks
/// dropped; a pattern with a `/` is made absolute from `cwd`.
fn push_pattern(list: &mut Vec<String>, line: &str, cwd: &str) {
    let s = line.trim();
    if s.is_empty() || s.starts_with('#') {
        return;
    }
    let (neg, body) = match s.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let body = if body.contains('/') {
        resolve(cwd, body)
    } else {
        body.to_string()
    };
    list.push(if neg { format!("!{body}") } else { body });
}

/// The files `yarn pack` selects in `dir`, relative to it, sorted.
///
/// `project_root`: the package is the Yarn project's root (its lockfile and `.yarn` files are
/// then inside it). `nested`: other workspaces inside the package, relative to it.
pub fn select(
    dir: &Path,
    manifest: &Value,
    project_root: bool,
    nested: &[String],
) -> Result<Vec<String>, PackError> {
    let mut global = List {
        accept: ALWAYS.iter().map(|s| s.to_string()).collect(),
        reject: NEVER.iter().map(|s| s.to_string()).collect(),
    };
    if project_root {
        global.reject.extend(project_files(dir));
    }
    for n in nested {
        global.reject.push(resolve("/", n));
    }

    let mut own = List::default();
    let s = |k: &str| manifest.get(k).and_then(Value::as_str);
    for k in ["main", "module"] {
        if let Some(p) = s(k) {
            own.accept.push(resolve("/", p));
        }
    }
    match manifest.get("browser") {
        Some(Value::String(p)) => own.accept.push(resolve("/", p)),
        Some(Value::Object(m)) => {
            for (k, v) in m {
                own.accept.push(resolve("/", k));
                if let Some(v) = v.as_str() {
                    own.accept.push(resolve("/", v));
                }
            }
        }
        _ => {}
    }
    match manifest.get("bin") {
        Some(Value::String(p)) => own.accept.push(resolve("/", p)),
        Some(Value::Object(m)) => {
            for v in m.values().filter_map(Value::as_str) {
                own.accept.push(resolve("/", v));
            }
        }
        _ => {}
    }
    let files = manifest.get("files").and_then(Value::as_array);
    if let Some(files) = files {
        own.reject.push("/*".into());
        for f in files.iter().filter_map(Value::as_str) {
            push_pattern(&mut own.accept, f, "/");
        }
    }

    let mut out = Vec::new();
    let mut stack: Vec<(String, Vec<List>)> = vec![("/".to_string(), vec![own])];
    while let Some((vpath, lists)) = stack.pop() {
        let abs = dir.join(vpath.trim_start_matches('/'));
        let meta = fs::symlink_metadata(&abs).map_err(|e| PackError::io(&abs, e))?;
        let is_dir = meta.is_dir();
        if ignored(&vpath, &global, if is_dir { None } else { Some(&lists) }) {
            continue;
        }
        if !is_dir {
            // Yarn packs a symlink as a symlink; npm, and so relay's tarball, leaves them out.
            if meta.is_file() {
                out.push(vpath.trim_start_matches('/').to_string());
            }
            continue;
        }
        let mut names: Vec<String> = fs::read_dir(&abs)
            .map_err(|e| PackError::io(&abs, e))?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<Result<_, _>>()
            .map_err(|e| PackError::io(&abs, e))?;
        names.sort();
        let mut child_lists = lists.clone();
        if files.is_none() || vpath != "/" {
            let rules = if names.iter().any(|n| n == ".npmignore") {
                Some(".npmignore")
            } else if names.iter().any(|n| n == ".gitignore") {
                Some(".gitignore")
            } else {
                None
            };
            if let Some(f) = rules {
                let p = abs.join(f);
                let bytes = fs::read(&p).map_err(|e| PackError::io(&p, e))?;
                let text = String::from_utf8_lossy(&bytes);
                let mut l = List::default();
                for line in text.split('\n') {
                    push_pattern(&mut l.reject, line, &vpath);
                }
                child_lists.insert(0, l);
            }
        }
        if ignored(&vpath, &global, Some(&lists)) {
            child_lists = lists.clone();
            child_lists.push(List {
                accept: Vec::new(),
                reject: vec!["**/*".into()],
            });
        }
        for n in names {
            let child = if vpath == "/" {
                format!("/{n}")
            } else {
                format!("{vpath}/{n}")
            };
            stack.push((child, child_lists.clone()));
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_paths_resolve_like_node() {
        assert_eq!(resolve("/", "./lib/x.js"), "/lib/x.js");
        assert_eq!(resolve("/", "lib/"), "/lib");
        assert_eq!(resolve("/sub", "../a/b"), "/a/b");
        assert_eq!(resolve("/sub", "/abs"), "/abs");
    }

    #[test]
    fn patterns_without_a_slash_stay_basenames() {
        let mut l = Vec::new();
        push_pattern(&mut l, "  dist  ", "/sub");
        push_pattern(&mut l, "# comment", "/");
        push_pattern(&mut l, "!lib/keep.js", "/sub");
        push_pattern(&mut l, "", "/");
        assert_eq!(l, vec!["dist".to_string(), "!/sub/lib/keep.js".to_string()]);
    }

    #[test]
    fn accept_beats_reject_and_negation_wins() {
        let global = List {
            accept: vec!["/readme.*".into()],
            reject: vec![".github".into()],
        };
        assert!(!ignored("/README.md", &global, None));
        assert!(ignored("/.github", &global, None));
        let l = List {
            accept: vec![],
            reject: vec!["*.log".into(), "!keep.log".into()],
        };
        assert!(ignored("/a/x.log", &global, Some(std::slice::from_ref(&l))));
        assert!(!ignored(
            "/a/keep.log",
            &global,
            Some(std::slice::from_ref(&l))
        ));
    }
}
