//! Reading `.changeset/*.md` and `.changeset/pre/*.md` as `@changesets/read` 3.x does.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::parse::{line_of_name, parse};
use super::{ChangeFile, ChangesetError};
use crate::workspace::{Package, Tool, Workspace};

/// The change-file directory, relative to the repository root.
pub const CHANGESET_DIR: &str = ".changeset";

/// Files in `.changeset/` that are never change files (v3 list; README is case-insensitive).
fn is_ignored_md(base: &str) -> bool {
    base.eq_ignore_ascii_case("README.md")
        || matches!(base, "AGENTS.md" | "CLAUDE.md" | "GEMINI.md")
}

fn keep(base: &str) -> bool {
    !base.starts_with('.') && base.ends_with(".md") && !is_ignored_md(base)
}

/// The path of change file `id` relative to the root (`.changeset/<id>.md`).
pub fn changeset_path(id: &str) -> PathBuf {
    Path::new(CHANGESET_DIR).join(format!("{id}.md"))
}

/// Entry names of `dir`, byte-wise sorted as libuv's scandir returns them.
fn sorted_entries(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names: Vec<Vec<u8>> = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name().as_encoded_bytes().to_vec()))
        .collect::<Result<_, _>>()?;
    names.sort();
    Ok(names
        .into_iter()
        .map(|n| String::from_utf8_lossy(&n).into_owned())
        .collect())
}

/// Every change file of the repository: `.changeset/*` then `.changeset/pre/*` (ids
/// prefixed `pre/`), in changesets' order.
pub fn read_all(root: &Path) -> Result<Vec<ChangeFile>, ChangesetError> {
    read_selected(root, None)
}

/// Like [`read_all`], keeping only the entries named in `only` (relative to `.changeset/`,
/// e.g. `brave-otters-jump.md`, `pre/old-cats-sing.md`): changesets' `--since` filter.
pub fn read_selected(
    root: &Path,
    only: Option<&HashSet<String>>,
) -> Result<Vec<ChangeFile>, ChangesetError> {
    let base = root.join(CHANGESET_DIR);
    let mut entries = match sorted_entries(&base) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ChangesetError::NoChangesetDir {
                dir: PathBuf::from(CHANGESET_DIR),
            });
        }
        Err(source) => {
            return Err(ChangesetError::Io {
                path: PathBuf::from(CHANGESET_DIR),
                source,
            });
        }
    };
    match sorted_entries(&base.join("pre")) {
        Ok(pre) => entries.extend(pre.into_iter().map(|n| format!("pre/{n}"))),
        // changesets only tolerates a missing `pre/` (ENOENT); a file named `pre` fails there
        // too (ENOTDIR).
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(ChangesetError::Io {
                path: Path::new(CHANGESET_DIR).join("pre"),
                source,
            });
        }
    }
    let mut out = Vec::new();
    for entry in entries {
        if let Some(only) = only
            && !only.contains(&entry)
        {
            continue;
        }
        let base_name = entry.rsplit('/').next().unwrap_or(&entry);
        if !keep(base_name) {
            continue;
        }
        let rel = Path::new(CHANGESET_DIR).join(&entry);
        let bytes = fs::read(root.join(&rel)).map_err(|source| ChangesetError::Io {
            path: rel.clone(),
            source,
        })?;
        // Node decodes with replacement characters rather than failing.
        let text = String::from_utf8_lossy(&bytes);
        let (releases, summary) = parse(&text).map_err(|e| ChangesetError::Parse {
            path: rel.clone(),
            line: e.line,
            message: e.message,
        })?;
        let id = entry.strip_suffix(".md").unwrap_or(&entry).to_string();
        out.push(ChangeFile {
            releases,
            summary,
            id,
        });
    }
    Ok(out)
}

/// changesets' `readChangesets(root, sinceRef)`: only the change files added or modified
/// since HEAD diverged from `reference`. Git problems (no repository, unknown ref) give an
/// empty selection, as in changesets.
pub fn read_since(root: &Path, reference: &str) -> Result<Vec<ChangeFile>, ChangesetError> {
    let names: HashSet<String> = match crate::git::Repo::open(root) {
        Ok(repo) => repo
            .changed_changeset_files_since(reference)
            .into_iter()
            .collect(),
        Err(_) => HashSet::new(),
    };
    read_selected(root, Some(&names))
}

