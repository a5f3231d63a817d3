//! Reading the repository's manifests into a [`Workspace`].

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde_json::Value;

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
            if fs::read_to_string(&cargo)
                .is_ok_and(|t| t.lines().any(|l| l.trim() == "[workspace]"))
            {
                return Some(dir.to_path_buf());
            }
            nearest_manifest.get_or_insert_with(|| dir.to_path_buf());
        }
    }
    nearest_manifest
}

/// Reads every package of the repository rooted at `root`.
pub fn discover(root: &Path) -> Result<Workspace, WorkspaceError> {
    let root = std::path::absolute(root).map_err(|e| io_err(root, e))?;
    let root_manifest = root.join("package.json");
    let root_json = if root_manifest.is_file() {
        Some(read_json(&root_manifest)?)
    } else {
        None
    };

    let pnpm_file = root.join("pnpm-workspace.yaml");
    let mut catalogs = Catalogs::new();
    let (tool, patterns) = if pnpm_file.is_file() {
        let text = fs::read_to_string(&pnpm_file).map_err(|e| io_err(&pnpm_file, e))?;
        let doc: PnpmWorkspace =
            serde_saphyr::from_str(&text).map_err(|e| WorkspaceError::Invalid {
                path: pnpm_file.clone(),
                message: e.to_string(),
            })?;
        if let Some(c) = doc.catalog {
            catalogs.insert("default".into(), c);
        }
        for (name, table) in doc.catalogs.unwrap_or_default() {
            catalogs.insert(name, table);
        }
        (Tool::Pnpm, doc.packages.unwrap_or_default())
    } else if let Some(json) = &root_json {
        match workspace_globs(json, &root_manifest)? {
            Some(globs) => {
                let tool = if root.join("bun.lock").exists() || root.join("bun.lockb").exists() {
                    Tool::Bun
                } else if root.join("yarn.lock").exists() || root.join(".yarnrc.yml").exists() {
                    Tool::Yarn
                } else {
                    Tool::Npm
                };
                if let Some(ws) = json.get("workspaces") {
                    read_bun_catalogs(ws, &mut catalogs);
                }
                (tool, globs)
            }
            None => (Tool::Root, Vec::new()),
        }
    } else {
        return Err(WorkspaceError::Invalid {
            path: root_manifest,
            message: "no package.json or pnpm-workspace.yaml here; run relay from the repository root or pass --cwd".into(),
        });
    };

    let root_package = match &root_json {
        Some(json) => Some(package_from_json(&root, &root_manifest, json, true)?),
        None => None,
    };

    let mut packages = Vec::new();
    if tool != Tool::Root {
        for dir in expand_globs(&root, &patterns) {
            let manifest = dir.join("package.json");
            let json = read_json(&manifest)?;
            packages.push(package_from_json(&root, &manifest, &json, false)?);
        }
    }

    let mut seen: BTreeMap<&str, &Path> = BTreeMap::new();
    for p in root_package.iter().chain(packages.iter()) {
        if let Some(first) = seen.insert(&p.name, &p.manifest_path) {
            return Err(WorkspaceError::Duplicate {
                name: p.name.clone(),
                first: first.to_path_buf(),
                second: p.manifest_path.clone(),
            });
        }
    }

    Ok(Workspace {
        root,
        tool,
        root_package,
        packages,
        catalogs,
    })
}

#[derive(serde::Deserialize)]
struct PnpmWorkspace {
    packages: Option<Vec<String>>,
    catalog: Option<BTreeMap<String, String>>,
    catalogs: Option<BTreeMap<String, BTreeMap<String, String>>>,
}

