//! Reading the repository's manifests into a [`Workspace`].
//!
//! JS discovery follows `@manypkg/get-packages` 3 (what changesets 3 uses) with one deliberate
//! leniency: manypkg only recognises an npm/yarn/bun workspace when its lockfile exists, and
//! otherwise treats the repository as a single package; relay recognises the `workspaces` field
//! on its own (the lockfile, when present, picks the tool) because a fresh clone without a
//! lockfile is still a monorepo.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::glob::DirGlobs;
use super::locate;
use super::{Catalogs, DepKind, Dependency, Ecosystem, Package, Tool, Workspace, WorkspaceError};

/// Walks up from `start` to the nearest directory that declares a workspace (or holds
/// `.changeset/`); falls back to the nearest directory with a manifest.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let mut nearest_manifest = None;
    for dir in start.ancestors() {
        if dir.join("pnpm-workspace.yaml").is_file() || dir.join(".changeset").is_dir() {
            return Some(dir.to_path_buf());
        }
        let pkg = dir.join("package.json");
        if pkg.is_file() {
            if fs::read_to_string(&pkg).is_ok_and(|t| t.contains("\"workspaces\"")) {
                return Some(dir.to_path_buf());
            }
            nearest_manifest.get_or_insert_with(|| dir.to_path_buf());
        }
        let cargo = dir.join("Cargo.toml");
        if cargo.is_file() {
            if fs::read_to_string(&cargo).is_ok_and(|t| {
                t.lines().any(|l| {
                    let l = l.trim_start();
                    l.starts_with("[workspace") || l.starts_with("workspace.")
                })
            }) {
                return Some(dir.to_path_buf());
            }
            nearest_manifest.get_or_insert_with(|| dir.to_path_buf());
        }
    }
    nearest_manifest
}

/// Reads every package of the repository rooted at `root`: the JS workspace (if any), then the
/// Cargo workspace (if any). See [`Workspace`] for the order.
pub fn discover(root: &Path) -> Result<Workspace, WorkspaceError> {
    let root = std::path::absolute(root).map_err(|e| io_err(root, e))?;
    let js = discover_js(&root)?;
    let cargo = super::cargo::discover(&root)?;
    let (tool, root_package, mut packages, catalogs) = match js {
        Some(js) => (js.tool, js.root_package, js.packages, js.catalogs),
        None if cargo.is_some() => (Tool::Cargo, None, Vec::new(), Catalogs::new()),
        None => {
            return Err(WorkspaceError::Invalid {
                path: root.clone(),
                message: "no package.json, pnpm-workspace.yaml or Cargo.toml here; run relay from the repository root or pass --cwd".into(),
            });
        }
    };
    if let Some(cargo) = cargo {
        packages.extend(cargo);
    }

    let ws = Workspace {
        root,
        tool,
        root_package,
        packages,
        catalogs,
    };
    check_duplicates(&ws)?;
    Ok(ws)
}

fn check_duplicates(ws: &Workspace) -> Result<(), WorkspaceError> {
    let mut seen: BTreeMap<&str, &Path> = BTreeMap::new();
    for p in ws.all().filter(|p| !p.unnamed) {
        if let Some(first) = seen.insert(&p.name, &p.manifest_path) {
            return Err(WorkspaceError::Duplicate {
                name: p.name.clone(),
                first: first.to_path_buf(),
                second: p.manifest_path.clone(),
            });
        }
    }
    Ok(())
}

struct JsPart {
    tool: Tool,
    root_package: Option<Package>,
    packages: Vec<Package>,
    catalogs: Catalogs,
}

