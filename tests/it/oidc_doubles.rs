//! Test doubles for OIDC trusted publishing that follow the real protocols:
//!
//! - [`Issuer`]: an OIDC issuer with a discovery document and a JWKS (ES256, P-256), and a
//!   token endpoint shaped like GitHub's (`ACTIONS_ID_TOKEN_REQUEST_URL` points at it; it checks
//!   the request's Bearer token and answers `{"value": <jwt>}` for the requested `audience`).
//! - [`Gateway`]: the registry's token exchange, in front of a real Verdaccio. It verifies the ID
//!   token's signature (fetching the issuer's JWKS over HTTP), audience, expiry and claims
//!   against a table of trusted publishers, and returns a short-lived token that can publish only
//!   that one package: a `PUT` of that package is forwarded with the real Verdaccio token, any
//!   other write with it is refused. Everything else is forwarded to Verdaccio untouched.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use serde_json::{Value, json};

/// A tokio runtime of its own, so the doubles serve while a sync test waits on `relay`.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn serve(rt: &tokio::runtime::Runtime, app: Router) -> SocketAddr {
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

fn json_response(status: u16, body: Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::to_string)
}

// ---------------------------------------------------------------------------------------------
// Issuer

/// The workflow identity the issuer vouches for (GitHub claim names).
#[derive(Debug, Clone)]
pub struct Identity {
    pub repository: String,
    pub workflow_file: String,
    pub environment: Option<String>,
    pub git_ref: String,
    pub event_name: String,
}

impl Default for Identity {
    fn default() -> Self {
        Identity {
            repository: "octo/monorepo".into(),
            workflow_file: "release.yml".into(),
            environment: Some("npm".into()),
            git_ref: "refs/heads/main".into(),
            event_name: "push".into(),
        }
    }
}

struct IssuerState {
    key: SigningKey,
    kid: String,
    base: String,
    request_token: String,
    identity: Identity,
    /// Seconds an issued token lives (negative: already expired).
    lifetime: i64,
    /// Audiences requested on the token endpoint, in order.
    requested: Vec<String>,
    /// Every token minted (tests grep outputs for them).
    minted: Vec<String>,
}

pub struct Issuer {
    state: Arc<Mutex<IssuerState>>,
    addr: SocketAddr,
}

