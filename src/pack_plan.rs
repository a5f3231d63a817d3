//! The split-job publish plan. `relay pack --out-dir DIR` writes every tarball and
//! `DIR/relay-publish-plan.json`; `relay publish --from-pack-dir DIR` publishes exactly those
//! tarballs in the planned order after checking each one's integrity, so the only CI job that
//! holds `id-token: write` runs no build, no lifecycle script and needs no workspace sources.
//!
//! The plan is plain data. Reading it validates its shape (file names stay inside DIR, names are
//! unique, a package waits only for earlier waves); [`PackPlan::verify`] checks the bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::Digest;

pub const PLAN_FILE: &str = "relay-publish-plan.json";
/// Bumped when the JSON shape changes incompatibly.
pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PackPlan {
    pub format: u32,
    /// The relay version that packed (informational).
    pub relay_version: String,
    /// In publish order: by wave, then as packed.
    pub packages: Vec<PlanEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanEntry {
    pub name: String,
    pub version: String,
    /// The tarball's file name inside DIR (`scope-name-1.0.0.tgz`).
    pub filename: String,
    /// `sha512-<base64>` of the tarball.
    pub integrity: String,
    /// sha1 hex of the tarball.
    pub shasum: String,
    pub size: u64,
    /// 0-based dependency wave: a package is published after every package of lower waves.
    pub wave: usize,
    /// Packages of this plan it depends on (they are in earlier waves, or the same wave for a
    /// dependency cycle).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waits_for: Vec<String>,
    /// The dist-tag it is published under.
    pub tag: String,
    /// The registry it goes to.
    pub registry: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<String>,
}

/// A tarball checked against its plan entry.
#[derive(Debug, Clone)]
pub struct Verified {
    pub entry: PlanEntry,
    pub bytes: Vec<u8>,
    /// `package/package.json` of the tarball.
    pub manifest: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
pub enum PackPlanError {
    #[error(
        "{0}: no publish plan here; create it with `relay pack --out-dir <dir>` in the pack job \
         and hand the whole directory to the publish job"
    )]
    Missing(PathBuf),
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("{path} line {line}: {message}")]
    Json {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(
        "{path}: plan format {found} is not supported by this relay (expects {FORMAT}); pack and \
         publish with the same relay version"
    )]
    Format { path: PathBuf, found: u32 },
    #[error("{path}: invalid plan:\n{}", .problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        path: PathBuf,
        problems: Vec<String>,
    },
    #[error("{dir}: {} tarball(s) do not match the publish plan; nothing was published:\n{}", .problems.len(), .problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Verification { dir: PathBuf, problems: Vec<String> },
}

/// `sha512-<base64>` as npm writes `dist.integrity`.
pub fn integrity_of(bytes: &[u8]) -> String {
    format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha512::digest(bytes))
    )
}

pub fn shasum_of(bytes: &[u8]) -> String {
    hex::encode(sha1::Sha1::digest(bytes))
}

impl PackPlan {
    /// A plan from entries in any order: sorted by wave (stable, so the packer's order within
    /// a wave is kept).
    pub fn new(mut packages: Vec<PlanEntry>) -> PackPlan {
        packages.sort_by_key(|e| e.wave);
        PackPlan {
            format: FORMAT,
            relay_version: env!("CARGO_PKG_VERSION").to_string(),
            packages,
        }
    }

    pub fn path_in(dir: &Path) -> PathBuf {
        dir.join(PLAN_FILE)
    }

    /// Writes the plan atomically into `dir`.
    pub fn write(&self, dir: &Path) -> Result<PathBuf, PackPlanError> {
        let path = Self::path_in(dir);
        let mut text = serde_json::to_string_pretty(self).map_err(|e| PackPlanError::Io {
            path: path.clone(),
            message: e.to_string(),
        })?;
        text.push('\n');
        crate::fsx::write_atomic(&path, text.as_bytes()).map_err(|e| PackPlanError::Io {
            path: path.clone(),
            message: e.to_string(),
        })?;
        Ok(path)
    }

