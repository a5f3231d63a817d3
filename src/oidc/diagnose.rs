//! Turning an OIDC failure into a diagnostic a person can act on: what happened, what the ID
//! token claims, and the likely cause in plain words.

use std::fmt;

use super::ci::{IdTokenError, Provider};
use super::claims::Claims;
use super::exchange::ExchangeError;

/// Where the failure happened.
#[derive(Debug)]
pub enum Stage {
    /// relay does not run in a CI it can get an ID token from.
    NoProvider {
        detected: Option<Provider>,
    },
    IdToken(IdTokenError),
    Exchange(ExchangeError),
}

/// The likely cause, decided from the stage, the HTTP status, the claims and what happened to the
/// release's other packages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    NotInCi {
        buildkite_not_enabled: bool,
    },
    MissingIdTokenPermission,
    NoIdTokenVariable {
        provider: Provider,
    },
    IdTokenRequestFailed,
    WrongAudience {
        expected: String,
        got: Vec<String>,
    },
    Expired {
        exp: i64,
    },
    /// The package does not exist on the registry yet.
    NewPackage,
    /// Other packages of the release accepted this identity; this one has no trusted publisher
    /// for it.
    NoTrustedPublisher,
    /// No package accepted the identity: the configuration names another repository, workflow
    /// file or environment (or none is configured).
    PublisherMismatch,
    EndpointDown,
    Rejected,
}

/// One package that could not get an OIDC publish token.
#[derive(Debug)]
pub struct Failure {
    pub package: String,
    /// The registry URL as shown (any `user:password@` removed).
    pub registry: String,
    /// (package, full registry URL): matches the failure to its target; never shown.
    pub(crate) key: (String, String),
    pub expected_audience: String,
    pub stage: Stage,
    pub claims: Option<Claims>,
    pub cause: Cause,
}

impl Cause {
    /// A stable machine-readable name (`--json`).
    pub fn code(&self) -> &'static str {
        match self {
            Cause::NotInCi { .. } => "not-in-ci",
            Cause::MissingIdTokenPermission => "missing-id-token-permission",
            Cause::NoIdTokenVariable { .. } => "no-id-token-variable",
            Cause::IdTokenRequestFailed => "id-token-request-failed",
            Cause::WrongAudience { .. } => "wrong-audience",
            Cause::Expired { .. } => "expired-id-token",
            Cause::NewPackage => "new-package",
            Cause::NoTrustedPublisher => "no-trusted-publisher",
            Cause::PublisherMismatch => "publisher-mismatch",
            Cause::EndpointDown => "endpoint-down",
            Cause::Rejected => "rejected",
        }
    }
}

impl Failure {
    /// The failure as JSON for `--json` output: no token, only what the text shows.
    pub fn to_json(&self) -> serde_json::Value {
        let stage = match &self.stage {
            Stage::NoProvider { .. } => "ci".to_string(),
            Stage::IdToken(e) => format!("id token: {e}"),
            Stage::Exchange(e) => format!("token exchange: {e}"),
        };
        let claims: serde_json::Map<String, serde_json::Value> = self
            .claims
            .as_ref()
            .map(|c| {
                c.publisher_fields()
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), serde_json::Value::String(v)))
                    .collect()
            })
            .unwrap_or_default();
        serde_json::json!({
            "package": self.package,
            "registry": self.registry,
            "expectedAudience": self.expected_audience,
            "httpStatus": self.http_status(),
            "error": stage,
            "cause": self.cause.code(),
            "claims": claims,
        })
    }

    pub fn http_status(&self) -> Option<u16> {
        match &self.stage {
            Stage::Exchange(ExchangeError::Status { status, .. })
            | Stage::Exchange(ExchangeError::NoToken { status }) => Some(*status),
            _ => None,
        }
    }

    /// A first guess at the cause from this failure alone; [`super::broker`] refines 404s
    /// with what the registry and the other packages said.
    pub fn initial_cause(
        stage: &Stage,
        claims: Option<&Claims>,
        audience: &str,
        now: i64,
    ) -> Cause {
        match stage {
            Stage::NoProvider { detected } => Cause::NotInCi {
                buildkite_not_enabled: *detected == Some(Provider::Buildkite),
            },
            Stage::IdToken(IdTokenError::MissingPermission) => Cause::MissingIdTokenPermission,
            Stage::IdToken(IdTokenError::NoToken { provider }) => Cause::NoIdTokenVariable {
                provider: *provider,
            },
            Stage::IdToken(_) => Cause::IdTokenRequestFailed,
            Stage::Exchange(ExchangeError::Unreachable(_)) => Cause::EndpointDown,
            Stage::Exchange(ExchangeError::Status { status, .. }) if *status >= 500 => {
                Cause::EndpointDown
            }
            // A 404 page that is not JSON: the registry has no exchange endpoint at all.
            Stage::Exchange(ExchangeError::Status { message, .. })
                if message == super::NOT_A_REGISTRY_ANSWER =>
            {
                Cause::EndpointDown
            }
            Stage::Exchange(_) => {
                if let Some(c) = claims {
                    let auds = c.audiences();
                    if !auds.iter().any(|a| a == audience) {
                        return Cause::WrongAudience {
                            expected: audience.to_string(),
                            got: auds,
                        };
                    }
                    if let Some(exp) = c.expires_at()
                        && exp <= now
                    {
                        return Cause::Expired { exp };
                    }
                }
                match stage {
                    Stage::Exchange(ExchangeError::Status { status: 404, .. }) => {
                        Cause::PublisherMismatch
                    }
                    // An endpoint that does not speak the exchange at all.
                    Stage::Exchange(ExchangeError::Status { status: 405, .. }) => {
                        Cause::EndpointDown
                    }
                    _ => Cause::Rejected,
                }
            }
        }
    }
}