impl Issuer {
    fn start(rt: &tokio::runtime::Runtime, identity: Identity) -> Issuer {
        let key = SigningKey::random(&mut rand_core::OsRng);
        let request_token = format!("gh-request-{}", hex::encode(rand_bytes()));
        let state = Arc::new(Mutex::new(IssuerState {
            key,
            kid: "test-key-1".into(),
            base: String::new(),
            request_token,
            identity,
            lifetime: 300,
            requested: Vec::new(),
            minted: Vec::new(),
        }));
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/.well-known/jwks", get(jwks))
            .route("/token", get(github_token))
            .with_state(state.clone());
        let addr = serve(rt, app);
        state.lock().unwrap().base = format!("http://{addr}");
        Issuer { state, addr }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ACTIONS_ID_TOKEN_REQUEST_URL` as GitHub sets it (already carrying `api-version`).
    pub fn request_url(&self) -> String {
        format!("{}/token?api-version=2.0", self.base())
    }

    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
    pub fn request_token(&self) -> String {
        self.state.lock().unwrap().request_token.clone()
    }

    pub fn set_lifetime(&self, secs: i64) {
        self.state.lock().unwrap().lifetime = secs;
    }

    pub fn set_identity(&self, identity: Identity) {
        self.state.lock().unwrap().identity = identity;
    }

    pub fn requested_audiences(&self) -> Vec<String> {
        self.state.lock().unwrap().requested.clone()
    }

    /// Mints a signed ID token for `audience` (what GitLab puts in `NPM_ID_TOKEN`).
    pub fn mint(&self, audience: &str, lifetime: i64) -> String {
        let mut st = self.state.lock().unwrap();
        let t = mint(&st, audience, lifetime);
        st.minted.push(t.clone());
        t
    }

    pub fn minted(&self) -> Vec<String> {
        self.state.lock().unwrap().minted.clone()
    }
}

fn rand_bytes() -> [u8; 16] {
    use rand_core::RngCore;
    let mut b = [0u8; 16];
    rand_core::OsRng.fill_bytes(&mut b);
    b
}

fn mint(st: &IssuerState, audience: &str, lifetime: i64) -> String {
    let id = &st.identity;
    let iat = now();
    let workflow_ref = format!(
        "{}/.github/workflows/{}@{}",
        id.repository, id.workflow_file, id.git_ref
    );
    let mut claims = json!({
        "jti": hex::encode(rand_bytes()),
        "sub": format!("repo:{}:ref:{}", id.repository, id.git_ref),
        "aud": audience,
        "ref": id.git_ref,
        "repository": id.repository,
        "repository_owner": id.repository.split('/').next().unwrap_or(""),
        "repository_visibility": "public",
        "event_name": id.event_name,
        "workflow_ref": workflow_ref,
        "job_workflow_ref": workflow_ref,
        "runner_environment": "github-hosted",
        "iss": st.base,
        "nbf": iat - 5,
        "iat": iat,
        "exp": iat + lifetime,
    });
    if let Some(env) = &id.environment {
        claims["environment"] = json!(env);
    }
    let header = json!({"typ": "JWT", "alg": "ES256", "kid": st.kid});
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let sig: Signature = st.key.sign(input.as_bytes());
    format!("{input}.{}", B64.encode(sig.to_bytes()))
}

async fn discovery(State(st): State<Arc<Mutex<IssuerState>>>) -> Response {
    let base = st.lock().unwrap().base.clone();
    json_response(
        200,
        json!({
            "issuer": base,
            "jwks_uri": format!("{base}/.well-known/jwks"),
            "id_token_signing_alg_values_supported": ["ES256"],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
        }),
    )
}

async fn jwks(State(st): State<Arc<Mutex<IssuerState>>>) -> Response {
    let st = st.lock().unwrap();
    let public = p256::PublicKey::from(st.key.verifying_key());
    let mut jwk: Value = serde_json::from_str(&public.to_jwk_string()).unwrap();
    jwk["kid"] = json!(st.kid);
    jwk["alg"] = json!("ES256");
    jwk["use"] = json!("sig");
    json_response(200, json!({ "keys": [jwk] }))
}

async fn github_token(
    State(st): State<Arc<Mutex<IssuerState>>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut st = st.lock().unwrap();
    if bearer(&headers).as_deref() != Some(st.request_token.as_str()) {
        return json_response(401, json!({"message": "Bad credentials"}));
    }
    if q.get("api-version").map(String::as_str) != Some("2.0") {
        return json_response(400, json!({"message": "api-version missing"}));
    }
    let Some(audience) = q.get("audience") else {
        return json_response(400, json!({"message": "audience missing"}));
    };
    st.requested.push(audience.clone());
    let lifetime = st.lifetime;
    let value = mint(&st, audience, lifetime);
    st.minted.push(value.clone());
    json_response(200, json!({ "count": 1, "value": value }))
}

// ---------------------------------------------------------------------------------------------
// Gateway

/// One trusted-publisher configuration (as on a package's settings page).
#[derive(Debug, Clone)]
pub struct Publisher {
    pub repository: String,
    pub workflow_file: String,
    pub environment: Option<String>,
}

impl Publisher {
    pub fn for_identity(id: &Identity) -> Publisher {
        Publisher {
            repository: id.repository.clone(),
            workflow_file: id.workflow_file.clone(),
            environment: id.environment.clone(),
        }
    }
}

struct Issued {
    package: String,
    expires: i64,
}

struct GatewayState {
    issuer: String,
    audience: String,
    upstream: String,
    upstream_token: String,
    publishers: BTreeMap<String, Publisher>,
    /// Lifetime of exchanged tokens, seconds.
    ttl: i64,
    /// Answer every exchange with 503 (the endpoint is down).
    down: bool,
    issued: HashMap<String, Issued>,
    /// Packages whose `PUT` reached Verdaccio, with Verdaccio's status.
    uploads: Vec<(String, u16)>,
    exchanges: Vec<(String, u16)>,
    jwks: Option<Value>,
    http: reqwest::Client,
}

pub struct Gateway {
    state: Arc<Mutex<GatewayState>>,
    addr: SocketAddr,
}

impl Gateway {
    fn start(
        rt: &tokio::runtime::Runtime,
        issuer: &Issuer,
        upstream: &str,
        upstream_token: &str,
    ) -> Gateway {
        let state = Arc::new(Mutex::new(GatewayState {
            issuer: issuer.base(),
            audience: "npm:127.0.0.1".into(),
            upstream: upstream.trim_end_matches('/').to_string(),
            upstream_token: upstream_token.to_string(),
            publishers: BTreeMap::new(),
            ttl: 3600,
            down: false,
            issued: HashMap::new(),
            uploads: Vec::new(),
            exchanges: Vec::new(),
            jwks: None,
            http: reqwest::Client::new(),
        }));
        let app = Router::new()
            .route(
                "/-/npm/v1/oidc/token/exchange/package/{*name}",
                post(exchange),
            )
            .fallback(forward)
            .with_state(state.clone());
        let addr = serve(rt, app);
        Gateway { state, addr }
    }

    /// The registry URL relay is given: `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn trust(&self, package: &str, publisher: Publisher) {
        self.state
            .lock()
            .unwrap()
            .publishers
            .insert(package.to_string(), publisher);
    }

    pub fn set_down(&self, down: bool) {
        self.state.lock().unwrap().down = down;
    }

    pub fn set_ttl(&self, secs: i64) {
        self.state.lock().unwrap().ttl = secs;
    }

    pub fn uploads(&self) -> Vec<(String, u16)> {
        self.state.lock().unwrap().uploads.clone()
    }

    /// (package, HTTP status) of every exchange request, in order.
    pub fn exchanges(&self) -> Vec<(String, u16)> {
        self.state.lock().unwrap().exchanges.clone()
    }

    /// Every publish token handed out (tests grep outputs for them).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.lock().unwrap().issued.keys().cloned().collect()
    }
}

