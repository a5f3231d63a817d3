//! The registry client against a real Verdaccio: publish body accepted, duplicates recognised
//! by integrity, dist-tags, deprecate; npm itself reads back what relay wrote.

use std::collections::BTreeMap;
use std::process::Command;

use relay::registry::{
    Credential, PublishBody, PublishOutcome, RegistryClient, RegistryError, RetryPolicy, Tarball,
};
use relay::secret::Secret;
use url::Url;

use crate::verdaccio::{Verdaccio, npmrc_for, unique_scope};

fn tarball(name: &str, version: &str, content: &str) -> Tarball {
    // A real npm-layout tarball built with the tar crate: package/package.json + index.js.
    let manifest = serde_json::json!({"name": name, "version": version, "main": "index.js"});
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in [
        ("package/package.json", manifest.to_string()),
        ("package/index.js", content.to_string()),
    ] {
        let mut h = tar::Header::new_ustar();
        h.set_path(path).unwrap();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append(&h, data.as_bytes()).unwrap();
    }
    let tar = b.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    let bytes = gz.finish().unwrap();
    let (shasum, integrity) = relay::pack::digests(&bytes);
    Tarball {
        name: name.into(),
        version: version.into(),
        bytes,
        integrity,
        shasum,
        manifest,
        readme: None,
    }
}

#[test]
fn publish_dist_tags_deprecate_and_integrity_checks() {
    let vd = Verdaccio::shared();
    let reg = Url::parse(&vd.url()).unwrap();
    let cred = Credential::Token(Secret::new(vd.token()));
    let name = format!("@{}/client", unique_scope("reg"));
    let client = RegistryClient::new(RetryPolicy::default()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tags = |v: &str| BTreeMap::from([("latest".to_string(), v.to_string())]);

    rt.block_on(async {
        assert_eq!(
            client.packument(&reg, &name, Some(&cred)).await.unwrap(),
            None
        );
        let t1 = tarball(&name, "1.0.0", "one");
        let body = PublishBody::new(&t1, &reg, &tags("1.0.0"), Some("public"), None);
        assert_eq!(
            client.publish(&reg, Some(&cred), &body).await.unwrap(),
            PublishOutcome::Published
        );
        // The same tarball again: recognised as ours.
        assert_eq!(
            client.publish(&reg, Some(&cred), &body).await.unwrap(),
            PublishOutcome::AlreadyPublished
        );
        // Other bytes under the same version: a hard error naming both integrities.
        let other = tarball(&name, "1.0.0", "different");
        let err = client
            .publish(
                &reg,
                Some(&cred),
                &PublishBody::new(&other, &reg, &tags("1.0.0"), None, None),
            )
            .await
            .unwrap_err();
        match &err {
            RegistryError::IntegrityMismatch { ours, theirs, .. } => {
                assert_eq!(ours, &other.integrity);
                assert_eq!(theirs, &t1.integrity);
            }
            e => panic!("unexpected {e}"),
        }
        assert!(err.to_string().contains(&t1.integrity));

        let t2 = tarball(&name, "1.1.0", "two");
        let body2 = PublishBody::new(&t2, &reg, &tags("1.1.0"), None, None);
        client.publish(&reg, Some(&cred), &body2).await.unwrap();
        client
            .dist_tag_add(&reg, &name, "next", "1.0.0", Some(&cred))
            .await
            .unwrap();
        let dt = client.dist_tags(&reg, &name, Some(&cred)).await.unwrap();
        assert_eq!(dt["latest"], "1.1.0");
        assert_eq!(dt["next"], "1.0.0");
        client
            .dist_tag_rm(&reg, &name, "next", Some(&cred))
            .await
            .unwrap();
        let dt = client.dist_tags(&reg, &name, Some(&cred)).await.unwrap();
        assert!(!dt.contains_key("next"));
        // Tagging a version that does not exist is a final error.
        let e = client
            .dist_tag_add(&reg, &name, "bad", "9.9.9", Some(&cred))
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(404));

        client
            .deprecate(
                &reg,
                &name,
                &["1.0.0".to_string()],
                "use 1.1.0",
                Some(&cred),
            )
            .await
            .unwrap();
        let p = client
            .packument(&reg, &name, Some(&cred))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            p.versions["1.0.0"].integrity.as_deref(),
            Some(t1.integrity.as_str())
        );
        assert_eq!(p.dist_tags["latest"], "1.1.0");

        // Without a credential Verdaccio refuses the upload: final, with a hint.
        let t3 = tarball(&name, "1.2.0", "three");
        let e = client
            .publish(
                &reg,
                None,
                &PublishBody::new(&t3, &reg, &tags("1.2.0"), None, None),
            )
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(401));
        assert!(e.to_string().contains("_authToken"));
    });

    // npm sees what relay wrote.
    let tmp = tempfile::tempdir().unwrap();
    let rc = tmp.path().join("npmrc");
    std::fs::write(&rc, npmrc_for(&vd.url(), vd.token())).unwrap();
    let out = Command::new("npm")
        .args([
            "view",
            &name,
            "--json",
            "--registry",
            &vd.url(),
            "--userconfig",
        ])
        .arg(&rc)
        .arg("--cache")
        .arg(tmp.path().join("cache"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["versions"], serde_json::json!(["1.0.0", "1.1.0"]));
    assert_eq!(v["dist-tags"]["latest"], "1.1.0");
    let dep = Command::new("npm")
        .args([
            "view",
            &format!("{name}@1.0.0"),
            "deprecated",
            "--registry",
            &vd.url(),
        ])
        .arg("--userconfig")
        .arg(&rc)
        .arg("--cache")
        .arg(tmp.path().join("cache"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&dep.stdout).trim(), "use 1.1.0");
}
