//! CI identity and OIDC trusted publishing: ID tokens and per-package token exchange.
//!
//! The flow, per registry and package of a release:
//! 1. [`ci`]: detect the CI provider and get an ID token for the audience `npm:<registry host>`.
//! 2. [`exchange`]: trade it at the registry for a publish token scoped to one package.
//! 3. [`broker`]: do that for every package before anything is uploaded, keep the tokens
//!    (as [`Secret`](crate::secret::Secret)s), re-exchange one that is about to expire, and decide
//!    per package between OIDC and a configured token (`--auth auto|oidc|token`).
//! 4. [`diagnose`]: when an exchange fails, say which package, what the registry answered, what
//!    the ID token claims, and the likely cause in plain words.

pub mod broker;
pub mod ci;
pub mod claims;
pub mod diagnose;
pub mod exchange;
pub mod provider;

use std::fmt;
use std::str::FromStr;

pub use broker::{AuthMethod, AuthPlan, Broker, PackageAuth, PreflightError, Target};
pub use ci::{CiEnv, Provider};
pub use claims::Claims;
pub use diagnose::{Cause, Failure};

/// `--auth` / `[publish] auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// OIDC when relay runs in a supported CI and the exchange works, else the configured token.
    #[default]
    Auto,
    /// OIDC only; never falls back to a token.
    Oidc,
    /// The configured token only; never tries OIDC.
    Token,
}

impl FromStr for AuthMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(AuthMode::Auto),
            "oidc" => Ok(AuthMode::Oidc),
            "token" => Ok(AuthMode::Token),
            other => Err(format!(
                "unknown auth mode `{other}`: expected `auto`, `oidc` or `token`"
            )),
        }
    }
}

impl fmt::Display for AuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthMode::Auto => "auto",
            AuthMode::Oidc => "oidc",
            AuthMode::Token => "token",
        })
    }
}

/// The `[oidc]` and `[publish] auth` settings of `relay.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OidcSettings {
    pub mode: AuthMode,
    /// Try Buildkite's agent token; off by default since registry support is unconfirmed.
    pub buildkite: bool,
}

impl From<&crate::settings::RelayToml> for OidcSettings {
    /// `[publish] auth` and `[oidc] buildkite` of `relay.toml` (validated by [`crate::settings`]).
    fn from(t: &crate::settings::RelayToml) -> OidcSettings {
        OidcSettings {
            mode: match t.publish.auth {
                crate::settings::AuthMode::Auto => AuthMode::Auto,
                crate::settings::AuthMode::Oidc => AuthMode::Oidc,
                crate::settings::AuthMode::Token => AuthMode::Token,
            },
            buildkite: t.oidc.buildkite,
        }
    }
}

/// A configured token that is really a placeholder: empty, or the value `actions/setup-node`
/// writes when no token was given. It must never stand in for OIDC.
pub fn is_placeholder_token(token: &crate::secret::Secret) -> bool {
    let t = token.expose().trim();
    t.is_empty() || t.chars().all(|c| c == 'X' || c == '-') || t.starts_with("${")
}

/// A transport error in words, without the request URL's query.
pub(crate) fn describe_transport(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut s = if e.is_connect() {
        "connection failed".to_string()
    } else if e.is_timeout() {
        "timed out".to_string()
    } else {
        "request failed".to_string()
    };
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

/// What [`body_message`] says for an HTML body: the URL is served by something that does not
/// implement the endpoint (a web server's 404 page, a proxy), not by an npm registry.
pub(crate) const NOT_A_REGISTRY_ANSWER: &str = "(an HTML page, not an npm registry answer)";

/// The message of an error body (`{"message"}` or `{"error"}`, else the text, shortened), with
/// every secret in `scrub` replaced by `***`.
pub(crate) fn body_message(body: &str, scrub: &[&str]) -> String {
    let trimmed = body.trim();
    let mut msg = match serde_json::from_str::<serde_json::Value>(trimmed) {
        Ok(v) => v
            .get("message")
            .or_else(|| v.get("error"))
            .and_then(|m| m.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| shorten(trimmed)),
        Err(_) if trimmed.starts_with('<') => NOT_A_REGISTRY_ANSWER.into(),
        Err(_) if trimmed.is_empty() => "(empty body)".into(),
        Err(_) => shorten(trimmed),
    };
    for s in scrub {
        if !s.is_empty() {
            msg = msg.replace(s, "***");
        }
    }
    msg
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(300).collect();
    if s.chars().count() > 300 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn reads_relay_toml() {
        let t = crate::settings::parse_relay_toml(
            "[publish]\nauth = \"oidc\"\n[oidc]\nbuildkite = true\n",
            std::path::Path::new("relay.toml"),
        )
        .unwrap();
        let s = OidcSettings::from(&t);
        assert_eq!(s.mode, AuthMode::Oidc);
        assert!(s.buildkite);
        let d = OidcSettings::from(&crate::settings::RelayToml::default());
        assert_eq!(d, OidcSettings::default());
    }

    #[test]
    fn placeholders() {
        assert!(is_placeholder_token(&Secret::new("")));
        assert!(is_placeholder_token(&Secret::new(
            "XXXXX-XXXXX-XXXXX-XXXXX"
        )));
        assert!(is_placeholder_token(&Secret::new("${NODE_AUTH_TOKEN}")));
        assert!(!is_placeholder_token(&Secret::new("npm_abc")));
    }

    #[test]
    fn body_messages() {
        assert_eq!(body_message(r#"{"message":"nope"}"#, &[]), "nope");
        assert_eq!(body_message(r#"{"error":"bad tok"}"#, &["tok"]), "bad ***");
        assert!(body_message("<html>", &[]).contains("HTML"));
    }
}