fn not_found() -> Response {
    // The registry does not say which of "no such package", "no trusted publisher" or
    // "claims do not match" it was.
    json_response(
        404,
        json!({"message": "OIDC token exchange error - package not found"}),
    )
}

fn unauthorized() -> Response {
    json_response(
        401,
        json!({"message": "OIDC token exchange error - unauthorized"}),
    )
}

/// Verifies an ES256 JWT against the JWKS and returns its claims.
fn verify(jwt: &str, jwks: &Value) -> Option<Value> {
    let mut parts = jwt.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    let header: Value = serde_json::from_slice(&B64.decode(h).ok()?).ok()?;
    if header["alg"] != "ES256" {
        return None;
    }
    let key = jwks["keys"]
        .as_array()?
        .iter()
        .find(|k| k["kid"] == header["kid"])?;
    let minimal = json!({"kty": key["kty"], "crv": key["crv"], "x": key["x"], "y": key["y"]});
    let public = p256::PublicKey::from_jwk_str(&minimal.to_string()).ok()?;
    let sig = Signature::from_slice(&B64.decode(s).ok()?).ok()?;
    VerifyingKey::from(public)
        .verify(format!("{h}.{p}").as_bytes(), &sig)
        .ok()?;
    serde_json::from_slice(&B64.decode(p).ok()?).ok()
}

async fn fetch_jwks(http: &reqwest::Client, issuer: &str) -> Option<Value> {
    let disc: Value = http
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    http.get(disc["jwks_uri"].as_str()?)
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()
}

