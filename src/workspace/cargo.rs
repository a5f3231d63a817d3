//! Cargo workspaces: the root `Cargo.toml` and its members, as `cargo metadata` sees them.
//!
//! Rules (checked against `cargo metadata --no-deps` in tests/it/workspace_cargo.rs):
//! - members: the root `[package]` (if any), every `[workspace] members` entry (globs with the
//!   `glob` crate's rules: `*` also matches dot names; a glob match that is not a directory is
//!   ignored; a matched directory without `Cargo.toml` is an error, as in Cargo), minus glob
//!   matches under an `exclude` path; plus, recursively, every path dependency of a member that
//!   lies inside the root directory and is not excluded.
//! - `version.workspace = true` takes `[workspace.package] version`; `publish.workspace = true`
//!   likewise. `publish = false`, `publish = []` or no version (Cargo then refuses to publish)
//!   make the package private.
//! - dependencies from `[dependencies]`, `[dev-dependencies]`, `[build-dependencies]` (and the
//!   pre-2024 `dev_dependencies`/`build_dependencies` spellings), also under
//!   `[target.<platform>.…]`; `dep.workspace = true` resolves through
//!   `[workspace.dependencies]` (`inherited`); `package = "real"` renames set `target`.
//! - Not read: `[patch]`/`[replace]` (a registry dependency patched to a workspace path is not
//!   an edge), `default-members`, nested workspaces.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use toml_edit::{Item, TableLike};

use super::discover::{js_cmp, rel_dir};
use super::glob::DirGlobs;
use super::locate::line_col;
use super::{DepKind, Dependency, Ecosystem, Package, WorkspaceError};

struct Manifest {
    path: PathBuf,
    text: String,
    doc: toml_edit::Document<String>,
}

impl Manifest {
    fn read(path: &Path) -> Result<Manifest, WorkspaceError> {
        let text = fs::read_to_string(path).map_err(|e| WorkspaceError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        let doc = toml_edit::Document::parse(text.clone()).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(&text, s.start)).unwrap_or((1, 1));
            WorkspaceError::Toml {
                path: path.to_path_buf(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })?;
        Ok(Manifest {
            path: path.to_path_buf(),
            text,
            doc,
        })
    }

    fn err(&self, span: Option<Range<usize>>, message: String) -> WorkspaceError {
        match span {
            Some(s) => {
                let (line, column) = line_col(&self.text, s.start);
                WorkspaceError::InvalidAt {
                    path: self.path.clone(),
                    line,
                    column,
                    message,
                }
            }
            None => WorkspaceError::Invalid {
                path: self.path.clone(),
                message,
            },
        }
    }
}

/// The span of `key` in `table`: its value, else the key itself.
fn span_of(table: &dyn TableLike, key: &str) -> Option<Range<usize>> {
    let (k, item) = table.get_key_value(key)?;
    item.span().or_else(|| k.span())
}

/// A `[workspace.dependencies]` entry.
#[derive(Debug, Clone)]
struct WsDep {
    range: String,
    /// Relative to the root, normalised.
    path: Option<PathBuf>,
    package: Option<String>,
}

struct WsCtx {
    root: PathBuf,
    version: Option<String>,
    publish: Option<bool>,
    deps: BTreeMap<String, WsDep>,
    exclude: Vec<PathBuf>,
}

/// Lexical normalisation (`a/./b/../c` → `a/c`), as Cargo does for path dependencies.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            c => out.push(c.as_os_str()),
        }
    }
    out
}