/// The packages a change file may name, as changesets sees them: the workspace packages, or
/// the root package in a single-package repository.
pub fn versionable_packages(ws: &Workspace) -> Vec<&Package> {
    // A single-package repo lists its root package in `packages` (as manypkg does); older
    // workspaces kept it only as `root_package`.
    if ws.tool == Tool::Root && ws.packages.is_empty() {
        ws.root_package.iter().collect()
    } else {
        ws.packages.iter().collect()
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest known name to `name`, if it is close enough to be a likely typo.
pub fn suggest_name<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let limit = (name.chars().count() / 3).max(2);
    known
        .into_iter()
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, k)| (*d, k.to_string()))
        .map(|(_, k)| k.to_string())
}

/// Every release of every change file must name a package of the workspace. Errors point at
/// the line of the change file and suggest the nearest package name.
pub fn validate_against(files: &[ChangeFile], ws: &Workspace) -> Result<(), ChangesetError> {
    let pkgs = versionable_packages(ws);
    let known: HashSet<&str> = pkgs.iter().map(|p| p.name.as_str()).collect();
    for file in files {
        for release in &file.releases {
            if known.contains(release.name.as_str()) {
                continue;
            }
            let path = changeset_path(&file.id);
            let line = fs::read(ws.root.join(&path))
                .ok()
                .and_then(|b| line_of_name(&String::from_utf8_lossy(&b), &release.name))
                .unwrap_or(2);
            return Err(ChangesetError::UnknownPackage {
                path,
                line,
                id: file.id.clone(),
                name: release.name.clone(),
                suggestion: suggest_name(&release.name, known.iter().copied()),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filtering() {
        assert!(keep("a.md"));
        assert!(!keep("README.md"));
        assert!(!keep("readme.MD"));
        assert!(!keep("ReadMe.md"));
        assert!(!keep("AGENTS.md"));
        assert!(keep("agents.md"));
        assert!(!keep(".hidden.md"));
        assert!(!keep("config.json"));
        assert!(!keep("a.MD"));
    }

    #[test]
    fn suggestions() {
        let known = ["@scope/core", "@scope/cli", "utils"];
        assert_eq!(
            suggest_name("@scope/cor", known).as_deref(),
            Some("@scope/core")
        );
        assert_eq!(suggest_name("utlis", known).as_deref(), Some("utils"));
        assert_eq!(suggest_name("completely-else", known), None);
    }
}

#[cfg(test)]
mod read_tests {
    use super::*;

    #[test]
    fn order_ids_and_missing_dir() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        assert!(matches!(
            read_all(root),
            Err(ChangesetError::NoChangesetDir { .. })
        ));
        let cs = root.join(".changeset");
        fs::create_dir_all(cs.join("pre")).unwrap();
        for name in [
            "b.md",
            "B.md",
            "a.md",
            "_x.md",
            "README.md",
            "CLAUDE.md",
            ".a.md",
            "n.txt",
            "pre/z.md",
            "pre/README.md",
            "config.json",
        ] {
            fs::write(cs.join(name), "---\n---\n\n  sum  \n").unwrap();
        }
        fs::write(cs.join("x.md.md"), "---\n\"p\": none\n---\n").unwrap();
        let ids: Vec<String> = read_all(root).unwrap().into_iter().map(|c| c.id).collect();
        assert_eq!(ids, ["B", "_x", "a", "b", "x.md", "pre/z"]);
        let all = read_all(root).unwrap();
        assert_eq!(all[0].summary, "sum");
        let only: HashSet<String> = ["a.md".to_string(), "pre/z.md".to_string()].into();
        let ids: Vec<String> = read_selected(root, Some(&only))
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(ids, ["a", "pre/z"]);
        fs::write(cs.join("c.md"), "---\n\"p\": huge\n---\n").unwrap();
        let e = read_all(root).unwrap_err().to_string();
        assert!(e.starts_with(".changeset/c.md:2: "), "{e}");
    }
}