fn fmt_time(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| secs.to_string())
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} (registry {})", self.package, self.registry)?;
        match &self.stage {
            Stage::NoProvider { detected } => match detected {
                Some(p) => writeln!(f, "  OIDC: {p} detected but not enabled")?,
                None => writeln!(f, "  OIDC: not running in a supported CI")?,
            },
            Stage::IdToken(e) => writeln!(f, "  ID token: {e}")?,
            Stage::Exchange(e) => writeln!(f, "  token exchange: {e}")?,
        }
        if let Some(c) = &self.claims {
            writeln!(
                f,
                "  ID token claims (a trusted publisher must match these):"
            )?;
            let fields = c.publisher_fields();
            for key in [
                "repository",
                "workflow_ref",
                "environment",
                "ref",
                "event_name",
            ] {
                if !fields.iter().any(|(k, _)| *k == key)
                    && (c.str("repository").is_some() || key == "environment")
                {
                    writeln!(f, "    {key:<18} (not set)")?;
                }
            }
            for (k, v) in fields {
                writeln!(f, "    {k:<18} {v}")?;
            }
            if let Some(exp) = c.expires_at() {
                writeln!(f, "    {:<18} {}", "exp", fmt_time(exp))?;
            }
        }
        write!(f, "  likely cause: ")?;
        self.write_cause(f)
    }
}

