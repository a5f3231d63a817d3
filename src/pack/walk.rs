//! File selection: a port of npm-packlist 10 (`PackWalker`) on top of ignore-walk 8's
//! parent-first rule evaluation. Rule sets per directory are evaluated in a fixed order and the
//! last matching rule wins; see `npm-registry.md` §11 for the rules themselves.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use serde_json::Value;

use super::PackError;
use super::collate::locale_compare;
use super::glob::Rule;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Default,
    PackageJson,
    NpmIgnore,
    GitIgnore,
    Strict,
}

impl Kind {
    fn file_name(self) -> Option<&'static str> {
        match self {
            Kind::PackageJson => Some("package.json"),
            Kind::NpmIgnore => Some(".npmignore"),
            Kind::GitIgnore => Some(".gitignore"),
            _ => None,
        }
    }
}

const DEFAULTS: &[&str] = &[
    ".npmignore",
    ".gitignore",
    "**/.git",
    "**/.svn",
    "**/.hg",
    "**/CVS",
    "**/.git/**",
    "**/.svn/**",
    "**/.hg/**",
    "**/CVS/**",
    "/.lock-wscript",
    "/.wafpickle-*",
    "/build/config.gypi",
    "npm-debug.log",
    "**/.npmrc",
    ".*.swp",
    ".DS_Store",
    "**/.DS_Store/**",
    "._*",
    "**/._*/**",
    "*.orig",
    "/archived-packages/**",
];

const CHILD_FILES: &[Kind] = &[
    Kind::Default,
    Kind::NpmIgnore,
    Kind::GitIgnore,
    Kind::Strict,
];
const ROOT_FILES: &[Kind] = &[
    Kind::Default,
    Kind::PackageJson,
    Kind::NpmIgnore,
    Kind::GitIgnore,
    Kind::Strict,
];
const BUNDLED_FILES: &[Kind] = &[Kind::PackageJson, Kind::Strict];

type Rules = Arc<Vec<Rule>>;

/// Compiles the lines of an ignore file (or an injected rule list) as ignore-walk does. Compiled
/// rule sets are cached by text: the same default and strict rules recur in every directory of
/// every package, and compiling globs dominates the walk otherwise.
fn parse_rules(text: &str) -> Rules {
    static CACHE: LazyLock<Mutex<HashMap<String, Rules>>> =
        LazyLock::new(|| Mutex::new(HashMap::new()));
    if let Ok(cache) = CACHE.lock()
        && let Some(r) = cache.get(text)
    {
        return Arc::clone(r);
    }
    let rules: Rules = Arc::new(
        text.split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(Rule::new)
            .collect(),
    );
    if let Ok(mut cache) = CACHE.lock() {
        cache.insert(text.to_string(), Arc::clone(&rules));
    }
    rules
}

struct Walker<'p> {
    path: PathBuf,
    basename: String,
    ignore_files: &'static [Kind],
    rules: Vec<(Kind, Rules)>,
    parent: Option<&'p Walker<'p>>,
    exact: bool,
    required_files: Vec<String>,
}

impl Walker<'_> {
    fn rules_of(&self, kind: Kind) -> Option<&Rules> {
        self.rules.iter().find(|(k, _)| *k == kind).map(|(_, r)| r)
    }

    fn set_rules(&mut self, kind: Kind, rules: Option<Rules>) {
        self.rules.retain(|(k, _)| *k != kind);
        if let Some(r) = rules {
            self.rules.push((kind, r));
        }
    }

    /// ignore-walk's `filterEntry`.
    fn filter_entry(&self, entry: &str, partial: bool, entry_basename: Option<&str>) -> bool {
        let mut included = true;
        if let Some(parent) = self.parent {
            let parent_entry = format!("{}/{}", self.basename, entry);
            let parent_basename = entry_basename.unwrap_or(entry);
            included = parent.filter_entry(&parent_entry, partial, Some(parent_basename));
            if !included && !self.exact {
                return false;
            }
        }
        let slash_entry = format!("/{entry}");
        for kind in self.ignore_files {
            let Some(rules) = self.rules_of(*kind) else {
                continue;
            };
            for rule in rules.iter() {
                if rule.negate == included {
                    continue;
                }
                let relative = entry_basename.is_some() && rule.relative;
                let hit = rule.matches(&slash_entry, false)
                    || rule.matches(entry, false)
                    || (partial
                        && (rule.matches(&format!("/{entry}/"), false)
                            || rule.matches(&format!("{entry}/"), false)
                            || (rule.negate
                                && (rule.matches(&slash_entry, true)
                                    || rule.matches(entry, true)))
                            || (relative && {
                                let b = entry_basename.unwrap_or_default();
                                rule.matches(&format!("/{b}/"), false)
                                    || rule.matches(&format!("{b}/"), false)
                                    || (rule.negate
                                        && (rule.matches(&format!("/{b}"), true)
                                            || rule.matches(b, true)))
                            })));
                if hit {
                    included = rule.negate;
                }
            }
        }
        included
    }
}

