//! Decoding an ID token's claims for diagnostics. relay does not verify the signature: the
//! registry does that; relay only shows what the token says so the user can compare it with the
//! trusted-publisher configuration.

use base64::Engine;
use serde_json::{Map, Value};

/// The payload of a JWT, as JSON.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Claims(pub Map<String, Value>);

impl Claims {
    /// Decodes the middle part of `header.payload.signature`. `None` when it is not a JWT.
    pub fn decode(jwt: &str) -> Option<Claims> {
        let mut parts = jwt.trim().split('.');
        let (_h, p) = (parts.next()?, parts.next()?);
        parts.next()?;
        let engine = base64::engine::GeneralPurpose::new(
            &base64::alphabet::URL_SAFE,
            base64::engine::GeneralPurposeConfig::new()
                .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
        );
        let bytes = engine.decode(p).ok()?;
        match serde_json::from_slice(&bytes).ok()? {
            Value::Object(map) => Some(Claims(map)),
            _ => None,
        }
    }

    pub fn str(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }

    /// `aud` as a list (a JWT may carry one string or an array).
    pub fn audiences(&self) -> Vec<String> {
        match self.0.get("aud") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// `exp` in seconds since the epoch.
    pub fn expires_at(&self) -> Option<i64> {
        self.0.get("exp").and_then(Value::as_i64)
    }

    /// The claims a trusted-publisher configuration is matched against, in a stable order, as
    /// `(claim, value)` pairs. GitHub and GitLab use different names; both are listed when set.
    pub fn publisher_fields(&self) -> Vec<(&'static str, String)> {
        const KEYS: &[&str] = &[
            // GitHub Actions
            "repository",
            "workflow_ref",
            "job_workflow_ref",
            "environment",
            "ref",
            "event_name",
            // GitLab CI
            "project_path",
            "ci_config_ref_uri",
            "pipeline_source",
            // CircleCI
            "oidc.circleci.com/project-id",
            "oidc.circleci.com/context-ids",
            // everyone
            "sub",
            "aud",
        ];
        KEYS.iter()
            .filter_map(|k| {
                let v = self.0.get(*k)?;
                let s = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                Some((*k, s))
            })
            .collect()
    }

    /// The workflow file name a GitHub trusted publisher must name (`release.yml`), taken from
    /// `job_workflow_ref` (reusable workflows) or `workflow_ref`.
    pub fn workflow_file(&self) -> Option<String> {
        let r = self
            .str("job_workflow_ref")
            .or_else(|| self.str("workflow_ref"))?;
        let path = r.split('@').next()?;
        Some(path.rsplit('/').next()?.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.sig",
            e.encode(r#"{"alg":"ES256"}"#),
            e.encode(payload)
        )
    }

    #[test]
    fn decodes_github_claims() {
        let c = Claims::decode(&jwt(
            r#"{"aud":"npm:registry.npmjs.org","exp":1700000000,"repository":"octo/relay",
            "workflow_ref":"octo/relay/.github/workflows/release.yml@refs/heads/main","ref":"refs/heads/main",
            "event_name":"push","environment":"npm"}"#,
        ))
        .unwrap();
        assert_eq!(c.audiences(), vec!["npm:registry.npmjs.org"]);
        assert_eq!(c.expires_at(), Some(1700000000));
        assert_eq!(c.workflow_file().as_deref(), Some("release.yml"));
        let f = c.publisher_fields();
        assert_eq!(f[0], ("repository", "octo/relay".to_string()));
        assert!(f.iter().any(|(k, v)| *k == "environment" && v == "npm"));
    }

    #[test]
    fn not_a_jwt() {
        assert!(Claims::decode("opaque-token").is_none());
        assert!(Claims::decode("a.!!!.c").is_none());
    }

    #[test]
    fn audience_array() {
        let c = Claims::decode(&jwt(r#"{"aud":["a","b"]}"#)).unwrap();
        assert_eq!(c.audiences(), vec!["a", "b"]);
    }
}
