//! The publish `PUT` body, key for key as libnpmpublish's `buildMetadata` sends it, and the
//! version-manifest normalisation npm applies before it (reference npm-registry.md §3.2–3.3).

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::{Map, Value};
use url::Url;

/// A packed tarball ready to publish (the fields of `pack::Packed` the registry needs).
#[derive(Debug, Clone)]
pub struct Tarball {
    pub name: String,
    pub version: String,
    pub bytes: Vec<u8>,
    /// `sha512-<base64>` of `bytes`.
    pub integrity: String,
    /// sha1 hex of `bytes`.
    pub shasum: String,
    /// The publish-time `package.json` (workspace:/catalog: already rewritten).
    pub manifest: Value,
    /// `(file name, contents)` of the package's README, for the `readme` field.
    pub readme: Option<(String, String)>,
}

/// A serialisable publish request plus the facts relay checks afterwards.
#[derive(Debug, Clone)]
pub struct PublishBody {
    pub name: String,
    pub version: String,
    pub integrity: String,
    pub json: Value,
}

impl PublishBody {
    /// Builds the body. `dist_tags` is usually one `{tag: version}`; `access` is `None` (sent as
    /// `null`, npm 11's default), `public` or `restricted`; `git_head` is the commit.
    pub fn new(
        t: &Tarball,
        registry: &Url,
        dist_tags: &BTreeMap<String, String>,
        access: Option<&str>,
        git_head: Option<&str>,
    ) -> Self {
        let manifest = normalise_manifest(t, registry, git_head);
        let mut body = Map::new();
        body.insert("_id".into(), Value::String(t.name.clone()));
        body.insert("name".into(), Value::String(t.name.clone()));
        if let Some(d) = t.manifest.get("description") {
            body.insert("description".into(), d.clone());
        }
        body.insert(
            "dist-tags".into(),
            Value::Object(
                dist_tags
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect(),
            ),
        );
        let mut versions = Map::new();
        versions.insert(t.version.clone(), manifest);
        body.insert("versions".into(), Value::Object(versions));
        body.insert(
            "access".into(),
            access.map_or(Value::Null, |a| Value::String(a.into())),
        );
        let mut att = Map::new();
        att.insert(
            format!("{}-{}.tgz", t.name, t.version),
            serde_json::json!({
                "content_type": "application/octet-stream",
                "data": base64::engine::general_purpose::STANDARD.encode(&t.bytes),
                "length": t.bytes.len(),
            }),
        );
        body.insert("_attachments".into(), Value::Object(att));
        PublishBody {
            name: t.name.clone(),
            version: t.version.clone(),
            integrity: t.integrity.clone(),
            json: Value::Object(body),
        }
    }

    /// Compact JSON, as `JSON.stringify` sends it.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.json).unwrap_or_default()
    }
}

/// The version manifest the registry stores: top-level `_*` keys dropped, `_id`,
/// `bundleDependencies` normalised, `readme`/`readmeFilename`, `gitHead`, `dist`.
pub fn normalise_manifest(t: &Tarball, registry: &Url, git_head: Option<&str>) -> Value {
    let mut m: Map<String, Value> = t
        .manifest
        .as_object()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| !k.starts_with('_'))
        .collect();
    if let Some(b) = m.remove("bundledDependencies") {
        m.entry("bundleDependencies").or_insert(b);
    }
    match m.get("bundleDependencies").cloned() {
        Some(Value::Bool(true)) => {
            let names: Vec<Value> = m
                .get("dependencies")
                .and_then(Value::as_object)
                .map(|d| d.keys().cloned().map(Value::String).collect())
                .unwrap_or_default();
            m.insert("bundleDependencies".into(), Value::Array(names));
        }
        Some(Value::Bool(false)) => {
            m.remove("bundleDependencies");
        }
        _ => {}
    }
    if !m.contains_key("readme") {
        match &t.readme {
            Some((file, text)) => {
                m.insert("readme".into(), Value::String(text.clone()));
                m.insert("readmeFilename".into(), Value::String(file.clone()));
            }
            None => {
                m.insert(
                    "readme".into(),
                    Value::String("ERROR: No README data found!".into()),
                );
            }
        }
    }
    if let Some(h) = git_head
        && !m.contains_key("gitHead")
    {
        m.insert("gitHead".into(), Value::String(h.into()));
    }
    m.insert(
        "_id".into(),
        Value::String(format!("{}@{}", t.name, t.version)),
    );
    let base = registry.as_str().trim_end_matches('/');
    let base = match base.strip_prefix("https:") {
        Some(rest) => format!("http:{rest}"),
        None => base.to_string(),
    };
    m.insert(
        "dist".into(),
        serde_json::json!({
            "integrity": t.integrity,
            "shasum": t.shasum,
            "tarball": format!("{base}/{}/-/{}-{}.tgz", t.name, t.name, t.version),
        }),
    );
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tarball() -> Tarball {
        Tarball {
            name: "@s/tiny".into(),
            version: "1.2.0".into(),
            bytes: vec![1, 2, 3],
            integrity: "sha512-x".into(),
            shasum: "abc".into(),
            manifest: serde_json::json!({
                "name": "@s/tiny", "version": "1.2.0", "description": "d",
                "_private": 1, "bundledDependencies": true,
                "dependencies": {"a": "1"}
            }),
            readme: Some(("README.md".into(), "# tiny\n".into())),
        }
    }

    #[test]
    fn body_has_npms_keys_in_npms_order() {
        let reg = Url::parse("https://r.example/").unwrap();
        let tags = BTreeMap::from([("latest".to_string(), "1.2.0".to_string())]);
        let b = PublishBody::new(&tarball(), &reg, &tags, None, Some("deadbeef"));
        let keys: Vec<&String> = b.json.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "_id",
                "name",
                "description",
                "dist-tags",
                "versions",
                "access",
                "_attachments"
            ]
        );
        assert_eq!(b.json["access"], Value::Null);
        let v = &b.json["versions"]["1.2.0"];
        assert!(v.get("_private").is_none());
        assert_eq!(v["_id"], "@s/tiny@1.2.0");
        assert_eq!(v["bundleDependencies"], serde_json::json!(["a"]));
        assert_eq!(v["readmeFilename"], "README.md");
        assert_eq!(v["gitHead"], "deadbeef");
        assert_eq!(
            v["dist"]["tarball"],
            "http://r.example/@s/tiny/-/@s/tiny-1.2.0.tgz"
        );
        let att = &b.json["_attachments"]["@s/tiny-1.2.0.tgz"];
        assert_eq!(att["data"], "AQID");
        assert_eq!(att["length"], 3);
    }
}
