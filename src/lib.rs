//! relay: a release orchestrator for monorepos.
//!
//! Data flows one way: files on disk → [`workspace::Workspace`] → [`plan`] → edits / publish
//! plan → executors. Everything before the executors is pure; see ARCHITECTURE in the README.

pub mod changelog;
pub mod changeset;
pub mod cli;
pub mod formatter;
pub mod fsx;
pub mod git;
pub mod graph;
pub mod oidc;
pub mod pack;
pub mod pack_plan;
pub mod par;
pub mod plan;
pub mod registry;
pub mod release;
pub mod report;
pub mod secret;
pub mod settings;
pub mod version;
pub mod workspace;
