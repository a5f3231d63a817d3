//! OIDC trusted publishing end to end: relay against the issuer and the token-exchange gateway
//! (tests/it/oidc_doubles.rs) in front of a real Verdaccio. No npm token is in relay's
//! environment; the gateway alone maps exchanged tokens to Verdaccio's.

use std::path::{Path, PathBuf};
use std::process::Output;

use base64::Engine;
use serde_json::json;

use crate::harness;
use crate::oidc_doubles::{Identity, OidcWorld, Publisher};
use crate::verdaccio::{self, Verdaccio};

/// A gzipped npm tarball holding only `package/package.json`.
pub fn tiny_tgz(manifest: &str) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(manifest.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "package/package.json", manifest.as_bytes())
        .unwrap();
    let tar = b.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    gz.finish().unwrap()
}

/// Publishes `name@version` straight to Verdaccio with its real token (a package that already
/// exists before the release, as trusted publishing requires).
pub fn seed(vd: &Verdaccio, name: &str, version: &str) {
    let manifest = json!({"name": name, "version": version}).to_string();
    let tgz = tiny_tgz(&manifest);
    let b64 = base64::engine::general_purpose::STANDARD;
    let file = format!("{}-{version}.tgz", name.rsplit('/').next().unwrap());
    let body = json!({
        "_id": name, "name": name,
        "dist-tags": {"latest": version},
        "versions": {version: {
            "name": name, "version": version,
            "dist": {
                "tarball": format!("{}{name}/-/{file}", vd.url()),
                "integrity": relay::pack_plan::integrity_of(&tgz),
                "shasum": relay::pack_plan::shasum_of(&tgz),
            }
        }},
        "_attachments": {file: {
            "content_type": "application/octet-stream",
            "data": b64.encode(&tgz), "length": tgz.len()
        }}
    });
    let (status, resp) = verdaccio::http(
        vd.port(),
        "PUT",
        &format!("/{}", name.replace('/', "%2f")),
        Some(&body.to_string()),
        Some(&format!("Bearer {}", vd.token())),
    )
    .unwrap();
    assert_eq!(status, 201, "seeding {name}: {resp}");
}

/// A workspace of `names` (all version 1.1.0), each depending on the previous one.
pub fn workspace(dir: &Path, names: &[String]) {
    let ws: Vec<String> = (0..names.len()).map(|i| format!("packages/p{i}")).collect();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("package.json"),
        json!({"name": "root", "private": true, "workspaces": ws}).to_string(),
    )
    .unwrap();
    for (i, name) in names.iter().enumerate() {
        let d = dir.join(format!("packages/p{i}"));
        std::fs::create_dir_all(&d).unwrap();
        let mut m = json!({"name": name, "version": "1.1.0", "main": "index.js"});
        if i > 0 {
            m["dependencies"] = json!({ names[i - 1].clone(): "^1.1.0" });
        }
        std::fs::write(d.join("package.json"), m.to_string()).unwrap();
        std::fs::write(d.join("index.js"), format!("module.exports = {i};\n")).unwrap();
    }
}

pub struct Scene {
    pub world: OidcWorld,
    pub dir: tempfile::TempDir,
    pub names: Vec<String>,
}

impl Scene {
    /// `n` packages in a fresh scope on the shared Verdaccio; `seeded` of them already exist
    /// there, and all the seeded ones trust the default workflow identity.
    pub fn new(n: usize, seeded: usize) -> Scene {
        let vd = Verdaccio::shared();
        let world = OidcWorld::start(&vd.url(), vd.token());
        let scope = verdaccio::unique_scope("oidc");
        let names: Vec<String> = (0..n).map(|i| format!("@{scope}/pkg-{i}")).collect();
        for name in names.iter().take(seeded) {
            seed(vd, name, "1.0.0");
            world
                .gateway
                .trust(name, Publisher::for_identity(&Identity::default()));
        }
        let dir = tempfile::tempdir().unwrap();
        workspace(&dir.path().join("repo"), &names);
        // A user config with the registry and no credential at all.
        std::fs::write(
            dir.path().join("npmrc"),
            format!("registry={}\n", world.gateway.url()),
        )
        .unwrap();
        Scene { world, dir, names }
    }

    pub fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    /// `relay <args>` in the repo with the given CI environment and no npm token anywhere.
    pub fn relay(&self, env: &[(String, String)], args: &[&str]) -> Output {
        let mut cmd = harness::relay(&self.repo());
        cmd.env("HOME", self.dir.path())
            .env("npm_config_userconfig", self.dir.path().join("npmrc"))
            .env_remove("NODE_AUTH_TOKEN")
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        harness::run(&mut cmd)
    }

