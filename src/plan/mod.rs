//! The release plan: which packages get which new version. Pure: no I/O, no clock, no env.

use serde::{Deserialize, Serialize};

use crate::changeset::{BumpType, ChangeFile, PreMode};

/// One package's release in the plan: `changeset status --output`'s `releases[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedRelease {
    pub name: String,
    #[serde(rename = "type")]
    pub bump: BumpType,
    pub old_version: String,
    /// Ids of the change files behind this release (empty for dependents and group members).
    pub changesets: Vec<String>,
    pub new_version: String,
}

/// `preState` in the plan JSON: only mode and tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanPreState {
    pub mode: PreMode,
    pub tag: String,
}

/// The release plan, in the same content and order as changesets' `ReleasePlan`
/// (`changesets`, `releases`, `preState` — the last absent outside pre mode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleasePlan {
    pub changesets: Vec<ChangeFile>,
    pub releases: Vec<PlannedRelease>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_state: Option<PlanPreState>,
}