/// What the package walk needs to know about the package being packed.
pub struct WalkInput<'a> {
    pub dir: &'a Path,
    /// The normalized manifest (bin as an object, bundleDependencies as an array).
    pub manifest: &'a Value,
    /// Contents of the `.npmignore`/`.gitignore` files between the workspace root and the
    /// package (npm workspaces only), appended to the default rules.
    pub out_of_tree_rules: Vec<String>,
}

/// The selected files, in npm's tar order, as paths relative to the package directory.
pub struct Selection {
    pub files: Vec<String>,
}

/// Runs the packlist walk over a package directory.
pub fn select(input: &WalkInput<'_>) -> Result<Selection, PackError> {
    let mut seen = HashSet::new();
    let files = walk_package(
        input.dir,
        input.dir,
        input.manifest,
        ROOT_FILES,
        &input.out_of_tree_rules,
        &mut seen,
    )?;
    Ok(Selection {
        files: tar_order(files),
    })
}

/// The final sort, on the paths as npm-packlist hands them to tar (`./` before `@`).
pub fn tar_order(files: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = files
        .into_iter()
        .map(|e| {
            if e.starts_with('@') {
                format!("./{e}")
            } else {
                e
            }
        })
        .collect();
    out.sort_by(|a, b| pack_sort(a, b));
    out
}

/// Walks one package (the project, or a bundled dependency under it) and returns its files,
/// bundled dependencies included, as paths relative to `top` (the project being packed).
fn walk_package(
    top: &Path,
    dir: &Path,
    manifest: &Value,
    ignore_files: &'static [Kind],
    extra_defaults: &[String],
    seen: &mut HashSet<PathBuf>,
) -> Result<Vec<String>, PackError> {
    let project_root = top == dir;
    let mut defaults: Vec<String> = DEFAULTS.iter().map(|s| s.to_string()).collect();
    defaults.extend(extra_defaults.iter().cloned());
    let mut w = Walker {
        path: dir.to_path_buf(),
        basename: base_name(dir),
        ignore_files,
        rules: vec![(Kind::Default, parse_rules(&defaults.join("\n")))],
        parent: None,
        exact: false,
        required_files: Vec::new(),
    };
    let mut result = Vec::new();
    walk_dir(&mut w, dir, Some(manifest), &mut result)?;
    if !project_root {
        let rel_dir = dir
            .strip_prefix(top)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        for f in &mut result {
            *f = format!("{rel_dir}/{f}");
        }
    }

    // gatherBundles
    let canon = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    if seen.insert(canon) {
        let to_bundle: Vec<String> = if project_root {
            manifest
                .get("bundleDependencies")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        } else {
            ["dependencies", "optionalDependencies"]
                .iter()
                .filter_map(|k| manifest.get(*k).and_then(Value::as_object))
                .flat_map(|m| m.keys().cloned())
                .collect()
        };
        for dep in to_bundle {
            // Only prod/optional edges count (npm skips dev and peer edges, and missing nodes).
            let declared = ["dependencies", "optionalDependencies"]
                .iter()
                .any(|k| manifest.get(*k).and_then(|m| m.get(&dep)).is_some());
            if !declared {
                continue;
            }
            let Some(dep_dir) = resolve_node_module(dir, top, &dep) else {
                continue;
            };
            let dep_manifest_path = dep_dir.join("package.json");
            let Ok(text) = fs::read_to_string(&dep_manifest_path) else {
                continue;
            };
            let Ok(dep_manifest) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            let dep_manifest = normalize_manifest(&dep_manifest, &dep_dir);
            let is_link = fs::symlink_metadata(&dep_dir)
                .map(|m| m.file_type().is_symlink())
                .unwrap_or(false);
            let files = walk_package(
                top,
                &dep_dir,
                &dep_manifest,
                if is_link { ROOT_FILES } else { BUNDLED_FILES },
                &[],
                seen,
            )?;
            for f in files {
                if !result.contains(&f) {
                    result.push(f);
                }
            }
        }
    }
    Ok(result)
}