impl Failure {
    fn write_cause(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Cause::NotInCi {
                buildkite_not_enabled: true,
            } => writeln!(
                f,
                "Buildkite was detected, but its OIDC tokens are opt-in because npm's support for \
                 them is unconfirmed. Set `[oidc] buildkite = true` in relay.toml to try, or use \
                 `--auth token`."
            ),
            Cause::NotInCi { .. } => writeln!(
                f,
                "relay is not running in GitHub Actions, GitLab CI or CircleCI, so there is no \
                 OIDC identity to exchange. Run the publish job in CI, or use `--auth token` with \
                 a token."
            ),
            Cause::MissingIdTokenPermission => writeln!(
                f,
                "the job lacks the `id-token: write` permission, so GitHub did not provide \
                 ACTIONS_ID_TOKEN_REQUEST_URL. Add to the publish job:\n      permissions:\n        \
                 contents: read\n        id-token: write"
            ),
            Cause::NoIdTokenVariable {
                provider: Provider::GitLab,
            } => writeln!(
                f,
                "GitLab provides ID tokens only when the job asks for one. Add to the publish \
                 job:\n      id_tokens:\n        NPM_ID_TOKEN:\n          aud: \"{}\"",
                self.expected_audience
            ),
            Cause::NoIdTokenVariable { provider } => writeln!(
                f,
                "{provider} does not hand out an ID token by itself: set NPM_ID_TOKEN, e.g. \
                 `export NPM_ID_TOKEN=$(circleci run oidc get --claims '{{\"aud\":\"{}\"}}')`",
                self.expected_audience
            ),
            Cause::IdTokenRequestFailed => writeln!(
                f,
                "the CI did not hand out an ID token (see above); re-run the job, and check the \
                 provider's status if it persists."
            ),
            Cause::WrongAudience { expected, got } => writeln!(
                f,
                "wrong audience: the registry expects an ID token for `{expected}`, but this one \
                 is for `{}`. If NPM_ID_TOKEN is set (GitLab `id_tokens`, CircleCI), request \
                 it with that audience; on GitHub, unset NPM_ID_TOKEN so relay requests the \
                 right one.",
                got.join("`, `"),
            ),
            Cause::Expired { exp } => writeln!(
                f,
                "the ID token expired at {}. relay requests a fresh one when it can (GitHub); a \
                 token from NPM_ID_TOKEN cannot be renewed: request it right before `relay \
                 publish`, in the same job.",
                fmt_time(*exp)
            ),
            Cause::NewPackage => {
                writeln!(
                    f,
                    "{pkg} does not exist on {reg} yet, and npm cannot create a package through \
                     trusted publishing: a trusted publisher can only be configured on an existing \
                     package. Publish its first version with a token, for this package only:",
                    pkg = self.package,
                    reg = self.registry
                )?;
                self.write_first_publish(f)
            }
            Cause::NoTrustedPublisher => {
                writeln!(
                    f,
                    "no trusted publisher is configured for {} (other packages of this release \
                     accepted the same identity). On the package's settings page, add a trusted \
                     publisher with:",
                    self.package
                )?;
                self.write_publisher_fields(f, "      ")
            }
            Cause::PublisherMismatch => {
                writeln!(
                    f,
                    "the registry accepted this identity for no package: the trusted publisher \
                     configuration names a different repository, workflow file or environment \
                     than the claims above (or none is configured). It must say:"
                )?;
                self.write_publisher_fields(f, "      ")
            }
            Cause::EndpointDown => writeln!(
                f,
                "the registry's token-exchange endpoint is down or does not support trusted \
                 publishing ({}). Nothing was uploaded; re-run later, or publish with `--auth \
                 token`.",
                self.registry
            ),
            Cause::Rejected => writeln!(
                f,
                "the registry rejected the ID token; compare the claims above with the package's \
                 trusted-publisher settings."
            ),
        }
    }

    fn write_publisher_fields(&self, f: &mut fmt::Formatter<'_>, pad: &str) -> fmt::Result {
        let Some(c) = &self.claims else {
            return Ok(());
        };
        if let Some(repo) = c.str("repository") {
            writeln!(f, "{pad}repository:  {repo}")?;
            if let Some(w) = c.workflow_file() {
                writeln!(f, "{pad}workflow:    {w}")?;
            }
            writeln!(
                f,
                "{pad}environment: {}",
                c.str("environment").unwrap_or("(leave empty)")
            )?;
        } else if let Some(project) = c.str("project_path") {
            writeln!(f, "{pad}project:     {project}")?;
            if let Some(cfg) = c.str("ci_config_ref_uri") {
                let file = cfg.split('@').next().unwrap_or(cfg);
                let file = file.split_once("//").map(|x| x.1).unwrap_or(file);
                writeln!(f, "{pad}config file: {file}")?;
            }
            writeln!(
                f,
                "{pad}environment: {}",
                c.str("environment").unwrap_or("(leave empty)")
            )?;
        }
        Ok(())
    }

    fn write_first_publish(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = url::Url::parse(&self.registry)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| self.registry.clone());
        writeln!(
            f,
            "      1. On your machine, log in to {host} as an owner of the scope/account:\n         \
             npm login --registry {}",
            self.registry
        )?;
        writeln!(
            f,
            "      2. Publish only this package, from this release's tarball (`relay pack --out-dir \
             dist`):\n         npm publish dist/{}-<version>.tgz --registry {} --access public",
            self.package.trim_start_matches('@').replace('/', "-"),
            self.registry
        )?;
        writeln!(
            f,
            "      3. On the package's settings page, add a trusted publisher with:"
        )?;
        self.write_publisher_fields(f, "         ")?;
        writeln!(
            f,
            "      4. `npm logout --registry {}`, then re-run the release; the other packages \
             publish through OIDC as before.",
            self.registry
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(stage: Stage) -> Failure {
        let cause = Failure::initial_cause(&stage, None, "npm:registry.npmjs.org", 0);
        Failure {
            package: "@acme/core".into(),
            registry: "https://registry.npmjs.org/".into(),
            key: Default::default(),
            expected_audience: "npm:registry.npmjs.org".into(),
            stage,
            claims: None,
            cause,
        }
    }

    #[test]
    fn gitlab_without_id_tokens_shows_the_yaml() {
        let f = failure(Stage::IdToken(IdTokenError::NoToken {
            provider: Provider::GitLab,
        }));
        let text = f.to_string();
        assert!(
            text.contains("ID token: GitLab CI provided no ID token"),
            "{text}"
        );
        assert!(
            text.contains(
                "id_tokens:\n        NPM_ID_TOKEN:\n          aud: \"npm:registry.npmjs.org\""
            ),
            "{text}"
        );
    }

    #[test]
    fn html_404_means_no_exchange_endpoint() {
        let f = failure(Stage::Exchange(ExchangeError::Status {
            status: 404,
            message: super::super::NOT_A_REGISTRY_ANSWER.into(),
        }));
        assert_eq!(f.cause, Cause::EndpointDown);
        let f = failure(Stage::Exchange(ExchangeError::Unreachable(
            "refused".into(),
        )));
        assert_eq!(f.cause, Cause::EndpointDown);
        assert!(f.to_string().contains("endpoint is down"));
    }

    #[test]
    fn outside_ci_says_how_to_proceed() {
        let f = failure(Stage::NoProvider { detected: None });
        assert!(f.to_string().contains("use `--auth token`"));
        assert_eq!(f.to_json()["cause"], "not-in-ci");
        assert_eq!(f.to_json()["package"], "@acme/core");
    }
}
