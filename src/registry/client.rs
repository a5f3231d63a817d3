//! The HTTP side: one reqwest client (rustls, keep-alive, HTTP/2 where the server offers it),
//! packument reads, the publish `PUT`, dist-tags, deprecate, whoami — with retries for what is
//! transient and none for what is final.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use url::Url;

use super::npmrc::{Credential, NpmConfig};
use super::otp::{self, OtpState, WebChallenge};
use super::publish_body::PublishBody;

/// Retry and timeout policy (npm's `fetch-*` settings, with shorter defaults: relay re-reads
/// the registry before any resend, so quick retries are safe).
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub retries: usize,
    pub min_delay: Duration,
    pub max_delay: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 5,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            timeout: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Reads `fetch-retries`, `fetch-retry-mintimeout`, `fetch-retry-maxtimeout` and
    /// `fetch-timeout` (milliseconds) from npm config.
    pub fn from_config(cfg: &NpmConfig) -> Self {
        let d = RetryPolicy::default();
        RetryPolicy {
            retries: cfg
                .get_u64("fetch-retries")
                .map_or(d.retries, |v| v as usize),
            min_delay: cfg
                .get_u64("fetch-retry-mintimeout")
                .map_or(d.min_delay, Duration::from_millis),
            max_delay: cfg
                .get_u64("fetch-retry-maxtimeout")
                .map_or(d.max_delay, Duration::from_millis),
            timeout: cfg
                .get_u64("fetch-timeout")
                .filter(|v| *v > 0)
                .map_or(d.timeout, Duration::from_millis),
        }
    }

    fn delays(&self) -> impl Iterator<Item = Duration> + use<> {
        ExponentialBuilder::new()
            .with_jitter()
            .with_factor(2.0)
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.retries)
            .build()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{method} {url}: {status} {message}{hint}")]
    Http {
        method: String,
        url: String,
        status: u16,
        message: String,
        hint: String,
    },
    #[error("{method} {url}: {message} (gave up after {attempts} attempts)")]
    Network {
        method: String,
        url: String,
        message: String,
        attempts: usize,
    },
    #[error(
        "{name}@{version} is already on the registry with integrity {theirs}, but this release's tarball has {ours}; the version was published from different contents — bump the version instead"
    )]
    IntegrityMismatch {
        name: String,
        version: String,
        ours: String,
        theirs: String,
    },
    #[error("{url}: unexpected response: {message}")]
    Decode { url: String, message: String },
    #[error("{method} {url}: {}", otp_advice(*.given, *.web))]
    OtpRequired {
        method: String,
        url: String,
        /// A code was sent (and refused: wrong or expired).
        given: bool,
        /// The registry offered approval in a browser instead of a typed code.
        web: bool,
    },
}

fn otp_advice(given: bool, web: bool) -> String {
    let mut s = if given {
        "the registry refused the one-time password (wrong or expired); rerun with a fresh `--otp <code>`".to_string()
    } else {
        "the registry asks for a one-time password (two-factor authentication) for this write; rerun with `--otp <code>` (or NPM_CONFIG_OTP), or from a terminal to be asked for it".to_string()
    };
    if web {
        s.push_str(" (there relay follows the registry's approval in a browser)");
    }
    s.push_str(
        ". In CI, publish with trusted publishing (OIDC) or a granular access token that bypasses 2FA",
    );
    s
}

impl RegistryError {
    pub fn status(&self) -> Option<u16> {
        match self {
            RegistryError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// What the registry says about one version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VersionInfo {
    pub integrity: Option<String>,
    pub shasum: Option<String>,
}

/// The parts of a packument relay needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Packument {
    pub dist_tags: BTreeMap<String, String>,
    pub versions: BTreeMap<String, VersionInfo>,
}

/// How a publish ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PublishOutcome {
    /// Our `PUT` was accepted.
    Published,
    /// The version was already there with our integrity (an earlier attempt or run did it).
    AlreadyPublished,
}

/// One HTTP client for every registry call of a run.
#[derive(Clone)]
pub struct RegistryClient {
    http: reqwest::Client,
    pub policy: RetryPolicy,
    otp: Arc<OtpState>,
}

