//! Workspace discovery: which packages a repository holds, with their versions and dependencies.
//!
//! Discovery reads files; everything it returns is plain data that the pure core works on.

mod discover;
mod spec;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use discover::{discover, find_root};
pub use spec::DepSpec;

/// Which tool manages the workspace. It decides how `workspace:` ranges are published and how
/// changesets tags a single-package repo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tool {
    Npm,
    Pnpm,
    Yarn,
    Bun,
    Cargo,
    /// No workspace configuration: the repository is one package.
    Root,
}

/// The package ecosystem a package belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    Npm,
    Cargo,
}

/// The dependency table a range was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum DepKind {
    #[serde(rename = "dependencies")]
    Prod,
    #[serde(rename = "devDependencies")]
    Dev,
    #[serde(rename = "peerDependencies")]
    Peer,
    #[serde(rename = "optionalDependencies")]
    Optional,
    /// Cargo `[build-dependencies]`.
    #[serde(rename = "build-dependencies")]
    Build,
}

impl DepKind {
    /// npm's manifest key (Cargo's normal/dev/build map onto Prod/Dev/Build).
    pub fn key(self) -> &'static str {
        match self {
            DepKind::Prod => "dependencies",
            DepKind::Dev => "devDependencies",
            DepKind::Peer => "peerDependencies",
            DepKind::Optional => "optionalDependencies",
            DepKind::Build => "build-dependencies",
        }
    }

    /// The npm dependency tables in the order changesets walks them.
    pub const NPM: [DepKind; 4] = [
        DepKind::Prod,
        DepKind::Dev,
        DepKind::Peer,
        DepKind::Optional,
    ];
}

/// One dependency entry, exactly as written in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dependency {
    /// The key in the manifest (for an `npm:` alias, the alias; for a renamed crate, the key).
    pub name: String,
    /// The package this entry resolves to (the aliased or `package =` name).
    pub target: String,
    pub kind: DepKind,
    /// The range as written (`workspace:^`, `catalog:`, `^1.2.0`, a Cargo requirement, ...).
    pub range: String,
}

/// A package of the workspace.
#[derive(Debug, Clone, Serialize)]
pub struct Package {
    pub name: String,
    pub version: Option<String>,
    /// Directory relative to the root, forward slashes, `.` for the root package.
    #[serde(rename = "path")]
    pub dir: String,
    /// Absolute path of `package.json` or `Cargo.toml`.
    #[serde(skip)]
    pub manifest_path: PathBuf,
    pub private: bool,
    pub ecosystem: Ecosystem,
    #[serde(skip)]
    pub is_root: bool,
    #[serde(skip)]
    pub dependencies: Vec<Dependency>,
}

impl Package {
    /// The package's directory on disk.
    pub fn abs_dir(&self) -> &Path {
        self.manifest_path.parent().unwrap_or(Path::new("."))
    }

    pub fn deps_of(&self, kind: DepKind) -> impl Iterator<Item = &Dependency> {
        self.dependencies.iter().filter(move |d| d.kind == kind)
    }
}

/// `catalog:` tables: the default catalog under the name `default`, then the named ones.
pub type Catalogs = BTreeMap<String, BTreeMap<String, String>>;

/// Every package of a repository.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub tool: Tool,
    /// The root package (always a node of the graph, never a dependent, never versioned), then
    /// the workspace packages in changesets' order (sorted by absolute directory path).
    pub root_package: Option<Package>,
    pub packages: Vec<Package>,
    pub catalogs: Catalogs,
}

impl Workspace {
    /// The root package (if any) followed by every workspace package.
    pub fn all(&self) -> impl Iterator<Item = &Package> {
        self.root_package.iter().chain(self.packages.iter())
    }

    pub fn get(&self, name: &str) -> Option<&Package> {
        self.all().find(|p| p.name == name)
    }

    /// Resolves `catalog:` / `catalog:<name>` for dependency `dep`.
    pub fn catalog_range(&self, catalog: Option<&str>, dep: &str) -> Option<&str> {
        let name = catalog.filter(|c| !c.is_empty()).unwrap_or("default");
        self.catalogs.get(name)?.get(dep).map(String::as_str)
    }
}

/// Why discovery failed. Every message names the file (and line where there is one).
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
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
    Invalid { path: PathBuf, message: String },
    #[error("two packages are named `{name}`: {first} and {second}; rename one of them")]
    Duplicate {
        name: String,
        first: PathBuf,
        second: PathBuf,
    },
}
