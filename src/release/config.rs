//! The publish settings relay reads from the repository: `relay.toml` `[publish]`, the pre-mode
//! tag from `.changeset/pre.json`, `privatePackages.tag` from `.changeset/config.json`.
//! (A local reader until the settings room provides the shared one.)

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// `relay.toml` `[publish]`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PublishSection {
    pub registry: Option<String>,
    pub tag: Option<String>,
    pub strategy: Option<String>,
    pub concurrency: Option<usize>,
    /// `token` (default), `oidc`, or `auto` — read by the OIDC provider.
    pub auth: Option<String>,
    pub journal_dir: Option<PathBuf>,
    pub git_tag: Option<bool>,
    pub access: Option<String>,
    /// Seconds to wait for a version to become visible before its dependents go.
    pub visibility_timeout: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
struct RelayToml {
    #[serde(default)]
    publish: Option<PublishSection>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

pub fn load_publish_section(root: &Path) -> Result<PublishSection, ConfigError> {
    let path = root.join("relay.toml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(PublishSection::default());
    };
    // Other rooms own other tables; only `[publish]` is validated here.
    let doc: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let Some(section) = doc.get("publish") else {
        return Ok(PublishSection::default());
    };
    let one = toml::Table::from_iter([("publish".to_string(), section.clone())]);
    let parsed: RelayToml = one
        .try_into()
        .map_err(|e: toml::de::Error| ConfigError::Invalid {
            path: path.clone(),
            message: format!("[publish]: {e}"),
        })?;
    Ok(parsed.publish.unwrap_or_default())
}

/// The pre-mode tag when `.changeset/pre.json` says `mode: pre`.
pub fn pre_tag(root: &Path) -> Option<String> {
    let text = std::fs::read_to_string(root.join(".changeset/pre.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    (v.get("mode")?.as_str()? == "pre").then(|| v.get("tag")?.as_str().map(String::from))?
}

/// `privatePackages.tag` (changesets default: false).
pub fn tag_private_packages(root: &Path) -> bool {
    std::fs::read_to_string(root.join(".changeset/config.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v.get("privatePackages")?.get("tag")?.as_bool())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_publish_section_and_pre_tag() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("relay.toml"),
            "[version]\nx = 1\n[publish]\nstrategy = \"promote\"\nconcurrency = 8\njournal-dir = \"ci/journal\"\n",
        )
        .unwrap();
        let s = load_publish_section(d.path()).unwrap();
        assert_eq!(s.strategy.as_deref(), Some("promote"));
        assert_eq!(s.concurrency, Some(8));
        assert_eq!(s.journal_dir, Some(PathBuf::from("ci/journal")));
        std::fs::write(d.path().join("relay.toml"), "[publish]\nbogus = 1\n").unwrap();
        assert!(load_publish_section(d.path()).is_err());
        std::fs::create_dir_all(d.path().join(".changeset")).unwrap();
        std::fs::write(
            d.path().join(".changeset/pre.json"),
            r#"{"mode":"pre","tag":"beta","initialVersions":{},"changesets":[]}"#,
        )
        .unwrap();
        assert_eq!(pre_tag(d.path()).as_deref(), Some("beta"));
    }
}
