//! Publish orchestration: candidates, preflight, dependency waves, uploads with bounded
//! concurrency, the promote strategy, git tags, and the journal that makes a release
//! resumable after any failure or crash.

pub mod auth;
pub mod git_tags;
pub mod journal;
pub mod packer;
pub mod plan;
mod run;

pub use run::{
    FailedEntry, NoProgress, NotAttemptedEntry, Progress, PublishContext, PublishOptions,
    PublishReport, PublishedEntry, ReleaseError, publish, publishable,
};
