//! One-time passwords, against Verdaccio behind a proxy that demands them the way npmjs does
//! for accounts with 2FA on writes. Without a terminal a refusal is final and stops every other
//! upload (nothing is published); `--otp` completes the release; on a terminal relay asks once
//! for all the uploads refused together, or follows the registry's web approval.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::harness;
use crate::publish::{Mono, assert_all_published, assert_no_token};
use crate::registry_proxy::{Fault, FaultProxy};
use crate::verdaccio::{Verdaccio, unique_scope};

const CODE: &str = "424242";

fn require_otp(proxy: &FaultProxy, web: bool) {
    for method in ["PUT", "DELETE"] {
        proxy.add(
            method,
            "",
            Fault::RequireOtp {
                code: CODE.into(),
                web,
            },
            0,
        );
    }
}

/// Six packages with no edges between them, so several uploads are in flight together.
fn independent(prefix: &str) -> Mono {
    Mono::with_edges(&unique_scope(prefix), 6, "1.0.0", Vec::new())
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_str(&harness::stdout(out)).unwrap_or_else(|e| {
        panic!(
            "{e}\nstdout:\n{}\nstderr:\n{}",
            harness::stdout(out),
            harness::stderr(out)
        )
    })
}

fn assert_nothing_on_registry(vd: &Verdaccio, m: &Mono) {
    for name in &m.names {
        assert!(vd.packument(name).is_none(), "{name} was published");
    }
}

#[test]
fn without_a_terminal_a_refusal_stops_the_release_and_otp_completes_it() {
    let vd = Verdaccio::shared();
    let proxy = FaultProxy::start(vd.port());
    require_otp(&proxy, false);
    let m = independent("otp");
    m.npmrc(&proxy.url(), vd.token(), "");

    // No code: the first refusals end the release before anything else starts.
    let none = m
        .relay()
        .args(["publish", "--no-git-tag", "--json", "--concurrency", "2"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(1), "{}", harness::stderr(&none));
    let s = json_of(&none);
    let failed = s["failed"].as_array().unwrap();
    let not_attempted = s["notAttempted"].as_array().unwrap();
    assert!(!failed.is_empty() && failed.len() <= 2, "{s}");
    assert_eq!(failed.len() + not_attempted.len(), 6, "{s}");
    for f in failed {
        let e = f["error"].as_str().unwrap();
        assert!(
            e.contains("asks for a one-time password") && e.contains("--otp <code>"),
            "{e}"
        );
    }
    for n in not_attempted {
        assert!(
            n["reason"].as_str().unwrap().contains("one-time password"),
            "{n}"
        );
    }
    let puts = proxy
        .seen()
        .iter()
        .filter(|s| s.starts_with("PUT "))
        .count();
    assert_eq!(puts, failed.len(), "a stopped release sent more uploads");
    assert_nothing_on_registry(vd, &m);

    // A wrong code: refused, and said so.
    let wrong = m
        .relay()
        .args(["publish", "--no-git-tag", "--concurrency", "2"])
        .args(["--otp", "000000"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(1));
    let err = harness::stderr(&wrong);
    assert!(err.contains("refused the one-time password"), "{err}");
    assert!(err.contains("--otp <code>"), "{err}");
    assert!(!err.contains("000000"), "the code was printed:\n{err}");
    assert_nothing_on_registry(vd, &m);

    // The right code, from npm's environment variable, through the promote sweep's dist-tag
    // writes too.
    let good = m
        .relay()
        .args(["publish", "--no-git-tag", "--concurrency", "2"])
        .args(["--strategy", "promote"])
        .env("NPM_CONFIG_OTP", CODE)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        good.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        harness::stdout(&good),
        harness::stderr(&good)
    );
    assert_all_published(vd, &m, "1.0.0");
    for name in &m.names {
        let path = format!("/{}", name.replace('/', "%2f"));
        assert_eq!(proxy.accepted_puts().get(&path), Some(&1), "{name}");
        let tags = vd.dist_tags(name);
        assert_eq!(tags["latest"], "1.0.0", "{name}: {tags}");
        assert_eq!(tags.as_object().unwrap().len(), 1, "{name}: {tags}");
    }
    // The code went with writes only, never with a read.
    let sent = proxy.otp_sent();
    assert!(sent.iter().any(|s| s.starts_with("DELETE /-/package/")));
    assert!(sent.iter().all(|s| !s.starts_with("GET ")), "{sent:?}");
    for out in [&none, &wrong, &good] {
        assert!(!harness::stdout(out).contains(CODE));
        assert!(!harness::stderr(out).contains(CODE));
    }
    for (path, text) in m.journals() {
        assert!(!text.contains(CODE), "{} holds the code", path.display());
    }
    assert_no_token(vd.token(), &[&none, &wrong, &good], &m);
}

/// Runs `relay` on a pseudo-terminal (util-linux `script`), typing `input`, and returns the
/// exit status and everything the terminal showed. stdin stays open until relay exits, as a
/// person's terminal would.
fn relay_on_a_terminal(m: &Mono, args: &[&str], input: &str) -> (Option<i32>, String) {
    let script = Command::new("script").arg("--version").output();
    assert!(
        script.is_ok_and(|o| o.status.success()),
        "these tests need util-linux `script` on PATH (Debian: bsdutils)"
    );
    let relay = m.relay();
    let mut line = shell_quote(&harness::relay_bin().display().to_string());
    for a in args {
        line.push(' ');
        line.push_str(&shell_quote(a));
    }
    let mut cmd = Command::new("script");
    cmd.args(["-q", "-e", "-c", &line, "/dev/null"])
        .current_dir(&m.root)
        .env("SHELL", "/bin/sh")
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // The same environment `Mono::relay` gives relay (HOME, git identity, scrubbed CI vars).
    for (k, v) in relay.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    stdin.flush().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stdout.read_to_end(&mut s);
        s
    });
    let status = child.wait().unwrap();
    drop(stdin);
    let shown = String::from_utf8_lossy(&reader.join().unwrap()).to_string();
    (status.code(), shown)
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[test]
fn on_a_terminal_relay_asks_once_for_every_upload_refused_together() {
    let vd = Verdaccio::shared();
    let proxy = FaultProxy::start(vd.port());
    require_otp(&proxy, false);
    let m = independent("otptty");
    m.npmrc(&proxy.url(), vd.token(), "");
    let (code, shown) = relay_on_a_terminal(
        &m,
        &["publish", "--no-git-tag", "--concurrency", "3"],
        &format!("{CODE}\n"),
    );
    assert_eq!(code, Some(0), "{shown}");
    assert_eq!(
        shown.matches("Enter OTP").count(),
        1,
        "expected one prompt:\n{shown}"
    );
    assert!(shown.contains("This operation requires a one-time password"));
    // The terminal got the progress display, one bar per wave.
    assert!(shown.contains("wave 1"), "{shown}");
    assert_all_published(vd, &m, "1.0.0");
    for name in &m.names {
        let path = format!("/{}", name.replace('/', "%2f"));
        assert_eq!(proxy.accepted_puts().get(&path), Some(&1), "{name}");
    }
}