fn discover_js(root: &Path) -> Result<Option<JsPart>, WorkspaceError> {
    let root_manifest = root.join("package.json");
    let root_doc = match fs::read(&root_manifest) {
        Ok(bytes) => Some(parse_json(&root_manifest, bytes)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_err(&root_manifest, e)),
    };
    let pnpm_file = root.join("pnpm-workspace.yaml");
    let pnpm = match fs::read_to_string(&pnpm_file) {
        Ok(text) => Some(read_pnpm(&pnpm_file, &text)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_err(&pnpm_file, e)),
    };
    if root_doc.is_none() && pnpm.is_none() {
        return Ok(None);
    }

    let ws_globs = match &root_doc {
        Some(doc) => workspace_globs(doc, &root_manifest)?,
        None => None,
    };
    let exists = |f: &str| root.join(f).exists();
    let bun_lock = exists("bun.lock") || exists("bun.lockb");
    // manypkg's order: Yarn, pnpm, npm, Bun, then the single-package fallback.
    let pnpm_globs = pnpm.as_ref().and_then(|p| p.packages.clone());
    let (tool, patterns) = if let (Some(g), true) = (&ws_globs, exists("yarn.lock")) {
        (Tool::Yarn, g.clone())
    } else if let Some(g) = pnpm_globs {
        (Tool::Pnpm, g)
    } else if let (Some(g), true) = (&ws_globs, exists("package-lock.json")) {
        (Tool::Npm, g.clone())
    } else if let (Some(g), true) = (&ws_globs, bun_lock) {
        (Tool::Bun, g.clone())
    } else if let Some(g) = &ws_globs {
        // No lockfile (see the module docs).
        let tool = if exists(".yarnrc.yml") {
            Tool::Yarn
        } else {
            Tool::Npm
        };
        (tool, g.clone())
    } else {
        (Tool::Root, Vec::new())
    };

    let mut catalogs = Catalogs::new();
    if let Some(p) = pnpm {
        catalogs = p.catalogs;
    }
    if let Some(doc) = &root_doc {
        read_bun_catalogs(doc, &root_manifest, &mut catalogs)?;
    }
    if tool == Tool::Yarn {
        // Yarn 4.10+ keeps its catalogs in `.yarnrc.yml` (`catalog:` and `catalogs:`), the
        // same shape as pnpm's.
        let yarnrc = root.join(".yarnrc.yml");
        match fs::read_to_string(&yarnrc) {
            Ok(text) => catalogs.extend(read_pnpm(&yarnrc, &text)?.catalogs),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&yarnrc, e)),
        }
    }

    let mut root_package = match &root_doc {
        Some(doc) => Some(package_from_json(root, &root_manifest, doc, true)?),
        None => None,
    };

    let mut packages = Vec::new();
    if tool == Tool::Root {
        if let Some(rp) = &mut root_package {
            // The root is the repository's one package: it needs a name like any other.
            if rp.unnamed {
                return Err(missing_name(&root_manifest));
            }
            packages.push(rp.clone());
        }
    } else {
        let globs = DirGlobs::js(&patterns).map_err(|bad| {
            let file = if tool == Tool::Pnpm {
                &pnpm_file
            } else {
                &root_manifest
            };
            WorkspaceError::Invalid {
                path: file.clone(),
                message: format!(
                    "workspace glob `{}` is not a valid glob; fix or remove it",
                    bad.0
                ),
            }
        })?;
        let mut dirs = globs.expand(root);
        dirs.sort_by(|a, b| js_cmp(&a.to_string_lossy(), &b.to_string_lossy()));
        packages = read_packages(root, &dirs)?;
    }
    Ok(Some(JsPart {
        tool,
        root_package,
        packages,
        catalogs,
    }))
}

/// Reads `dir/package.json` for every directory, keeping the order. A directory without
/// `package.json` is not a package (as in manypkg).
///
/// Sequential on purpose: each read is a page-cache hit (open, statx, read, close), 2,000 of
/// them cost ~20 ms of CPU, and on a loaded 2-core machine worker threads measured slower
/// (scheduling waits) than one thread (scripts/bench-discovery.sh).
fn read_packages(root: &Path, dirs: &[PathBuf]) -> Result<Vec<Package>, WorkspaceError> {
    let mut out = Vec::with_capacity(dirs.len());
    for dir in dirs {
        let manifest = dir.join("package.json");
        let bytes = match fs::read(&manifest) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_err(&manifest, e)),
        };
        let doc = parse_json(&manifest, bytes)?;
        out.push(package_from_json(root, &manifest, &doc, false)?);
    }
    Ok(out)
}

/// A parsed `package.json`: the value and its text (kept for error positions).
pub(crate) struct JsonDoc {
    pub value: Value,
    pub text: String,
}

fn parse_json(path: &Path, bytes: Vec<u8>) -> Result<JsonDoc, WorkspaceError> {
    let mut text = String::from_utf8(bytes).map_err(|e| {
        let (line, column) = locate::line_col(
            &String::from_utf8_lossy(e.as_bytes()),
            e.utf8_error().valid_up_to(),
        );
        WorkspaceError::Json {
            path: path.to_path_buf(),
            line,
            column,
            message: "the file is not valid UTF-8".into(),
        }
    })?;
    // npm tolerates a byte-order mark; so does relay.
    if text.starts_with('\u{feff}') {
        text.drain(..3);
    }
    let value = serde_json::from_str(&text).map_err(|e| {
        let full = e.to_string();
        let message = match full.rfind(" at line ") {
            Some(i) => full[..i].to_string(),
            None => full,
        };
        WorkspaceError::Json {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message,
        }
    })?;
    Ok(JsonDoc { value, text })
}

