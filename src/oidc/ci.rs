//! Which CI runs relay, and how to get an OIDC ID token from it for one audience.
//!
//! Detection follows ci-info (what npm uses): a vendor counts when its variable is set and
//! non-empty, and no vendor counts when `CI=false`. The ID token comes from `NPM_ID_TOKEN` when set
//! (every provider, GitHub included, as npm does), else GitHub's token request, else Buildkite's
//! agent command.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::secret::Secret;

/// A CI provider relay knows how to get an ID token from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    GitHubActions,
    GitLab,
    CircleCi,
    Buildkite,
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Provider::GitHubActions => "GitHub Actions",
            Provider::GitLab => "GitLab CI",
            Provider::CircleCi => "CircleCI",
            Provider::Buildkite => "Buildkite",
        })
    }
}

/// A snapshot of the environment variables OIDC reads. Passed in as a value so that detection
/// and token selection are testable without touching the process environment.
#[derive(Debug, Clone, Default)]
pub struct CiEnv {
    vars: BTreeMap<String, String>,
}

/// The variables relay reads; nothing else of the environment is copied.
const VARS: &[&str] = &[
    "CI",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "CIRCLECI",
    "BUILDKITE",
    "NPM_ID_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
];

impl CiEnv {
    pub fn from_process() -> Self {
        let mut vars = BTreeMap::new();
        for k in VARS {
            if let Ok(v) = std::env::var(k) {
                vars.insert((*k).to_string(), v);
            }
        }
        CiEnv { vars }
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        CiEnv {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// A non-empty value, or `None`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// The provider, if relay runs in one it supports. Buildkite counts only when opted in
    /// (`[oidc] buildkite = true`), because registry support for its tokens is unconfirmed.
    pub fn provider(&self, buildkite_opt_in: bool) -> Option<Provider> {
        self.detected()
            .filter(|p| *p != Provider::Buildkite || buildkite_opt_in)
    }

    /// The provider whatever the opt-ins (used to explain why OIDC was not tried).
    pub fn detected(&self) -> Option<Provider> {
        if self.vars.get("CI").map(String::as_str) == Some("false") {
            return None;
        }
        if self.get("GITHUB_ACTIONS").is_some() {
            Some(Provider::GitHubActions)
        } else if self.get("GITLAB_CI").is_some() {
            Some(Provider::GitLab)
        } else if self.get("CIRCLECI").is_some() {
            Some(Provider::CircleCi)
        } else if self.get("BUILDKITE").is_some() {
            Some(Provider::Buildkite)
        } else {
            None
        }
    }
}

/// Why no ID token could be had.
#[derive(Debug, thiserror::Error)]
pub enum IdTokenError {
    #[error(
        "GitHub Actions did not provide ACTIONS_ID_TOKEN_REQUEST_URL/ACTIONS_ID_TOKEN_REQUEST_TOKEN: \
         the job lacks `permissions: id-token: write`"
    )]
    MissingPermission,
    #[error("{provider} provided no ID token: NPM_ID_TOKEN is not set")]
    NoToken { provider: Provider },
    #[error("the GitHub ID-token request failed: {0}")]
    Request(String),
    #[error("the GitHub ID-token request answered HTTP {status}: {message}")]
    Status { status: u16, message: String },
    #[error("the GitHub ID-token response has no `value`")]
    MissingValue,
    #[error("`buildkite-agent oidc request-token` failed: {0}")]
    Buildkite(String),
    #[error("ACTIONS_ID_TOKEN_REQUEST_URL is not a valid URL: {0}")]
    BadUrl(String),
}

#[derive(Deserialize)]
struct GitHubTokenResponse {
    value: Option<String>,
}

/// `npm:` + the registry's host name only (no port, no path), exactly as npm builds it.
pub fn audience_for(registry: &url::Url) -> String {
    format!("npm:{}", registry.host_str().unwrap_or_default())
}

/// Gets an ID token for `audience` from the CI environment.
pub async fn request_id_token(
    http: &reqwest::Client,
    env: &CiEnv,
    provider: Provider,
    audience: &str,
) -> Result<Secret, IdTokenError> {
    if let Some(tok) = env.get("NPM_ID_TOKEN") {
        return Ok(Secret::new(tok.trim()));
    }
    match provider {
        Provider::GitHubActions => github(http, env, audience).await,
        Provider::Buildkite => buildkite(audience).await,
        Provider::GitLab | Provider::CircleCi => Err(IdTokenError::NoToken { provider }),
    }
}