/// `to` relative to `from` (both absolute and normalised), with `..` where needed.
fn relative(from: &Path, to: &Path) -> String {
    let f: Vec<_> = from.components().collect();
    let t: Vec<_> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".into(); f.len() - common];
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// Cargo packages of the repository at `root` (already absolute), sorted by absolute directory
/// path; `None` when there is no root `Cargo.toml`.
pub(super) fn discover(root: &Path) -> Result<Option<Vec<Package>>, WorkspaceError> {
    let root_path = root.join("Cargo.toml");
    if !root_path.is_file() {
        return Ok(None);
    }
    let m = Manifest::read(&root_path)?;
    let top = m.doc.as_table();
    let has_package = top.contains_key("package") || top.contains_key("project");
    let Some(ws_item) = top.get("workspace") else {
        if !has_package {
            return Err(m.err(
                None,
                "neither `[package]` nor `[workspace]` is defined; add one of them".into(),
            ));
        }
        let ctx = WsCtx {
            root: root.to_path_buf(),
            version: None,
            publish: None,
            deps: BTreeMap::new(),
            exclude: Vec::new(),
        };
        let pkg = read_package(&m, &ctx, None)?;
        return Ok(Some(vec![pkg]));
    };
    let Some(ws) = ws_item.as_table_like() else {
        return Err(m.err(ws_item.span(), "`workspace` must be a table".into()));
    };
    let ctx = read_ws_ctx(&m, ws, root)?;

    // (directory, how it became a member) in discovery order.
    let mut queue: Vec<(PathBuf, String)> = Vec::new();
    if has_package {
        queue.push((root.to_path_buf(), "the root `[package]`".into()));
    }
    for (entry, span) in string_array(&m, ws, "members")? {
        let is_glob = entry.contains(['*', '?', '[']);
        if !is_glob {
            queue.push((
                normalize(&root.join(&entry)),
                format!("`members` entry `{entry}`"),
            ));
            continue;
        }
        let globs = DirGlobs::cargo(std::slice::from_ref(&entry))
            .map_err(|_| m.err(span, format!("`{entry}` is not a valid glob; fix it")))?;
        let mut dirs = globs.expand(root);
        dirs.sort();
        for d in dirs {
            if !is_excluded(&ctx, &d) {
                queue.push((d, format!("`members` glob `{entry}`")));
            }
        }
    }

    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut packages = Vec::new();
    let mut i = 0;
    while i < queue.len() {
        let (dir, via) = queue[i].clone();
        i += 1;
        if !seen.insert(dir.clone()) {
            continue;
        }
        let manifest_path = dir.join("Cargo.toml");
        let member = if dir == root {
            None
        } else {
            if !manifest_path.is_file() {
                return Err(WorkspaceError::Invalid {
                    path: manifest_path,
                    message: format!(
                        "workspace member (from {via} in {}) has no Cargo.toml; add one, or list the directory under `[workspace] exclude`",
                        root_path.display()
                    ),
                });
            }
            Some(Manifest::read(&manifest_path)?)
        };
        let man = member.as_ref().unwrap_or(&m);
        let pkg = read_package(man, &ctx, Some(&dir))?;
        // Path dependencies inside the workspace root become members (Cargo's rule).
        for d in &pkg.dependencies {
            if let Some(p) = &d.path {
                let abs = normalize(&root.join(p));
                if abs.starts_with(root) && !is_excluded(&ctx, &abs) && !seen.contains(&abs) {
                    queue.push((abs, format!("a path dependency of `{}`", pkg.name)));
                }
            }
        }
        packages.push(pkg);
    }
    packages.sort_by(|a, b| {
        js_cmp(
            &a.abs_dir().to_string_lossy(),
            &b.abs_dir().to_string_lossy(),
        )
    });
    Ok(Some(packages))
}

fn is_excluded(ctx: &WsCtx, dir: &Path) -> bool {
    ctx.exclude.iter().any(|ex| dir.starts_with(ex))
}

/// A string with where it was written.
type Spanned = (String, Option<Range<usize>>);

/// One dependency table to read: (table, kind, platform, its dotted name for messages).
type DepTable<'a> = (&'a dyn TableLike, DepKind, Option<String>, String);

fn string_array(
    m: &Manifest,
    table: &dyn TableLike,
    key: &str,
) -> Result<Vec<Spanned>, WorkspaceError> {
    let Some(item) = table.get(key) else {
        return Ok(Vec::new());
    };
    let Some(arr) = item.as_array() else {
        return Err(m.err(
            span_of(table, key),
            format!("`workspace.{key}` must be an array of path strings"),
        ));
    };
    arr.iter()
        .map(|v| match v.as_str() {
            Some(s) => Ok((s.to_string(), v.span())),
            None => Err(m.err(
                v.span(),
                format!("every `workspace.{key}` entry must be a path string"),
            )),
        })
        .collect()
}

