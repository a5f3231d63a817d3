//! npm registry client: `.npmrc` resolution and auth, packument reads, the publish `PUT`,
//! dist-tags, deprecate, and the retry policy. It never decides what to publish.

mod client;
pub mod npmrc;
pub mod otp;
mod publish_body;

pub use client::{
    Packument, PublishOutcome, RegistryClient, RegistryError, RetryPolicy, VersionInfo,
    escape_name, is_duplicate, is_transient_status, redact,
};
pub use npmrc::{Credential, Env, NpmConfig, NpmrcError, nerf_dart};
pub use otp::{OtpPrompter, OtpState};
pub use publish_body::{PublishBody, Tarball, normalise_manifest};
