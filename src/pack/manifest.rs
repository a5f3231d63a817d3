//! The publish-time `package.json`: what the workspace's package manager would put into the
//! tarball. pnpm's exportable manifest (pnpm 10), Yarn Berry's and Bun's `workspace:` /
//! `catalog:` rewriting; npm publishes the file as is, so there a `workspace:` or `catalog:`
//! range is an error.

use std::path::Path;

use serde_json::{Map, Value};

use super::PackError;
use crate::workspace::{Tool, Workspace};

/// The lifecycle scripts pnpm strips from the published manifest.
const PNPM_PREPUBLISH_SCRIPTS: &[&str] = &[
    "prepublishOnly",
    "prepack",
    "prepare",
    "postpack",
    "publish",
    "postpublish",
];

/// `publishConfig` keys pnpm copies onto the manifest (`overridePublishConfig.ts`).
const PNPM_PUBLISH_CONFIG_KEYS: &[&str] = &[
    "bin",
    "type",
    "imports",
    "main",
    "module",
    "typings",
    "types",
    "exports",
    "browser",
    "esnext",
    "es2015",
    "unpkg",
    "umd:main",
    "os",
    "cpu",
    "libc",
    "typesVersions",
];

/// `publishConfig` keys Yarn Berry copies (`plugin-pack` `beforeWorkspacePacking`).
/// What `yarn pack` copies from `publishConfig`, in its order (plugin-pack, then
/// plugin-typescript's `typings`/`types`), each only when truthy.
const YARN_PUBLISH_CONFIG_KEYS: &[&str] = &[
    "type", "main", "browser", "module", "exports", "imports", "bin", "typings", "types",
];

const DEP_FIELDS: &[&str] = &[
    "dependencies",
    "devDependencies",
    "optionalDependencies",
    "peerDependencies",
];

/// The manifest that goes into the tarball.
pub struct PublishManifest {
    /// Bytes of `package/package.json`.
    pub bytes: Vec<u8>,
    pub value: Value,
}

/// Builds the publish-time manifest from the source file `path` (text `source`) of the package
/// in `pkg_dir` (the package's own directory, even when pnpm packs `publishConfig.directory`).
/// `tool` is whose rules apply ([`super::packing_tool`]).
pub fn publish_manifest(
    ws: &Workspace,
    tool: Tool,
    pkg_dir: &Path,
    path: &Path,
    source: &[u8],
) -> Result<PublishManifest, PackError> {
    let original: Value = serde_json::from_slice(source).map_err(|e| PackError::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let Some(obj) = original.as_object() else {
        return Err(PackError::Manifest {
            path: path.to_path_buf(),
            message: "package.json must hold a JSON object".into(),
        });
    };
    let exported = match tool {
        Tool::Npm | Tool::Root | Tool::Cargo => {
            check_no_protocols(obj, path, ws.tool)?;
            return Ok(PublishManifest {
                bytes: source.to_vec(),
                value: original,
            });
        }
        Tool::Pnpm => pnpm_export(ws, pkg_dir, path, obj)?,
        Tool::Yarn | Tool::Bun => yarn_bun_export(ws, pkg_dir, path, obj, tool)?,
    };
    // Only rewrite when something changed: otherwise the file stays byte-identical.
    if exported == *obj && same_order(&exported, obj) {
        return Ok(PublishManifest {
            bytes: source.to_vec(),
            value: original,
        });
    }
    let value = Value::Object(exported);
    // pnpm writes JSON.stringify(manifest, null, 2) without a trailing newline.
    let bytes = serde_json::to_vec_pretty(&value).map_err(|e| PackError::Manifest {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(PublishManifest { bytes, value })
}

fn same_order(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    a.keys().eq(b.keys())
        && a.values().zip(b.values()).all(|(x, y)| match (x, y) {
            (Value::Object(x), Value::Object(y)) => same_order(x, y),
            _ => true,
        })
}

fn check_no_protocols(obj: &Map<String, Value>, path: &Path, tool: Tool) -> Result<(), PackError> {
    let mut bad = Vec::new();
    for field in DEP_FIELDS {
        let Some(deps) = obj.get(*field).and_then(Value::as_object) else {
            continue;
        };
        for (name, spec) in deps {
            let Some(spec) = spec.as_str() else { continue };
            if spec.starts_with("workspace:") || spec.starts_with("catalog:") {
                bad.push(format!("{field}.{name}: \"{spec}\""));
            }
        }
    }
    if bad.is_empty() {
        return Ok(());
    }
    let tool = match tool {
        Tool::Npm => "an npm workspace",
        _ => "a repository without a pnpm, yarn or bun workspace",
    };
    Err(PackError::Protocol {
        path: path.to_path_buf(),
        message: format!(
            "{} in {tool}: npm would publish these ranges literally and every install of the \
             package would fail; replace them with real version ranges",
            bad.join(", ")
        ),
    })
}

/// Which version a `workspace:` dependency on `target` publishes with.
fn workspace_version<'a>(
    ws: &'a Workspace,
    target: &str,
    dep: &str,
    path: &Path,
) -> Result<&'a str, PackError> {
    ws.get(target)
        .and_then(|p| p.version.as_deref())
        .ok_or_else(|| PackError::Protocol {
            path: path.to_path_buf(),
            message: format!(
                "cannot resolve the workspace protocol of `{dep}`: no workspace package named \
                 `{target}` with a version"
            ),
        })
}

fn package_at_dir<'a>(
    ws: &'a Workspace,
    pkg_dir: &Path,
    rel: &str,
    dep: &str,
    path: &Path,
) -> Result<(&'a str, &'a str), PackError> {
    let want = normalize(&pkg_dir.join(rel));
    ws.all()
        .find(|p| normalize(p.abs_dir()) == want)
        .and_then(|p| Some((p.name.as_str(), p.version.as_deref()?)))
        .ok_or_else(|| PackError::Protocol {
            path: path.to_path_buf(),
            message: format!(
                "cannot resolve `{dep}`: workspace:{rel} is not a versioned workspace package"
            ),
        })
}