enum Attempt {
    Done(u16, Vec<u8>),
    Transient(String, Option<Duration>),
    /// A one-time password is needed: `sent` tells whether this attempt carried one, and of
    /// which generation.
    Otp {
        sent: Option<u64>,
        web: Option<WebChallenge>,
    },
}

/// How many fresh codes one write may ask for before giving up.
const OTP_ROUNDS: usize = 3;
/// How long the registry's web approval may take.
const WEB_OTP_DEADLINE: Duration = Duration::from_secs(300);

/// The server's `Retry-After` (capped at a minute) wins over our own backoff.
fn wait_for(backoff: Duration, retry_after: Option<Duration>) -> Duration {
    retry_after.map_or(backoff, |r| r.min(Duration::from_secs(60)))
}

impl RegistryClient {
    pub fn new(policy: RetryPolicy) -> Result<Self, RegistryError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("relay/", env!("CARGO_PKG_VERSION")))
            .timeout(policy.timeout)
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(64)
            .tcp_nodelay(true)
            // Packuments relay reads are small; compressing them costs the registry more CPU
            // than the bytes saved on the wire.
            .no_gzip()
            .build()
            .map_err(|e| RegistryError::Decode {
                url: String::new(),
                message: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(RegistryClient {
            http,
            policy,
            otp: Arc::new(OtpState::default()),
        })
    }

    /// Every write of this client sends the state's code, and asks it for a new one when the
    /// registry refuses.
    pub fn with_otp(mut self, otp: Arc<OtpState>) -> Self {
        self.otp = otp;
        self
    }

    pub fn otp(&self) -> &OtpState {
        &self.otp
    }

    fn url(registry: &Url, path: &str) -> String {
        format!("{}/{}", registry.as_str().trim_end_matches('/'), path)
    }

    /// Sends one request; classifies the result. 2xx and 404 are `Done`.
    async fn attempt(
        &self,
        method: &Method,
        url: &str,
        auth: Option<&Credential>,
        accept: &str,
        body: Option<&[u8]>,
    ) -> Attempt {
        let mut req = self
            .http
            .request(method.clone(), url)
            .header("accept", accept)
            .header("npm-command", "publish");
        if let Some(c) = auth {
            req = req.header("authorization", c.header());
        }
        // npm sends the code with writes only; reads never need it.
        let mut sent = None;
        if *method != Method::GET
            && let (Some(code), generation) = self.otp.current()
        {
            req = req.header("npm-otp", code.expose());
            sent = Some(generation);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_vec());
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return Attempt::Transient(describe_reqwest(&e), None),
        };
        let status = resp.status();
        let retry_after = retry_after(resp.headers());
        let www_authenticate = resp
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let bytes = match resp.bytes().await {
            Ok(b) => b.to_vec(),
            Err(e) => return Attempt::Transient(describe_reqwest(&e), None),
        };
        let code = status.as_u16();
        if status.is_success() || status == StatusCode::NOT_FOUND {
            return Attempt::Done(code, bytes);
        }
        let message = error_message(&bytes);
        if otp::is_challenge(code, www_authenticate.as_deref(), &message) {
            return Attempt::Otp {
                sent,
                web: otp::web_challenge(&bytes),
            };
        }
        if is_transient_status(code, &message) {
            return Attempt::Transient(format!("{code} {message}"), retry_after);
        }
        // Final errors are returned to the caller to interpret (duplicates, auth).
        Attempt::Done(code, bytes)
    }

    /// Request with retries for transient failures; returns (status, body) of a final answer.
    async fn request(
        &self,
        method: Method,
        url: &str,
        auth: Option<&Credential>,
        accept: &str,
        body: Option<&[u8]>,
    ) -> Result<(u16, Vec<u8>), RegistryError> {
        let mut delays = self.policy.delays();
        let mut attempts = 0;
        let mut otp_rounds = 0;
        loop {
            attempts += 1;
            match self.attempt(&method, url, auth, accept, body).await {
                Attempt::Done(s, b) => return Ok((s, b)),
                Attempt::Otp { sent, web } => {
                    otp_rounds += 1;
                    self.answer_otp(&method, url, auth, sent, web, otp_rounds)
                        .await?;
                }
                Attempt::Transient(msg, retry_after) => match delays.next() {
                    Some(d) => tokio::time::sleep(wait_for(d, retry_after)).await,
                    None => {
                        return Err(RegistryError::Network {
                            method: method.to_string(),
                            url: redact(url),
                            message: msg,
                            attempts,
                        });
                    }
                },
            }
        }
    }

    /// The packument (abbreviated form: versions with `dist`, and `dist-tags`), or `None` if
    /// the package does not exist (or is not visible to this credential).
    pub async fn packument(
        &self,
        registry: &Url,
        name: &str,
        auth: Option<&Credential>,
    ) -> Result<Option<Packument>, RegistryError> {
        let url = Self::url(registry, &escape_name(name));
        let (status, body) = self
            .request(
                Method::GET,
                &url,
                auth,
                "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*",
                None,
            )
            .await?;
        if status == 404 {
            return Ok(None);
        }
        check(status, &body, "GET", &url)?;
        let v: Value = serde_json::from_slice(&body).map_err(|e| RegistryError::Decode {
            url: redact(&url),
            message: e.to_string(),
        })?;
        Ok(Some(parse_packument(&v)))
    }

    /// `GET /-/whoami`: the user name the credential authenticates as.
    pub async fn whoami(
        &self,
        registry: &Url,
        auth: &Credential,
    ) -> Result<Option<String>, RegistryError> {
        let url = Self::url(registry, "-/whoami");
        let (status, body) = self
            .request(Method::GET, &url, Some(auth), "application/json", None)
            .await?;
        if status == 404 {
            return Ok(None);
        }
        check(status, &body, "GET", &url)?;
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Ok(v.get("username").and_then(Value::as_str).map(String::from))
    }

    /// Publishes one version. Before any resend the packument is re-read: if the version is
    /// there with our integrity the publish is done; with another integrity it is an error.
    pub async fn publish(
        &self,
        registry: &Url,
        auth: Option<&Credential>,
        body: &PublishBody,
    ) -> Result<PublishOutcome, RegistryError> {
        let url = Self::url(registry, &escape_name(&body.name));
        let bytes = body.to_json_bytes();
        let mut delays = self.policy.delays();
        let mut attempts = 0;
        let mut otp_rounds = 0;
        // After a refusal for want of a code the version surely is not there: no re-read.
        let mut recheck = false;
        loop {
            if recheck && let Some(o) = self.already_there(registry, auth, body).await? {
                return Ok(o);
            }
            recheck = true;
            attempts += 1;
            let (msg, retry_after) = match self
                .attempt(&Method::PUT, &url, auth, "application/json", Some(&bytes))
                .await
            {
                Attempt::Otp { sent, web } => {
                    otp_rounds += 1;
                    self.answer_otp(&Method::PUT, &url, auth, sent, web, otp_rounds)
                        .await?;
                    recheck = false;
                    continue;
                }
                Attempt::Done(status, resp) if (200..300).contains(&status) => {
                    let _ = resp;
                    return Ok(PublishOutcome::Published);
                }
                Attempt::Done(status, resp) => {
                    let message = error_message(&resp);
                    if is_duplicate(status, &message) {
                        return match self.already_there(registry, auth, body).await? {
                            Some(o) => Ok(o),
                            // The registry says "exists" but we cannot see it yet: read lag.
                            None => match delays.next() {
                                Some(d) => {
                                    tokio::time::sleep(d).await;
                                    continue;
                                }
                                None => Err(http_error("PUT", &url, status, &message)),
                            },
                        };
                    }
                    return Err(http_error("PUT", &url, status, &message));
                }
                Attempt::Transient(m, r) => (m, r),
            };
            match delays.next() {
                Some(d) => tokio::time::sleep(wait_for(d, retry_after)).await,
                None => {
                    if let Some(o) = self.already_there(registry, auth, body).await? {
                        return Ok(o);
                    }
                    return Err(RegistryError::Network {
                        method: "PUT".into(),
                        url: redact(&url),
                        message: msg,
                        attempts,
                    });
                }
            }
        }
    }

    /// Gets a code for a write the registry refused for want of one: from a person (prompt or
    /// web approval) when there is one, else a final error. Writes refused together share one
    /// prompt: whoever comes second finds a newer code and simply resends.
    async fn answer_otp(
        &self,
        method: &Method,
        url: &str,
        auth: Option<&Credential>,
        sent: Option<u64>,
        web: Option<WebChallenge>,
        rounds: usize,
    ) -> Result<(), RegistryError> {
        let refused = |given: bool, web: Option<&WebChallenge>| RegistryError::OtpRequired {
            method: method.to_string(),
            url: redact(url),
            given,
            web: web.is_some(),
        };
        let Some(prompter) = self.otp.prompter.clone() else {
            self.otp.mark_refused();
            return Err(refused(sent.is_some(), web.as_ref()));
        };
        let _turn = self.otp.renewing.lock().await;
        if self.otp.refused() {
            return Err(refused(sent.is_some(), web.as_ref()));
        }
        // Checked first: a request that keeps being refused (one that never carries the code,
        // like a read) must not loop.
        if rounds > OTP_ROUNDS {
            self.otp.mark_refused();
            return Err(refused(sent.is_some(), web.as_ref()));
        }
        if sent.is_none_or(|g| g != self.otp.generation()) && self.otp.current().0.is_some() {
            // Another write already got a newer code (or this one went out without the code
            // that exists now): resend with it.
            return Ok(());
        }
        let code = match &web {
            Some(w) => {
                prompter.show_url(&w.auth_url);
                self.poll_web_otp(w, url, auth).await?
            }
            None => {
                let prompt = if sent.is_some() {
                    "The one-time password was refused or has expired.\nEnter OTP: "
                } else {
                    "This operation requires a one-time password.\nEnter OTP: "
                };
                tokio::task::spawn_blocking(move || prompter.read_code(prompt))
                    .await
                    .ok()
                    .flatten()
            }
        };
        match code.map(|c| c.trim().to_string()).filter(|c| !c.is_empty()) {
            Some(c) => {
                self.otp.replace(c);
                Ok(())
            }
            None => {
                self.otp.mark_refused();
                Err(refused(false, web.as_ref()))
            }
        }
    }

    /// Polls the web flow's `doneUrl` (`202` + `Retry-After` while pending, `200 {"token"}`
    /// once approved, as `npm-profile` does). The credential goes along only to the registry's
    /// own origin.
    async fn poll_web_otp(
        &self,
        w: &WebChallenge,
        request_url: &str,
        auth: Option<&Credential>,
    ) -> Result<Option<String>, RegistryError> {
        let same_origin = |a: &str, b: &str| matches!((Url::parse(a), Url::parse(b)), (Ok(a), Ok(b)) if a.origin() == b.origin());
        let auth = auth.filter(|_| same_origin(&w.done_url, request_url));
        let deadline = Instant::now() + WEB_OTP_DEADLINE;
        loop {
            let mut req = self
                .http
                .get(&w.done_url)
                .header("accept", "application/json");
            if let Some(c) = auth {
                req = req.header("authorization", c.header());
            }
            let resp = req.send().await.map_err(|e| RegistryError::Network {
                method: "GET".into(),
                url: redact(&w.done_url),
                message: describe_reqwest(&e),
                attempts: 1,
            })?;
            let status = resp.status().as_u16();
            let wait = retry_after(resp.headers()).unwrap_or(Duration::from_secs(2));
            let body = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
            match status {
                200 => {
                    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    return Ok(v.get("token").and_then(Value::as_str).map(String::from));
                }
                202 if Instant::now() + wait < deadline => {
                    tokio::time::sleep(wait.min(Duration::from_secs(30))).await;
                }
                202 => return Ok(None),
                _ => {
                    return Err(http_error(
                        "GET",
                        &w.done_url,
                        status,
                        &error_message(&body),
                    ));
                }
            }
        }
    }

    async fn already_there(
        &self,
        registry: &Url,
        auth: Option<&Credential>,
        body: &PublishBody,
    ) -> Result<Option<PublishOutcome>, RegistryError> {
        let Some(p) = self.packument(registry, &body.name, auth).await? else {
            return Ok(None);
        };
        match p.versions.get(&body.version) {
            None => Ok(None),
            Some(info) if info.integrity.as_deref() == Some(body.integrity.as_str()) => {
                Ok(Some(PublishOutcome::AlreadyPublished))
            }
            Some(info) => Err(RegistryError::IntegrityMismatch {
                name: body.name.clone(),
                version: body.version.clone(),
                ours: body.integrity.clone(),
                theirs: info.integrity.clone().unwrap_or_else(|| "(none)".into()),
            }),
        }
    }

    /// `GET /-/package/<name>/dist-tags`.
    pub async fn dist_tags(
        &self,
        registry: &Url,
        name: &str,
        auth: Option<&Credential>,
    ) -> Result<BTreeMap<String, String>, RegistryError> {
        let url = Self::url(
            registry,
            &format!("-/package/{}/dist-tags", escape_name(name)),
        );
        let (status, body) = self
            .request(Method::GET, &url, auth, "application/json", None)
            .await?;
        if status == 404 {
            return Ok(BTreeMap::new());
        }
        check(status, &body, "GET", &url)?;
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Ok(string_map(&v))
    }

    /// `<registry>/-/package/<name>/dist-tags/<tag>`, the URL both tag writes use.
    fn dist_tag_url(registry: &Url, name: &str, tag: &str) -> String {
        Self::url(
            registry,
            &format!(
                "-/package/{}/dist-tags/{}",
                escape_name(name),
                encode_component(tag)
            ),
        )
    }

    /// `PUT /-/package/<name>/dist-tags/<tag>` with the version as a JSON string.
    pub async fn dist_tag_add(
        &self,
        registry: &Url,
        name: &str,
        tag: &str,
        version: &str,
        auth: Option<&Credential>,
    ) -> Result<(), RegistryError> {
        let url = Self::dist_tag_url(registry, name, tag);
        let body = serde_json::to_vec(version).unwrap_or_default();
        let (status, resp) = self
            .request(Method::PUT, &url, auth, "application/json", Some(&body))
            .await?;
        check(status, &resp, "PUT", &url)
    }

    /// `DELETE /-/package/<name>/dist-tags/<tag>`; a tag already gone is fine.
    pub async fn dist_tag_rm(
        &self,
        registry: &Url,
        name: &str,
        tag: &str,
        auth: Option<&Credential>,
    ) -> Result<(), RegistryError> {
        let url = Self::dist_tag_url(registry, name, tag);
        let (status, resp) = self
            .request(Method::DELETE, &url, auth, "application/json", None)
            .await?;
        if status == 404 {
            return Ok(());
        }
        check(status, &resp, "DELETE", &url)
    }

    /// Deprecates every version in `versions` with `message` (`""` un-deprecates): full
    /// document read with `?write=true`, then a `PUT` of the whole document, as npm does.
    pub async fn deprecate(
        &self,
        registry: &Url,
        name: &str,
        versions: &[String],
        message: &str,
        auth: Option<&Credential>,
    ) -> Result<(), RegistryError> {
        let url = Self::url(registry, &escape_name(name));
        let (status, body) = self
            .request(
                Method::GET,
                &format!("{url}?write=true"),
                auth,
                "application/json",
                None,
            )
            .await?;
        check(status, &body, "GET", &url)?;
        let mut doc: Value = serde_json::from_slice(&body).map_err(|e| RegistryError::Decode {
            url: redact(&url),
            message: e.to_string(),
        })?;
        if let Some(vs) = doc.get_mut("versions").and_then(Value::as_object_mut) {
            for v in versions {
                if let Some(m) = vs.get_mut(v).and_then(Value::as_object_mut) {
                    m.insert("deprecated".into(), Value::String(message.into()));
                }
            }
        }
        let bytes = serde_json::to_vec(&doc).unwrap_or_default();
        let (status, resp) = self
            .request(Method::PUT, &url, auth, "application/json", Some(&bytes))
            .await?;
        check(status, &resp, "PUT", &url)
    }
}

