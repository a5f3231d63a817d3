//! How the release gets tarballs: a [`Packer`]. [`NpmPacker`] is `pack::pack_package` (npm
//! packlist rules, node-tar bytes, `workspace:`/`catalog:` rewriting, and the publish
//! lifecycle: `prepublishOnly`, `prepack`, `prepare`, `postpack`). Tests can substitute their
//! own.

use crate::pack::{Lifecycle, PackOptions, pack_package};
use crate::registry::Tarball;
use crate::workspace::{Package, Workspace};

pub trait Packer: Send + Sync {
    fn pack(&self, ws: &Workspace, pkg: &Package) -> Result<Tarball, String>;
}

pub struct NpmPacker {
    pub ignore_scripts: bool,
}

impl Packer for NpmPacker {
    fn pack(&self, ws: &Workspace, pkg: &Package) -> Result<Tarball, String> {
        let allow_secrets = crate::pack::allow_secrets_from_config(&ws.root, &pkg.name)
            .map_err(|e| e.to_string())?;
        let opts = PackOptions {
            ignore_scripts: self.ignore_scripts,
            allow_secrets,
            lifecycle: Lifecycle::Publish,
        };
        let packed = pack_package(ws, pkg, &opts).map_err(|e| e.to_string())?;
        let readme = readme(pkg, packed.files.iter().map(|f| f.path.as_str()));
        Ok(Tarball {
            name: packed.name,
            version: packed.version,
            bytes: packed.tarball,
            integrity: packed.integrity,
            shasum: packed.shasum,
            manifest: packed.manifest,
            readme,
        })
    }
}

/// npm's `readme` field: the first top-level `README` / `README.*` with a markdown extension,
/// else a bare `README` (npm-registry.md §3.3).
fn readme<'a>(pkg: &Package, files: impl Iterator<Item = &'a str>) -> Option<(String, String)> {
    let mut candidates: Vec<&str> = files
        .filter(|f| !f.contains('/'))
        .filter(|f| {
            let l = f.to_ascii_lowercase();
            l == "readme" || l.starts_with("readme.")
        })
        .collect();
    candidates.sort();
    let md = candidates.iter().find(|f| {
        let l = f.to_ascii_lowercase();
        [".md", ".markdown", ".mdown", ".mkdn", ".mkd"]
            .iter()
            .any(|e| l.ends_with(e))
    });
    let pick = md.or_else(|| candidates.iter().find(|f| f.eq_ignore_ascii_case("readme")))?;
    let text = std::fs::read_to_string(pkg.abs_dir().join(pick)).ok()?;
    Some((pick.to_string(), text))
}
