//! `.npmrc` resolution as npm does it (`@npmcli/config`): layers cli > env > project > user >
//! global, `${ENV}` expansion, `registry=`, `@scope:registry=`, credentials keyed by registry
//! ("nerf darts", `//host/path/:_authToken=`), and `publishConfig` per package.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use url::Url;

use crate::secret::Secret;

pub const DEFAULT_REGISTRY: &str = "https://registry.npmjs.org/";

/// The environment relay reads config from, passed in so resolution is testable.
pub type Env = BTreeMap<String, String>;

/// One credential for a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// `_authToken` → `Authorization: Bearer`.
    Token(Secret),
    /// `_auth` or `username` + `_password` → `Authorization: Basic` (already base64).
    Basic(Secret),
}

impl Credential {
    pub fn header(&self) -> String {
        match self {
            Credential::Token(t) => format!("Bearer {}", t.expose()),
            Credential::Basic(b) => format!("Basic {}", b.expose()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NpmrcError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{origin}: `{value}` is not a valid registry URL ({message}); write it as `https://host/path/`"
    )]
    BadUrl {
        origin: String,
        value: String,
        message: String,
    },
}

/// Where a config value came from (shown in messages, never with the value of a credential).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    value: String,
    origin: String,
}

/// The merged npm configuration: for each key, the value of the highest-priority layer.
#[derive(Debug, Clone, Default)]
pub struct NpmConfig {
    values: BTreeMap<String, Entry>,
    /// `NODE_AUTH_TOKEN`, used only when no `.npmrc` credential matches a registry (a
    /// convenience for CI setups that export it without writing the setup-node `.npmrc`).
    node_auth_token: Option<Secret>,
    /// Keys whose value still holds an unresolved `${VAR}` (shown as "no token" hints).
    unresolved: BTreeMap<String, String>,
}

impl NpmConfig {
    /// Loads every layer for a project rooted at `root` (the workspace root, npm's
    /// `localPrefix`). `cli_registry` is `--registry`.
    pub fn load(root: &Path, env: &Env, cli_registry: Option<&str>) -> Result<Self, NpmrcError> {
        let mut cfg = NpmConfig::default();
        // Lowest priority first; later layers overwrite.
        let global = env_get(env, "npm_config_globalconfig")
            .map(PathBuf::from)
            .or_else(|| env_get(env, "PREFIX").map(|p| Path::new(&p).join("etc/npmrc")));
        let user = env_get(env, "npm_config_userconfig")
            .map(PathBuf::from)
            .or_else(|| env_get(env, "HOME").map(|h| Path::new(&h).join(".npmrc")));
        let project = root.join(".npmrc");
        if let Some(g) = global {
            cfg.read_file(&g, env)?;
        }
        if let Some(u) = &user {
            cfg.read_file(u, env)?;
        }
        let same_as_user = user.as_ref().is_some_and(|u| same_file(u, &project));
        if !same_as_user {
            cfg.read_file(&project, env)?;
        }
        for (k, v) in env {
            if v.is_empty() {
                continue;
            }
            let Some(rest) = strip_prefix_ci(k, "npm_config_") else {
                continue;
            };
            let key = if rest.starts_with("//") {
                rest.to_string()
            } else {
                normalise_env_key(rest)
            };
            if key == "userconfig" || key == "globalconfig" {
                continue;
            }
            cfg.set(&key, v.clone(), format!("environment variable {k}"));
        }
        if let Some(r) = cli_registry {
            cfg.set("registry", r.to_string(), "--registry".into());
        }
        cfg.node_auth_token = env_get(env, "NODE_AUTH_TOKEN")
            .filter(|t| !t.trim().is_empty())
            .map(Secret::new);
        Ok(cfg)
    }

