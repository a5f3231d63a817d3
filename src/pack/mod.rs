//! Building npm-identical tarballs: packlist rules, tar bytes, integrity, publish-time manifest.
//!
//! Entry point: [`pack_package`]. It runs the lifecycle scripts (unless told not to), selects
//! files exactly as npm 11 (npm-packlist 10) does, writes the publish-time `package.json` the
//! workspace's package manager would write, refuses secret-looking files, and returns the
//! tarball in memory. Nothing is written to disk here: callers write all tarballs only after
//! every package packed cleanly.

mod collate;
mod glob;
mod manifest;
mod scripts;
mod secrets;
mod tar;
mod walk;
mod yarn_walk;

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::workspace::{Package, Tool, Workspace};

pub use collate::{locale_compare, locale_compare_case_numeric};
pub use tar::{NPM_MTIME, digests};

/// Which lifecycle scripts run around packing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lifecycle {
    /// `npm pack`: `prepack`, `prepare`, then `postpack` after the tarball is built.
    #[default]
    Pack,
    /// `npm publish`: `prepublishOnly` first, then as `Pack`.
    Publish,
}

/// How to pack one package.
#[derive(Debug, Clone, Default)]
pub struct PackOptions {
    /// Skip every lifecycle script (`--ignore-scripts`).
    pub ignore_scripts: bool,
    /// Globs (relative to the package directory; a pattern without `/` matches a file name at
    /// any depth) of files the secret guard lets through: `relay.toml` `[pack.allow-secrets]`.
    pub allow_secrets: Vec<String>,
    pub lifecycle: Lifecycle,
}

/// One file of the tarball, as `npm pack --json` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackedFile {
    /// Path inside the package (without `package/`).
    pub path: String,
    pub size: u64,
    /// Unix mode as written in the tar header (420 = 0o644, 493 = 0o755).
    pub mode: u32,
}

/// A packed package: the gzipped tarball in memory plus npm's report fields.
#[derive(Debug, Clone)]
pub struct Packed {
    pub name: String,
    pub version: String,
    /// `<name without @, / → ->-<version>.tgz`, as npm names it.
    pub filename: String,
    /// The gzipped tarball.
    pub tarball: Vec<u8>,
    /// Length of `tarball`.
    pub size: u64,
    /// Sum of the file sizes.
    pub unpacked_size: u64,
    /// sha1 hex of `tarball`.
    pub shasum: String,
    /// `sha512-<base64>` of `tarball`.
    pub integrity: String,
    pub entry_count: usize,
    /// Files in npm's listing order (`npm pack --json`), not tar order.
    pub files: Vec<PackedFile>,
    /// Top-level bundled dependency names.
    pub bundled: Vec<String>,
    /// The publish-time package.json exactly as written into the tarball, parsed (key order
    /// preserved).
    pub manifest: Value,
}

impl Packed {
    /// The `npm pack --json` element for this package.
    pub fn to_npm_json(&self) -> Value {
        serde_json::json!({
            "id": format!("{}@{}", self.name, self.version),
            "name": self.name,
            "version": self.version,
            "size": self.size,
            "unpackedSize": self.unpacked_size,
            "shasum": self.shasum,
            "integrity": self.integrity,
            "filename": self.filename,
            "files": self.files,
            "entryCount": self.entry_count,
            "bundled": self.bundled,
        })
    }
}

/// Why packing failed. Every message names the package or file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: invalid JSON: {message}")]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Manifest { path: PathBuf, message: String },
    #[error("{path}: invalid `files` field: {message}")]
    InvalidFiles { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Protocol { path: PathBuf, message: String },
    #[error(
        "{package}: `{field}` points to `{target}`, which is not in the tarball (missing, or \
         excluded by `files`/.npmignore); build it first or fix the path"
    )]
    MissingTarget {
        package: String,
        field: String,
        target: String,
    },
    #[error(
        "{package}: refusing to pack files that look like secrets:\n{}\nRemove them from the \
         package (`files`/.npmignore), or allow them in relay.toml under [pack.allow-secrets]",
        findings.iter().map(|(p, why)| format!("  {p}: {why}")).collect::<Vec<_>>().join("\n")
    )]
    Secrets {
        package: String,
        findings: Vec<(String, String)>,
    },
    #[error("{package}: the `{event}` script failed: {message}")]
    Script {
        package: String,
        event: String,
        message: String,
    },
    #[error("{package}: {message}")]
    Config { package: String, message: String },
}

impl PackError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        PackError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// npm's tarball file name for a package.
pub fn tarball_filename(name: &str, version: &str) -> String {
    format!("{name}-{version}.tgz")
        .trim_start_matches('@')
        .replace(['/', '\\'], "-")
}

