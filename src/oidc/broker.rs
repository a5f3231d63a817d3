//! Per-package publish tokens for a release: the preflight that exchanges for every package
//! before anything is uploaded, the `auto|oidc|token` decision, and re-exchange on expiry.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use time::{Duration, OffsetDateTime};

use super::ci::{self, CiEnv, Provider};
use super::claims::Claims;
use super::diagnose::{Cause, Failure, Stage};
use super::exchange::{self, ExchangeError};
use super::{AuthMode, OidcSettings, is_placeholder_token};
use crate::secret::Secret;

/// One package to publish and the registry it goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub package: String,
    pub registry: url::Url,
}

impl Target {
    pub fn new(package: impl Into<String>, registry: url::Url) -> Self {
        Target {
            package: package.into(),
            registry,
        }
    }
}

pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// Tokens this close to expiry are exchanged again before use.
const REFRESH_MARGIN: Duration = Duration::minutes(5);
/// When the registry does not say when a token expires (npm's last about an hour).
const ASSUMED_LIFETIME: Duration = Duration::minutes(30);
/// An ID token this close to its `exp` is requested again (GitHub) before an exchange.
const ID_TOKEN_MARGIN: Duration = Duration::seconds(60);

struct Held {
    token: Secret,
    refresh_at: OffsetDateTime,
}

/// Gets ID tokens and exchanges them, keeping one publish token per (package, registry).
pub struct Broker {
    http: reqwest::Client,
    env: CiEnv,
    settings: OidcSettings,
    clock: Clock,
    /// Held across the request, so concurrent exchanges share one ID token per audience.
    id_tokens: tokio::sync::Mutex<HashMap<String, Secret>>,
    held: Mutex<HashMap<(String, String), Held>>,
    exchanges: std::sync::atomic::AtomicUsize,
}