    /// `relay publish --auth oidc` with the given CI environment.
    pub fn publish(&self, env: &[(String, String)]) -> Output {
        self.relay(env, &["publish", "--auth", "oidc", "--no-git-tag"])
    }

    /// Nothing reached Verdaccio: no upload through the gateway, no 1.1.0 anywhere.
    pub fn assert_nothing_uploaded(&self) {
        assert!(
            self.world.gateway.uploads().is_empty(),
            "{:?}",
            self.world.gateway.uploads()
        );
        for n in &self.names {
            if let Some(p) = Verdaccio::shared().packument(n) {
                assert!(
                    p["versions"].get("1.1.0").is_none(),
                    "{n}@1.1.0 was uploaded"
                );
            }
        }
    }

    pub fn gitlab_env(&self, id_token: &str) -> Vec<(String, String)> {
        vec![
            ("CI".into(), "true".into()),
            ("GITLAB_CI".into(), "true".into()),
            ("NPM_ID_TOKEN".into(), id_token.into()),
        ]
    }

    /// Every secret the doubles handed out; none may appear in relay's output.
    pub fn secrets(&self) -> Vec<String> {
        let mut s = self.world.issuer.minted();
        s.extend(self.world.gateway.issued_tokens());
        s.push(self.world.issuer.request_token());
        s.push(Verdaccio::shared().token().to_string());
        s
    }

    pub fn assert_no_secret(&self, text: &str) {
        for s in self.secrets() {
            assert!(!text.contains(&s), "a token leaked into output:\n{text}");
            // Not even the signature part of a JWT.
            if let Some(sig) = s.rsplit('.').next().filter(|x| x.len() > 20) {
                assert!(
                    !text.contains(sig),
                    "a token part leaked into output:\n{text}"
                );
            }
        }
    }
}

fn all_output(o: &Output) -> String {
    format!("{}{}", harness::stdout(o), harness::stderr(o))
}

#[test]
fn auth_check_exchanges_for_every_package_without_any_npm_token() {
    let s = Scene::new(3, 3);
    let out = s.relay(&s.world.github_env(), &["auth", "check", "--auth", "oidc"]);
    let text = all_output(&out);
    assert!(out.status.success(), "{text}");
    for n in &s.names {
        assert!(text.contains(&format!("{n}  oidc ")), "{text}");
    }
    // One ID token per registry audience, one exchange per package.
    assert_eq!(s.world.issuer.requested_audiences(), vec!["npm:127.0.0.1"]);
    assert_eq!(s.world.gateway.exchanges().len(), 3);
    assert!(s.world.gateway.uploads().is_empty());
    s.assert_no_secret(&text);
}

#[test]
fn missing_id_token_permission_is_named() {
    let s = Scene::new(2, 2);
    let env = vec![
        ("CI".to_string(), "true".to_string()),
        ("GITHUB_ACTIONS".to_string(), "true".to_string()),
    ];
    let out = s.publish(&env);
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    s.assert_nothing_uploaded();
    assert!(text.contains("nothing was uploaded"), "{text}");
    assert!(text.contains("failed for 2 of 2 package(s)"), "{text}");
    assert!(
        text.contains("the job lacks the `id-token: write` permission"),
        "{text}"
    );
    assert!(text.contains("id-token: write"), "{text}");
    assert!(s.world.gateway.exchanges().is_empty());
}

#[test]
fn wrong_audience_is_named() {
    let s = Scene::new(1, 1);
    let tok = s.world.issuer.mint("npm:registry.npmjs.org", 600);
    let out = s.publish(&s.gitlab_env(&tok));
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    s.assert_nothing_uploaded();
    assert!(text.contains("nothing was uploaded"), "{text}");
    assert!(
        text.contains("token exchange: HTTP 401: OIDC token exchange error - unauthorized"),
        "{text}"
    );
    assert!(
        text.contains("wrong audience: the registry expects an ID token for `npm:127.0.0.1`, but this one is for `npm:registry.npmjs.org`"),
        "{text}"
    );
    s.assert_no_secret(&text);
}

