//! Workspace discovery: which packages a repository holds, with their versions and dependencies.
//!
//! Discovery reads files; everything it returns is plain data that the pure core works on.

mod cargo;
mod discover;
mod glob;
mod locate;
mod spec;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub(crate) use discover::js_truthy;
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
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    #[default]
    Npm,
    Cargo,
}

/// The dependency table a range was written in.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum DepKind {
    #[serde(rename = "dependencies")]
    #[default]
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
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Dependency {
    /// The key in the manifest (for an `npm:` alias, the alias; for a renamed crate, the key).
    pub name: String,
    /// The package this entry resolves to (the aliased or `package =` name).
    pub target: String,
    pub kind: DepKind,
    /// The range as written (`workspace:^`, `catalog:`, `^1.2.0`, a Cargo requirement, ...).
    /// For a Cargo `dep.workspace = true` entry: the `[workspace.dependencies]` entry's
    /// requirement (and `inherited` is set). Empty when a Cargo entry has no `version`.
    pub range: String,
    /// Cargo only: the dependency's directory relative to the repository root (forward
    /// slashes) when the entry (or the workspace entry it inherits) has a `path`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Cargo only: `dep.workspace = true`, the requirement comes from `[workspace.dependencies]`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub inherited: bool,
    /// Cargo only: the `cfg(...)`/triple of a `[target.<platform>.*dependencies]` table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

impl Dependency {
    /// An npm dependency entry (`name` is the manifest key, `target` the resolved package).
    pub fn npm(name: &str, target: &str, kind: DepKind, range: &str) -> Self {
        Dependency {
            name: name.to_string(),
            target: target.to_string(),
            kind,
            range: range.to_string(),
            path: None,
            inherited: false,
            platform: None,
        }
    }
}

/// A package of the workspace.
#[derive(Debug, Default, Clone, Serialize)]
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
    /// The repository's root `package.json`. In a single-package repo (`Tool::Root`) it is also
    /// the only versioned package (see [`Workspace::packages`]).
    #[serde(skip)]
    pub is_root: bool,
    /// The root `package.json` has no `name` (allowed for a monorepo root, as in changesets):
    /// `name` then holds the directory name for display only; nothing can depend on it.
    #[serde(skip)]
    pub unnamed: bool,
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
///
/// Order (it drives the order of dependents in a release plan, as in changesets):
/// - `packages`: the JS workspace packages sorted by absolute directory path in JavaScript's
///   string order (UTF-16 code units), then the Cargo packages sorted the same way.
/// - In a single-package JS repo (`tool == Tool::Root`), exactly as `@manypkg/get-packages`
///   returns it: `root_package` is the root `package.json` **and** `packages[0]` is the same
///   package (so it is versioned); [`Workspace::all`] yields it once.
/// - A pure Cargo repo (`tool == Tool::Cargo`) has no `root_package`; a root `[package]` is an
///   ordinary member in `packages` (Cargo versions and publishes it).
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    /// The JS tool when there is a JS workspace or root `package.json`; `Cargo` only when the
    /// repository has no `package.json` at its root.
    pub tool: Tool,
    /// The root `package.json` (always a node of the graph, never a dependent, never versioned
    /// in a monorepo).
    pub root_package: Option<Package>,
    pub packages: Vec<Package>,
    pub catalogs: Catalogs,
}

impl Workspace {
    /// The root package (if any) followed by every workspace package, each once.
    pub fn all(&self) -> impl Iterator<Item = &Package> {
        let root_listed = self.packages.first().is_some_and(|p| p.is_root);
        self.root_package
            .iter()
            .filter(move |_| !root_listed)
            .chain(self.packages.iter())
    }

    /// The packages of one ecosystem, in workspace order.
    pub fn of(&self, ecosystem: Ecosystem) -> impl Iterator<Item = &Package> {
        self.all().filter(move |p| p.ecosystem == ecosystem)
    }

    pub fn get(&self, name: &str) -> Option<&Package> {
        self.all().find(|p| p.name == name && !p.unnamed)
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
    #[error("{}: cannot read it: {source}; check that it exists and is readable", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: invalid JSON: {message}; fix the syntax", path.display())]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}:{line}:{column}: invalid YAML: {message}; fix the syntax", path.display())]
    Yaml {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}:{line}:{column}: invalid TOML: {message}; fix the syntax", path.display())]
    Toml {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// A well-formed file with a wrong value at a known place.
    #[error("{}:{line}:{column}: {message}", path.display())]
    InvalidAt {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error("two packages are named `{name}`: {} and {}; rename one of them", first.display(), second.display())]
    Duplicate {
        name: String,
        first: PathBuf,
        second: PathBuf,
    },
}