impl Broker {
    pub fn new(http: reqwest::Client, env: CiEnv, settings: OidcSettings) -> Self {
        Broker {
            http,
            env,
            settings,
            clock: Arc::new(OffsetDateTime::now_utc),
            id_tokens: tokio::sync::Mutex::new(HashMap::new()),
            held: Mutex::new(HashMap::new()),
            exchanges: Default::default(),
        }
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn settings(&self) -> &OidcSettings {
        &self.settings
    }

    /// The CI provider OIDC will use, if any.
    pub fn provider(&self) -> Option<Provider> {
        self.env.provider(self.settings.buildkite)
    }

    /// How many exchanges were made (re-exchanges included).
    pub fn exchange_count(&self) -> usize {
        self.exchanges.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn now(&self) -> OffsetDateTime {
        (self.clock)()
    }

    async fn id_token(&self, audience: &str) -> Result<Secret, Stage> {
        let Some(provider) = self.provider() else {
            return Err(Stage::NoProvider {
                detected: self.env.detected(),
            });
        };
        let mut ids = self.id_tokens.lock().await;
        if let Some(tok) = ids.get(audience) {
            let fresh = Claims::decode(tok.expose())
                .and_then(|c| c.expires_at())
                .is_none_or(|exp| exp > (self.now() + ID_TOKEN_MARGIN).unix_timestamp());
            if fresh {
                return Ok(tok.clone());
            }
        }
        let tok = ci::request_id_token(&self.http, &self.env, provider, audience)
            .await
            .map_err(Stage::IdToken)?;
        ids.insert(audience.to_string(), tok.clone());
        Ok(tok)
    }

    fn lock_held(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Held>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Exchanges now, whatever is held, and keeps the result.
    async fn exchange_now(&self, target: &Target) -> Result<Secret, Failure> {
        let audience = ci::audience_for(&target.registry);
        let fail = |stage: Stage, claims: Option<Claims>, now: i64| {
            let cause = Failure::initial_cause(&stage, claims.as_ref(), &audience, now);
            Failure {
                package: target.package.clone(),
                registry: crate::registry::redact(target.registry.as_str()),
                key: key(target),
                expected_audience: audience.clone(),
                stage,
                claims,
                cause,
            }
        };
        let id = match self.id_token(&audience).await {
            Ok(id) => id,
            Err(stage) => return Err(fail(stage, None, self.now().unix_timestamp())),
        };
        let claims = Claims::decode(id.expose());
        self.exchanges
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match exchange::exchange(&self.http, &target.registry, &target.package, &id).await {
            Ok(ex) => {
                let now = self.now();
                let refresh_at = ex.expires.unwrap_or(now + ASSUMED_LIFETIME) - REFRESH_MARGIN;
                self.lock_held().insert(
                    key(target),
                    Held {
                        token: ex.token.clone(),
                        refresh_at,
                    },
                );
                Ok(ex.token)
            }
            Err(e) => Err(fail(
                Stage::Exchange(e),
                claims,
                self.now().unix_timestamp(),
            )),
        }
    }

    /// The publish token for one package: the one held, or a fresh exchange when none is held
    /// or it expires within five minutes (a long release outliving its tokens does not fail).
    pub async fn token_for(&self, target: &Target) -> Result<Secret, Failure> {
        let now = self.now();
        if let Some(h) = self.lock_held().get(&key(target))
            && h.refresh_at > now
        {
            return Ok(h.token.clone());
        }
        self.exchange_now(target).await
    }

    /// Exchanges for every target (before anything is uploaded). Returns the failures, with
    /// their causes refined across packages: a 404 for a package that does not exist is a new
    /// package; a 404 while others succeeded is a missing trusted publisher; 404s everywhere are
    /// a configuration mismatch.
    pub async fn preflight(&self, targets: &[Target]) -> Vec<Failure> {
        let results = futures::future::join_all(targets.iter().map(|t| self.exchange_now(t))).await;
        let mut ok_registries = std::collections::HashSet::new();
        let mut failures = Vec::new();
        for (t, r) in targets.iter().zip(results) {
            match r {
                Ok(_) => {
                    ok_registries.insert(t.registry.to_string());
                }
                Err(f) => failures.push(f),
            }
        }
        for f in &mut failures {
            if f.cause != Cause::PublisherMismatch {
                continue;
            }
            let target = targets.iter().find(|t| key(t) == f.key);
            if let Some(t) = target
                && self.package_missing(t).await
            {
                f.cause = Cause::NewPackage;
            } else if ok_registries.contains(&f.key.1) {
                f.cause = Cause::NoTrustedPublisher;
            }
        }
        failures
    }

    /// Whether the registry says the package does not exist (its packument is a 404).
    async fn package_missing(&self, t: &Target) -> bool {
        let mut base = t.registry.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let Ok(url) = base.join(&exchange::escaped_name(&t.package)) else {
            return false;
        };
        match self
            .http
            .get(url)
            .header("accept", "application/vnd.npm.install-v1+json")
            .send()
            .await
        {
            Ok(r) => r.status() == reqwest::StatusCode::NOT_FOUND,
            Err(_) => false,
        }
    }
}

fn key(t: &Target) -> (String, String) {
    (t.package.clone(), t.registry.to_string())
}

/// How one package is authenticated, for the publish summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    Oidc,
    Token,
    /// No credential at all (the registry will decide; e.g. a local registry without auth).
    None,
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthMethod::Oidc => "oidc",
            AuthMethod::Token => "token",
            AuthMethod::None => "none",
        })
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PackageAuth {
    pub package: String,
    /// The registry URL as shown (any `user:password@` removed).
    pub registry: String,
    /// The full registry URL, to match a request to its entry; never shown.
    #[serde(skip)]
    registry_key: String,
    pub method: AuthMethod,
    /// Why this method (e.g. "OIDC exchange failed: …; using the configured token").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The outcome of the auth preflight: per package, OIDC or the configured token.
pub struct AuthPlan {
    broker: Arc<Broker>,
    entries: Vec<PackageAuth>,
}

impl fmt::Debug for AuthPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthPlan")
            .field("entries", &self.entries)
            .finish_non_exhaustive()
    }
}

/// The preflight failed: nothing may be uploaded.
#[derive(Debug)]
pub struct PreflightError {
    pub mode: AuthMode,
    pub total: usize,
    pub failures: Vec<Failure>,
}