#[test]
fn expired_id_token_is_named() {
    let s = Scene::new(1, 1);
    let tok = s.world.issuer.mint("npm:127.0.0.1", -120);
    let out = s.publish(&s.gitlab_env(&tok));
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    s.assert_nothing_uploaded();
    assert!(text.contains("nothing was uploaded"), "{text}");
    assert!(
        text.contains("likely cause: the ID token expired at"),
        "{text}"
    );
    s.assert_no_secret(&text);
}

#[test]
fn one_package_without_trusted_publisher_is_singled_out() {
    let s = Scene::new(3, 3);
    // The third package exists but nobody configured a publisher for it.
    s.world.gateway.trust(
        &s.names[2],
        Publisher {
            repository: "someone/else".into(),
            ..Publisher::for_identity(&Identity::default())
        },
    );
    let out = s.publish(&s.world.github_env());
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    s.assert_nothing_uploaded();
    assert!(text.contains("nothing was uploaded"), "{text}");
    assert!(text.contains("failed for 1 of 3 package(s)"), "{text}");
    assert!(
        text.contains(&format!(
            "no trusted publisher is configured for {} (other packages of this release accepted the same identity)",
            s.names[2]
        )),
        "{text}"
    );
    assert!(text.contains("HTTP 404: OIDC token exchange error - package not found"));
    assert!(text.contains("repository:  octo/monorepo"), "{text}");
    assert!(text.contains("workflow:    release.yml"), "{text}");
    assert!(text.contains("environment: npm"), "{text}");
    s.assert_no_secret(&text);
}