async fn github(
    http: &reqwest::Client,
    env: &CiEnv,
    audience: &str,
) -> Result<Secret, IdTokenError> {
    let (Some(url), Some(bearer)) = (
        env.get("ACTIONS_ID_TOKEN_REQUEST_URL"),
        env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
    ) else {
        return Err(IdTokenError::MissingPermission);
    };
    let mut url = url::Url::parse(url).map_err(|e| IdTokenError::BadUrl(e.to_string()))?;
    // Appended to the existing `?api-version=2.0`, form-encoded (`npm%3Ahost`), like npm does.
    url.query_pairs_mut().append_pair("audience", audience);
    let resp = http
        .get(url)
        .header("accept", "application/json")
        .header("authorization", format!("Bearer {}", bearer))
        .send()
        .await
        .map_err(|e| IdTokenError::Request(crate::oidc::describe_transport(&e)))?;
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(IdTokenError::Status {
            status: status.as_u16(),
            message: crate::oidc::body_message(&body, &[bearer]),
        });
    }
    let parsed: GitHubTokenResponse =
        serde_json::from_str(&body).map_err(|_| IdTokenError::MissingValue)?;
    match parsed.value {
        Some(v) if !v.trim().is_empty() => Ok(Secret::new(v)),
        _ => Err(IdTokenError::MissingValue),
    }
}

async fn buildkite(audience: &str) -> Result<Secret, IdTokenError> {
    let out = tokio::process::Command::new("buildkite-agent")
        .args(["oidc", "request-token", "--audience", audience])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| IdTokenError::Buildkite(e.to_string()))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(IdTokenError::Buildkite(format!(
            "{}: {}",
            out.status,
            err.trim()
        )));
    }
    let tok = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if tok.is_empty() {
        return Err(IdTokenError::Buildkite("it printed no token".into()));
    }
    Ok(Secret::new(tok))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_providers_like_ci_info() {
        let e = CiEnv::from_pairs([("GITHUB_ACTIONS", "true"), ("CI", "true")]);
        assert_eq!(e.provider(false), Some(Provider::GitHubActions));
        let e = CiEnv::from_pairs([("GITLAB_CI", "true")]);
        assert_eq!(e.provider(false), Some(Provider::GitLab));
        let e = CiEnv::from_pairs([("CIRCLECI", "true")]);
        assert_eq!(e.provider(false), Some(Provider::CircleCi));
        let e = CiEnv::from_pairs([("GITHUB_ACTIONS", "true"), ("CI", "false")]);
        assert_eq!(e.provider(false), None);
        let e = CiEnv::from_pairs([("GITHUB_ACTIONS", "")]);
        assert_eq!(e.provider(false), None);
    }

    #[test]
    fn buildkite_needs_opt_in() {
        let e = CiEnv::from_pairs([("BUILDKITE", "true")]);
        assert_eq!(e.provider(false), None);
        assert_eq!(e.detected(), Some(Provider::Buildkite));
        assert_eq!(e.provider(true), Some(Provider::Buildkite));
    }

    #[test]
    fn audience_is_host_only() {
        let u = url::Url::parse("https://npm.example.com:8443/some/path/").unwrap();
        assert_eq!(audience_for(&u), "npm:npm.example.com");
        let u = url::Url::parse("https://registry.npmjs.org/").unwrap();
        assert_eq!(audience_for(&u), "npm:registry.npmjs.org");
    }

    #[tokio::test]
    async fn gitlab_without_id_token_says_so() {
        let e = CiEnv::from_pairs([("GITLAB_CI", "true")]);
        let http = reqwest::Client::new();
        let err = request_id_token(&http, &e, Provider::GitLab, "npm:x")
            .await
            .unwrap_err();
        assert!(matches!(err, IdTokenError::NoToken { .. }));
        let e = CiEnv::from_pairs([("GITLAB_CI", "true"), ("NPM_ID_TOKEN", "a.b.c")]);
        let tok = request_id_token(&http, &e, Provider::GitLab, "npm:x")
            .await
            .unwrap();
        assert_eq!(tok.expose(), "a.b.c");
    }

    #[tokio::test]
    async fn github_without_permission_is_reported() {
        let e = CiEnv::from_pairs([("GITHUB_ACTIONS", "true")]);
        let http = reqwest::Client::new();
        let err = request_id_token(&http, &e, Provider::GitHubActions, "npm:x")
            .await
            .unwrap_err();
        assert!(matches!(err, IdTokenError::MissingPermission));
    }

    #[tokio::test]
    async fn github_request_matches_npm() {
        use wiremock::matchers::{header, method, path, query_param};
        let server = wiremock::MockServer::start().await;
        wiremock::Mock::given(method("GET"))
            .and(path("/token"))
            .and(query_param("api-version", "2.0"))
            .and(query_param("audience", "npm:registry.example"))
            .and(header("authorization", "Bearer req-tok"))
            .and(header("accept", "application/json"))
            .respond_with(
                wiremock::ResponseTemplate::new(200).set_body_string(r#"{"value":"h.p.s"}"#),
            )
            .mount(&server)
            .await;
        let url = format!("{}/token?api-version=2.0", server.uri());
        let e = CiEnv::from_pairs([
            ("GITHUB_ACTIONS", "true"),
            ("ACTIONS_ID_TOKEN_REQUEST_URL", url.as_str()),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "req-tok"),
        ]);
        let http = reqwest::Client::new();
        let tok = request_id_token(&http, &e, Provider::GitHubActions, "npm:registry.example")
            .await
            .unwrap();
        assert_eq!(tok.expose(), "h.p.s");
        let reqs = server.received_requests().await.unwrap();
        assert!(
            reqs[0]
                .url
                .as_str()
                .ends_with("audience=npm%3Aregistry.example")
        );
    }
}
