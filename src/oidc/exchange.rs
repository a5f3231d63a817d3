//! The registry's token exchange: an ID token in, a short-lived publish token for one package out.
//!
//! `POST <registry origin>/-/npm/v1/oidc/token/exchange/package/<escaped name>` with
//! `authorization: Bearer <ID token>` and no body; `201 {"token": …, "expires": …}`.

use serde::Deserialize;
use time::OffsetDateTime;

use crate::secret::Secret;

/// A publish token for one package, with its expiry when the registry said.
#[derive(Debug, Clone)]
pub struct Exchanged {
    pub token: Secret,
    pub expires: Option<OffsetDateTime>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    #[error("the exchange endpoint could not be reached: {0}")]
    Unreachable(String),
    #[error("HTTP {status}: {message}")]
    Status { status: u16, message: String },
    #[error("HTTP {status}: the response has no `token`")]
    NoToken { status: u16 },
    #[error("registry URL {0} cannot be used for the exchange")]
    BadRegistry(String),
}

#[derive(Deserialize)]
struct ExchangeResponse {
    token: Option<String>,
    expires: Option<String>,
}

/// npm's escaped name: the `/` of a scoped name becomes `%2f`.
pub fn escaped_name(name: &str) -> String {
    name.replacen('/', "%2f", 1)
}

/// The exchange URL; like npm (`new URL('/-/npm/…', registry)`) it drops any path prefix of the
/// registry URL.
pub fn exchange_url(registry: &url::Url, package: &str) -> Result<url::Url, ExchangeError> {
    registry
        .join(&format!(
            "/-/npm/v1/oidc/token/exchange/package/{}",
            escaped_name(package)
        ))
        .map_err(|_| ExchangeError::BadRegistry(registry.to_string()))
}

pub async fn exchange(
    http: &reqwest::Client,
    registry: &url::Url,
    package: &str,
    id_token: &Secret,
) -> Result<Exchanged, ExchangeError> {
    let url = exchange_url(registry, package)?;
    let resp = http
        .post(url)
        .header("authorization", format!("Bearer {}", id_token.expose()))
        .header("accept", "application/json")
        .header("content-length", "0")
        .send()
        .await
        .map_err(|e| ExchangeError::Unreachable(super::describe_transport(&e)))?;
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    if !(200..300).contains(&status) {
        return Err(ExchangeError::Status {
            status,
            message: super::body_message(&body, &[id_token.expose()]),
        });
    }
    let parsed: ExchangeResponse =
        serde_json::from_str(&body).map_err(|_| ExchangeError::NoToken { status })?;
    match parsed.token {
        Some(t) if !t.trim().is_empty() => Ok(Exchanged {
            token: Secret::new(t),
            expires: parsed.expires.as_deref().and_then(parse_rfc3339),
        }),
        _ => Err(ExchangeError::NoToken { status }),
    }
}

/// `2026-01-01T10:00:00.123Z` / `…+02:00`. Anything else → `None` (treated as "unknown expiry").
pub fn parse_rfc3339(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    let (date, rest) = s.split_once(['T', 't', ' '])?;
    let mut d = date.split('-');
    let (y, mo, da) = (
        d.next()?.parse::<i32>().ok()?,
        d.next()?.parse::<u8>().ok()?,
        d.next()?.parse::<u8>().ok()?,
    );
    let (clock, offset_secs) = if let Some(c) = rest.strip_suffix(['Z', 'z']) {
        (c, 0i32)
    } else {
        let idx = rest.rfind(['+', '-'])?;
        let (c, off) = rest.split_at(idx);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off[1..].split_once(':')?;
        (
            c,
            sign * (oh.parse::<i32>().ok()? * 3600 + om.parse::<i32>().ok()? * 60),
        )
    };
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let mut t = hms.split(':');
    let (h, mi, se) = (
        t.next()?.parse::<u8>().ok()?,
        t.next()?.parse::<u8>().ok()?,
        t.next()?.parse::<u8>().ok()?,
    );
    let nanos: u32 = if frac.is_empty() {
        0
    } else {
        let digits: String = frac.chars().take(9).collect();
        let n: u32 = digits.parse().ok()?;
        n * 10u32.pow(9 - digits.len() as u32)
    };
    let date = time::Date::from_calendar_date(y, time::Month::try_from(mo).ok()?, da).ok()?;
    let time = time::Time::from_hms_nano(h, mi, se, nanos).ok()?;
    let offset = time::UtcOffset::from_whole_seconds(offset_secs).ok()?;
    Some(time::PrimitiveDateTime::new(date, time).assume_offset(offset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{header, method, path};

    #[test]
    fn url_drops_registry_path_and_escapes_scope() {
        let r = url::Url::parse("https://r.example/some/prefix/").unwrap();
        assert_eq!(
            exchange_url(&r, "@acme/core").unwrap().as_str(),
            "https://r.example/-/npm/v1/oidc/token/exchange/package/@acme%2fcore"
        );
        assert_eq!(
            exchange_url(&r, "plain").unwrap().path(),
            "/-/npm/v1/oidc/token/exchange/package/plain"
        );
    }

    #[test]
    fn parses_expiry() {
        let t = parse_rfc3339("2026-01-02T03:04:05.678Z").unwrap();
        assert_eq!(t.unix_timestamp(), 1767323045);
        let t2 = parse_rfc3339("2026-01-02T05:04:05+02:00").unwrap();
        assert_eq!(t2.unix_timestamp(), 1767323045);
        assert!(parse_rfc3339("soon").is_none());
    }

    #[tokio::test]
    async fn exchange_follows_the_protocol() {
        let server = wiremock::MockServer::start().await;
        wiremock::Mock::given(method("POST"))
            .and(path("/-/npm/v1/oidc/token/exchange/package/@acme%2fcore"))
            .and(header("authorization", "Bearer id.tok.en"))
            .respond_with(wiremock::ResponseTemplate::new(201).set_body_string(
                r#"{"token_type":"oidc","token":"npm_short","created":"2026-01-01T00:00:00Z","expires":"2026-01-01T01:00:00Z"}"#,
            ))
            .mount(&server)
            .await;
        let reg = url::Url::parse(&format!("{}/", server.uri())).unwrap();
        let http = reqwest::Client::new();
        let ex = exchange(&http, &reg, "@acme/core", &Secret::new("id.tok.en"))
            .await
            .unwrap();
        assert_eq!(ex.token.expose(), "npm_short");
        assert_eq!(ex.expires.unwrap().unix_timestamp(), 1767229200);
    }

    #[tokio::test]
    async fn error_message_is_kept_and_token_scrubbed() {
        let server = wiremock::MockServer::start().await;
        wiremock::Mock::given(method("POST"))
            .respond_with(wiremock::ResponseTemplate::new(404).set_body_string(
                r#"{"message":"OIDC token exchange error - package not found (id.tok.en)"}"#,
            ))
            .mount(&server)
            .await;
        let reg = url::Url::parse(&server.uri()).unwrap();
        let err = exchange(
            &reqwest::Client::new(),
            &reg,
            "x",
            &Secret::new("id.tok.en"),
        )
        .await
        .unwrap_err();
        let s = err.to_string();
        assert!(s.contains("HTTP 404: OIDC token exchange error - package not found"));
        assert!(!s.contains("id.tok.en"), "{s}");
    }
}