fn io_err(path: &Path, source: std::io::Error) -> WorkspaceError {
    WorkspaceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn at(path: &Path, doc: &JsonDoc, keys: &[&str], message: String) -> WorkspaceError {
    let (line, column) = locate::json_best(&doc.text, keys);
    WorkspaceError::InvalidAt {
        path: path.to_path_buf(),
        line,
        column,
        message,
    }
}

fn missing_name(path: &Path) -> WorkspaceError {
    WorkspaceError::Invalid {
        path: path.to_path_buf(),
        message: "`name` is missing; every workspace package needs a `\"name\"` string".into(),
    }
}

struct PnpmDoc {
    packages: Option<Vec<String>>,
    catalogs: Catalogs,
}

#[derive(serde::Deserialize)]
struct PnpmWorkspace {
    packages: Option<Vec<String>>,
    catalog: Option<BTreeMap<String, String>>,
    catalogs: Option<BTreeMap<String, BTreeMap<String, String>>>,
}

fn read_pnpm(path: &Path, text: &str) -> Result<PnpmDoc, WorkspaceError> {
    // An empty file (or only comments) is a workspace with no packages key.
    let doc: Option<PnpmWorkspace> = serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line() as usize, l.column() as usize))
            .unwrap_or((1, 1));
        let full = e.to_string();
        // serde-saphyr prefixes its own "error: line L column C: "; relay prints the position
        // itself, so keep only the first line's text after that prefix.
        let mut message = full.lines().next().unwrap_or(&full).trim();
        message = message
            .strip_prefix("error:")
            .unwrap_or(message)
            .trim_start();
        if message.starts_with("line ")
            && let Some(i) = message.find(": ")
        {
            message = &message[i + 2..];
        }
        let message = message.to_string();
        WorkspaceError::Yaml {
            path: path.to_path_buf(),
            line,
            column,
            message,
        }
    })?;
    let Some(doc) = doc else {
        return Ok(PnpmDoc {
            packages: None,
            catalogs: Catalogs::new(),
        });
    };
    let mut catalogs = Catalogs::new();
    let named = doc.catalogs.unwrap_or_default();
    if let Some(c) = doc.catalog {
        if named.contains_key("default") {
            return Err(WorkspaceError::Invalid {
                path: path.to_path_buf(),
                message: "the default catalog is defined twice (`catalog` and `catalogs.default`); keep one of them".into(),
            });
        }
        catalogs.insert("default".into(), c);
    }
    catalogs.extend(named);
    Ok(PnpmDoc {
        packages: doc.packages,
        catalogs,
    })
}