    /// Reads and validates the plan in `dir`.
    pub fn read(dir: &Path) -> Result<PackPlan, PackPlanError> {
        let path = Self::path_in(dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(PackPlanError::Missing(path));
            }
            Err(e) => {
                return Err(PackPlanError::Io {
                    path,
                    message: e.to_string(),
                });
            }
        };
        // The format first, so an old relay names the version problem, not a missing field.
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
            && let Some(found) = v.get("format").and_then(|f| f.as_u64())
            && found != FORMAT as u64
        {
            return Err(PackPlanError::Format {
                path,
                found: found as u32,
            });
        }
        let plan: PackPlan = serde_json::from_str(&text).map_err(|e| PackPlanError::Json {
            path: path.clone(),
            line: e.line(),
            message: e.to_string(),
        })?;
        let problems = plan.problems();
        if !problems.is_empty() {
            return Err(PackPlanError::Invalid { path, problems });
        }
        Ok(plan)
    }

    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        let wave_of: BTreeMap<&str, usize> = self
            .packages
            .iter()
            .map(|e| (e.name.as_str(), e.wave))
            .collect();
        let mut last_wave = 0;
        for e in &self.packages {
            if !seen.insert(e.name.as_str()) {
                out.push(format!("{} is listed twice", e.name));
            }
            let f = &e.filename;
            if f.is_empty()
                || f.contains('/')
                || f.contains('\\')
                || f.starts_with('.')
                || !f.ends_with(".tgz")
            {
                out.push(format!(
                    "{}: filename `{f}` must be a plain `.tgz` name inside the directory",
                    e.name
                ));
            }
            if !e.integrity.starts_with("sha512-") {
                out.push(format!("{}: integrity must be `sha512-…`", e.name));
            }
            if url::Url::parse(&e.registry).is_err() {
                out.push(format!(
                    "{}: registry `{}` is not a URL",
                    e.name, e.registry
                ));
            }
            if e.wave < last_wave {
                out.push(format!(
                    "{} (wave {}) is listed after wave {last_wave}: the plan is not in publish order",
                    e.name, e.wave
                ));
            }
            last_wave = last_wave.max(e.wave);
            for dep in &e.waits_for {
                match wave_of.get(dep.as_str()) {
                    None => out.push(format!(
                        "{} waits for {dep}, which is not in the plan",
                        e.name
                    )),
                    Some(w) if *w > e.wave => out.push(format!(
                        "{} (wave {}) waits for {dep} of a later wave {w}",
                        e.name, e.wave
                    )),
                    _ => {}
                }
            }
        }
        out
    }

    /// Reads every tarball and checks it against the plan: present, the planned integrity and
    /// size, and a `package/package.json` naming the planned package and version. Every problem
    /// is reported, and nothing is returned unless all tarballs pass.
    pub fn verify(&self, dir: &Path) -> Result<Vec<Verified>, PackPlanError> {
        let mut problems = Vec::new();
        let mut out = Vec::new();
        for e in &self.packages {
            let path = dir.join(&e.filename);
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(err) => {
                    problems.push(format!("{}: {}: {err}", e.name, e.filename));
                    continue;
                }
            };
            let actual = integrity_of(&bytes);
            if actual != e.integrity {
                problems.push(format!(
                    "{}: {} was modified after packing: integrity is {actual}, the plan says {} \
                     (re-run the pack job; never edit its output)",
                    e.name, e.filename, e.integrity
                ));
                continue;
            }
            match read_manifest(&bytes) {
                Ok(m) => {
                    let (n, v) = (
                        m.get("name").and_then(|x| x.as_str()).unwrap_or(""),
                        m.get("version").and_then(|x| x.as_str()).unwrap_or(""),
                    );
                    if n != e.name || v != e.version {
                        problems.push(format!(
                            "{}: {} holds {n}@{v}, the plan says {}@{}",
                            e.name, e.filename, e.name, e.version
                        ));
                        continue;
                    }
                    out.push(Verified {
                        entry: e.clone(),
                        bytes,
                        manifest: m,
                    });
                }
                Err(msg) => problems.push(format!("{}: {}: {msg}", e.name, e.filename)),
            }
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(PackPlanError::Verification {
                dir: dir.to_path_buf(),
                problems,
            })
        }
    }
}

/// `package/package.json` of a gzipped npm tarball.
pub fn read_manifest(tgz: &[u8]) -> Result<serde_json::Value, String> {
    let gz = flate2::read::GzDecoder::new(tgz);
    let mut ar = tar::Archive::new(gz);
    let entries = ar
        .entries()
        .map_err(|e| format!("not a gzipped tarball: {e}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("corrupt tarball: {e}"))?;
        let path = entry
            .path()
            .map_err(|e| format!("corrupt tarball: {e}"))?
            .to_string_lossy()
            .to_string();
        if path == "package/package.json" {
            let mut text = String::new();
            entry
                .read_to_string(&mut text)
                .map_err(|e| format!("package/package.json: {e}"))?;
            return serde_json::from_str(&text).map_err(|e| format!("package/package.json: {e}"));
        }
    }
    Err("no package/package.json in the tarball".into())
}

/// The root-level README of a gzipped npm tarball (`(file name, text)`), as the publish
/// document's `readme` field wants it.
pub fn read_readme(tgz: &[u8]) -> Option<(String, String)> {
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(tgz));
    let mut found: Vec<(String, String)> = Vec::new();
    for entry in ar.entries().ok()? {
        let mut entry = entry.ok()?;
        let path = entry.path().ok()?.to_string_lossy().to_string();
        let Some(name) = path.strip_prefix("package/") else {
            continue;
        };
        let lower = name.to_ascii_lowercase();
        if !name.contains('/') && (lower == "readme" || lower.starts_with("readme.")) {
            let mut text = String::new();
            if entry.read_to_string(&mut text).is_ok() {
                found.push((name.to_string(), text));
            }
        }
    }
    // npm prefers README.md when several exist.
    found.sort_by_key(|(n, _)| !n.to_ascii_lowercase().ends_with(".md"));
    found.into_iter().next()
}