fn io_err(path: &Path, source: std::io::Error) -> WorkspaceError {
    WorkspaceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

pub(crate) fn read_json(path: &Path) -> Result<Value, WorkspaceError> {
    let text = fs::read_to_string(path).map_err(|e| io_err(path, e))?;
    serde_json::from_str(&text).map_err(|e| WorkspaceError::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

fn workspace_globs(json: &Value, path: &Path) -> Result<Option<Vec<String>>, WorkspaceError> {
    let list = match json.get("workspaces") {
        None => return Ok(None),
        Some(Value::Array(a)) => a,
        Some(Value::Object(o)) => match o.get("packages") {
            Some(Value::Array(a)) => a,
            None => return Ok(None),
            Some(_) => {
                return Err(invalid(
                    path,
                    "`workspaces.packages` must be an array of globs",
                ));
            }
        },
        Some(_) => {
            return Err(invalid(
                path,
                "`workspaces` must be an array of globs or {\"packages\": [...]}",
            ));
        }
    };
    list.iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| invalid(path, "every `workspaces` entry must be a string glob"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn read_bun_catalogs(ws: &Value, catalogs: &mut Catalogs) {
    let table = |v: &Value| -> BTreeMap<String, String> {
        v.as_object()
            .map(|o| {
                o.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    };
    if let Some(c) = ws.get("catalog") {
        catalogs.insert("default".into(), table(c));
    }
    if let Some(Value::Object(named)) = ws.get("catalogs") {
        for (name, v) in named {
            catalogs.insert(name.clone(), table(v));
        }
    }
}

fn invalid(path: &Path, message: &str) -> WorkspaceError {
    WorkspaceError::Invalid {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

fn glob(pattern: &str) -> Option<globset::Glob> {
    let p = pattern.trim_start_matches("./").trim_end_matches('/');
    GlobBuilder::new(p).literal_separator(true).build().ok()
}

/// Directories (with a `package.json`) matched by the include globs and not by a `!` glob,
/// sorted by absolute path as changesets sorts them. `node_modules` is never entered.
fn expand_globs(root: &Path, patterns: &[String]) -> Vec<PathBuf> {
    let mut include = GlobSetBuilder::new();
    let mut exclude = GlobSetBuilder::new();
    for p in patterns {
        match p.strip_prefix('!') {
            Some(neg) => glob(neg).map(|g| exclude.add(g)),
            None => glob(p).map(|g| include.add(g)),
        };
    }
    let (Ok(include), Ok(exclude)) = (include.build(), exclude.build()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk(root, root, &include, &exclude, &mut out);
    out.sort_by(|a, b| js_cmp(&a.to_string_lossy(), &b.to_string_lossy()));
    out
}

fn walk(root: &Path, dir: &Path, include: &GlobSet, exclude: &GlobSet, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name == "node_modules" || name == ".git" {
            continue;
        }
        let Ok(ft) = entry.file_type() else { continue };
        if !ft.is_dir() {
            continue;
        }
        let path = entry.path();
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if include.is_match(&rel) && !exclude.is_match(&rel) && path.join("package.json").is_file()
        {
            out.push(path.clone());
        }
        walk(root, &path, include, exclude, out);
    }
}

/// JavaScript's default string order (UTF-16 code units).
pub(crate) fn js_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn package_from_json(
    root: &Path,
    manifest: &Path,
    json: &Value,
    is_root: bool,
) -> Result<Package, WorkspaceError> {
    let dir = manifest.parent().unwrap_or(root);
    let rel = dir
        .strip_prefix(root)
        .unwrap_or(dir)
        .to_string_lossy()
        .replace('\\', "/");
    let name = match json.get("name") {
        Some(Value::String(s)) => s.clone(),
        // changesets names an unnamed root after nothing; relay gives it its directory name.
        None if is_root => root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        _ => {
            return Err(invalid(
                manifest,
                "`name` is missing or not a string; every workspace package needs a name",
            ));
        }
    };
    let version = match json.get("version") {
        Some(Value::String(s)) => Some(s.clone()),
        None => None,
        Some(_) => return Err(invalid(manifest, "`version` must be a string")),
    };
    let private = json
        .get("private")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut dependencies = Vec::new();
    for kind in DepKind::NPM {
        match json.get(kind.key()) {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (dep, range) in map {
                    let Some(range) = range.as_str() else {
                        return Err(invalid(
                            manifest,
                            &format!("`{}.{dep}` must be a string range", kind.key()),
                        ));
                    };
                    let target = match super::DepSpec::parse(range) {
                        super::DepSpec::Alias { name, .. } => name.to_string(),
                        _ => dep.clone(),
                    };
                    dependencies.push(Dependency {
                        name: dep.clone(),
                        target,
                        kind,
                        range: range.to_string(),
                    });
                }
            }
            Some(_) => {
                return Err(invalid(
                    manifest,
                    &format!("`{}` must be an object", kind.key()),
                ));
            }
        }
    }
    Ok(Package {
        name,
        version,
        dir: if rel.is_empty() { ".".into() } else { rel },
        manifest_path: manifest.to_path_buf(),
        private,
        ecosystem: Ecosystem::Npm,
        is_root,
        dependencies,
    })
}