fn workspace_globs(doc: &JsonDoc, path: &Path) -> Result<Option<Vec<String>>, WorkspaceError> {
    let (list, keys): (&Vec<Value>, &[&str]) = match doc.value.get("workspaces") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(a)) => (a, &["workspaces"]),
        Some(Value::Object(o)) => match o.get("packages") {
            Some(Value::Array(a)) => (a, &["workspaces", "packages"]),
            // Bun allows `{ "catalog": ... }` alone: a workspace with no package globs.
            None => return Ok(Some(Vec::new())),
            Some(_) => {
                return Err(at(
                    path,
                    doc,
                    &["workspaces", "packages"],
                    "`workspaces.packages` must be an array of glob strings, e.g. [\"packages/*\"]"
                        .into(),
                ));
            }
        },
        Some(_) => {
            return Err(at(
                path,
                doc,
                &["workspaces"],
                "`workspaces` must be an array of glob strings or {\"packages\": [...]}".into(),
            ));
        }
    };
    list.iter()
        .map(|v| {
            v.as_str().map(str::to_string).ok_or_else(|| {
                at(
                    path,
                    doc,
                    keys,
                    format!("every `workspaces` entry must be a glob string, found `{v}`"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Bun catalogs: `workspaces.catalog`/`workspaces.catalogs`, or the same keys at the top level
/// of the root `package.json`; the `workspaces` form wins when both define a section.
fn read_bun_catalogs(
    doc: &JsonDoc,
    path: &Path,
    catalogs: &mut Catalogs,
) -> Result<(), WorkspaceError> {
    let table = |v: &Value, keys: &[&str]| -> Result<BTreeMap<String, String>, WorkspaceError> {
        let Some(o) = v.as_object() else {
            return Err(at(
                path,
                doc,
                keys,
                format!(
                    "`{}` must be an object of package name → range",
                    keys.join(".")
                ),
            ));
        };
        o.iter()
            .map(|(k, v)| match v.as_str() {
                Some(s) => Ok((k.clone(), s.to_string())),
                None => {
                    let mut full = keys.to_vec();
                    full.push(k);
                    Err(at(
                        path,
                        doc,
                        &full,
                        format!("catalog entry `{k}` must be a range string"),
                    ))
                }
            })
            .collect()
    };
    let nested = doc.value.get("workspaces").filter(|w| w.is_object());
    for (prefix, holder) in [(None, Some(&doc.value)), (Some("workspaces"), nested)] {
        let Some(holder) = holder else { continue };
        let k = |key: &'static str| -> Vec<&str> { prefix.into_iter().chain([key]).collect() };
        if let Some(c) = holder.get("catalog") {
            catalogs.insert("default".into(), table(c, &k("catalog"))?);
        }
        if let Some(named) = holder.get("catalogs") {
            let keys = k("catalogs");
            let Some(named) = named.as_object() else {
                return Err(at(
                    path,
                    doc,
                    &keys,
                    "`catalogs` must be an object of catalog name → {package: range}".into(),
                ));
            };
            for (name, v) in named {
                let mut full = keys.clone();
                full.push(name);
                catalogs.insert(name.clone(), table(v, &full)?);
            }
        }
    }
    Ok(())
}

/// JavaScript's default string order (UTF-16 code units).
pub(crate) fn js_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// JavaScript truthiness: what changesets applies to `private`, changelog options and Yarn to
/// `publishConfig` values.
pub(crate) fn js_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

pub(crate) fn rel_dir(root: &Path, dir: &Path) -> String {
    let rel = dir
        .strip_prefix(root)
        .unwrap_or(dir)
        .to_string_lossy()
        .replace('\\', "/");
    if rel.is_empty() { ".".into() } else { rel }
}

fn package_from_json(
    root: &Path,
    manifest: &Path,
    doc: &JsonDoc,
    is_root: bool,
) -> Result<Package, WorkspaceError> {
    let json = &doc.value;
    if !json.is_object() {
        return Err(WorkspaceError::Invalid {
            path: manifest.to_path_buf(),
            message: "the manifest must be a JSON object (`{ \"name\": ..., \"version\": ... }`)"
                .into(),
        });
    }
    let dir = manifest.parent().unwrap_or(root);
    let (name, unnamed) = match json.get("name") {
        Some(Value::String(s)) if !s.is_empty() => (s.clone(), false),
        // changesets allows an unnamed monorepo root; relay shows its directory name.
        None | Some(Value::Null) if is_root => (
            root.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "root".into()),
            true,
        ),
        None | Some(Value::Null) => return Err(missing_name(manifest)),
        Some(other) => {
            return Err(at(
                manifest,
                doc,
                &["name"],
                format!("`name` must be a non-empty string, found `{other}`"),
            ));
        }
    };
    let version = match json.get("version") {
        Some(Value::String(s)) => Some(s.clone()),
        None | Some(Value::Null) => None,
        Some(other) => {
            return Err(at(
                manifest,
                doc,
                &["version"],
                format!("`version` must be a string like \"1.0.0\", found `{other}`"),
            ));
        }
    };
    let private = json.get("private").is_some_and(js_truthy);
    let mut dependencies = Vec::new();
    for kind in DepKind::NPM {
        match json.get(kind.key()) {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (dep, range) in map {
                    let Some(range) = range.as_str() else {
                        return Err(at(
                            manifest,
                            doc,
                            &[kind.key(), dep],
                            format!(
                                "`{}.{dep}` must be a version range string, found `{range}`",
                                kind.key()
                            ),
                        ));
                    };
                    let target = match super::DepSpec::parse(range) {
                        super::DepSpec::Alias { name, .. } if !name.is_empty() => name,
                        _ => dep.as_str(),
                    };
                    dependencies.push(Dependency::npm(dep, target, kind, range));
                }
            }
            Some(other) => {
                return Err(at(
                    manifest,
                    doc,
                    &[kind.key()],
                    format!(
                        "`{}` must be an object of name → range, found `{other}`",
                        kind.key()
                    ),
                ));
            }
        }
    }
    Ok(Package {
        name,
        version,
        dir: rel_dir(root, dir),
        manifest_path: manifest.to_path_buf(),
        private,
        ecosystem: Ecosystem::Npm,
        is_root,
        unnamed,
        dependencies,
    })
}