    /// Parses `.npmrc` text as one layer (tests and `load`).
    pub fn apply_text(&mut self, text: &str, origin: &str, env: &Env) {
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            let key = expand(k.trim(), env);
            let mut value = v.trim().to_string();
            if value.len() >= 2
                && ((value.starts_with('"') && value.ends_with('"'))
                    || (value.starts_with('\'') && value.ends_with('\'')))
            {
                value = value[1..value.len() - 1].to_string();
            }
            let value = expand(&value, env);
            let key = key.trim_end_matches("[]").to_string();
            self.set(&key, value, format!("{origin}:{}", i + 1));
        }
    }

    fn read_file(&mut self, path: &Path, env: &Env) -> Result<(), NpmrcError> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                self.apply_text(&text, &path.display().to_string(), env);
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => Ok(()),
            Err(source) => Err(NpmrcError::Io {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    fn set(&mut self, key: &str, value: String, origin: String) {
        if value.contains("${") {
            self.unresolved.insert(key.to_string(), origin.clone());
        } else {
            self.unresolved.remove(key);
        }
        self.values.insert(key.to_string(), Entry { value, origin });
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|e| e.value.as_str())
    }

    /// The registry a package publishes to: `--registry` > `publishConfig.registry` /
    /// `publishConfig["@scope:registry"]` > `@scope:registry` > `registry` > npm's default.
    pub fn registry_for(
        &self,
        name: &str,
        publish_config: Option<&serde_json::Value>,
    ) -> Result<Url, NpmrcError> {
        let scope = name
            .strip_prefix('@')
            .and_then(|r| r.split_once('/'))
            .map(|(s, _)| format!("@{s}:registry"));
        let cli = self
            .values
            .get("registry")
            .filter(|e| e.origin == "--registry");
        let pc = |key: &str| {
            publish_config
                .and_then(|p| p.get(key))
                .and_then(|v| v.as_str())
                .map(|v| Entry {
                    value: v.to_string(),
                    origin: format!("publishConfig.{key} of {name}"),
                })
        };
        let chosen = cli
            .cloned()
            .or_else(|| scope.as_deref().and_then(pc))
            .or_else(|| pc("registry"))
            .or_else(|| scope.as_deref().and_then(|s| self.values.get(s).cloned()))
            .or_else(|| self.values.get("registry").cloned())
            .unwrap_or(Entry {
                value: DEFAULT_REGISTRY.into(),
                origin: "npm's default".into(),
            });
        parse_registry(&chosen.value, &chosen.origin)
    }

    /// The credential npm would send to `url` (npm-registry-fetch `lib/auth.js`): try the nerf
    /// dart of the URL's path, then each parent path up to `//host/`. `NODE_AUTH_TOKEN` is
    /// the fallback.
    pub fn credential_for(&self, url: &Url) -> Option<Credential> {
        let host = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or("")),
            None => url.host_str().unwrap_or("").to_string(),
        };
        let mut path = url.path().to_string();
        if !path.ends_with('/') {
            path = match path.rfind('/') {
                Some(i) => path[..=i].to_string(),
                None => "/".into(),
            };
        }
        loop {
            let dart = format!("//{host}{path}");
            if let Some(c) = self.credential_at(&dart) {
                return Some(c);
            }
            if path == "/" {
                break;
            }
            let trimmed = path.trim_end_matches('/');
            path = match trimmed.rfind('/') {
                Some(i) => trimmed[..=i].to_string(),
                None => "/".into(),
            };
        }
        self.node_auth_token.clone().map(Credential::Token)
    }

    /// Like [`credential_for`](Self::credential_for) but without the `NODE_AUTH_TOKEN` fallback.
    pub fn credential_for_without_env(&self, url: &Url) -> Option<Credential> {
        let mut c = self.clone();
        c.node_auth_token = None;
        c.credential_for(url)
    }

    fn credential_at(&self, dart: &str) -> Option<Credential> {
        let usable = |k: &str| {
            self.get(&format!("{dart}:{k}"))
                .filter(|v| !v.is_empty() && !v.contains("${"))
        };
        if let Some(t) = usable("_authToken") {
            return Some(Credential::Token(Secret::new(t)));
        }
        if let Some(a) = usable("_auth") {
            return Some(Credential::Basic(Secret::new(a)));
        }
        if let (Some(u), Some(p)) = (usable("username"), usable("_password")) {
            use base64::Engine;
            let engine = base64::engine::general_purpose::STANDARD;
            let pass = engine
                .decode(p.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())?;
            return Some(Credential::Basic(Secret::new(
                engine.encode(format!("{u}:{pass}")),
            )));
        }
        None
    }

    /// Why a registry has no usable credential, for error messages: an unresolved `${VAR}`
    /// names the variable's config line (never a value).
    pub fn missing_credential_hint(&self, url: &Url) -> String {
        let dart = nerf_dart(url);
        let unresolved: Vec<&String> = self
            .unresolved
            .iter()
            .filter(|(k, _)| k.starts_with(&dart) || k.starts_with("//"))
            .map(|(_, origin)| origin)
            .collect();
        if let Some(origin) = unresolved.first() {
            format!(
                "the token at {origin} refers to an environment variable that is not set; export it (e.g. NODE_AUTH_TOKEN) or log in"
            )
        } else {
            format!(
                "add `{dart}:_authToken=${{NPM_TOKEN}}` to .npmrc (or run `npm login --registry {url}`)"
            )
        }
    }

    /// A config value parsed as a number (`fetch-retries`, `fetch-timeout`).
    pub fn get_u64(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(|v| v.trim().parse().ok())
    }
}

