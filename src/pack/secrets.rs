//! The secret guard: files that look like credentials never go into a tarball unless the
//! package allows them explicitly (`relay.toml` `[pack] allow-secrets`).

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// Why a file looks like a secret, or `None`.
pub fn name_reason(path: &str) -> Option<&'static str> {
    let base = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    if base.starts_with(".env") {
        return Some("environment file (.env*)");
    }
    if base == ".npmrc" {
        return Some("npm configuration (.npmrc) may hold registry tokens");
    }
    if base.ends_with(".pem") {
        return Some("PEM key or certificate (*.pem)");
    }
    if base.starts_with("id_rsa") {
        return Some("SSH private key (id_rsa*)");
    }
    if base.ends_with(".key") {
        return Some("private key (*.key)");
    }
    None
}

fn is_base62(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// Finds an npm (`npm_` + 36 base62) or GitHub (`ghp_`, `gho_`, `ghs_`, `ghu_`, `ghr_` + 36,
/// `github_pat_` + 82) token pattern in `data`.
pub fn content_reason(data: &[u8]) -> Option<&'static str> {
    const PREFIXES: &[(&[u8], usize, &str)] = &[
        (b"npm_", 36, "contains an npm access token (npm_…)"),
        (b"ghp_", 36, "contains a GitHub token (ghp_…)"),
        (b"gho_", 36, "contains a GitHub token (gho_…)"),
        (b"ghs_", 36, "contains a GitHub token (ghs_…)"),
        (b"ghu_", 36, "contains a GitHub token (ghu_…)"),
        (b"ghr_", 36, "contains a GitHub token (ghr_…)"),
        (
            b"github_pat_",
            82,
            "contains a GitHub fine-grained token (github_pat_…)",
        ),
    ];
    let mut i = 0;
    while i < data.len() {
        let c = data[i];
        if (c == b'n' || c == b'g') && (i == 0 || !is_base62(data[i - 1])) {
            for (prefix, len, why) in PREFIXES {
                if data[i..].starts_with(prefix) {
                    let start = i + prefix.len();
                    let body = &data[start..];
                    let pat = *prefix == b"github_pat_";
                    let n = body
                        .iter()
                        .take_while(|b| is_base62(**b) || (pat && **b == b'_'))
                        .count();
                    if (pat && n >= *len) || (!pat && n == *len) {
                        return Some(why);
                    }
                }
            }
        }
        i += 1;
    }
    None
}

/// Globs from `allow-secrets`; a pattern without `/` matches the file name at any depth.
pub struct Allow(Option<GlobSet>);

impl Allow {
    pub fn new(globs: &[String]) -> Result<Allow, String> {
        if globs.is_empty() {
            return Ok(Allow(None));
        }
        let mut b = GlobSetBuilder::new();
        for g in globs {
            let pat = if g.contains('/') {
                g.trim_start_matches("./").to_string()
            } else {
                format!("**/{g}")
            };
            let glob = GlobBuilder::new(&pat)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("allow-secrets pattern `{g}`: {e}"))?;
            b.add(glob);
        }
        b.build().map(|s| Allow(Some(s))).map_err(|e| e.to_string())
    }

    pub fn allows(&self, path: &str) -> bool {
        self.0.as_ref().is_some_and(|s| s.is_match(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(name_reason(".env").is_some());
        assert!(name_reason("config/.env.production").is_some());
        assert!(name_reason("certs/server.pem").is_some());
        assert!(name_reason("id_rsa.pub").is_some());
        assert!(name_reason("keys/a.key").is_some());
        assert!(name_reason("environment.js").is_none());
        assert!(name_reason("keyboard.js").is_none());
    }

    #[test]
    fn tokens() {
        let npm = format!("token={}\n", format_args!("npm_{}", "a1B2".repeat(9)));
        assert!(content_reason(npm.as_bytes()).is_some());
        let gh = format!("ghp_{}", "Z".repeat(36));
        assert!(content_reason(gh.as_bytes()).is_some());
        let pat = format!("github_pat_{}", "a_".repeat(41));
        assert!(content_reason(pat.as_bytes()).is_some());
        // Too short, too long, or embedded in a longer word: not a token.
        assert!(content_reason(b"npm_install_helper").is_none());
        assert!(content_reason(format!("npm_{}", "a".repeat(40)).as_bytes()).is_none());
        assert!(content_reason(format!("xnpm_{}", "a".repeat(36)).as_bytes()).is_none());
    }

    #[test]
    fn allow_globs() {
        let a = Allow::new(&["*.pem".into(), "test/fixtures/.env".into()]).unwrap();
        assert!(a.allows("certs/x.pem"));
        assert!(a.allows("test/fixtures/.env"));
        assert!(!a.allows(".env"));
    }
}
