//! Change files (`.changeset/*.md`) and pre-mode state, in changesets' format.

mod error;
mod names;
mod parse;
mod pre;
mod read;
mod write;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use error::ChangesetError;
pub use names::human_id;
pub use parse::{ParseError, parse};
pub use pre::{
    PRE_JSON, enter_pre, exit_pre, migrate_pre_state, read_pre_state, render_pre_state,
    validate_pre_tag,
};
pub use read::{
    CHANGESET_DIR, changeset_path, read_all, read_selected, read_since, suggest_name,
    validate_against, versionable_packages,
};
pub use write::{WrittenChangeFile, render, write, write_with_id};

/// A bump type, ordered `none < patch < minor < major` as changesets combines them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BumpType {
    None,
    Patch,
    Minor,
    Major,
}

impl BumpType {
    pub fn as_str(self) -> &'static str {
        match self {
            BumpType::None => "none",
            BumpType::Patch => "patch",
            BumpType::Minor => "minor",
            BumpType::Major => "major",
        }
    }

    /// Exactly the four lowercase words changesets accepts.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(BumpType::None),
            "patch" => Some(BumpType::Patch),
            "minor" => Some(BumpType::Minor),
            "major" => Some(BumpType::Major),
            _ => None,
        }
    }
}

impl std::fmt::Display for BumpType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `"name": type` line of a change file's frontmatter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    pub name: String,
    #[serde(rename = "type")]
    pub bump: BumpType,
}

/// A parsed change file. `id` is the file name without `.md` (`pre/<name>` for files under
/// `.changeset/pre/`); releases keep their frontmatter order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeFile {
    // Field order is the JSON key order of `changeset status --output`.
    pub releases: Vec<Release>,
    pub summary: String,
    pub id: String,
}

/// `pre.json`'s `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PreMode {
    Pre,
    Exit,
}

/// The content of `.changeset/pre.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreState {
    pub mode: PreMode,
    pub tag: String,
    /// v2 only (never read by changesets); absent from v3 files.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub initial_versions: BTreeMap<String, String>,
    /// v2 lists consumed change-file ids here; v3 keeps it empty and moves files to `pre/`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changesets: Vec<String>,
}