#[test]
fn workflow_mismatch_shows_the_claims_to_match() {
    let s = Scene::new(2, 2);
    for n in &s.names {
        s.world.gateway.trust(
            n,
            Publisher {
                workflow_file: "publish.yml".into(),
                ..Publisher::for_identity(&Identity::default())
            },
        );
    }
    let out = s.publish(&s.world.github_env());
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    s.assert_nothing_uploaded();
    assert!(text.contains("nothing was uploaded"), "{text}");
    assert!(
        text.contains("the registry accepted this identity for no package: the trusted publisher configuration names a different repository, workflow file or environment"),
        "{text}"
    );
    assert!(
        text.contains(
            "workflow_ref       octo/monorepo/.github/workflows/release.yml@refs/heads/main"
        ),
        "{text}"
    );
    assert!(text.contains("environment        npm"), "{text}");
    assert!(text.contains("event_name         push"), "{text}");
    s.assert_no_secret(&text);
    // The same, for machines.
    let out = s.relay(
        &s.world.github_env(),
        &["publish", "--auth", "oidc", "--no-git-tag", "--json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    let f = v["oidc"].as_array().unwrap();
    assert_eq!(f.len(), 2);
    assert_eq!(f[0]["cause"], "publisher-mismatch");
    assert_eq!(f[0]["httpStatus"], 404);
    assert_eq!(f[0]["claims"]["repository"], "octo/monorepo");
    s.assert_no_secret(&all_output(&out));
    s.assert_nothing_uploaded();
}

#[test]
fn brand_new_package_gets_the_first_publish_procedure() {
    // Two packages exist and trust the workflow; the third has never been published.
    let s = Scene::new(3, 2);
    let out = s.publish(&s.world.github_env());
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    s.assert_nothing_uploaded();
    assert!(text.contains("nothing was uploaded"), "{text}");
    let new = &s.names[2];
    assert!(
        text.contains(&format!("{new} does not exist on {} yet, and npm cannot create a package through trusted publishing", s.world.gateway.url())),
        "{text}"
    );
    assert!(text.contains(&format!("npm login --registry {}", s.world.gateway.url())));
    let file = new.trim_start_matches('@').replace('/', "-");
    assert!(
        text.contains(&format!("npm publish dist/{file}-<version>.tgz")),
        "{text}"
    );
    assert!(text.contains("failed for 1 of 3 package(s)"), "{text}");
}

#[test]
fn exchange_endpoint_down_is_named() {
    let s = Scene::new(2, 2);
    s.world.gateway.set_down(true);
    let out = s.publish(&s.world.github_env());
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    s.assert_nothing_uploaded();
    assert!(text.contains("nothing was uploaded"), "{text}");
    assert!(text.contains("HTTP 503: Service Unavailable"), "{text}");
    assert!(
        text.contains(
            "the registry's token-exchange endpoint is down or does not support trusted publishing"
        ),
        "{text}"
    );
}

#[test]
fn auto_uses_the_token_outside_ci_and_oidc_inside() {
    let s = Scene::new(2, 2);
    // Outside CI, with no token: auto has nothing to offer and says so.
    let out = s.relay(&[], &["auth", "check"]);
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("no credential for"), "{text}");
    // An empty NODE_AUTH_TOKEN and a placeholder .npmrc line never replace OIDC in CI.
    std::fs::write(
        s.repo().join(".npmrc"),
        format!(
            "//{}/:_authToken=${{NODE_AUTH_TOKEN}}\n",
            s.world
                .gateway
                .url()
                .trim_start_matches("http://")
                .trim_end_matches('/')
        ),
    )
    .unwrap();
    let mut env = s.world.github_env();
    env.push(("NODE_AUTH_TOKEN".into(), "".into()));
    let out = s.relay(&env, &["auth", "check", "--json"]);
    let text = all_output(&out);
    assert!(out.status.success(), "{text}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v.as_array().unwrap().iter().all(|e| e["method"] == "oidc"),
        "{v}"
    );
    // --auth token never tries OIDC.
    let before = s.world.gateway.exchanges().len();
    let out = s.relay(&s.world.github_env(), &["auth", "check", "--auth", "token"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(s.world.gateway.exchanges().len(), before);
}

/// A Mono (tests/it/publish.rs) whose packages all exist at 1.0.0 and trust the workflow, with a
/// project `.npmrc` naming the gateway and no credential.
fn oidc_mono(world: &OidcWorld, n: usize) -> crate::publish::Mono {
    let vd = Verdaccio::shared();
    let m = crate::publish::Mono::new(&verdaccio::unique_scope("oe"), n, "1.1.0");
    for name in &m.names {
        seed(vd, name, "1.0.0");
        world
            .gateway
            .trust(name, Publisher::for_identity(&Identity::default()));
    }
    std::fs::write(
        m.root.join(".npmrc"),
        format!("registry={}\n", world.gateway.url()),
    )
    .unwrap();
    m
}

fn secrets_of(world: &OidcWorld) -> Vec<String> {
    let mut s = world.issuer.minted();
    s.extend(world.gateway.issued_tokens());
    s.push(world.issuer.request_token());
    s.push(Verdaccio::shared().token().to_string());
    s
}

fn assert_clean(world: &OidcWorld, texts: &[String]) {
    for secret in secrets_of(world) {
        for t in texts {
            assert!(!t.contains(&secret), "a token leaked:\n{t}");
        }
    }
}

/// Each package was uploaded only after every internal prod/peer/optional dependency.
fn assert_dependency_order(world: &OidcWorld, m: &crate::publish::Mono) {
    let order: Vec<String> = world
        .gateway
        .uploads()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    for (from, to, table) in m.edges() {
        if table == "devDependencies" {
            continue;
        }
        let pos = |n: &str| order.iter().position(|x| x == n).unwrap();
        assert!(
            pos(&m.names[to]) < pos(&m.names[from]),
            "{} uploaded before its dependency {}: {order:?}",
            m.names[from],
            m.names[to]
        );
    }
}

#[test]
fn twelve_packages_publish_through_oidc_and_install() {
    let vd = Verdaccio::shared();
    let world = OidcWorld::start(&vd.url(), vd.token());
    let m = oidc_mono(&world, 12);
    let mut cmd = m.relay();
    cmd.args(["publish", "--no-git-tag"])
        .env_remove("NODE_AUTH_TOKEN");
    for (k, v) in world.github_env() {
        cmd.env(k, v);
    }
    let out = harness::run(&mut cmd);
    crate::publish::ok(&out);
    let text = all_output(&out);
    crate::publish::assert_all_published(vd, &m, "1.1.0");
    // Every upload went through the gateway with a package-scoped token.
    let uploads = world.gateway.uploads();
    assert_eq!(uploads.len(), 12, "{uploads:?}");
    assert!(uploads.iter().all(|(_, s)| *s == 201), "{uploads:?}");
    assert_eq!(world.gateway.exchanges().len(), 12);
    assert_dependency_order(&world, &m);
    for name in &m.names {
        assert!(
            text.contains(&format!(
                "{name}@1.1.0  auth: OIDC trusted publishing (GitHub Actions)"
            )),
            "{text}"
        );
    }
    let mut texts = vec![text];
    texts.extend(m.journals().into_iter().map(|(_, t)| t));
    assert!(texts.len() > 1, "a journal was written");
    texts.push(vd.log());
    assert_clean(&world, &texts);
    // Consumers install the release from Verdaccio.
    crate::publish::npm_install_check(&vd.url(), vd.token(), &m, "1.1.0");
}

#[test]
fn split_jobs_publish_the_pack_dir_in_plan_order_without_sources() {
    let vd = Verdaccio::shared();
    let world = OidcWorld::start(&vd.url(), vd.token());
    let m = oidc_mono(&world, 6);
    // Pack job: the repository, no credentials, no id-token.
    let dist = m._tmp.path().join("dist");
    let out = harness::run(m.relay().args(["pack", "--out-dir"]).arg(&dist));
    crate::publish::ok(&out);
    let plan: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dist.join("relay-publish-plan.json")).unwrap(),
    )
    .unwrap();
    let entries = plan["packages"].as_array().unwrap();
    assert_eq!(entries.len(), 6);
    assert_eq!(entries[0]["name"], m.names[0]);
    assert_eq!(entries[0]["wave"], 0);
    assert_eq!(entries[5]["wave"], 5, "a chain of 6 is 6 waves: {plan}");
    assert_eq!(entries[1]["waitsFor"], json!([m.names[0]]));
    assert_eq!(entries[0]["registry"], world.gateway.url());
    assert_eq!(entries[0]["tag"], "latest");

    // Publish job: only the pack directory and a registry line; the sources are gone.
    std::fs::remove_dir_all(&m.root).unwrap();
    let job = m._tmp.path().join("publish-job");
    std::fs::create_dir_all(&job).unwrap();
    std::fs::write(
        job.join(".npmrc"),
        format!("registry={}\n", world.gateway.url()),
    )
    .unwrap();
    let mut cmd = harness::relay(&job);
    cmd.env("HOME", &m.home)
        .args(["publish", "--auth", "oidc", "--from-pack-dir"])
        .arg(&dist);
    for (k, v) in world.github_env() {
        cmd.env(k, v);
    }
    let out = harness::run(&mut cmd);
    crate::publish::ok(&out);
    crate::publish::assert_all_published(vd, &m, "1.1.0");
    assert_dependency_order(&world, &m);
    // The registry holds exactly the packed bytes.
    for e in entries {
        let name = e["name"].as_str().unwrap();
        let p = vd.packument(name).unwrap();
        assert_eq!(
            p["versions"]["1.1.0"]["dist"]["integrity"], e["integrity"],
            "{name}"
        );
    }
    assert_clean(&world, &[all_output(&out)]);
}

#[test]
fn a_tampered_tarball_in_the_pack_dir_is_refused() {
    let vd = Verdaccio::shared();
    let world = OidcWorld::start(&vd.url(), vd.token());
    let m = oidc_mono(&world, 3);
    let dist = m._tmp.path().join("dist");
    crate::publish::ok(&harness::run(
        m.relay().args(["pack", "--out-dir"]).arg(&dist),
    ));
    // Someone swaps a tarball between the jobs (same name and version, other content).
    let plan: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dist.join("relay-publish-plan.json")).unwrap(),
    )
    .unwrap();
    let victim = plan["packages"][1]["filename"]
        .as_str()
        .unwrap()
        .to_string();
    let evil = tiny_tgz(
        &json!({"name": m.names[1], "version": "1.1.0", "scripts": {"install": "curl evil"}})
            .to_string(),
    );
    std::fs::write(dist.join(&victim), evil).unwrap();
    let job = m._tmp.path().join("publish-job");
    std::fs::create_dir_all(&job).unwrap();
    std::fs::write(
        job.join(".npmrc"),
        format!("registry={}\n", world.gateway.url()),
    )
    .unwrap();
    let mut cmd = harness::relay(&job);
    cmd.env("HOME", &m.home)
        .args(["publish", "--auth", "oidc", "--from-pack-dir"])
        .arg(&dist);
    for (k, v) in world.github_env() {
        cmd.env(k, v);
    }
    let out = harness::run(&mut cmd);
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "{}: {victim} was modified after packing",
            m.names[1]
        )),
        "{text}"
    );
    assert!(text.contains("nothing was published"), "{text}");
    assert!(world.gateway.uploads().is_empty());
    assert!(
        world.gateway.exchanges().is_empty(),
        "no exchange before the tarballs check out"
    );
    for n in &m.names {
        assert!(vd.packument(n).unwrap()["versions"].get("1.1.0").is_none());
    }
}

