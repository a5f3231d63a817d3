//! The promote strategy: while a release is in flight `latest` still names the old versions;
//! afterwards every package's `latest` is new and the temporary tag is gone.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness;
use crate::publish::{Mono, assert_no_token, ok};
use crate::registry_proxy::{Fault, FaultProxy};
use crate::verdaccio::{Verdaccio, unique_scope};

#[test]
fn latest_moves_only_after_every_package_is_up() {
    let vd = Verdaccio::shared();
    let proxy = FaultProxy::start(vd.port());
    let m = Mono::new(&unique_scope("pro"), 5, "1.0.0");
    m.npmrc(&proxy.url(), vd.token(), "fetch-retry-mintimeout=50\n");
    // First-ever publish with promote: the registry sets `latest` itself; relay says so.
    let first = m
        .relay()
        .args(["publish", "--no-git-tag", "--strategy", "promote"])
        .output()
        .unwrap();
    ok(&first);
    assert!(
        harness::stderr(&first).contains("first-ever publish also sets `latest`"),
        "{}",
        harness::stderr(&first)
    );
    for n in &m.names {
        let tags = vd.dist_tags(n);
        assert_eq!(tags["latest"], "1.0.0");
        assert_eq!(tags.as_object().unwrap().len(), 1, "{n}: {tags}");
    }

    m.set_version("1.1.0");
    // Hold the last upload of the chain: everything else is up under the temporary tag.
    let last = format!("/{}", m.names[4].replace('/', "%2f"));
    proxy.add("PUT", &last, Fault::Hold, 1);
    let child = m
        .relay()
        .args(["publish", "--no-git-tag", "--strategy", "promote", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while proxy.held() == 0 {
        assert!(Instant::now() < deadline, "upload never held");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut temp_tag = None;
    for (i, n) in m.names.iter().enumerate() {
        let p = vd.packument(n).unwrap();
        assert_eq!(p["dist-tags"]["latest"], "1.0.0", "{n} moved early");
        if i < 4 {
            assert!(p["versions"].get("1.1.0").is_some(), "{n} not uploaded yet");
            let (tag, v) = p["dist-tags"]
                .as_object()
                .unwrap()
                .iter()
                .find(|(k, _)| k.starts_with("relay-tmp-"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .expect("temporary tag");
            assert_eq!(v, "1.1.0");
            temp_tag = Some(tag);
        }
    }
    proxy.release_held();
    let out = child.wait_with_output().unwrap();
    ok(&out);
    let s: Value = serde_json::from_str(&harness::stdout(&out)).unwrap();
    assert_eq!(s["plan"]["tempTag"], Value::String(temp_tag.unwrap()));
    for p in s["published"].as_array().unwrap() {
        assert_eq!(p["tag"], "latest");
    }
    for n in &m.names {
        let tags = vd.dist_tags(n);
        assert_eq!(tags["latest"], "1.1.0", "{n}");
        assert!(
            !tags
                .as_object()
                .unwrap()
                .keys()
                .any(|k| k.starts_with("relay-tmp-")),
            "{n}: temp tag left behind: {tags}"
        );
    }
    // The journal kept what `latest` was before, for a rollback.
    let j = m
        .journals()
        .into_iter()
        .map(|(_, t)| t)
        .find(|t| t.contains("\"1.1.0\""))
        .unwrap();
    let j: Value = serde_json::from_str(&j).unwrap();
    assert_eq!(
        j["packages"][&m.names[0]]["previousDistTags"]["latest"],
        "1.0.0"
    );
    assert_no_token(vd.token(), &[&first, &out], &m);
}