/// Node's lookup of `node_modules/<name>` from `from` upwards, staying inside `top` (a bundle
/// can only contain what lives under the package being packed).
fn resolve_node_module(from: &Path, top: &Path, name: &str) -> Option<PathBuf> {
    for d in from.ancestors() {
        if !d.starts_with(top) {
            break;
        }
        if d.file_name().is_some_and(|n| n == "node_modules") {
            continue;
        }
        let p = d.join("node_modules").join(name);
        if p.join("package.json").is_file() {
            return Some(p);
        }
    }
    None
}

fn base_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn walk_dir(
    w: &mut Walker<'_>,
    root: &Path,
    manifest: Option<&Value>,
    result: &mut Vec<String>,
) -> Result<(), PackError> {
    let rd = fs::read_dir(&w.path).map_err(|e| PackError::io(&w.path, e))?;
    let mut entries = Vec::new();
    for e in rd {
        let e = e.map_err(|e| PackError::io(&w.path, e))?;
        entries.push(e.file_name().to_string_lossy().into_owned());
    }
    if entries.is_empty() {
        return Ok(());
    }
    for kind in w.ignore_files {
        let Some(name) = kind.file_name() else {
            continue;
        };
        if !entries.iter().any(|e| e == name) {
            continue;
        }
        if *kind == Kind::PackageJson {
            if let Some(m) = manifest {
                process_package(w, m)?;
            }
            continue;
        }
        let p = w.path.join(name);
        let text = fs::read(&p).map_err(|e| PackError::io(&p, e))?;
        w.set_rules(*kind, Some(parse_rules(&String::from_utf8_lossy(&text))));
    }
    // Precedence at one level: `files` drops both ignore files, `.npmignore` drops `.gitignore`.
    if w.rules_of(Kind::PackageJson).is_some() {
        w.set_rules(Kind::NpmIgnore, None);
        w.set_rules(Kind::GitIgnore, None);
    } else if w.rules_of(Kind::NpmIgnore).is_some() {
        w.set_rules(Kind::GitIgnore, None);
    }

    for entry in entries {
        let pass_file = w.filter_entry(&entry, false, None);
        let pass_dir = w.filter_entry(&entry, true, None);
        if !(pass_file || pass_dir) {
            continue;
        }
        if entry.contains('*') {
            continue;
        }
        let abs = w.path.join(&entry);
        let st = fs::symlink_metadata(&abs).map_err(|e| PackError::io(&abs, e))?;
        let ft = st.file_type();
        if ft.is_file() {
            if pass_file {
                let rel = abs
                    .strip_prefix(root)
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_default();
                result.push(rel);
            }
        } else if ft.is_dir() && pass_dir {
            let exact = pass_file || w.filter_entry(&format!("{entry}/"), false, None);
            let required: Vec<String> = w
                .required_files
                .iter()
                .filter_map(|f| {
                    let f = f.trim_end_matches('/');
                    let (d, rest) = f.split_once('/')?;
                    (d == entry && !rest.contains('/')).then(|| rest.to_string())
                })
                .collect();
            let mut strict = vec!["/.git".to_string()];
            strict.extend(required.iter().map(|f| format!("!{f}")));
            let mut child = Walker {
                path: abs.clone(),
                basename: entry.clone(),
                ignore_files: CHILD_FILES,
                rules: vec![
                    (Kind::Default, parse_rules(&DEFAULTS.join("\n"))),
                    (Kind::Strict, parse_rules(&strict.join("\n"))),
                ],
                parent: Some(&*w),
                exact,
                required_files: required,
            };
            walk_dir(&mut child, root, None, result)?;
        }
    }
    Ok(())
}

