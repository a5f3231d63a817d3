//! `relay publish` through a fault-injecting proxy in front of Verdaccio: transient faults are
//! retried and every version lands exactly once; a final error stops the failed package's
//! dependents only, and a rerun completes.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness;
use crate::publish::{Mono, assert_all_published, assert_no_token, ok};
use crate::registry_proxy::{Fault, FaultProxy};
use crate::verdaccio::{Verdaccio, unique_scope};

fn escaped(name: &str) -> String {
    format!("/{}", name.replace('/', "%2f"))
}

fn status(code: u16, body: &str, retry_after: Option<u64>) -> Fault {
    Fault::Status {
        status: code,
        body: body.to_string(),
        retry_after,
    }
}

/// Fast retries for tests; a 3 s request timeout so the slow response is a timeout.
const FAST: &str = "fetch-retry-mintimeout=50\nfetch-retry-maxtimeout=400\nfetch-timeout=3000\n";

#[test]
fn transient_faults_are_retried_and_every_version_lands_exactly_once() {
    let vd = Verdaccio::shared();
    let proxy = FaultProxy::start(vd.port());
    let m = Mono::new(&unique_scope("flt"), 8, "1.0.0");
    m.npmrc(&proxy.url(), vd.token(), FAST);
    let n = |i: usize| escaped(&m.names[i]);
    proxy.add(
        "PUT",
        &n(0),
        status(500, r#"{"error":"internal"}"#, None),
        1,
    );
    proxy.add(
        "PUT",
        &n(1),
        status(503, r#"{"error":"unavailable"}"#, None),
        2,
    );
    proxy.add(
        "PUT",
        &n(2),
        status(429, r#"{"error":"slow down"}"#, Some(1)),
        1,
    );
    proxy.add("PUT", &n(3), Fault::Reset, 1);
    proxy.add(
        "PUT",
        &n(4),
        status(
            409,
            r#"{"error":"Failed to save packument. A common cause is if you try to publish a new package before the previous package has been fully processed."}"#,
            None,
        ),
        1,
    );
    proxy.add("PUT", &n(5), Fault::Delay(Duration::from_secs(5)), 1);
    proxy.add("PUT", &n(6), Fault::LoseResponse, 1);
    proxy.add(
        "GET",
        &n(7),
        status(502, r#"{"error":"bad gateway"}"#, None),
        2,
    );

    let out = m
        .relay()
        .args(["publish", "--no-git-tag", "--json"])
        .output()
        .unwrap();
    ok(&out);
    let summary: Value = serde_json::from_str(&harness::stdout(&out)).unwrap();
    assert_eq!(summary["published"].as_array().unwrap().len(), 8);
    assert_all_published(vd, &m, "1.0.0");

    // Every fault was actually hit (more than one PUT arrived for those packages; the lost
    // success needs none: the re-read finds the version) ...
    let seen = proxy.seen();
    for i in 0..6 {
        let puts = seen
            .iter()
            .filter(|s| *s == &format!("PUT {}", n(i)))
            .count();
        assert!(puts >= 2, "package {i}: fault not exercised ({puts} PUTs)");
    }
    // ... and Verdaccio accepted exactly one publish per package.
    let accepted = proxy.accepted_puts();
    for i in 0..8 {
        assert_eq!(accepted.get(&n(i)), Some(&1), "package {i}: {accepted:?}");
    }
    // The lost success and the timed-out upload were recognised as ours, not re-published.
    let outcome = |i: usize| {
        summary["published"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == m.names[i])
            .unwrap()["outcome"]
            .clone()
    };
    assert_eq!(outcome(6), json!("already-published"));
    assert_no_token(vd.token(), &[&out], &m);
}

#[test]
fn a_final_error_blocks_only_dependents_and_a_rerun_completes() {
    let vd = Verdaccio::shared();
    let proxy = FaultProxy::start(vd.port());
    // Two chains: 0 <- 1 <- 2 and 3 <- 4 <- 5.
    let edges = vec![
        (1, 0, "dependencies"),
        (2, 1, "dependencies"),
        (4, 3, "dependencies"),
        (5, 4, "peerDependencies"),
    ];
    let m = Mono::with_edges(&unique_scope("fin"), 6, "1.0.0", edges);
    m.npmrc(&proxy.url(), vd.token(), FAST);
    let p1 = escaped(&m.names[1]);
    proxy.add(
        "PUT",
        &p1,
        status(
            403,
            r#"{"error":"you do not have permission to publish this package"}"#,
            None,
        ),
        0,
    );
    let out = m
        .relay()
        .args(["publish", "--no-git-tag", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", harness::stderr(&out));
    let s: Value = serde_json::from_str(&harness::stdout(&out)).unwrap();
    let names = |k: &str| -> Vec<String> {
        s[k].as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect()
    };
    let mut published = names("published");
    published.sort();
    let mut expected = vec![
        m.names[0].clone(),
        m.names[3].clone(),
        m.names[4].clone(),
        m.names[5].clone(),
    ];
    expected.sort();
    assert_eq!(published, expected);
    assert_eq!(names("failed"), vec![m.names[1].clone()]);
    assert_eq!(names("notAttempted"), vec![m.names[2].clone()]);
    assert!(s["failed"][0]["error"].as_str().unwrap().contains("403"));
    assert!(
        s["resumeCommand"]
            .as_str()
            .unwrap()
            .starts_with("relay publish")
    );
    let err = harness::stderr(&out);
    assert!(
        err.contains("resume with: relay publish --no-git-tag"),
        "{err}"
    );
    assert!(err.contains("not attempted"), "{err}");
    // The 403 was not retried.
    let puts = proxy
        .seen()
        .iter()
        .filter(|x| *x == &format!("PUT {p1}"))
        .count();
    assert_eq!(puts, 1);
    for i in [1, 2] {
        assert!(vd.packument(&m.names[i]).is_none());
    }

    proxy.clear();
    let again = m
        .relay()
        .args(["publish", "--no-git-tag", "--json"])
        .output()
        .unwrap();
    ok(&again);
    assert_all_published(vd, &m, "1.0.0");
    let accepted = proxy.accepted_puts();
    for n in &m.names {
        assert_eq!(accepted.get(&escaped(n)), Some(&1), "{n}: {accepted:?}");
    }
    // One journal, resumed (two runs), complete.
    let journals = m.journals();
    assert_eq!(journals.len(), 1);
    let j: Value = serde_json::from_str(&journals[0].1).unwrap();
    assert_eq!(j["status"], "complete");
    assert_eq!(j["runs"], 2);
    assert_no_token(vd.token(), &[&out, &again], &m);
}

#[test]
fn fail_fast_starts_nothing_after_the_first_failure() {
    let vd = Verdaccio::shared();
    let proxy = FaultProxy::start(vd.port());
    let m = Mono::with_edges(&unique_scope("ff"), 4, "1.0.0", Vec::new());
    m.npmrc(&proxy.url(), vd.token(), FAST);
    // `@…/p1` sorts first, so it is the first upload at concurrency 1.
    proxy.add(
        "PUT",
        &escaped(&m.names[1]),
        status(401, r#"{"error":"unauthorized"}"#, None),
        0,
    );
    let out = m
        .relay()
        .args([
            "publish",
            "--no-git-tag",
            "--json",
            "--fail-fast",
            "--concurrency",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let s: Value = serde_json::from_str(&harness::stdout(&out)).unwrap();
    assert_eq!(s["failed"].as_array().unwrap().len(), 1);
    assert_eq!(s["published"], json!([]));
    assert_eq!(s["notAttempted"].as_array().unwrap().len(), 3);
    assert!(
        s["notAttempted"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("--fail-fast")
    );
    assert!(s["failed"][0]["error"].as_str().unwrap().contains("token"));
}