fn decode_name(raw: &str) -> String {
    raw.replace("%2f", "/")
        .replace("%2F", "/")
        .replace("%40", "@")
}

async fn exchange(
    State(st): State<Arc<Mutex<GatewayState>>>,
    axum::extract::Path(raw): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    let package = decode_name(&raw);
    let resp = exchange_inner(&st, &package, &headers).await;
    st.lock()
        .unwrap()
        .exchanges
        .push((package, resp.status().as_u16()));
    resp
}

async fn exchange_inner(
    st: &Arc<Mutex<GatewayState>>,
    package: &str,
    headers: &HeaderMap,
) -> Response {
    let (down, http, issuer, cached, upstream) = {
        let s = st.lock().unwrap();
        (
            s.down,
            s.http.clone(),
            s.issuer.clone(),
            s.jwks.clone(),
            s.upstream.clone(),
        )
    };
    if down {
        return json_response(503, json!({"message": "Service Unavailable"}));
    }
    let Some(id_token) = bearer(headers) else {
        return unauthorized();
    };
    let jwks = match cached {
        Some(j) => j,
        None => match fetch_jwks(&http, &issuer).await {
            Some(j) => {
                st.lock().unwrap().jwks = Some(j.clone());
                j
            }
            None => return json_response(500, json!({"message": "cannot fetch JWKS"})),
        },
    };
    let Some(claims) = verify(&id_token, &jwks) else {
        return unauthorized();
    };
    let (audience, publisher, ttl) = {
        let s = st.lock().unwrap();
        (
            s.audience.clone(),
            s.publishers.get(package).cloned(),
            s.ttl,
        )
    };
    if claims["iss"] != issuer.as_str() || claims["aud"] != audience.as_str() {
        return unauthorized();
    }
    if claims["exp"].as_i64().unwrap_or(0) <= now() {
        return unauthorized();
    }
    // A trusted publisher exists only on a package that exists.
    let exists = http
        .get(format!("{upstream}/{}", package.replace('/', "%2f")))
        .send()
        .await
        .map(|r| r.status().is_success())
        .unwrap_or(false);
    let Some(p) = publisher.filter(|_| exists) else {
        return not_found();
    };
    let workflow_ok = claims["job_workflow_ref"]
        .as_str()
        .and_then(|r| r.split('@').next())
        .is_some_and(|path| {
            path == format!("{}/.github/workflows/{}", p.repository, p.workflow_file)
        });
    let env_ok = match &p.environment {
        None => true,
        Some(e) => claims["environment"].as_str() == Some(e.as_str()),
    };
    if claims["repository"] != p.repository.as_str() || !workflow_ok || !env_ok {
        return not_found();
    }
    let token = format!("gwoidc_{}", hex::encode(rand_bytes()));
    let expires = now() + ttl;
    st.lock().unwrap().issued.insert(
        token.clone(),
        Issued {
            package: package.to_string(),
            expires,
        },
    );
    let fmt = |t: i64| {
        time::OffsetDateTime::from_unix_timestamp(t)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    json_response(
        201,
        json!({"token_type": "oidc", "token": token, "created": fmt(now()), "expires": fmt(expires)}),
    )
}

async fn forward(State(st): State<Arc<Mutex<GatewayState>>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, 64 * 1024 * 1024).await {
        Ok(b) => b,
        Err(_) => return json_response(400, json!({"error": "body too large"})),
    };
    let path_q = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let (http, upstream, upstream_token, grant) = {
        let s = st.lock().unwrap();
        let grant = bearer(&parts.headers).and_then(|t| {
            s.issued
                .get(&t)
                .map(|i| (i.package.clone(), i.expires > now()))
        });
        (
            s.http.clone(),
            s.upstream.clone(),
            s.upstream_token.clone(),
            grant,
        )
    };
    let is_publish_of = |pkg: &str| {
        parts.method == Method::PUT && decode_name(parts.uri.path().trim_start_matches('/')) == pkg
    };
    let mut auth: Option<String> = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut publishing = None;
    if let Some((pkg, valid)) = grant {
        if !valid {
            return json_response(401, json!({"error": "OIDC token expired"}));
        }
        if is_publish_of(&pkg) {
            auth = Some(format!("Bearer {upstream_token}"));
            publishing = Some(pkg);
        } else if parts.method == Method::GET || parts.method == Method::HEAD {
            // Reads need no auth here; the publish token is not passed on.
            auth = None;
        } else {
            return json_response(
                403,
                json!({"error": format!("this OIDC token can only publish {pkg}")}),
            );
        }
    }
    let mut rb = http.request(parts.method.clone(), format!("{upstream}{path_q}"));
    for (k, v) in parts.headers.iter() {
        let name = k.as_str();
        if matches!(
            name,
            "host" | "authorization" | "content-length" | "connection" | "transfer-encoding"
        ) {
            continue;
        }
        rb = rb.header(k, v);
    }
    if let Some(a) = auth {
        rb = rb.header("authorization", a);
    }
    let up = match rb.body(body.to_vec()).send().await {
        Ok(r) => r,
        Err(e) => return json_response(502, json!({"error": format!("upstream: {e}")})),
    };
    let status = up.status().as_u16();
    if let Some(pkg) = publishing {
        st.lock().unwrap().uploads.push((pkg, status));
    }
    let mut builder = Response::builder().status(status);
    for (k, v) in up.headers().iter() {
        if matches!(
            k.as_str(),
            "content-length" | "transfer-encoding" | "connection" | "content-encoding"
        ) {
            continue;
        }
        builder = builder.header(k, v);
    }
    let bytes = up.bytes().await.unwrap_or_default();
    builder.body(Body::from(bytes)).unwrap()
}