fn read_ws_ctx(m: &Manifest, ws: &dyn TableLike, root: &Path) -> Result<WsCtx, WorkspaceError> {
    let mut version = None;
    let mut publish = None;
    if let Some(item) = ws.get("package") {
        let Some(pkg) = item.as_table_like() else {
            return Err(m.err(item.span(), "`workspace.package` must be a table".into()));
        };
        if let Some(v) = pkg.get("version") {
            version = Some(
                v.as_str()
                    .ok_or_else(|| {
                        m.err(
                            span_of(pkg, "version"),
                            "`workspace.package.version` must be a string like \"1.0.0\"".into(),
                        )
                    })?
                    .to_string(),
            );
        }
        if let Some(p) = pkg.get("publish") {
            publish = Some(publish_allowed(m, pkg, p)?);
        }
    }
    let exclude = string_array(m, ws, "exclude")?
        .into_iter()
        .map(|(e, _)| normalize(&root.join(e)))
        .collect();
    let mut deps = BTreeMap::new();
    if let Some(item) = ws.get("dependencies") {
        let Some(table) = item.as_table_like() else {
            return Err(m.err(
                item.span(),
                "`workspace.dependencies` must be a table".into(),
            ));
        };
        for (name, entry) in table.iter() {
            let spec = dep_spec(m, table, name, entry, "workspace.dependencies")?;
            if spec.workspace {
                return Err(m.err(
                    span_of(table, name),
                    format!("`workspace.dependencies.{name}` cannot itself use `workspace = true`"),
                ));
            }
            deps.insert(
                name.to_string(),
                WsDep {
                    range: spec.version.unwrap_or_default(),
                    path: spec.path.map(|p| normalize(Path::new(&p))),
                    package: spec.package,
                },
            );
        }
    }
    Ok(WsCtx {
        root: root.to_path_buf(),
        version,
        publish,
        deps,
        exclude,
    })
}

/// `publish = bool | [registries]`: whether the package may be published at all.
fn publish_allowed(
    m: &Manifest,
    table: &dyn TableLike,
    item: &Item,
) -> Result<bool, WorkspaceError> {
    if let Some(b) = item.as_bool() {
        return Ok(b);
    }
    if let Some(a) = item.as_array() {
        return Ok(!a.is_empty());
    }
    Err(m.err(
        span_of(table, "publish"),
        "`publish` must be `true`, `false` or an array of registry names".into(),
    ))
}

fn workspace_flag(item: &Item) -> Option<bool> {
    item.as_table_like()?.get("workspace")?.as_bool()
}

#[derive(Default)]
struct Spec {
    version: Option<String>,
    path: Option<String>,
    package: Option<String>,
    workspace: bool,
}

fn dep_spec(
    m: &Manifest,
    table: &dyn TableLike,
    name: &str,
    item: &Item,
    where_: &str,
) -> Result<Spec, WorkspaceError> {
    if let Some(s) = item.as_str() {
        return Ok(Spec {
            version: Some(s.to_string()),
            ..Spec::default()
        });
    }
    let Some(t) = item.as_table_like() else {
        return Err(m.err(
            span_of(table, name),
            format!(
                "`{where_}.{name}` must be a version string or a table like {{ version = \"1.0\", path = \"../{name}\" }}"
            ),
        ));
    };
    let string = |key: &str| -> Result<Option<String>, WorkspaceError> {
        match t.get(key) {
            None => Ok(None),
            Some(v) => v.as_str().map(|s| Some(s.to_string())).ok_or_else(|| {
                m.err(
                    span_of(t, key),
                    format!("`{where_}.{name}.{key}` must be a string"),
                )
            }),
        }
    };
    let workspace = match t.get("workspace") {
        None => false,
        Some(v) => v.as_bool().ok_or_else(|| {
            m.err(
                span_of(t, "workspace"),
                format!("`{where_}.{name}.workspace` must be `true`"),
            )
        })?,
    };
    Ok(Spec {
        version: string("version")?,
        path: string("path")?,
        package: string("package")?,
        workspace,
    })
}