/// What the pack job knows about where and how each tarball is published.
pub struct PlanInputs<'a> {
    pub npm: &'a crate::registry::NpmConfig,
    pub tag: String,
    /// Access for every package (wins over `publishConfig.access`); `None`: each package's own.
    pub access: Option<String>,
}

/// The plan for freshly packed tarballs: dependency waves from the workspace's publish graph
/// (prod, peer and optional edges, as `relay publish` orders them), each package's registry
/// (`.npmrc` + `publishConfig`), tag and access.
pub fn plan_for_packed(
    ws: &crate::workspace::Workspace,
    packed: &[crate::pack::Packed],
    inputs: &PlanInputs<'_>,
) -> Result<PackPlan, String> {
    let names: Vec<String> = packed.iter().map(|p| p.name.clone()).collect();
    let (wave_list, waits, _warnings) = crate::release::plan::waves(ws, &names);
    let wave_of: BTreeMap<&str, usize> = wave_list
        .iter()
        .enumerate()
        .flat_map(|(i, w)| w.iter().map(move |n| (n.as_str(), i)))
        .collect();
    let mut entries = Vec::new();
    for p in packed {
        let pc = p.manifest.get("publishConfig");
        let registry = inputs
            .npm
            .registry_for(&p.name, pc)
            .map_err(|e| e.to_string())?;
        let access = inputs.access.clone().or_else(|| {
            pc.and_then(|c| c.get("access"))
                .and_then(|a| a.as_str())
                .map(str::to_string)
        });
        entries.push(PlanEntry {
            name: p.name.clone(),
            version: p.version.clone(),
            filename: p.filename.clone(),
            integrity: p.integrity.clone(),
            shasum: p.shasum.clone(),
            size: p.size,
            wave: wave_of.get(p.name.as_str()).copied().unwrap_or(0),
            waits_for: waits.get(&p.name).cloned().unwrap_or_default(),
            tag: inputs.tag.clone(),
            registry: registry.to_string(),
            access,
        });
    }
    // Within a wave, by name: the order the publisher walks.
    entries.sort_by(|a, b| a.wave.cmp(&b.wave).then_with(|| a.name.cmp(&b.name)));
    Ok(PackPlan::new(entries))
}

/// Builds the plan for `packed` with the repository's settings (`.npmrc` and the environment
/// for registries; `relay.toml` `[publish]` registry and tag; the pre-mode tag) and writes it
/// into `out_dir`. `relay pack --out-dir` calls this after writing the tarballs.
pub fn write_for_pack(
    ws: &crate::workspace::Workspace,
    out_dir: &Path,
    packed: &[crate::pack::Packed],
) -> Result<PathBuf, String> {
    let root = &ws.root;
    let section = crate::settings::load_relay_toml(root)
        .map_err(|e| e.to_string())?
        .publish;
    let env: crate::registry::Env = std::env::vars().collect();
    let npm = crate::registry::NpmConfig::load(root, &env, section.registry.as_deref())
        .map_err(|e| e.to_string())?;
    let pre = crate::changeset::read_pre_state(root)
        .map_err(|e| e.to_string())?
        .filter(|p| p.mode == crate::changeset::PreMode::Pre)
        .map(|p| p.tag);
    let tag = crate::release::plan::choose_tag(None, section.tag.as_deref(), pre.as_deref());
    let plan = plan_for_packed(
        ws,
        packed,
        &PlanInputs {
            npm: &npm,
            tag,
            access: None,
        },
    )?;
    plan.write(out_dir).map_err(|e| e.to_string())
}