fn normalize(p: &Path) -> std::path::PathBuf {
    let mut out = std::path::PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// pnpm's `replaceWorkspaceProtocol`; the bool says whether pnpm would have read a manifest
/// from disk to answer (those entries end up last: pnpm maps the values asynchronously).
fn pnpm_workspace_dep(
    ws: &Workspace,
    pkg_dir: &Path,
    path: &Path,
    dep: &str,
    spec: &str,
) -> Result<(String, bool), PackError> {
    let Some(rest) = spec.strip_prefix("workspace:") else {
        return Ok((spec.to_string(), false));
    };
    // `^workspace:(.*?)@?([\^~*])$`
    if let Some(token) = rest.chars().last().filter(|c| matches!(c, '^' | '~' | '*')) {
        let alias = rest[..rest.len() - 1]
            .strip_suffix('@')
            .unwrap_or(&rest[..rest.len() - 1]);
        let target = if alias.is_empty() { dep } else { alias };
        let version = workspace_version(ws, target, dep, path)?;
        let tok = if token == '*' {
            String::new()
        } else {
            token.to_string()
        };
        if target != dep {
            return Ok((format!("npm:{target}@{tok}{version}"), true));
        }
        return Ok((format!("{tok}{version}"), true));
    }
    if rest.starts_with("./") || rest.starts_with("../") {
        let (name, version) = package_at_dir(ws, pkg_dir, rest, dep, path)?;
        if name == dep {
            return Ok((version.to_string(), true));
        }
        return Ok((format!("npm:{name}@{version}"), true));
    }
    if rest.contains('@') {
        return Ok((format!("npm:{rest}"), false));
    }
    Ok((rest.to_string(), false))
}

/// pnpm's `replaceWorkspaceProtocolPeerDependency`.
fn pnpm_workspace_peer(
    ws: &Workspace,
    path: &Path,
    dep: &str,
    spec: &str,
) -> Result<(String, bool), PackError> {
    let Some(at) = spec.find("workspace:") else {
        return Ok((spec.to_string(), false));
    };
    let after = &spec[at + "workspace:".len()..];
    let token = ["<=", ">=", "^", "~", "*", ">", "<"]
        .iter()
        .find(|t| after.starts_with(**t))
        .copied()
        .unwrap_or("");
    let tail = &after[token.len()..];
    let vlen = version_prefix_len(tail);
    if vlen > 0 {
        return Ok((spec.replacen("workspace:", "", 1), false));
    }
    let version = workspace_version(ws, dep, dep, path)?;
    let tok = if token == "*" { "" } else { token };
    let matched_end = at + "workspace:".len() + token.len();
    Ok((
        format!("{}{tok}{version}{}", &spec[..at], &spec[matched_end..]),
        true,
    ))
}

/// Length of `(\d+|[xX*])(\.(\d+|[xX*])){0,2}` at the start of `s`.
fn version_prefix_len(s: &str) -> usize {
    let b = s.as_bytes();
    let part = |i: usize| -> usize {
        if i < b.len() && matches!(b[i], b'x' | b'X' | b'*') {
            return 1;
        }
        let mut j = i;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        j - i
    };
    let first = part(0);
    if first == 0 {
        return 0;
    }
    let mut end = first;
    for _ in 0..2 {
        if end < b.len() && b[end] == b'.' {
            let n = part(end + 1);
            if n == 0 {
                break;
            }
            end += 1 + n;
        } else {
            break;
        }
    }
    end
}

/// pnpm's `resolveFromCatalog`.
fn resolve_catalog(
    ws: &Workspace,
    path: &Path,
    dep: &str,
    spec: &str,
) -> Result<String, PackError> {
    let Some(name) = spec.strip_prefix("catalog:") else {
        return Ok(spec.to_string());
    };
    let name = name.trim();
    let catalog = if name.is_empty() { "default" } else { name };
    let Some(found) = ws.catalog_range(Some(catalog), dep) else {
        return Err(PackError::Protocol {
            path: path.to_path_buf(),
            message: format!(
                "`{dep}`: \"{spec}\" has no entry for `{dep}` in the {catalog} catalog; add it to \
                 the workspace's catalog"
            ),
        });
    };
    for proto in ["catalog:", "workspace:", "link:", "file:"] {
        if found.starts_with(proto) {
            return Err(PackError::Protocol {
                path: path.to_path_buf(),
                message: format!(
                    "`{dep}`: the {catalog} catalog entry \"{found}\" uses the `{proto}` protocol, \
                     which a catalog cannot publish"
                ),
            });
        }
    }
    Ok(found.to_string())
}

fn jsr(dep: &str, spec: &str) -> String {
    let Some(rest) = spec.strip_prefix("jsr:") else {
        return spec.to_string();
    };
    let scoped = |full: &str| -> String {
        let full = full.trim_start_matches('@');
        let (scope, name) = full.split_once('/').unwrap_or((full, ""));
        format!("@jsr/{scope}__{name}")
    };
    if !rest.starts_with('@') {
        return format!("npm:{}@{rest}", scoped(dep));
    }
    let body = &rest[1..];
    match body.rfind('@') {
        Some(i) if i > 1 => format!("npm:{}@{}", scoped(&body[..i]), &body[i + 1..]),
        _ => format!("npm:{}", scoped(body)),
    }
}

fn pnpm_export(
    ws: &Workspace,
    pkg_dir: &Path,
    path: &Path,
    obj: &Map<String, Value>,
) -> Result<Map<String, Value>, PackError> {
    let mut out: Map<String, Value> = obj
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "pnpm" | "scripts" | "packageManager"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(scripts) = obj.get("scripts") {
        let kept = match scripts {
            Value::Object(s) => Value::Object(
                s.iter()
                    .filter(|(k, _)| !PNPM_PREPUBLISH_SCRIPTS.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            other => other.clone(),
        };
        out.insert("scripts".into(), kept);
    }
    for field in DEP_FIELDS {
        let Some(deps) = obj.get(*field).and_then(Value::as_object) else {
            continue;
        };
        let mut quick = Map::new();
        let mut slow = Map::new();
        for (dep, spec) in deps {
            let Some(s) = spec.as_str() else {
                quick.insert(dep.clone(), spec.clone());
                continue;
            };
            let (s, read) = if *field == "peerDependencies" {
                pnpm_workspace_peer(ws, path, dep, s)?
            } else {
                pnpm_workspace_dep(ws, pkg_dir, path, dep, s)?
            };
            let s = jsr(dep, &resolve_catalog(ws, path, dep, &s)?);
            if read {
                slow.insert(dep.clone(), Value::String(s));
            } else {
                quick.insert(dep.clone(), Value::String(s));
            }
        }
        quick.extend(slow);
        out.insert((*field).to_string(), Value::Object(quick));
    }
    override_publish_config(&mut out, PNPM_PUBLISH_CONFIG_KEYS, true);
    Ok(out)
}

fn override_publish_config(out: &mut Map<String, Value>, keys: &[&str], drop_empty: bool) {
    let Some(Value::Object(mut pc)) = out.get("publishConfig").cloned() else {
        return;
    };
    let moved: Vec<String> = pc
        .keys()
        .filter(|k| keys.contains(&k.as_str()))
        .cloned()
        .collect();
    for k in moved {
        if let Some(v) = pc.shift_remove(&k) {
            out.insert(k, v);
        }
    }
    if drop_empty && pc.is_empty() {
        out.shift_remove("publishConfig");
    } else {
        out.insert("publishConfig".into(), Value::Object(pc));
    }
}

/// Yarn drops its default `npm:` protocol from a catalog entry (`npm:^1.3.0` → `^1.3.0`). An
/// alias (`npm:left-pad@^1.3.0`) keeps it: Yarn would publish `left-pad@^1.3.0`, which npm
/// cannot read.
fn yarn_catalog_range(range: String) -> String {
    match range.strip_prefix("npm:") {
        Some(rest) if !rest.contains('@') => rest.to_string(),
        _ => range,
    }
}

fn yarn_bun_export(
    ws: &Workspace,
    pkg_dir: &Path,
    path: &Path,
    obj: &Map<String, Value>,
    tool: Tool,
) -> Result<Map<String, Value>, PackError> {
    let mut out = obj.clone();
    for field in DEP_FIELDS {
        let Some(deps) = obj.get(*field).and_then(Value::as_object) else {
            continue;
        };
        let mut new = Map::new();
        for (dep, spec) in deps {
            let Some(s) = spec.as_str() else {
                new.insert(dep.clone(), spec.clone());
                continue;
            };
            let s = if let Some(rest) = s.strip_prefix("workspace:") {
                match rest {
                    "*" | "^" | "~" => {
                        let v = workspace_version(ws, dep, dep, path)?;
                        let tok = if rest == "*" { "" } else { rest };
                        format!("{tok}{v}")
                    }
                    // Yarn's own form: the workspace's path from the root, its "anchored
                    // descriptor", publishes the exact version.
                    r if tool == Tool::Yarn
                        && ws
                            .get(dep)
                            .is_some_and(|p| p.dir == r.trim_end_matches('/')) =>
                    {
                        workspace_version(ws, dep, dep, path)?.to_string()
                    }
                    // Yarn would publish `workspace:../x` as it is, which no consumer can
                    // install; relay publishes the version, as pnpm and Bun do.
                    r if r.starts_with("./") || r.starts_with("../") => {
                        package_at_dir(ws, pkg_dir, r, dep, path)?.1.to_string()
                    }
                    r => r.to_string(),
                }
            } else if tool == Tool::Yarn && s.starts_with("catalog:") {
                yarn_catalog_range(resolve_catalog(ws, path, dep, s)?)
            } else {
                resolve_catalog(ws, path, dep, s)?
            };
            new.insert(dep.clone(), Value::String(s));
        }
        out.insert((*field).to_string(), Value::Object(new));
    }
    if tool == Tool::Yarn {
        // Yarn copies these without deleting them from publishConfig.
        if let Some(Value::Object(pc)) = obj.get("publishConfig") {
            for k in YARN_PUBLISH_CONFIG_KEYS {
                if let Some(v) = pc.get(*k).filter(|v| crate::workspace::js_truthy(v)) {
                    out.insert((*k).to_string(), v.clone());
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yarn_catalog_ranges_lose_the_default_protocol_but_not_an_alias() {
        assert_eq!(yarn_catalog_range("npm:^1.3.0".into()), "^1.3.0");
        assert_eq!(yarn_catalog_range("^4.17.21".into()), "^4.17.21");
        assert_eq!(
            yarn_catalog_range("npm:left-pad@^1.3.0".into()),
            "npm:left-pad@^1.3.0"
        );
    }

    #[test]
    fn jsr_specs() {
        assert_eq!(jsr("@a/b", "jsr:^1.0.0"), "npm:@jsr/a__b@^1.0.0");
        assert_eq!(jsr("x", "jsr:@a/b@^1"), "npm:@jsr/a__b@^1");
        assert_eq!(jsr("x", "jsr:@a/b"), "npm:@jsr/a__b");
    }

    #[test]
    fn version_prefix() {
        assert_eq!(version_prefix_len("1.0.0"), 5);
        assert_eq!(version_prefix_len("x"), 1);
        assert_eq!(version_prefix_len(""), 0);
        assert_eq!(version_prefix_len("1.2.3.4"), 5);
    }
}