/// The URL without any `user:password@` part, for messages, plans and journals.
pub fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// `@scope/name` → `@scope%2fname` (npm-package-arg's escapedName).
pub fn escape_name(name: &str) -> String {
    name.replace('/', "%2f")
}

fn encode_component(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn parse_packument(v: &Value) -> Packument {
    let dist_tags = string_map(v.get("dist-tags").unwrap_or(&Value::Null));
    let mut versions = BTreeMap::new();
    if let Some(vs) = v.get("versions").and_then(Value::as_object) {
        for (ver, m) in vs {
            let dist = m.get("dist");
            versions.insert(
                ver.clone(),
                VersionInfo {
                    integrity: dist
                        .and_then(|d| d.get("integrity"))
                        .and_then(Value::as_str)
                        .map(String::from),
                    shasum: dist
                        .and_then(|d| d.get("shasum"))
                        .and_then(Value::as_str)
                        .map(String::from),
                },
            );
        }
    }
    Packument {
        dist_tags,
        versions,
    }
}

fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn error_message(body: &[u8]) -> String {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    v.get("error")
        .or_else(|| v.get("message"))
        .or_else(|| v.get("reason"))
        .and_then(Value::as_str)
        .map(String::from)
        .unwrap_or_else(|| {
            let s = String::from_utf8_lossy(body);
            s.chars().take(200).collect()
        })
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// 408, 420, 429, 5xx and the packument-save 409 race are transient.
pub fn is_transient_status(status: u16, message: &str) -> bool {
    matches!(status, 408 | 420 | 429)
        || status >= 500
        || (status == 409
            && message
                .to_ascii_lowercase()
                .contains("failed to save packument"))
}

/// "This version exists": npmjs 403 "cannot publish over", Verdaccio 409 "already present",
/// older clients' EPUBLISHCONFLICT.
pub fn is_duplicate(status: u16, message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    (status == 403 && m.contains("cannot publish over"))
        || (status == 409 && (m.contains("already present") || m.contains("cannot publish over")))
}

fn check(status: u16, body: &[u8], method: &str, url: &str) -> Result<(), RegistryError> {
    if (200..300).contains(&status) {
        return Ok(());
    }
    Err(http_error(method, url, status, &error_message(body)))
}

fn http_error(method: &str, url: &str, status: u16, message: &str) -> RegistryError {
    let hint = match status {
        401 => {
            " — the token is missing, invalid or expired; check the registry's `_authToken` in .npmrc"
        }
        402 => {
            " — a scoped package is published as restricted; set `access: public` (publishConfig.access or --access public)"
        }
        403 => {
            " — this credential may not publish this package (permissions, 2FA policy, or token scope)"
        }
        404 if method == "PUT" => {
            " — the package is not visible to this credential (with trusted publishing: the OIDC exchange failed)"
        }
        _ => "",
    };
    RegistryError::Http {
        method: method.into(),
        url: redact(url),
        status,
        message: message.into(),
        hint: hint.into(),
    }
}

fn describe_reqwest(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "network error"
    };
    // Walk the source chain for the root cause (reset, refused); URLs carry no credentials.
    let mut msg = kind.to_string();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = src {
        msg = format!("{kind}: {s}");
        src = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert!(is_transient_status(503, ""));
        assert!(is_transient_status(429, ""));
        assert!(is_transient_status(
            409,
            "Failed to save packument. A common cause is ..."
        ));
        assert!(!is_transient_status(409, "this package is already present"));
        assert!(!is_transient_status(403, "forbidden"));
        assert!(!is_transient_status(401, ""));
        assert!(is_duplicate(
            403,
            "You cannot publish over the previously published versions: 1.0.0."
        ));
        assert!(is_duplicate(409, "this package is already present"));
        assert!(!is_duplicate(403, "forbidden"));
    }

    #[test]
    fn credentials_in_urls_are_redacted() {
        assert_eq!(
            redact("https://u:secret@r.example/a/"),
            "https://r.example/a/"
        );
        assert_eq!(redact("http://127.0.0.1:1/x"), "http://127.0.0.1:1/x");
    }

    #[test]
    fn names_are_escaped_like_npm() {
        assert_eq!(escape_name("@a/b"), "@a%2fb");
        assert_eq!(encode_component("relay-tmp/x"), "relay-tmp%2Fx");
    }
}