#[test]
fn short_lived_tokens_are_exchanged_again_before_upload() {
    let vd = Verdaccio::shared();
    let world = OidcWorld::start(&vd.url(), vd.token());
    // Tokens that live one minute: inside relay's five-minute renewal margin, so every upload
    // must re-exchange rather than send the token from the preflight.
    world.gateway.set_ttl(60);
    let m = oidc_mono(&world, 3);
    let mut cmd = m.relay();
    cmd.args(["publish", "--auth", "oidc", "--no-git-tag"]);
    for (k, v) in world.github_env() {
        cmd.env(k, v);
    }
    let out = harness::run(&mut cmd);
    crate::publish::ok(&out);
    crate::publish::assert_all_published(vd, &m, "1.1.0");
    let ex = world.gateway.exchanges();
    // Each package: the OIDC preflight, the release's preflight asking for its credential, and
    // the upload; each time the held token was inside the margin, so each was a new exchange.
    // (With hour-long tokens the twelve-package test sees exactly one exchange per package.)
    assert_eq!(ex.len(), 9, "{ex:?}");
    assert!(ex.iter().all(|(_, s)| *s == 201));
}

#[test]
fn gitlab_id_token_from_the_environment_is_exchanged() {
    let s = Scene::new(2, 2);
    let tok = s.world.issuer.mint("npm:127.0.0.1", 600);
    let out = s.relay(&s.gitlab_env(&tok), &["auth", "check", "--auth", "oidc"]);
    let text = all_output(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains(&format!("{}  oidc ", s.names[1])), "{text}");
    // GitLab hands the token over; nothing is requested from an endpoint.
    assert!(s.world.issuer.requested_audiences().is_empty());
    s.assert_no_secret(&text);
}

