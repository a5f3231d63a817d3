//! The upload scheduler, observed through the fault proxy's request log: a package goes as soon
//! as its own dependencies are visible (no wave barrier behind an unrelated slow upload), never
//! before its dependency's visibility check succeeded, and never after a dependency failed.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness;
use crate::publish::Mono;
use crate::registry_proxy::{Fault, FaultProxy};
use crate::verdaccio::{Verdaccio, unique_scope};

fn escaped(name: &str) -> String {
    format!("/{}", name.replace('/', "%2f"))
}

fn position(seen: &[String], from: usize, req: &str) -> Option<usize> {
    seen.iter()
        .skip(from)
        .position(|s| s == req)
        .map(|i| i + from)
}

#[test]
fn dependents_go_when_their_dependency_is_visible_not_when_the_wave_is_done() {
    let vd = Verdaccio::shared();
    let proxy = FaultProxy::start(vd.port());
    // u0: unrelated, its upload is held. p1 <- p2. u3: unrelated. p4 <- p5, p4 is refused.
    let m = Mono::with_edges(
        &unique_scope("sch"),
        6,
        "1.0.0",
        vec![(2, 1, "dependencies"), (5, 4, "dependencies")],
    );
    m.npmrc(
        &proxy.url(),
        vd.token(),
        "fetch-retry-mintimeout=50\nfetch-retry-maxtimeout=400\n",
    );
    let path = |i: usize| escaped(&m.names[i]);
    proxy.add("PUT", &path(0), Fault::Hold, 1);
    // The preflight read of p1 takes the first 404 (true: it is new); the next two answer the
    // visibility check after p1's upload with "not there yet", so relay must poll again.
    proxy.add(
        "GET",
        &path(1),
        Fault::Status {
            status: 404,
            body: r#"{"error":"not found"}"#.into(),
            retry_after: None,
        },
        3,
    );
    proxy.add(
        "PUT",
        &path(4),
        Fault::Status {
            status: 403,
            body: r#"{"error":"you do not have permission to publish this package"}"#.into(),
            retry_after: None,
        },
        0,
    );
    let child = m
        .relay()
        .args(["publish", "--no-git-tag", "--json", "--concurrency", "4"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // p2 is uploaded while u0 (same wave as p1) is still held: no barrier between waves.
    let put2 = format!("PUT {}", path(2));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !proxy.seen().contains(&put2) {
        assert!(
            Instant::now() < deadline,
            "p2 was not uploaded while u0 was held: {:?}",
            proxy.seen()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(proxy.held(), 1);
    assert!(!proxy.accepted_puts().contains_key(&path(0)));
    proxy.release_held();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", harness::stderr(&out));

    // Between p1's upload and p2's: two "not yet" answers and the read that saw p1.
    let seen = proxy.seen();
    let put1 = position(&seen, 0, &format!("PUT {}", path(1))).unwrap();
    let put2 = position(&seen, 0, &put2).unwrap();
    let gets = seen[put1..put2]
        .iter()
        .filter(|s| **s == format!("GET {}", path(1)))
        .count();
    assert!(gets >= 3, "{:?}", &seen[put1..put2]);
    // p5 depends on the refused p4: never uploaded.
    assert!(!seen.contains(&format!("PUT {}", path(5))), "{seen:?}");

    let s: Value = serde_json::from_str(&harness::stdout(&out)).unwrap();
    let names = |k: &str| -> Vec<String> {
        let mut v: Vec<String> = s[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    let mut published: Vec<String> = [0, 1, 2, 3].iter().map(|i| m.names[*i].clone()).collect();
    published.sort();
    assert_eq!(names("published"), published);
    assert_eq!(names("failed"), vec![m.names[4].clone()]);
    assert_eq!(names("notAttempted"), vec![m.names[5].clone()]);
}

#[test]
fn the_deepest_chain_takes_the_first_upload_slot() {
    let vd = Verdaccio::shared();
    let proxy = FaultProxy::start(vd.port());
    // u3 <- p4 <- p5 is a chain; u0, p1 and p2 are leaves, which the plan lists first.
    let m = Mono::with_edges(
        &unique_scope("crit"),
        6,
        "1.0.0",
        vec![(4, 3, "dependencies"), (5, 4, "dependencies")],
    );
    m.npmrc(&proxy.url(), vd.token(), "");
    let out = m
        .relay()
        .args(["publish", "--no-git-tag", "--json", "--concurrency", "1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", harness::stderr(&out));
    let plan: Value = serde_json::from_str(&harness::stdout(&out)).unwrap();
    let wave1: Vec<&str> = plan["plan"]["waves"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_ne!(wave1.first(), Some(&m.names[3].as_str()), "{wave1:?}");
    // One slot. The chain's root goes first, though the plan lists it last in its wave. Its
    // slot is free again while its visibility is checked, so a leaf goes next; once the root
    // is visible its dependent goes before the remaining leaves.
    let puts: Vec<String> = proxy
        .seen()
        .into_iter()
        .filter(|s| s.starts_with("PUT "))
        .collect();
    let at = |i: usize| {
        let want = format!("PUT {}", escaped(&m.names[i]));
        puts.iter().position(|p| *p == want).unwrap()
    };
    assert_eq!(puts.len(), 6, "{puts:?}");
    assert_eq!(at(3), 0, "{puts:?}");
    assert!(at(4) < at(0), "{puts:?}");
}