/// npm-packlist's `processPackage`: the `files` rules and the strict rules of a package root.
fn process_package(w: &mut Walker<'_>, m: &Value) -> Result<(), PackError> {
    let mut strict: Vec<String> = [
        "/.git",
        "!/package.json",
        "!/readme{,.*[^~$]}",
        "!/copying{,.*[^~$]}",
        "!/license{,.*[^~$]}",
        "!/licence{,.*[^~$]}",
        "/.git",
        "/node_modules",
        ".npmrc",
        "/package-lock.json",
        "/yarn.lock",
        "/pnpm-lock.yaml",
        "/bun.lockb",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if let Some(files) = m.get("files").filter(|f| !f.is_null()) {
        let Some(list) = files.as_array() else {
            return Err(PackError::InvalidFiles {
                path: w.path.join("package.json"),
                message: "`files` must be an array of strings".into(),
            });
        };
        let mut ignores = Vec::new();
        for (i, entry) in list.iter().enumerate() {
            let Some(file) = entry.as_str() else {
                return Err(PackError::InvalidFiles {
                    path: w.path.join("package.json"),
                    message: format!("`files[{i}]` is {entry}, not a string"),
                });
            };
            let mut file = file.to_string();
            if file.starts_with("./") {
                file.remove(0);
            }
            if file.ends_with("/*") {
                file.push('*');
            }
            let inverse = format!("!{file}");
            let target = w
                .path
                .join(file.trim_start_matches('!').trim_start_matches('/'));
            match fs::symlink_metadata(&target) {
                Ok(st) if st.is_file() => {
                    strict.insert(0, inverse);
                    w.required_files
                        .push(file.strip_prefix('/').unwrap_or(&file).to_string());
                }
                Ok(st) if st.is_dir() => {
                    ignores.push(inverse.clone());
                    ignores.push(format!("{inverse}/**"));
                }
                Ok(_) => {}
                Err(_) => ignores.push(inverse),
            }
        }
        let mut rules = vec!["*".to_string()];
        rules.extend(ignores);
        w.set_rules(Kind::PackageJson, Some(parse_rules(&rules.join("\n"))));
    }
    if let Some(b) = m.get("browser").and_then(Value::as_str) {
        strict.push(format!("!/{b}"));
    }
    if let Some(main) = m.get("main").and_then(Value::as_str) {
        strict.push(format!("!/{main}"));
    }
    if let Some(bin) = m.get("bin").and_then(Value::as_object) {
        for v in bin.values().filter_map(Value::as_str) {
            strict.push(format!("!/{v}"));
        }
    }
    w.set_rules(Kind::Strict, Some(parse_rules(&strict.join("\n"))));
    Ok(())
}

/// node's `path.extname`.
fn extname(p: &str) -> &str {
    let base = p.rsplit('/').next().unwrap_or(p);
    let stripped = base.trim_start_matches('.');
    let lead = base.len() - stripped.len();
    match stripped.rfind('.') {
        Some(i) if lead + i > 0 => &base[lead + i..],
        _ => "",
    }
}

/// `PackWalker.sort`: extension, then basename (both lower-cased), then the whole path.
pub fn pack_sort(a: &str, b: &str) -> Ordering {
    let ea = extname(a).to_lowercase();
    let eb = extname(b).to_lowercase();
    let ba = a.rsplit('/').next().unwrap_or(a).to_lowercase();
    let bb = b.rsplit('/').next().unwrap_or(b).to_lowercase();
    locale_compare(&ea, &eb)
        .then_with(|| locale_compare(&ba, &bb))
        .then_with(|| locale_compare(a, b))
}

/// The parts of `@npmcli/package-json`'s normalize that file selection depends on: `bin` as an
/// object with cleaned paths (or expanded from `directories.bin`), `bundleDependencies` as an
/// array.
pub fn normalize_manifest(m: &Value, dir: &Path) -> Value {
    let mut m = m.clone();
    let Some(obj) = m.as_object_mut() else {
        return m;
    };
    if !obj.contains_key("bundleDependencies")
        && let Some(bd) = obj.get("bundledDependencies").cloned()
    {
        obj.insert("bundleDependencies".into(), bd);
    }
    obj.shift_remove("bundledDependencies");
    match obj.get("bundleDependencies").cloned() {
        Some(Value::Bool(true)) => {
            let keys: Vec<Value> = obj
                .get("dependencies")
                .and_then(Value::as_object)
                .map(|d| d.keys().map(|k| Value::String(k.clone())).collect())
                .unwrap_or_default();
            obj.insert("bundleDependencies".into(), Value::Array(keys));
        }
        Some(Value::Object(o)) => {
            let keys = o.keys().map(|k| Value::String(k.clone())).collect();
            obj.insert("bundleDependencies".into(), Value::Array(keys));
        }
        Some(Value::Array(_)) | None => {}
        Some(_) => {
            obj.shift_remove("bundleDependencies");
        }
    }
    let name = obj
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let bin_dir = obj
        .get("directories")
        .and_then(|d| d.get("bin"))
        .and_then(Value::as_str)
        .map(str::to_string);
    match obj.get("bin").cloned() {
        None if bin_dir.is_some() => {
            let bin_path = secure_path(bin_dir.as_deref().unwrap_or(""));
            let mut bins = serde_json::Map::new();
            for e in walkdir::WalkDir::new(dir.join(&bin_path))
                .min_depth(1)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .flatten()
            {
                let Ok(rel) = e.path().strip_prefix(dir.join(&bin_path)) else {
                    continue;
                };
                let rel = rel.to_string_lossy().replace('\\', "/");
                bins.insert(
                    base_name(e.path()),
                    Value::String(format!("{bin_path}/{}", secure_path(&rel))),
                );
            }
            obj.insert("bin".into(), Value::Object(bins));
        }
        Some(Value::String(s)) if !name.is_empty() => {
            let mut bins = serde_json::Map::new();
            bins.insert(name, Value::String(s));
            obj.insert("bin".into(), Value::Object(bins));
            clean_bins(obj);
        }
        Some(Value::Object(_)) => clean_bins(obj),
        Some(_) => {
            obj.shift_remove("bin");
        }
        None => {}
    }
    m
}

fn clean_bins(obj: &mut serde_json::Map<String, Value>) {
    let Some(Value::Object(bins)) = obj.get("bin").cloned() else {
        return;
    };
    let mut out = serde_json::Map::new();
    for (k, v) in bins {
        let Some(v) = v.as_str() else { continue };
        let key = secure_path(&k);
        let base = key.rsplit('/').next().unwrap_or("").to_string();
        let target = secure_path(v);
        if base.is_empty() || target.is_empty() {
            continue;
        }
        out.insert(base, Value::String(target));
    }
    if out.is_empty() {
        obj.shift_remove("bin");
    } else {
        obj.insert("bin".into(), Value::Object(out));
    }
}

/// A `/`-separated path with empty and `.` segments dropped and `..` applied (never above the
/// start), without leading or trailing `/`.
pub(crate) fn collapse(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// `secureAndUnixifyPath`: `\` and `:` become `/`, then the path is resolved inside the package
/// (`..` cannot climb out) and made relative.
pub fn secure_path(p: &str) -> String {
    let unix = p.replace(['\\', ':'], "/");
    let mut out = collapse(&unix);
    if unix.ends_with('/') && !out.is_empty() {
        out.push('/');
    }
    out
}

/// pacote's `isPackageBin`: strip the first path segment, compare with each bin target.
pub fn is_package_bin(manifest: &Value, path: &str) -> bool {
    let Some(bin) = manifest.get("bin").and_then(Value::as_object) else {
        return false;
    };
    let stripped = match path.find(['/', '\\']) {
        Some(i) => &path[i + 1..],
        None => path,
    };
    bin.values().any(|v| v.as_str() == Some(stripped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tar_order_matches_npm_observation() {
        let mut v = vec![
            "LICENCE.txt",
            "README.md",
            "lib/util.ts",
            "package.json",
            "lib/README.md",
            "bin/cli.js",
            "lib/index.js",
            "LICENSE",
            "COPYING",
        ];
        v.sort_by(|a, b| pack_sort(a, b));
        assert_eq!(
            v,
            [
                "COPYING",
                "LICENSE",
                "bin/cli.js",
                "lib/index.js",
                "package.json",
                "lib/README.md",
                "README.md",
                "lib/util.ts",
                "LICENCE.txt"
            ]
        );
    }

    #[test]
    fn extname_like_node() {
        assert_eq!(extname("a/.gitignore"), "");
        assert_eq!(extname("a.b.c"), ".c");
        assert_eq!(extname("x"), "");
    }

    #[test]
    fn bins_at_top_level_only() {
        let m = serde_json::json!({"bin": {"a": "cli.js", "b": "bin/b.js"}});
        assert!(is_package_bin(&m, "cli.js"));
        assert!(!is_package_bin(&m, "bin/b.js"));
        assert!(is_package_bin(&m, "x/bin/b.js"));
    }
}
