//! One-time passwords (npm's 2FA for writes). The registry answers a write with `401` and
//! `www-authenticate: OTP` (or an error body mentioning a "one-time pass"); the write is then
//! sent again with `npm-otp: <code>`. A code comes from `--otp`/`npm_config_otp`, from a
//! person at a terminal, or from the registry's web flow (`authUrl` to open, `doneUrl` to poll).
//! As in npm, only a terminal session is asked; elsewhere the challenge is a final error.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::secret::Secret;

/// Asks a person. Implemented by the CLI, which owns the terminal and the progress display.
pub trait OtpPrompter: Send + Sync {
    /// Shows where to approve the write in a browser (the registry's web 2FA).
    fn show_url(&self, url: &str);
    /// Reads one code; `None` when nothing was entered or the terminal is gone.
    fn read_code(&self, prompt: &str) -> Option<String>;
}

/// The registry's web 2FA challenge, from the `401` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebChallenge {
    pub auth_url: String,
    pub done_url: String,
}

/// The code every write of a run sends, shared by all uploads. A code is replaced at most once
/// per challenge: uploads that were refused together wait for the one prompt and reuse its
/// answer (`generation` tells them a newer code exists).
#[derive(Default)]
pub struct OtpState {
    code: Mutex<Option<Secret>>,
    generation: AtomicU64,
    pub(super) renewing: tokio::sync::Mutex<()>,
    pub(super) prompter: Option<Arc<dyn OtpPrompter>>,
    refused: AtomicBool,
}

impl OtpState {
    pub fn new(code: Option<String>, prompter: Option<Arc<dyn OtpPrompter>>) -> Self {
        OtpState {
            code: Mutex::new(code.map(Secret::new).filter(|c| !c.is_empty())),
            prompter,
            ..OtpState::default()
        }
    }

    /// The current code and its generation.
    pub(super) fn current(&self) -> (Option<Secret>, u64) {
        let code = self.code.lock().unwrap_or_else(|p| p.into_inner());
        (code.clone(), self.generation.load(Ordering::SeqCst))
    }

    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub(super) fn replace(&self, code: String) {
        let mut c = self.code.lock().unwrap_or_else(|p| p.into_inner());
        *c = Some(Secret::new(code));
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    pub(super) fn mark_refused(&self) {
        self.refused.store(true, Ordering::SeqCst);
    }

    /// A write was refused for want of a code nobody could give: every other write would be
    /// refused the same way, so the scheduler starts no more.
    pub fn refused(&self) -> bool {
        self.refused.load(Ordering::SeqCst)
    }
}

/// Is this `401` an OTP challenge? (`npm-registry-fetch`: `www-authenticate` lists `otp`, or
/// the body's error mentions a one-time password.)
pub fn is_challenge(status: u16, www_authenticate: Option<&str>, message: &str) -> bool {
    status == 401
        && (www_authenticate
            .is_some_and(|h| h.split(',').any(|p| p.trim().eq_ignore_ascii_case("otp")))
            || message.to_ascii_lowercase().contains("one-time pass"))
}

/// `authUrl` and `doneUrl` from a challenge body, when the registry offers the web flow.
pub fn web_challenge(body: &[u8]) -> Option<WebChallenge> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(String::from);
    Some(WebChallenge {
        auth_url: s("authUrl")?,
        done_url: s("doneUrl")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_are_recognised_as_npm_does() {
        assert!(is_challenge(401, Some("OTP"), ""));
        assert!(is_challenge(401, Some("Basic, otp"), ""));
        assert!(is_challenge(
            401,
            None,
            "You must provide a one-time pass. Upgrade your client to npm@latest in order to use 2FA."
        ));
        assert!(!is_challenge(401, Some("Bearer"), "unauthorized"));
        assert!(!is_challenge(401, Some("ipaddress"), ""));
        assert!(!is_challenge(403, Some("otp"), ""));
    }

    #[test]
    fn the_web_flow_needs_both_urls() {
        let both = br#"{"error":"otp","authUrl":"https://r/auth/1","doneUrl":"https://r/done/1"}"#;
        assert_eq!(
            web_challenge(both),
            Some(WebChallenge {
                auth_url: "https://r/auth/1".into(),
                done_url: "https://r/done/1".into()
            })
        );
        assert_eq!(web_challenge(br#"{"authUrl":"https://r/a"}"#), None);
        assert_eq!(web_challenge(b"not json"), None);
    }

    #[test]
    fn a_new_code_moves_the_generation_and_an_empty_one_is_none() {
        let s = OtpState::new(Some("  ".into()), None);
        assert_eq!(s.current(), (None, 0));
        s.replace("123456".into());
        let (code, generation) = s.current();
        assert_eq!(
            code.map(|c| c.expose().to_string()).as_deref(),
            Some("123456")
        );
        assert_eq!(generation, 1);
        assert!(!s.refused());
        s.mark_refused();
        assert!(s.refused());
    }
}