// ---------------------------------------------------------------------------------------------

/// An issuer and a gateway in front of `upstream` (a Verdaccio URL with its token), with the
/// runtime serving them. Dropping it stops both.
pub struct OidcWorld {
    pub issuer: Issuer,
    pub gateway: Gateway,
    rt: Option<tokio::runtime::Runtime>,
}

impl OidcWorld {
    pub fn start(upstream: &str, upstream_token: &str) -> OidcWorld {
        let rt = runtime();
        let issuer = Issuer::start(&rt, Identity::default());
        let gateway = Gateway::start(&rt, &issuer, upstream, upstream_token);
        OidcWorld {
            issuer,
            gateway,
            rt: Some(rt),
        }
    }

    /// The environment of a GitHub Actions job with `id-token: write`.
    pub fn github_env(&self) -> Vec<(String, String)> {
        vec![
            ("CI".into(), "true".into()),
            ("GITHUB_ACTIONS".into(), "true".into()),
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL".into(),
                self.issuer.request_url(),
            ),
            (
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN".into(),
                self.issuer.request_token(),
            ),
        ]
    }
}

impl Drop for OidcWorld {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The doubles themselves are tested against a stub upstream, so a broken double cannot make the
// relay tests pass.

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal upstream: `GET /<pkg>` is 200 for `@t/exists`, 404 otherwise; `PUT` records the
    /// Authorization header it got.
    fn stub_upstream(rt: &tokio::runtime::Runtime) -> (String, Arc<Mutex<Vec<String>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        let app = Router::new().fallback(move |req: Request| {
            let seen = s2.clone();
            async move {
                let auth = req
                    .headers()
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default();
                let path = req.uri().path().to_string();
                if req.method() == Method::PUT {
                    seen.lock().unwrap().push(format!("PUT {path} {auth}"));
                    return json_response(201, json!({"ok": "created"}));
                }
                if path == "/@t%2fexists" {
                    json_response(200, json!({"name": "@t/exists"}))
                } else {
                    json_response(404, json!({"error": "not found"}))
                }
            }
        });
        let addr = serve(rt, app);
        (format!("http://{addr}"), seen)
    }

