//! How the release gets tarballs: a [`Packer`]. The real packer is `pack::pack_package` (npm
//! packlist rules, node-tar bytes, lifecycle scripts); until that room lands, [`BasicPacker`]
//! builds deterministic npm-layout tarballs (`package/` prefix, fixed mtime, sorted entries)
//! with a simplified file selection, which is enough for the registry round trip.

use std::path::Path;

use sha1::Digest as _;

use crate::registry::Tarball;
use crate::workspace::{Package, Workspace};

pub trait Packer: Send + Sync {
    fn pack(&self, ws: &Workspace, pkg: &Package) -> Result<Tarball, String>;
}

/// npm's fixed tar mtime (1985-10-26T08:15:00Z).
const MTIME: u64 = 499162500;

pub struct BasicPacker;

impl Packer for BasicPacker {
    fn pack(&self, _ws: &Workspace, pkg: &Package) -> Result<Tarball, String> {
        let dir = pkg.abs_dir();
        let manifest_text = std::fs::read_to_string(&pkg.manifest_path)
            .map_err(|e| format!("{}: {e}", pkg.manifest_path.display()))?;
        let manifest: serde_json::Value = serde_json::from_str(&manifest_text)
            .map_err(|e| format!("{}: {e}", pkg.manifest_path.display()))?;
        let files_field: Option<Vec<String>> =
            manifest.get("files").and_then(|f| f.as_array()).map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str())
                    .map(|s| s.trim_start_matches("./").trim_end_matches('/').to_string())
                    .collect()
            });
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(dir)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                let n = e.file_name().to_string_lossy();
                e.depth() == 0 || !(n == "node_modules" || n == ".git" || n.starts_with(".relay"))
            })
        {
            let entry = entry.map_err(|e| e.to_string())?;
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = entry
                .path()
                .strip_prefix(dir)
                .map_err(|e| e.to_string())?
                .to_string_lossy()
                .replace('\\', "/");
            if excluded(&rel) || !included(&rel, files_field.as_deref()) {
                continue;
            }
            files.push(rel);
        }
        let tar = build_tar(dir, &files)?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gz, &tar).map_err(|e| e.to_string())?;
        let bytes = gz.finish().map_err(|e| e.to_string())?;
        let readme = files
            .iter()
            .find(|f| !f.contains('/') && f.to_ascii_lowercase().starts_with("readme"))
            .and_then(|f| {
                std::fs::read_to_string(dir.join(f))
                    .ok()
                    .map(|t| (f.clone(), t))
            });
        let (name, version) = (
            pkg.name.clone(),
            pkg.version.clone().ok_or("no version")?.to_string(),
        );
        Ok(Tarball {
            name,
            version,
            integrity: integrity(&bytes),
            shasum: hex::encode(sha1::Sha1::digest(&bytes)),
            bytes,
            manifest,
            readme,
        })
    }
}

pub fn integrity(bytes: &[u8]) -> String {
    use base64::Engine;
    format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha512::digest(bytes))
    )
}

fn excluded(rel: &str) -> bool {
    let base = rel.rsplit('/').next().unwrap_or(rel);
    matches!(
        base,
        ".npmrc" | ".npmignore" | ".gitignore" | ".DS_Store" | "npm-debug.log"
    ) || matches!(
        rel,
        "package-lock.json" | "yarn.lock" | "pnpm-lock.yaml" | "bun.lockb"
    ) || base.ends_with(".orig")
        || base.ends_with(".tgz")
}

fn included(rel: &str, files: Option<&[String]>) -> bool {
    let Some(files) = files else { return true };
    let lower = rel.to_ascii_lowercase();
    if rel == "package.json"
        || (!rel.contains('/')
            && ["readme", "license", "licence", "copying"]
                .iter()
                .any(|p| lower.starts_with(p)))
    {
        return true;
    }
    files
        .iter()
        .any(|f| rel == f || rel.starts_with(&format!("{f}/")))
}

fn build_tar(dir: &Path, files: &[String]) -> Result<Vec<u8>, String> {
    let mut b = tar::Builder::new(Vec::new());
    for f in files {
        let data = std::fs::read(dir.join(f)).map_err(|e| format!("{f}: {e}"))?;
        let mut h = tar::Header::new_ustar();
        h.set_path(format!("package/{f}"))
            .map_err(|e| format!("{f}: {e}"))?;
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(MTIME);
        h.set_cksum();
        b.append(&h, &data[..]).map_err(|e| e.to_string())?;
    }
    b.into_inner().map_err(|e| e.to_string())
}