/// A pack directory opened for publishing: the plan, every tarball verified, and a stand-in
/// workspace built from the tarballs' own manifests (no sources needed), living in a temp dir
/// for as long as this value does.
pub struct FromPackDir {
    pub plan: PackPlan,
    pub workspace: crate::workspace::Workspace,
    pub tarballs: BTreeMap<String, crate::registry::Tarball>,
    _tmp: tempfile::TempDir,
}

impl FromPackDir {
    pub fn open(dir: &Path) -> Result<FromPackDir, PackPlanError> {
        let plan = PackPlan::read(dir)?;
        let verified = plan.verify(dir)?;
        let io = |path: &Path, e: &dyn std::fmt::Display| PackPlanError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let tmp = tempfile::tempdir().map_err(|e| io(dir, &e))?;
        let root = tmp.path();
        std::fs::write(
            root.join("package.json"),
            r#"{"name":"relay-pack-dir","private":true,"workspaces":["p/*"]}"#,
        )
        .map_err(|e| io(root, &e))?;
        let mut tarballs = BTreeMap::new();
        for (i, v) in verified.iter().enumerate() {
            let pdir = root.join(format!("p/{i:04}"));
            std::fs::create_dir_all(&pdir).map_err(|e| io(&pdir, &e))?;
            // The planned registry and access travel as publishConfig of the stand-in manifest;
            // the tarball's bytes are published untouched.
            let mut m = v.manifest.clone();
            if let Some(obj) = m.as_object_mut() {
                let pc = obj
                    .entry("publishConfig")
                    .or_insert_with(|| serde_json::json!({}));
                if let Some(pc) = pc.as_object_mut() {
                    pc.retain(|k, _| !k.ends_with(":registry"));
                    pc.insert("registry".into(), v.entry.registry.clone().into());
                    if let Some(a) = &v.entry.access {
                        pc.insert("access".into(), a.clone().into());
                    }
                }
                // No lifecycle script may run in the publish job.
                obj.remove("scripts");
            }
            let text = serde_json::to_string_pretty(&m).map_err(|e| io(&pdir, &e))?;
            std::fs::write(pdir.join("package.json"), text).map_err(|e| io(&pdir, &e))?;
            tarballs.insert(
                v.entry.name.clone(),
                crate::registry::Tarball {
                    name: v.entry.name.clone(),
                    version: v.entry.version.clone(),
                    integrity: v.entry.integrity.clone(),
                    shasum: shasum_of(&v.bytes),
                    manifest: v.manifest.clone(),
                    readme: read_readme(&v.bytes),
                    bytes: v.bytes.clone(),
                },
            );
        }
        let workspace = crate::workspace::discover(root).map_err(|e| io(root, &e))?;
        // The publisher orders uploads by the dependencies in the tarballs themselves; they must
        // give the plan's waves, or the plan was edited after packing.
        let names: Vec<String> = plan.packages.iter().map(|e| e.name.clone()).collect();
        let (waves, _, _) = crate::release::plan::waves(&workspace, &names);
        let mut problems = Vec::new();
        for (i, wave) in waves.iter().enumerate() {
            for n in wave {
                if let Some(e) = plan.packages.iter().find(|e| &e.name == n)
                    && e.wave != i
                {
                    problems.push(format!(
                        "{n} is in wave {} of the plan, but its tarball's dependencies put it in \
                         wave {i}",
                        e.wave
                    ));
                }
            }
        }
        if !problems.is_empty() {
            return Err(PackPlanError::Invalid {
                path: PackPlan::path_in(dir),
                problems,
            });
        }
        Ok(FromPackDir {
            plan,
            workspace,
            tarballs,
            _tmp: tmp,
        })
    }

    /// The one dist-tag of the plan (a plan mixing tags is refused).
    pub fn tag(&self) -> Result<String, PackPlanError> {
        let tags: BTreeSet<&str> = self.plan.packages.iter().map(|e| e.tag.as_str()).collect();
        match tags.len() {
            0 => Ok("latest".into()),
            1 => Ok(tags.into_iter().next().unwrap_or("latest").to_string()),
            _ => Err(PackPlanError::Invalid {
                path: PathBuf::from(PLAN_FILE),
                problems: vec![format!(
                    "the plan mixes dist-tags ({}); publish them separately",
                    tags.into_iter().collect::<Vec<_>>().join(", ")
                )],
            }),
        }
    }

    pub fn packer(&self) -> PlanPacker {
        PlanPacker {
            tarballs: self.tarballs.clone(),
        }
    }
}

/// Serves the verified tarballs of a pack directory; packs nothing, runs nothing.
pub struct PlanPacker {
    tarballs: BTreeMap<String, crate::registry::Tarball>,
}