/// The directory whose files go into the tarball: pnpm's `publishConfig.directory`, else the
/// package directory.
fn pack_dir(ws: &Workspace, dir: &Path, manifest: &Value) -> Result<PathBuf, PackError> {
    if ws.tool != Tool::Pnpm {
        return Ok(dir.to_path_buf());
    }
    let Some(sub) = manifest
        .get("publishConfig")
        .and_then(|p| p.get("directory"))
        .and_then(Value::as_str)
    else {
        return Ok(dir.to_path_buf());
    };
    let target = dir.join(sub);
    if !target.join("package.json").is_file() {
        return Err(PackError::Manifest {
            path: dir.join("package.json"),
            message: format!(
                "publishConfig.directory is `{sub}`, but {} has no package.json (pnpm packs that \
                 directory's manifest); build it first",
                target.display()
            ),
        });
    }
    Ok(target)
}

fn read_json(path: &Path) -> Result<(Vec<u8>, Value), PackError> {
    let bytes = fs::read(path).map_err(|e| PackError::io(path, e))?;
    let v = serde_json::from_slice(&bytes).map_err(|e| PackError::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    Ok((bytes, v))
}

/// The `.npmignore` (else `.gitignore`) contents of every directory from the workspace root
/// down to the package's parent: npm applies them when packing a workspace package.
/// Whose `pack` relay follows: the workspace's tool, and Yarn's for a single-package
/// repository that is a Yarn (2+) project: a `.yarnrc.yml`, or `packageManager: yarn@…`. A
/// lone `yarn.lock` is not enough (npm projects keep stray ones, and Yarn 1 packs differently).
pub(crate) fn packing_tool(ws: &Workspace) -> Tool {
    let yarn_project = || {
        ws.root.join(".yarnrc.yml").is_file()
            || fs::read(ws.root.join("package.json"))
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                .and_then(|v| {
                    v.get("packageManager")
                        .and_then(Value::as_str)
                        .map(|s| s.starts_with("yarn@") && !s.starts_with("yarn@1."))
                })
                .unwrap_or(false)
    };
    if ws.tool == Tool::Root && yarn_project() {
        Tool::Yarn
    } else {
        ws.tool
    }
}

fn out_of_tree_rules(ws: &Workspace, pkg: &Package) -> Result<Vec<String>, PackError> {
    if !matches!(ws.tool, Tool::Npm | Tool::Yarn | Tool::Bun) || pkg.is_root {
        return Ok(Vec::new());
    }
    let Some(parent) = pkg.abs_dir().parent() else {
        return Ok(Vec::new());
    };
    let Ok(rel) = parent.strip_prefix(&ws.root) else {
        return Ok(Vec::new());
    };
    let mut dirs = vec![ws.root.clone()];
    let mut cur = ws.root.clone();
    for c in rel.components() {
        cur = cur.join(c);
        dirs.push(cur.clone());
    }
    let mut out = Vec::new();
    for d in dirs {
        for f in [".npmignore", ".gitignore"] {
            let p = d.join(f);
            match fs::read(&p) {
                Ok(b) => {
                    out.push(String::from_utf8_lossy(&b).into_owned());
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(PackError::io(&p, e)),
            }
        }
    }
    Ok(out)
}

/// Checks what can be checked without running anything: the manifest parses, and the
/// publish-time manifest can be built (`workspace:`/`catalog:` ranges resolve, or are refused in
/// an npm workspace). Callers packing several packages run this for all of them first.
pub fn preflight(ws: &Workspace, pkg: &Package) -> Result<(), PackError> {
    let dir = pkg.abs_dir();
    let (bytes, value) = read_json(&dir.join("package.json"))?;
    let pdir = pack_dir(ws, dir, &value)?;
    let src = if pdir == dir {
        bytes
    } else {
        read_json(&pdir.join("package.json"))?.0
    };
    manifest::publish_manifest(ws, packing_tool(ws), dir, &pdir.join("package.json"), &src)?;
    Ok(())
}

/// Packs one package into an in-memory tarball (see the module docs).
pub fn pack_package(
    ws: &Workspace,
    pkg: &Package,
    opts: &PackOptions,
) -> Result<Packed, PackError> {
    let dir = pkg.abs_dir().to_path_buf();
    let allow = secrets::Allow::new(&opts.allow_secrets).map_err(|message| PackError::Config {
        package: pkg.name.clone(),
        message,
    })?;

    // A `workspace:` range in an npm workspace must fail before any script runs.
    preflight(ws, pkg)?;
    let manifest_path = dir.join("package.json");

    let command = match opts.lifecycle {
        Lifecycle::Pack => "pack",
        Lifecycle::Publish => "publish",
    };
    if !opts.ignore_scripts {
        if opts.lifecycle == Lifecycle::Publish {
            scripts::run(&dir, command, "prepublishOnly", &[])?;
        }
        scripts::run(&dir, command, "prepack", &[])?;
        scripts::run(&dir, command, "prepare", &[])?;
    }

    // Scripts may have changed package.json: read it again, as pacote does.
    let (_, source_value) = read_json(&manifest_path)?;
    let pdir = pack_dir(ws, &dir, &source_value)?;
    let pack_manifest_path = pdir.join("package.json");
    let (src_bytes, _) = read_json(&pack_manifest_path)?;
    let tool = packing_tool(ws);
    let publish = manifest::publish_manifest(ws, tool, &dir, &pack_manifest_path, &src_bytes)?;
    let name = publish
        .value
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| PackError::Manifest {
            path: pack_manifest_path.clone(),
            message: "no `name`: npm cannot pack a package without a name".into(),
        })?
        .to_string();
    let version = publish
        .value
        .get("version")
        .and_then(Value::as_str)
        .ok_or_else(|| PackError::Manifest {
            path: pack_manifest_path.clone(),
            message: "no `version`: npm cannot pack a package without a version".into(),
        })?
        .to_string();

    let normalized = walk::normalize_manifest(&publish.value, &pdir);
    let selection = if tool == Tool::Yarn {
        // Yarn's own selection (see yarn_walk): other workspaces inside this one stay out.
        let nested: Vec<String> = ws
            .all()
            .filter(|p| p.abs_dir() != pdir)
            .filter_map(|p| p.abs_dir().strip_prefix(&pdir).ok().map(Path::to_path_buf))
            .map(|r| r.to_string_lossy().replace('\\', "/"))
            .collect();
        walk::Selection {
            files: walk::tar_order(yarn_walk::select(
                &pdir,
                &publish.value,
                pdir == ws.root,
                &nested,
            )?),
        }
    } else {
        walk::select(&walk::WalkInput {
            dir: &pdir,
            manifest: &normalized,
            out_of_tree_rules: if pdir == dir {
                out_of_tree_rules(ws, pkg)?
            } else {
                Vec::new()
            },
        })?
    };
    let plain = |p: &str| p.strip_prefix("./").unwrap_or(p).to_string();
    let selected: Vec<String> = selection.files.iter().map(|f| plain(f)).collect();

    check_targets(&name, &normalized, &selected)?;

    // Read every file, run the secret guard, build the entries.
    let mut datas: Vec<Vec<u8>> = Vec::with_capacity(selected.len());
    let mut modes = Vec::with_capacity(selected.len());
    let mut findings = Vec::new();
    for (tar_path, rel) in selection.files.iter().zip(&selected) {
        let abs = pdir.join(rel);
        let meta = fs::symlink_metadata(&abs).map_err(|e| PackError::io(&abs, e))?;
        let data = if rel == "package.json" {
            publish.bytes.clone()
        } else {
            fs::read(&abs).map_err(|e| PackError::io(&abs, e))?
        };
        if !allow.allows(rel) {
            let why = secrets::name_reason(rel).or_else(|| secrets::content_reason(&data));
            if let Some(why) = why {
                findings.push((rel.clone(), why.to_string()));
            }
        }
        let mut mode = (unix_mode(&meta) & 0o7777 | 0o600) & !0o022;
        if walk::is_package_bin(&normalized, tar_path) {
            mode |= 0o111;
        }
        modes.push(mode);
        datas.push(data);
    }
    if !findings.is_empty() {
        return Err(PackError::Secrets {
            package: name,
            findings,
        });
    }
    let entries: Vec<tar::TarEntry<'_>> = selected
        .iter()
        .zip(&datas)
        .zip(&modes)
        .map(|((p, d), m)| tar::TarEntry {
            path: p,
            mode: *m,
            data: d,
        })
        .collect();
    let raw = tar::build_tar(&entries);
    let tarball = tar::gzip(&raw);
    let (shasum, integrity) = tar::digests(&tarball);

    let mut files: Vec<PackedFile> = selected
        .iter()
        .zip(&datas)
        .zip(&modes)
        .map(|((p, d), m)| PackedFile {
            path: p.clone(),
            size: d.len() as u64,
            mode: *m,
        })
        .collect();
    sort_listing(&mut files);
    let mut bundled: Vec<String> = Vec::new();
    for p in &selected {
        if let Some(rest) = p.strip_prefix("node_modules/") {
            let mut parts = rest.split('/');
            let first = parts.next().unwrap_or("");
            let dep = if first.starts_with('@') {
                format!("{first}/{}", parts.next().unwrap_or(""))
            } else {
                first.to_string()
            };
            if !bundled.contains(&dep) {
                bundled.push(dep);
            }
        }
    }

    let packed = Packed {
        filename: tarball_filename(&name, &version),
        name,
        version,
        size: tarball.len() as u64,
        unpacked_size: datas.iter().map(|d| d.len() as u64).sum(),
        shasum,
        integrity,
        entry_count: entries.len(),
        files,
        bundled,
        manifest: publish.value,
        tarball,
    };

    if !opts.ignore_scripts {
        scripts::run(
            &dir,
            command,
            "postpack",
            &[
                ("npm_package_from", "file:.".to_string()),
                ("npm_package_resolved", dir.display().to_string()),
                ("npm_package_integrity", packed.integrity.clone()),
            ],
        )?;
    }
    Ok(packed)
}

#[cfg(unix)]
fn unix_mode(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode()
}

#[cfg(not(unix))]
fn unix_mode(_meta: &fs::Metadata) -> u32 {
    0o644
}

/// npm's `getContents` order: paths whose first character is its own upper case first, each
/// group sorted with `localeCompare('en', {sensitivity: 'case', numeric: true})`.
fn sort_listing(files: &mut [PackedFile]) {
    let is_upper = |s: &str| {
        s.chars()
            .next()
            .is_none_or(|c| c.to_uppercase().eq(std::iter::once(c)))
    };
    files.sort_by(|a, b| {
        is_upper(&b.path)
            .cmp(&is_upper(&a.path))
            .then_with(|| collate::locale_compare_case_numeric(&a.path, &b.path))
    });
}

/// relay is stricter than npm: `main`, `browser` and every `bin` target must be in the tarball.
fn check_targets(name: &str, m: &Value, files: &[String]) -> Result<(), PackError> {
    let has = |p: &str| files.iter().any(|f| f == p);
    if let Some(main) = m.get("main").and_then(Value::as_str) {
        let base = walk::secure_path(main);
        let base = base.trim_end_matches('/');
        let found = [
            base.to_string(),
            format!("{base}.js"),
            format!("{base}.json"),
            format!("{base}.node"),
            format!("{base}/index.js"),
            format!("{base}/index.json"),
            format!("{base}/index.node"),
        ]
        .iter()
        .any(|c| has(c.trim_start_matches('/')));
        if !found {
            return Err(PackError::MissingTarget {
                package: name.to_string(),
                field: "main".into(),
                target: main.to_string(),
            });
        }
    }
    if let Some(browser) = m.get("browser").and_then(Value::as_str)
        && !has(&walk::secure_path(browser))
    {
        return Err(PackError::MissingTarget {
            package: name.to_string(),
            field: "browser".into(),
            target: browser.to_string(),
        });
    }
    if let Some(bin) = m.get("bin").and_then(Value::as_object) {
        for (k, v) in bin {
            let Some(t) = v.as_str() else { continue };
            if !has(t) {
                return Err(PackError::MissingTarget {
                    package: name.to_string(),
                    field: format!("bin.{k}"),
                    target: t.to_string(),
                });
            }
        }
    }
    Ok(())
}

/// The `relay.toml` `[pack] allow-secrets` globs for a package: those listed under its name
/// plus those under `"*"` (read through the shared [`crate::settings`] parser, so unknown keys
/// and bad globs are reported the same way everywhere).
pub fn allow_secrets_from_config(root: &Path, package: &str) -> Result<Vec<String>, PackError> {
    let cfg = crate::settings::load_relay_toml(root).map_err(|e| PackError::Config {
        package: package.to_string(),
        message: e.to_string(),
    })?;
    let table = &cfg.pack.allow_secrets;
    Ok(["*", package]
        .iter()
        .filter_map(|k| table.get(*k))
        .flatten()
        .cloned()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_like_npm() {
        assert_eq!(tarball_filename("@a/b", "1.0.0"), "a-b-1.0.0.tgz");
        assert_eq!(tarball_filename("x", "2.0.0-rc.1"), "x-2.0.0-rc.1.tgz");
    }

    #[test]
    fn listing_puts_capitals_first() {
        let mut files: Vec<PackedFile> = ["index.js", "README.md", "package.json", "LICENSE"]
            .iter()
            .map(|p| PackedFile {
                path: p.to_string(),
                size: 0,
                mode: 420,
            })
            .collect();
        sort_listing(&mut files);
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["LICENSE", "README.md", "index.js", "package.json"]);
    }
}