#[test]
fn on_a_terminal_the_registry_web_approval_is_followed() {
    let vd = Verdaccio::shared();
    let proxy = FaultProxy::start(vd.port());
    require_otp(&proxy, true);
    proxy.web_approval(2, CODE);
    let m = independent("otpweb");
    m.npmrc(&proxy.url(), vd.token(), "");
    let (code, shown) =
        relay_on_a_terminal(&m, &["publish", "--no-git-tag", "--concurrency", "2"], "");
    assert_eq!(code, Some(0), "{shown}");
    assert!(
        shown.contains("Authenticate your account at")
            && shown.contains(&format!("{}auth/approve/1", proxy.url())),
        "{shown}"
    );
    assert!(!shown.contains("Enter OTP"), "{shown}");
    // Polled until approved (two 202s, then the token), with the registry's credential since
    // the done URL is on the registry's own origin.
    assert_eq!(proxy.web_polls(), vec![true, true, true]);
    assert_all_published(vd, &m, "1.0.0");
}

/// relay sends the code with writes only. A registry that also demands it for reads gets a
/// bounded number of tries, then a clear error: no endless loop, nothing published.
#[test]
fn a_read_that_demands_a_code_ends_instead_of_looping() {
    let vd = Verdaccio::shared();
    let proxy = FaultProxy::start(vd.port());
    proxy.add(
        "GET",
        "",
        Fault::RequireOtp {
            code: CODE.into(),
            web: false,
        },
        0,
    );
    let m = independent("otpread");
    m.npmrc(&proxy.url(), vd.token(), "");
    let (code, shown) = relay_on_a_terminal(
        &m,
        &["publish", "--no-git-tag", "--concurrency", "1"],
        &format!("{CODE}\n"),
    );
    assert_eq!(code, Some(1), "{shown}");
    assert!(shown.contains("one-time password"), "{shown}");
    assert!(proxy.seen().len() < 100, "{} requests", proxy.seen().len());
    assert_nothing_on_registry(vd, &m);
}
