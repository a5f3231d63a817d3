//! Resolved settings: CLI arguments + `.changeset/config.json` + `relay.toml` + environment.

use serde_json::Value;

use crate::changeset::BumpType;

/// `changelog` / `commit`: disabled, or a generator module with its options.
#[derive(Debug, Clone, PartialEq)]
pub enum ModuleSetting {
    Disabled,
    Module {
        name: String,
        options: Option<Value>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Restricted,
    Public,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrivatePackages {
    pub version: bool,
    pub tag: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotConfig {
    pub use_calculated_version: bool,
    pub prerelease_template: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateInternalDependents {
    OutOfRange,
    Always,
}

/// `.changeset/config.json`, with changesets 3 defaults for every missing key. `fixed`,
/// `linked` and `ignore` hold the globs as written; [`crate::settings`] resolves them against
/// the workspace into package names before the plan sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub changelog: ModuleSetting,
    pub commit: ModuleSetting,
    pub fixed: Vec<Vec<String>>,
    pub linked: Vec<Vec<String>>,
    pub access: Access,
    pub base_branch: String,
    pub changed_file_patterns: Vec<String>,
    /// `patch` or `minor`.
    pub update_internal_dependencies: BumpType,
    pub ignore: Vec<String>,
    pub private_packages: PrivatePackages,
    pub bump_versions_with_workspace_protocol_only: bool,
    pub snapshot: SnapshotConfig,
    pub only_update_peer_dependents_when_out_of_range: bool,
    pub update_internal_dependents: UpdateInternalDependents,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            changelog: ModuleSetting::Module {
                name: "@changesets/cli/changelog".into(),
                options: None,
            },
            commit: ModuleSetting::Disabled,
            fixed: Vec::new(),
            linked: Vec::new(),
            access: Access::Restricted,
            base_branch: "main".into(),
            changed_file_patterns: vec!["**".into()],
            update_internal_dependencies: BumpType::Patch,
            ignore: Vec::new(),
            private_packages: PrivatePackages {
                version: false,
                tag: false,
            },
            bump_versions_with_workspace_protocol_only: false,
            snapshot: SnapshotConfig::default(),
            only_update_peer_dependents_when_out_of_range: false,
            update_internal_dependents: UpdateInternalDependents::OutOfRange,
        }
    }
}

mod config;
pub(crate) mod glob;
mod relay_toml;

pub use config::{
    CONFIG_PATH, ConfigError, ConfigFile, FormatSetting, ResolvedConfig, load_config,
    load_config_file, load_resolved, parse_config,
};
pub use relay_toml::{
    AuthMode, ChangelogSection, OidcSection, PackSection, PublishSection, PublishStrategy,
    RELAY_TOML, RelayToml, RelayTomlError, load_relay_toml, parse_relay_toml,
};