#[test]
fn buildkite_is_opt_in_and_uses_the_agent_command() {
    let s = Scene::new(1, 1);
    // A stand-in `buildkite-agent` that records its arguments and prints a token the issuer
    // minted for the registry's audience.
    let bin = s.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let tok = s.world.issuer.mint("npm:127.0.0.1", 600);
    let script = bin.join("buildkite-agent");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$@\" > '{}'\necho '{tok}'\n",
            s.dir.path().join("agent-args").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &script,
        <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o755),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let env = vec![
        ("CI".to_string(), "true".to_string()),
        ("BUILDKITE".to_string(), "true".to_string()),
        ("PATH".to_string(), path),
    ];
    // Not enabled: OIDC is not tried, and `--auth oidc` says how to enable it.
    let out = s.relay(&env, &["auth", "check", "--auth", "oidc"]);
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("[oidc] buildkite = true"), "{text}");
    assert!(!s.dir.path().join("agent-args").exists());
    // Enabled in relay.toml: the agent is asked for the registry's audience.
    std::fs::write(s.repo().join("relay.toml"), "[oidc]\nbuildkite = true\n").unwrap();
    let out = s.relay(&env, &["auth", "check", "--auth", "oidc"]);
    let text = all_output(&out);
    assert!(out.status.success(), "{text}");
    let args = std::fs::read_to_string(s.dir.path().join("agent-args")).unwrap();
    assert_eq!(args.trim(), "oidc request-token --audience npm:127.0.0.1");
    s.assert_no_secret(&text);
}

#[test]
fn a_reordered_plan_is_refused() {
    let vd = Verdaccio::shared();
    let world = OidcWorld::start(&vd.url(), vd.token());
    let m = oidc_mono(&world, 3);
    let dist = m._tmp.path().join("dist");
    crate::publish::ok(&harness::run(
        m.relay().args(["pack", "--out-dir"]).arg(&dist),
    ));
    // Someone edits the plan so a dependent goes first.
    let path = dist.join("relay-publish-plan.json");
    let mut plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let entries = plan["packages"].as_array_mut().unwrap();
    for e in entries.iter_mut() {
        e["wave"] = json!(0);
        e["waitsFor"] = json!([]);
    }
    std::fs::write(&path, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
    let mut cmd = harness::relay(&m._tmp.path().join("home"));
    cmd.env("HOME", &m.home)
        .args([
            "publish",
            "--auth",
            "oidc",
            "--registry",
            &world.gateway.url(),
            "--from-pack-dir",
        ])
        .arg(&dist);
    for (k, v) in world.github_env() {
        cmd.env(k, v);
    }
    let out = harness::run(&mut cmd);
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "{} is in wave 0 of the plan, but its tarball's dependencies put it in wave 1",
            m.names[1]
        )),
        "{text}"
    );
    assert!(world.gateway.uploads().is_empty());
}