/// Reads the `[package]` of a manifest. `dir` is the package directory (None: the root of a
/// single-crate repository).
fn read_package(m: &Manifest, ctx: &WsCtx, dir: Option<&Path>) -> Result<Package, WorkspaceError> {
    let dir = dir.unwrap_or(&ctx.root);
    let top = m.doc.as_table();
    let key = if top.contains_key("package") {
        "package"
    } else {
        "project"
    };
    let Some(item) = top.get(key) else {
        return Err(m.err(
            None,
            "no `[package]` table: a workspace member must be a package (or remove it from `members`)".into(),
        ));
    };
    let Some(pkg) = item.as_table_like() else {
        return Err(m.err(item.span(), "`package` must be a table".into()));
    };
    let name = match pkg.get("name") {
        Some(v) => match v.as_str() {
            Some(s) if !s.is_empty() => s.to_string(),
            _ => {
                return Err(m.err(
                    span_of(pkg, "name"),
                    "`package.name` must be a non-empty string".into(),
                ));
            }
        },
        None => {
            return Err(m.err(
                item.span(),
                "`package.name` is missing; every package needs a name".into(),
            ));
        }
    };
    let version = match pkg.get("version") {
        None => None,
        Some(v) if workspace_flag(v) == Some(true) => match &ctx.version {
            Some(v) => Some(v.clone()),
            None => {
                return Err(m.err(
                    span_of(pkg, "version"),
                    "`version.workspace = true` but the root Cargo.toml has no `[workspace.package] version`; add it".into(),
                ));
            }
        },
        Some(v) => match v.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                return Err(m.err(
                    span_of(pkg, "version"),
                    "`package.version` must be a string like \"1.0.0\" (or `version.workspace = true`)".into(),
                ));
            }
        },
    };
    let publish = match pkg.get("publish") {
        None => true,
        Some(v) if workspace_flag(v) == Some(true) => ctx.publish.unwrap_or(true),
        Some(v) => publish_allowed(m, pkg, v)?,
    };

    let mut dependencies = Vec::new();
    const TABLES: [(&str, DepKind); 5] = [
        ("dependencies", DepKind::Prod),
        ("dev-dependencies", DepKind::Dev),
        ("dev_dependencies", DepKind::Dev),
        ("build-dependencies", DepKind::Build),
        ("build_dependencies", DepKind::Build),
    ];
    let mut tables: Vec<DepTable> = Vec::new();
    for (key, kind) in TABLES {
        if let Some(item) = top.get(key) {
            let t = item
                .as_table_like()
                .ok_or_else(|| m.err(item.span(), format!("`{key}` must be a table")))?;
            tables.push((t, kind, None, key.to_string()));
        }
    }
    if let Some(target) = top.get("target") {
        let targets = target
            .as_table_like()
            .ok_or_else(|| m.err(target.span(), "`target` must be a table".into()))?;
        for (platform, item) in targets.iter() {
            let Some(pt) = item.as_table_like() else {
                return Err(m.err(
                    span_of(targets, platform),
                    format!("`target.{platform}` must be a table"),
                ));
            };
            for (key, kind) in TABLES {
                if let Some(item) = pt.get(key) {
                    let where_ = format!("target.{platform}.{key}");
                    let t = item
                        .as_table_like()
                        .ok_or_else(|| m.err(item.span(), format!("`{where_}` must be a table")))?;
                    tables.push((t, kind, Some(platform.to_string()), where_));
                }
            }
        }
    }
    for (table, kind, platform, where_) in tables {
        for (dep, item) in table.iter() {
            let spec = dep_spec(m, table, dep, item, &where_)?;
            let (range, path, package, inherited) = if spec.workspace {
                let Some(ws) = ctx.deps.get(dep) else {
                    return Err(m.err(
                        span_of(table, dep),
                        format!(
                            "`{where_}.{dep}.workspace = true` but the root Cargo.toml has no `[workspace.dependencies] {dep}`; add it there"
                        ),
                    ));
                };
                let path = ws.path.as_ref().map(|p| normalize(&ctx.root.join(p)));
                (ws.range.clone(), path, ws.package.clone(), true)
            } else {
                let path = spec.path.as_ref().map(|p| normalize(&dir.join(p)));
                (spec.version.unwrap_or_default(), path, spec.package, false)
            };
            dependencies.push(Dependency {
                name: dep.to_string(),
                target: package.unwrap_or_else(|| dep.to_string()),
                kind,
                range,
                path: path.map(|p| relative(&ctx.root, &p)),
                inherited,
                platform: platform.clone(),
            });
        }
    }

    Ok(Package {
        name,
        private: !publish || version.is_none(),
        version,
        dir: rel_dir(&ctx.root, dir),
        manifest_path: m.path.clone(),
        ecosystem: Ecosystem::Cargo,
        is_root: false,
        unnamed: false,
        dependencies,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative(Path::new("/r"), Path::new("/r/crates/a")),
            "crates/a"
        );
        assert_eq!(
            relative(Path::new("/r"), Path::new("/other/p")),
            "../other/p"
        );
        assert_eq!(relative(Path::new("/r"), Path::new("/r")), ".");
        assert_eq!(
            normalize(Path::new("/r/crates/b/../a")),
            Path::new("/r/crates/a")
        );
    }
}