impl crate::release::packer::Packer for PlanPacker {
    fn pack(
        &self,
        _ws: &crate::workspace::Workspace,
        pkg: &crate::workspace::Package,
    ) -> Result<crate::registry::Tarball, String> {
        let t = self
            .tarballs
            .get(&pkg.name)
            .ok_or_else(|| format!("{} is not in the publish plan", pkg.name))?;
        // Checked again right before use: the bytes sent are the bytes the plan names.
        if integrity_of(&t.bytes) != t.integrity {
            return Err(format!("{}: tarball bytes changed in memory", pkg.name));
        }
        Ok(t.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tgz(manifest: &str) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(manifest.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "package/package.json", manifest.as_bytes())
            .unwrap();
        let tar = b.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        gz.finish().unwrap()
    }

    fn entry(name: &str, wave: usize, bytes: &[u8], waits_for: &[&str]) -> PlanEntry {
        PlanEntry {
            name: name.into(),
            version: "1.0.0".into(),
            filename: format!(
                "{}-1.0.0.tgz",
                name.trim_start_matches('@').replace('/', "-")
            ),
            integrity: integrity_of(bytes),
            shasum: shasum_of(bytes),
            size: bytes.len() as u64,
            wave,
            waits_for: waits_for.iter().map(|s| s.to_string()).collect(),
            tag: "latest".into(),
            registry: "https://registry.npmjs.org/".into(),
            access: None,
        }
    }

    fn setup() -> (tempfile::TempDir, PackPlan) {
        let dir = tempfile::tempdir().unwrap();
        let a = tgz(r#"{"name":"@s/a","version":"1.0.0"}"#);
        let b = tgz(r#"{"name":"@s/b","version":"1.0.0","dependencies":{"@s/a":"^1.0.0"}}"#);
        let plan = PackPlan::new(vec![
            entry("@s/b", 1, &b, &["@s/a"]),
            entry("@s/a", 0, &a, &[]),
        ]);
        std::fs::write(dir.path().join("s-a-1.0.0.tgz"), &a).unwrap();
        std::fs::write(dir.path().join("s-b-1.0.0.tgz"), &b).unwrap();
        plan.write(dir.path()).unwrap();
        (dir, plan)
    }

    #[test]
    fn round_trips_in_wave_order_and_verifies() {
        let (dir, plan) = setup();
        let read = PackPlan::read(dir.path()).unwrap();
        assert_eq!(read, plan);
        assert_eq!(read.packages[0].name, "@s/a");
        let v = read.verify(dir.path()).unwrap();
        assert_eq!(v[1].manifest["dependencies"]["@s/a"], "^1.0.0");
    }

    #[test]
    fn tampered_tarball_is_refused() {
        let (dir, plan) = setup();
        let evil = tgz(r#"{"name":"@s/b","version":"1.0.0","scripts":{"x":"curl evil"}}"#);
        std::fs::write(dir.path().join("s-b-1.0.0.tgz"), evil).unwrap();
        let err = plan.verify(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("@s/b: s-b-1.0.0.tgz was modified after packing"),
            "{err}"
        );
        assert!(err.contains("nothing was published"), "{err}");
        std::fs::remove_file(dir.path().join("s-a-1.0.0.tgz")).unwrap();
        let err = plan.verify(dir.path()).unwrap_err().to_string();
        assert!(err.contains("2 tarball(s)"), "{err}");
    }

    #[test]
    fn a_renamed_tarball_with_matching_hash_is_still_checked_by_content() {
        let (dir, mut plan) = setup();
        // Swap the entries' files: hashes now match other packages' bytes.
        let a = plan.packages[0].clone();
        plan.packages[0].filename = plan.packages[1].filename.clone();
        plan.packages[0].integrity = plan.packages[1].integrity.clone();
        plan.packages[1].filename = a.filename;
        plan.packages[1].integrity = a.integrity;
        let err = plan.verify(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("holds @s/b@1.0.0, the plan says @s/a@1.0.0"),
            "{err}"
        );
    }

    #[test]
    fn invalid_plans_are_rejected() {
        let (dir, mut plan) = setup();
        plan.packages[0].filename = "../../etc/passwd.tgz".into();
        plan.packages[1].waits_for.push("@s/zzz".into());
        plan.write(dir.path()).unwrap();
        let err = PackPlan::read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("must be a plain `.tgz` name"), "{err}");
        assert!(
            err.contains("waits for @s/zzz, which is not in the plan"),
            "{err}"
        );
        plan.format = 99;
        plan.write(dir.path()).unwrap();
        let err = PackPlan::read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("plan format 99"), "{err}");
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            PackPlan::read(empty.path()),
            Err(PackPlanError::Missing(_))
        ));
    }
}