impl fmt::Display for PreflightError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "OIDC trusted publishing failed for {} of {} package(s) (--auth {}); nothing was \
             uploaded.",
            self.failures.len(),
            self.total,
            self.mode
        )?;
        for fl in &self.failures {
            writeln!(f)?;
            write!(f, "{fl}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PreflightError {}

impl AuthPlan {
    /// Decides the auth of every target. `configured` gives the credential configured for a
    /// target (`.npmrc`, `NODE_AUTH_TOKEN`), only to know whether one exists: empty and
    /// placeholder values count as none, so they never take the place of OIDC.
    pub async fn resolve(
        broker: Arc<Broker>,
        targets: &[Target],
        configured: impl Fn(&Target) -> Option<Secret>,
    ) -> Result<AuthPlan, PreflightError> {
        let mode = broker.settings.mode;
        let with_token: std::collections::HashSet<(String, String)> = targets
            .iter()
            .filter(|t| configured(t).is_some_and(|s| !is_placeholder_token(&s)))
            .map(key)
            .collect();
        let has_token = |t: &Target| with_token.contains(&key(t));
        let token_method = |t: &Target| {
            if has_token(t) {
                AuthMethod::Token
            } else {
                AuthMethod::None
            }
        };
        let entry = |t: &Target, method, note: Option<String>| PackageAuth {
            package: t.package.clone(),
            registry: crate::registry::redact(t.registry.as_str()),
            registry_key: t.registry.to_string(),
            method,
            note,
        };
        let entries = match mode {
            AuthMode::Token => targets
                .iter()
                .map(|t| entry(t, token_method(t), None))
                .collect(),
            AuthMode::Auto if broker.provider().is_none() => {
                let note = match broker.env.detected() {
                    Some(Provider::Buildkite) => {
                        Some("Buildkite OIDC is not enabled ([oidc] buildkite)".to_string())
                    }
                    _ => None,
                };
                targets
                    .iter()
                    .map(|t| entry(t, token_method(t), note.clone()))
                    .collect()
            }
            AuthMode::Auto | AuthMode::Oidc => {
                let failures = broker.preflight(targets).await;
                let mut entries = Vec::new();
                let mut fatal = Vec::new();
                let mut failed: HashMap<(String, String), Failure> =
                    failures.into_iter().map(|f| (f.key.clone(), f)).collect();
                for t in targets {
                    match failed.remove(&key(t)) {
                        None => entries.push(entry(t, AuthMethod::Oidc, None)),
                        Some(f) if mode == AuthMode::Auto && has_token(t) => {
                            let why = match &f.stage {
                                Stage::Exchange(ExchangeError::Status { status, message }) => {
                                    format!("HTTP {status}: {message}")
                                }
                                Stage::Exchange(e) => e.to_string(),
                                Stage::IdToken(e) => e.to_string(),
                                Stage::NoProvider { .. } => "no CI identity".into(),
                            };
                            entries.push(entry(
                                t,
                                AuthMethod::Token,
                                Some(format!(
                                    "OIDC exchange failed ({why}); using the configured token"
                                )),
                            ));
                        }
                        Some(f) => fatal.push(f),
                    }
                }
                if !fatal.is_empty() {
                    return Err(PreflightError {
                        mode,
                        total: targets.len(),
                        failures: fatal,
                    });
                }
                entries
            }
        };
        Ok(AuthPlan { broker, entries })
    }

    pub fn entries(&self) -> &[PackageAuth] {
        &self.entries
    }

    pub fn method_of(&self, package: &str, registry: &url::Url) -> Option<AuthMethod> {
        self.entries
            .iter()
            .find(|e| e.package == package && e.registry_key == registry.as_str())
            .map(|e| e.method)
    }

    /// Why the package uses what it uses, when that needs saying (e.g. an OIDC fallback).
    pub fn note_of(&self, package: &str, registry: &url::Url) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.package == package && e.registry_key == registry.as_str())
            .and_then(|e| e.note.as_deref())
    }

    /// The OIDC publish token for `package` (exchanged again if it is about to expire), or
    /// `None` when the package publishes with its configured credential.
    pub async fn oidc_token(
        &self,
        package: &str,
        registry: &url::Url,
    ) -> Result<Option<Secret>, Failure> {
        match self.method_of(package, registry) {
            Some(AuthMethod::Oidc) => self
                .broker
                .token_for(&Target::new(package, registry.clone()))
                .await
                .map(Some),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn jwt(aud: &str, exp: i64) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let payload = serde_json::json!({
            "aud": aud, "exp": exp, "repository": "octo/relay",
            "workflow_ref": "octo/relay/.github/workflows/release.yml@refs/heads/main",
            "ref": "refs/heads/main", "event_name": "push"
        });
        format!(
            "{}.{}.c2ln",
            e.encode(r#"{"alg":"ES256"}"#),
            e.encode(payload.to_string())
        )
    }

    async fn registry() -> (MockServer, url::Url) {
        let s = MockServer::start().await;
        let u = url::Url::parse(&format!("{}/", s.uri())).unwrap();
        (s, u)
    }

    fn env_with(token: &str) -> CiEnv {
        CiEnv::from_pairs([("GITLAB_CI", "true"), ("NPM_ID_TOKEN", token)])
    }

    fn broker(env: CiEnv, mode: AuthMode) -> Broker {
        Broker::new(
            reqwest::Client::new(),
            env,
            OidcSettings {
                mode,
                buildkite: false,
            },
        )
    }

    async fn exchange_ok(s: &MockServer, pkg_path: &str, expires: &str) {
        Mock::given(method("POST"))
            .and(path(format!(
                "/-/npm/v1/oidc/token/exchange/package/{pkg_path}"
            )))
            .respond_with(ResponseTemplate::new(201).set_body_string(format!(
                r#"{{"token_type":"oidc","token":"npm_{pkg_path}","expires":"{expires}"}}"#
            )))
            .mount(s)
            .await;
    }

    async fn exchange_404(s: &MockServer, pkg_path: &str) {
        Mock::given(method("POST"))
            .and(path(format!(
                "/-/npm/v1/oidc/token/exchange/package/{pkg_path}"
            )))
            .respond_with(
                ResponseTemplate::new(404).set_body_string(
                    r#"{"message":"OIDC token exchange error - package not found"}"#,
                ),
            )
            .mount(s)
            .await;
    }

    #[tokio::test]
    async fn refines_404s_across_packages() {
        let (s, reg) = registry().await;
        let aud = ci::audience_for(&reg);
        exchange_ok(&s, "@a%2fok", "2099-01-01T00:00:00Z").await;
        exchange_404(&s, "@a%2fnopub").await;
        exchange_404(&s, "@a%2fnew").await;
        // The packument of the unconfigured package exists; the new one's does not.
        Mock::given(method("GET"))
            .and(path("/@a%2fnopub"))
            .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
            .mount(&s)
            .await;
        let b = broker(env_with(&jwt(&aud, 4102444800)), AuthMode::Oidc);
        let targets: Vec<_> = ["@a/ok", "@a/nopub", "@a/new"]
            .iter()
            .map(|p| Target::new(*p, reg.clone()))
            .collect();
        let err = AuthPlan::resolve(Arc::new(b), &targets, |_| None)
            .await
            .unwrap_err();
        assert_eq!(err.failures.len(), 2);
        assert_eq!(err.failures[0].package, "@a/nopub");
        assert_eq!(err.failures[0].cause, Cause::NoTrustedPublisher);
        assert_eq!(err.failures[1].cause, Cause::NewPackage);
        let text = err.to_string();
        assert!(text.contains("failed for 2 of 3 package(s)"), "{text}");
        assert!(text.contains("npm cannot create a package through trusted publishing"));
        assert!(text.contains("npm login --registry"));
        assert!(text.contains("repository:  octo/relay"));
        assert!(text.contains("workflow:    release.yml"));
        assert!(!text.contains(&jwt(&aud, 4102444800)));
    }

    #[tokio::test]
    async fn credentials_in_the_registry_url_are_never_shown() {
        let (s, reg) = registry().await;
        exchange_404(&s, "x").await;
        let mut with_creds = reg.clone();
        with_creds.set_username("user").unwrap();
        with_creds.set_password(Some("hunter2")).unwrap();
        let b = broker(env_with(&jwt("npm:127.0.0.1", 4102444800)), AuthMode::Oidc);
        let f = b.preflight(&[Target::new("x", with_creds)]).await;
        let text = f[0].to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!f[0].to_json().to_string().contains("hunter2"));
    }

    #[tokio::test]
    async fn all_404_is_a_mismatch() {
        let (s, reg) = registry().await;
        let aud = ci::audience_for(&reg);
        exchange_404(&s, "x").await;
        Mock::given(method("GET"))
            .and(path("/x"))
            .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
            .mount(&s)
            .await;
        let b = broker(env_with(&jwt(&aud, 4102444800)), AuthMode::Oidc);
        let f = b.preflight(&[Target::new("x", reg)]).await;
        assert_eq!(f[0].cause, Cause::PublisherMismatch);
    }

    #[tokio::test]
    async fn wrong_audience_and_expiry_are_named() {
        let (s, reg) = registry().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(401)
                    .set_body_string(r#"{"message":"OIDC token exchange error - unauthorized"}"#),
            )
            .mount(&s)
            .await;
        let b = broker(env_with(&jwt("npm:elsewhere", 4102444800)), AuthMode::Oidc);
        let f = b.preflight(&[Target::new("x", reg.clone())]).await;
        assert!(matches!(f[0].cause, Cause::WrongAudience { .. }));
        assert_eq!(f[0].http_status(), Some(401));
        let aud = ci::audience_for(&reg);
        let b = broker(env_with(&jwt(&aud, 1000)), AuthMode::Oidc);
        let f = b.preflight(&[Target::new("x", reg)]).await;
        assert_eq!(f[0].cause, Cause::Expired { exp: 1000 });
        assert!(f[0].to_string().contains("expired at 1970-01-01T00:16:40Z"));
    }

    #[tokio::test]
    async fn re_exchanges_near_expiry() {
        let (s, reg) = registry().await;
        let aud = ci::audience_for(&reg);
        exchange_ok(&s, "p", "2030-01-01T01:00:00Z").await;
        let now = Arc::new(Mutex::new(
            exchange::parse_rfc3339("2030-01-01T00:00:00Z").unwrap(),
        ));
        let n2 = now.clone();
        let b = broker(env_with(&jwt(&aud, 4102444800)), AuthMode::Oidc)
            .with_clock(Arc::new(move || *n2.lock().unwrap()));
        let t = Target::new("p", reg);
        assert!(b.preflight(std::slice::from_ref(&t)).await.is_empty());
        b.token_for(&t).await.unwrap();
        assert_eq!(b.exchange_count(), 1, "a fresh token is reused");
        *now.lock().unwrap() = exchange::parse_rfc3339("2030-01-01T00:57:00Z").unwrap();
        let tok = b.token_for(&t).await.unwrap();
        assert_eq!(tok.expose(), "npm_p");
        assert_eq!(
            b.exchange_count(),
            2,
            "a token expiring within 5 min is exchanged again"
        );
    }

    #[tokio::test]
    async fn auto_falls_back_to_a_real_token_only() {
        let (s, reg) = registry().await;
        let aud = ci::audience_for(&reg);
        exchange_404(&s, "p").await;
        let targets = [Target::new("p", reg.clone())];
        // A placeholder token never stands in: the OIDC failure is reported.
        let b = Arc::new(broker(env_with(&jwt(&aud, 4102444800)), AuthMode::Auto));
        let err = AuthPlan::resolve(b, &targets, |_| Some(Secret::new("XXXXX-XXXXX-XXXXX")))
            .await
            .unwrap_err();
        assert_eq!(err.failures.len(), 1);
        // A real token is used, and the summary says why.
        let b = Arc::new(broker(env_with(&jwt(&aud, 4102444800)), AuthMode::Auto));
        let plan = AuthPlan::resolve(b, &targets, |_| Some(Secret::new("npm_real")))
            .await
            .unwrap();
        assert_eq!(plan.entries()[0].method, AuthMethod::Token);
        assert!(
            plan.entries()[0]
                .note
                .as_deref()
                .unwrap()
                .contains("HTTP 404")
        );
        assert!(plan.oidc_token("p", &reg).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn oidc_mode_outside_ci_fails_and_token_mode_never_exchanges() {
        let (s, reg) = registry().await;
        let targets = [Target::new("p", reg.clone())];
        let b = Arc::new(broker(CiEnv::default(), AuthMode::Oidc));
        let err = AuthPlan::resolve(b, &targets, |_| Some(Secret::new("npm_real")))
            .await
            .unwrap_err();
        assert!(matches!(err.failures[0].cause, Cause::NotInCi { .. }));
        let aud = ci::audience_for(&reg);
        let b = Arc::new(broker(env_with(&jwt(&aud, 4102444800)), AuthMode::Token));
        let plan = AuthPlan::resolve(b.clone(), &targets, |_| Some(Secret::new("npm_real")))
            .await
            .unwrap();
        assert_eq!(plan.entries()[0].method, AuthMethod::Token);
        assert_eq!(b.exchange_count(), 0);
        assert!(s.received_requests().await.unwrap().is_empty());
    }
}