    fn post_exchange(
        rt: &tokio::runtime::Runtime,
        gw: &Gateway,
        pkg: &str,
        tok: &str,
    ) -> (u16, Value) {
        rt.block_on(async {
            let r = reqwest::Client::new()
                .post(format!(
                    "{}-/npm/v1/oidc/token/exchange/package/{}",
                    gw.url(),
                    pkg.replace('/', "%2f")
                ))
                .header("authorization", format!("Bearer {tok}"))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
        })
    }

    #[test]
    fn issuer_and_gateway_follow_the_protocol() {
        let rt = runtime();
        let (up, seen) = stub_upstream(&rt);
        let issuer = Issuer::start(&rt, Identity::default());
        let gw = Gateway::start(&rt, &issuer, &up, "real-upstream-token");
        gw.trust("@t/exists", Publisher::for_identity(&Identity::default()));
        gw.trust("@t/missing", Publisher::for_identity(&Identity::default()));

        // GitHub-shaped token endpoint: needs the request token, echoes the audience.
        let get = |auth: &str| {
            rt.block_on(async {
                let r = reqwest::Client::new()
                    .get(format!("{}&audience=npm%3A127.0.0.1", issuer.request_url()))
                    .header("authorization", format!("Bearer {auth}"))
                    .send()
                    .await
                    .unwrap();
                (r.status().as_u16(), r.json::<Value>().await.unwrap())
            })
        };
        assert_eq!(get("wrong").0, 401);
        let (status, body) = get(&issuer.request_token());
        assert_eq!(status, 200);
        let id = body["value"].as_str().unwrap().to_string();
        assert_eq!(issuer.requested_audiences(), vec!["npm:127.0.0.1"]);

        // A valid token for an existing, trusted package is exchanged.
        let (status, body) = post_exchange(&rt, &gw, "@t/exists", &id);
        assert_eq!(status, 201, "{body}");
        let publish_token = body["token"].as_str().unwrap().to_string();
        // A package that does not exist cannot be exchanged for.
        assert_eq!(post_exchange(&rt, &gw, "@t/missing", &id).0, 404);
        // A tampered signature, a wrong audience and an expired token are refused.
        let mut bad = id.clone();
        bad.pop();
        bad.push(if id.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(post_exchange(&rt, &gw, "@t/exists", &bad).0, 401);
        let wrong_aud = issuer.mint("npm:registry.npmjs.org", 300);
        assert_eq!(post_exchange(&rt, &gw, "@t/exists", &wrong_aud).0, 401);
        let expired = issuer.mint("npm:127.0.0.1", -10);
        assert_eq!(post_exchange(&rt, &gw, "@t/exists", &expired).0, 401);
        // Another workflow of the same repository does not match the publisher.
        issuer.set_identity(Identity {
            workflow_file: "other.yml".into(),
            ..Identity::default()
        });
        let other = issuer.mint("npm:127.0.0.1", 300);
        assert_eq!(post_exchange(&rt, &gw, "@t/exists", &other).0, 404);

        // The publish token publishes that package (mapped to the real token) and nothing else.
        let put = |path: &str| {
            rt.block_on(async {
                reqwest::Client::new()
                    .put(format!("{}{path}", gw.url()))
                    .header("authorization", format!("Bearer {publish_token}"))
                    .body("{}")
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        };
        assert_eq!(put("@t%2fexists"), 201);
        assert_eq!(put("@t%2fother"), 403);
        assert_eq!(put("-/package/@t%2fexists/dist-tags/latest"), 403);
        assert_eq!(
            *seen.lock().unwrap(),
            vec!["PUT /@t%2fexists Bearer real-upstream-token".to_string()]
        );
        assert_eq!(gw.uploads(), vec![("@t/exists".to_string(), 201)]);

        gw.set_down(true);
        assert_eq!(post_exchange(&rt, &gw, "@t/exists", &id).0, 503);
        rt.shutdown_timeout(Duration::from_secs(1));
    }
}
