//! SIGKILL `relay publish` at several points (a test hook pauses relay right after its Nth
//! journal write; a held upload stands for "killed mid-upload"), rerun, and compare the
//! registry with an uninterrupted run of the same release.

use std::collections::BTreeMap;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::publish::{Mono, assert_no_token, ok};
use crate::registry_proxy::{Fault, FaultProxy};
use crate::verdaccio::{Verdaccio, unique_scope};

const N: usize = 6;

/// Per package index: (versions, dist-tags without the release's temp tag).
type State = Vec<(Vec<String>, BTreeMap<String, String>)>;

fn state(vd: &Verdaccio, m: &Mono) -> State {
    m.names
        .iter()
        .map(|n| {
            let p = vd.packument(n).unwrap_or(Value::Null);
            let versions = p["versions"]
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            let tags = p["dist-tags"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                        .collect()
                })
                .unwrap_or_default();
            (versions, tags)
        })
        .collect()
}

/// Publishes 1.0.0, bumps to 1.1.0: the release under test then has history to preserve.
fn prepared(vd: &Verdaccio, proxy: &FaultProxy, prefix: &str) -> Mono {
    let m = Mono::new(&unique_scope(prefix), N, "1.0.0");
    m.npmrc(
        &proxy.url(),
        vd.token(),
        "fetch-retry-mintimeout=50\nfetch-retry-maxtimeout=400\n",
    );
    ok(&m
        .relay()
        .args(["publish", "--no-git-tag"])
        .output()
        .unwrap());
    m.set_version("1.1.0");
    m
}

fn spawn(m: &Mono, strategy: &str, pause_at: Option<usize>) -> Child {
    let mut c = m.relay();
    c.args(["publish", "--no-git-tag", "--strategy", strategy])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(n) = pause_at {
        c.env("RELAY_FAULT_PAUSE_AT_WRITE", n.to_string());
    }
    c.spawn().unwrap()
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn paused(m: &Mono) -> bool {
    m.journals()
        .iter()
        .any(|(p, _)| p.extension().is_some_and(|e| e == "paused"))
}

fn sigkill(mut child: Child) {
    // Child::kill sends SIGKILL to exactly this PID.
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Reruns to completion and checks the registry against the reference run.
fn resume_and_compare(
    vd: &Verdaccio,
    proxy: &FaultProxy,
    m: &Mono,
    strategy: &str,
    reference: &State,
) {
    for (p, _) in m.journals() {
        if p.extension().is_some_and(|e| e == "paused") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let out = m
        .relay()
        .args(["publish", "--no-git-tag", "--strategy", strategy])
        .output()
        .unwrap();
    ok(&out);
    assert_eq!(
        &state(vd, m),
        reference,
        "registry differs from an uninterrupted run"
    );
    // Exactly one accepted upload of 1.1.0 per package (1.0.0's were the first accepted).
    let accepted = proxy.accepted_puts();
    for n in &m.names {
        let key = format!("/{}", n.replace('/', "%2f"));
        assert_eq!(accepted.get(&key), Some(&2), "{n}: {accepted:?}");
    }
    // The registry holds exactly the tarballs the journal recorded.
    let journals: Vec<Value> = m
        .journals()
        .iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "json"))
        .map(|(_, t)| serde_json::from_str(t).unwrap())
        .collect();
    let j = journals
        .iter()
        .find(|j| j["packages"][&m.names[0]]["version"] == "1.1.0")
        .expect("journal of the 1.1.0 release");
    assert_eq!(j["status"], "complete");
    for n in &m.names {
        let p = vd.packument(n).unwrap();
        assert_eq!(
            p["versions"]["1.1.0"]["dist"]["integrity"],
            j["packages"][n]["integrity"]
        );
    }
    assert_no_token(vd.token(), &[&out], m);
}

fn reference(vd: &Verdaccio, proxy: &FaultProxy, strategy: &str) -> State {
    let m = prepared(vd, proxy, "ref");
    ok(&m
        .relay()
        .args(["publish", "--no-git-tag", "--strategy", strategy])
        .output()
        .unwrap());
    let s = state(vd, &m);
    assert!(
        s.iter()
            .all(|(v, t)| v.len() == 2 && t["latest"] == "1.1.0")
    );
    s
}

#[test]
fn sigkill_at_journal_steps_then_rerun_matches_an_uninterrupted_run() {
    let vd = Verdaccio::shared();
    let proxy = FaultProxy::start(vd.port());
    let reference = reference(vd, &proxy, "direct");
    // 2: first upload recorded as started, not sent; 3: first upload done, not yet confirmed
    // visible; 8: in the middle of the chain.
    for at in [2, 3, 8] {
        let m = prepared(vd, &proxy, &format!("k{at}"));
        let child = spawn(&m, "direct", Some(at));
        wait_for("the pause hook", || paused(&m));
        sigkill(child);
        resume_and_compare(vd, &proxy, &m, "direct", &reference);
    }
}

#[test]
fn sigkill_mid_upload_whose_put_lands_after_relay_died() {
    let vd = Verdaccio::shared();
    let proxy = FaultProxy::start(vd.port());
    let reference = reference(vd, &proxy, "direct");
    let m = prepared(vd, &proxy, "mid");
    let target = format!("/{}", m.names[2].replace('/', "%2f"));
    proxy.add("PUT", &target, Fault::Hold, 1);
    let child = spawn(&m, "direct", None);
    wait_for("the held upload", || proxy.held() >= 1);
    sigkill(child);
    // The upload reaches the registry after relay is gone: the journal says "started".
    proxy.release_held();
    wait_for("the late upload to land", || {
        proxy.accepted_puts().get(&target) == Some(&2)
    });
    // The snapshot written at the start plus the step log appended since.
    let j = m
        .journals()
        .into_iter()
        .find(|(p, t)| p.extension().is_some_and(|e| e == "json") && t.contains("1.1.0"))
        .map(|(p, t)| t + &std::fs::read_to_string(p.with_extension("log")).unwrap_or_default())
        .unwrap_or_default();
    assert!(j.contains("\"started\""), "{j}");
    resume_and_compare(vd, &proxy, &m, "direct", &reference);
}

#[test]
fn sigkill_during_a_promote_release_then_rerun_completes_the_sweep() {
    let vd = Verdaccio::shared();
    let proxy = FaultProxy::start(vd.port());
    let reference = reference(vd, &proxy, "promote");
    // 12 writes cover the uploads of a 6-package chain; 20 lands inside the promote sweep.
    for at in [5, 20] {
        let m = prepared(vd, &proxy, &format!("pk{at}"));
        let child = spawn(&m, "promote", Some(at));
        wait_for("the pause hook", || paused(&m));
        sigkill(child);
        // Until the sweep ran, consumers of `latest` still get 1.0.0 everywhere.
        if at == 5 {
            for (_, tags) in state(vd, &m) {
                assert_eq!(tags["latest"], "1.0.0");
            }
        }
        resume_and_compare(vd, &proxy, &m, "promote", &reference);
    }
}