/// `//host[:port]/path/` of a registry URL (npm's `toNerfDart`).
pub fn nerf_dart(url: &Url) -> String {
    let mut s = url.as_str().to_string();
    if let Some(i) = s.find("//") {
        s = s[i..].to_string();
    }
    if !s.ends_with('/') {
        s = match s.rfind('/') {
            Some(i) => s[..=i].to_string(),
            None => s,
        };
    }
    s
}

fn parse_registry(value: &str, origin: &str) -> Result<Url, NpmrcError> {
    let mut v = value.trim().to_string();
    if !v.ends_with('/') {
        v.push('/');
    }
    let url = Url::parse(&v).map_err(|e| NpmrcError::BadUrl {
        origin: origin.into(),
        value: value.into(),
        message: e.to_string(),
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(NpmrcError::BadUrl {
            origin: origin.into(),
            value: value.into(),
            message: "only http and https are supported".into(),
        });
    }
    Ok(url)
}

/// npm's `env-replace`: `${NAME}` → value (left as is when unset), `${NAME?}` → value or
/// empty, `\${` escapes.
pub fn expand(s: &str, env: &Env) -> String {
    let mut out = String::with_capacity(s.len());
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < s.len() {
        if bytes[i] == b'\\' && s[i + 1..].starts_with("${") {
            out.push_str("${");
            i += 3;
            continue;
        }
        if s[i..].starts_with("${")
            && let Some(end) = s[i + 2..].find('}')
        {
            let name = &s[i + 2..i + 2 + end];
            let (name, optional) = match name.strip_suffix('?') {
                Some(n) => (n, true),
                None => (name, false),
            };
            match env.get(name) {
                Some(v) => out.push_str(v),
                None if optional => {}
                None => out.push_str(&s[i..i + 3 + end]),
            }
            i += 3 + end;
            continue;
        }
        let ch = s[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

fn env_get(env: &Env, key: &str) -> Option<String> {
    env.iter()
        .find(|(k, v)| k.eq_ignore_ascii_case(key) && !v.is_empty())
        .map(|(_, v)| v.clone())
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix))
        .then(|| &s[prefix.len()..])
}

/// `fetch_retries` → `fetch-retries`; a leading `_` stays (`_auth`).
fn normalise_env_key(rest: &str) -> String {
    let lower = rest.to_ascii_lowercase();
    match lower.strip_prefix('_') {
        Some(r) => format!("_{}", r.replace('_', "-")),
        None => lower.replace('_', "-"),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn expansion_follows_npm() {
        let e = env(&[("TOK", "abc")]);
        assert_eq!(expand("${TOK}", &e), "abc");
        assert_eq!(expand("x${MISSING}y", &e), "x${MISSING}y");
        assert_eq!(expand("x${MISSING?}y", &e), "xy");
        assert_eq!(expand("\\${TOK}", &e), "${TOK}");
    }

    #[test]
    fn layers_scopes_and_nerf_darts() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(
            home.join(".npmrc"),
            "registry=https://user.example/\n//reg.example/sub/:_authToken=user-tok\n",
        )
        .unwrap();
        let root = dir.path().join("proj");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(
            root.join(".npmrc"),
            "registry = https://reg.example/sub\n@acme:registry=https://acme.example/\n//acme.example/:_authToken=${ACME}\n",
        )
        .unwrap();
        let e = env(&[
            ("HOME", home.to_str().unwrap()),
            ("ACME", "acme-tok"),
            ("NPM_CONFIG_FETCH_RETRIES", "5"),
        ]);
        let cfg = NpmConfig::load(&root, &e, None).unwrap();
        assert_eq!(cfg.get("fetch-retries"), Some("5"));
        let r = cfg.registry_for("plain", None).unwrap();
        assert_eq!(r.as_str(), "https://reg.example/sub/");
        assert_eq!(
            cfg.credential_for(&r),
            Some(Credential::Token(Secret::new("user-tok")))
        );
        // A deeper request path still finds the registry's credential.
        let deep = r.join("plain/-/plain-1.0.0.tgz").unwrap();
        assert!(cfg.credential_for(&deep).is_some());
        let s = cfg.registry_for("@acme/x", None).unwrap();
        assert_eq!(s.as_str(), "https://acme.example/");
        assert_eq!(
            cfg.credential_for(&s),
            Some(Credential::Token(Secret::new("acme-tok")))
        );
        // publishConfig beats .npmrc, --registry beats publishConfig.
        let pc = serde_json::json!({"registry": "https://pc.example"});
        assert_eq!(
            cfg.registry_for("plain", Some(&pc)).unwrap().as_str(),
            "https://pc.example/"
        );
        let cli = NpmConfig::load(&root, &e, Some("http://127.0.0.1:9/")).unwrap();
        assert_eq!(
            cli.registry_for("@acme/x", Some(&pc)).unwrap().as_str(),
            "http://127.0.0.1:9/"
        );
    }

    #[test]
    fn unresolved_variable_is_no_token_with_a_hint() {
        let mut cfg = NpmConfig::default();
        cfg.apply_text(
            "//r.example/:_authToken=${NODE_AUTH_TOKEN}\n",
            ".npmrc",
            &Env::new(),
        );
        let url = Url::parse("https://r.example/").unwrap();
        assert_eq!(cfg.credential_for(&url), None);
        assert!(cfg.missing_credential_hint(&url).contains(".npmrc:1"));
    }

    #[test]
    fn env_token_and_node_auth_token() {
        let dir = tempfile::tempdir().unwrap();
        let e = env(&[
            ("npm_config_//r.example/:_authToken", "env-tok"),
            ("NODE_AUTH_TOKEN", "nat"),
            ("HOME", dir.path().to_str().unwrap()),
        ]);
        let cfg = NpmConfig::load(dir.path(), &e, None).unwrap();
        let url = Url::parse("https://r.example/").unwrap();
        assert_eq!(
            cfg.credential_for(&url),
            Some(Credential::Token(Secret::new("env-tok")))
        );
        let other = Url::parse("https://other.example/").unwrap();
        assert_eq!(
            cfg.credential_for(&other),
            Some(Credential::Token(Secret::new("nat")))
        );
    }

    #[test]
    fn username_password_becomes_basic() {
        let mut cfg = NpmConfig::default();
        cfg.apply_text(
            "//r.example/:username=u\n//r.example/:_password=cGFzcw==\n",
            "x",
            &Env::new(),
        );
        let url = Url::parse("https://r.example/").unwrap();
        // base64("u:pass")
        assert_eq!(
            cfg.credential_for(&url),
            Some(Credential::Basic(Secret::new("dTpwYXNz")))
        );
    }
}
