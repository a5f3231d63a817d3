//! `relay.toml` (optional, repository root): relay's own settings that changesets' config has
//! no place for. Unknown keys are errors (with their line) so typos never pass silently.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The file name, at the repository root.
pub const RELAY_TOML: &str = "relay.toml";

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RelayToml {
    #[serde(default)]
    pub publish: PublishSection,
    #[serde(default)]
    pub pack: PackSection,
    #[serde(default)]
    pub changelog: ChangelogSection,
    #[serde(default)]
    pub oidc: OidcSection,
}

/// How releases reach the registry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PublishStrategy {
    /// Publish each version under its final dist-tag.
    #[default]
    Direct,
    /// Publish under a staging dist-tag, then move the final tag once every package is up.
    Promote,
}

/// Which credential `publish` uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMode {
    /// OIDC trusted publishing when the CI provides an identity token, else a token.
    #[default]
    Auto,
    Oidc,
    Token,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PublishSection {
    /// Registry URL (default: from `.npmrc` / `publishConfig`, else registry.npmjs.org).
    pub registry: Option<String>,
    /// Dist-tag for non-prerelease versions (default `latest`).
    pub tag: Option<String>,
    #[serde(default)]
    pub strategy: PublishStrategy,
    /// Packages published at once (default: chosen by `publish`).
    pub concurrency: Option<u32>,
    #[serde(default)]
    pub auth: AuthMode,
    /// Where release journals go, relative to the root.
    #[serde(default = "default_journal_dir")]
    pub journal_dir: PathBuf,
    /// Create a git tag per published package, as changesets does.
    #[serde(default = "default_true")]
    pub git_tag: bool,
}

fn default_journal_dir() -> PathBuf {
    PathBuf::from(".relay/releases")
}

fn default_true() -> bool {
    true
}

impl Default for PublishSection {
    fn default() -> Self {
        PublishSection {
            registry: None,
            tag: None,
            strategy: PublishStrategy::default(),
            concurrency: None,
            auth: AuthMode::default(),
            journal_dir: default_journal_dir(),
            git_tag: true,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PackSection {
    /// Per package: globs of packed files the secret scan lets through.
    #[serde(default)]
    pub allow_secrets: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ChangelogSection {
    /// A minijinja template (path relative to the root) replacing the built-in one.
    pub template: Option<PathBuf>,
    /// GitHub API base URL for the `github` changelog (default `https://api.github.com`).
    pub github_api_url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OidcSection {
    /// Accept Buildkite OIDC tokens for trusted publishing.
    #[serde(default)]
    pub buildkite: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RelayTomlError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

/// Reads `relay.toml` at `root`; a missing file gives the defaults.
pub fn load_relay_toml(root: &Path) -> Result<RelayToml, RelayTomlError> {
    let path = PathBuf::from(RELAY_TOML);
    match fs::read_to_string(root.join(&path)) {
        Ok(text) => parse_relay_toml(&text, &path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(RelayToml::default()),
        Err(source) => Err(RelayTomlError::Io { path, source }),
    }
}

/// Parses `relay.toml` text; `path` is only used in messages.
pub fn parse_relay_toml(text: &str, path: &Path) -> Result<RelayToml, RelayTomlError> {
    let parsed: RelayToml = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| {
            let before = &text[..s.start.min(text.len())];
            let line = 1 + before.matches('\n').count();
            let column = 1 + before.rsplit('\n').next().map_or(0, |l| l.chars().count());
            (line, column)
        });
        RelayTomlError::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().trim().to_string(),
        }
    })?;
    let invalid = |key: &str, message: String| {
        let line = text
            .lines()
            .position(|l| l.trim_start().starts_with(key))
            .map_or(1, |i| i + 1);
        RelayTomlError::Invalid {
            path: path.to_path_buf(),
            line,
            column: 1,
            message,
        }
    };
    if parsed.publish.concurrency == Some(0) {
        return Err(invalid(
            "concurrency",
            "publish.concurrency must be at least 1".into(),
        ));
    }
    if let Some(reg) = &parsed.publish.registry
        && url::Url::parse(reg).is_err()
    {
        return Err(invalid(
            "registry",
            format!("publish.registry {reg:?} is not a URL (e.g. https://registry.npmjs.org/)"),
        ));
    }
    if let Some(api) = &parsed.changelog.github_api_url
        && url::Url::parse(api).is_err()
    {
        return Err(invalid(
            "github-api-url",
            format!("changelog.github-api-url {api:?} is not a URL (e.g. https://api.github.com)"),
        ));
    }
    for (pkg, globs) in &parsed.pack.allow_secrets {
        for g in globs {
            if let Err(e) = globset::Glob::new(g) {
                return Err(invalid(
                    "allow-secrets",
                    format!(
                        "pack.allow-secrets.\"{pkg}\": invalid glob {g:?}: {}",
                        e.kind()
                    ),
                ));
            }
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Result<RelayToml, RelayTomlError> {
        parse_relay_toml(t, Path::new(RELAY_TOML))
    }

    #[test]
    fn full_and_defaults() {
        assert_eq!(parse("").unwrap(), RelayToml::default());
        let t = parse(
            r#"
[publish]
registry = "http://127.0.0.1:4873/"
tag = "next"
strategy = "promote"
concurrency = 8
auth = "oidc"
journal-dir = "out/journals"
git-tag = false

[pack]
allow-secrets = { "@s/a" = ["fixtures/**/*.pem"] }

[changelog]
template = "templates/changelog.md.j2"
github-api-url = "http://127.0.0.1:9999"

[oidc]
buildkite = true
"#,
        )
        .unwrap();
        assert_eq!(t.publish.strategy, PublishStrategy::Promote);
        assert_eq!(t.publish.auth, AuthMode::Oidc);
        assert_eq!(t.publish.concurrency, Some(8));
        assert!(!t.publish.git_tag);
        assert_eq!(t.publish.journal_dir, PathBuf::from("out/journals"));
        assert_eq!(t.pack.allow_secrets["@s/a"], ["fixtures/**/*.pem"]);
        assert!(t.oidc.buildkite);
        assert_eq!(
            PublishSection::default().journal_dir,
            PathBuf::from(".relay/releases")
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_name_lines() {
        let e = parse("[publish]\nregistry = \"https://x/\"\nstrategi = \"direct\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("relay.toml:3:"), "{e}");
        assert!(e.contains("strategi"), "{e}");
        let e = parse("[publish]\nstrategy = \"fast\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("relay.toml:2:"), "{e}");
        let e = parse("[publish]\nconcurrency = 0\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("relay.toml:2:"), "{e}");
        let e = parse("[nope]\n").unwrap_err().to_string();
        assert!(e.starts_with("relay.toml:1:"), "{e}");
        let e = parse("[publish\n").unwrap_err().to_string();
        assert!(e.starts_with("relay.toml:1:"), "{e}");
    }
}
