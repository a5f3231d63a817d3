//! `relay publish` end to end against a real Verdaccio: a generated monorepo of inter-dependent
//! scoped and unscoped packages, installed back with npm; dry run, publish-plan, preflight.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::harness;
use crate::verdaccio::{Verdaccio, npmrc_for, unique_scope};

/// A generated monorepo in a temp dir (never committed: made at test time).
pub struct Mono {
    pub _tmp: tempfile::TempDir,
    pub root: PathBuf,
    pub home: PathBuf,
    pub scope: String,
    pub names: Vec<String>,
    pub edges: Vec<(usize, usize, &'static str)>,
}

impl Mono {
    /// `n` packages: every third unscoped (`<scope>-u<i>`), the rest `@<scope>/p<i>`. Package i
    /// depends on i-1 (prod); every fourth also on i-2 (peer); every fifth on i-3 (dev); every
    /// seventh on i-5 (optional).
    pub fn new(scope: &str, n: usize, version: &str) -> Mono {
        Mono::with_edges(scope, n, version, default_edges(n))
    }

    /// Like [`Mono::new`] with explicit edges (dependent, dependency, table).
    pub fn with_edges(
        scope: &str,
        n: usize,
        version: &str,
        edges: Vec<(usize, usize, &'static str)>,
    ) -> Mono {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("repo");
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(root.join("packages")).unwrap();
        std::fs::write(
            root.join("package.json"),
            r#"{"name":"mono-root","private":true,"workspaces":["packages/*"]}"#,
        )
        .unwrap();
        let names: Vec<String> = (0..n)
            .map(|i| {
                if i % 3 == 0 {
                    format!("{scope}-u{i}")
                } else {
                    format!("@{scope}/p{i}")
                }
            })
            .collect();
        let m = Mono {
            _tmp: tmp,
            root,
            home,
            scope: scope.to_string(),
            names,
            edges,
        };
        m.set_version(version);
        m
    }

    pub fn dir(&self, i: usize) -> PathBuf {
        self.root.join("packages").join(format!("p{i}"))
    }

    /// Adds `scripts.<event> = cmd` to package i.
    pub fn add_script(&self, i: usize, event: &str, cmd: &str) {
        let path = self.dir(i).join("package.json");
        let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        v["scripts"] = json!({ event: cmd });
        std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    }

    pub fn edges(&self) -> Vec<(usize, usize, &'static str)> {
        self.edges.clone()
    }

    pub fn set_version(&self, version: &str) {
        for (i, name) in self.names.iter().enumerate() {
            let mut pkg = json!({
                "name": name,
                "version": version,
                "description": format!("package {i}"),
                "main": "index.js",
                "license": "MIT",
            });
            for (from, to, table) in self.edges() {
                if from == i {
                    let t = pkg
                        .as_object_mut()
                        .unwrap()
                        .entry(table)
                        .or_insert_with(|| json!({}));
                    t[&self.names[to]] = json!(format!("^{version}"));
                }
            }
            let dir = self.dir(i);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(
                dir.join("package.json"),
                serde_json::to_string_pretty(&pkg).unwrap(),
            )
            .unwrap();
            std::fs::write(
                dir.join("index.js"),
                format!("module.exports = {{ name: {name:?}, version: {version:?} }};\n"),
            )
            .unwrap();
            std::fs::write(dir.join("README.md"), format!("# {name}\n")).unwrap();
        }
    }

    /// Writes the project `.npmrc` pointing at `url` with `token` (+ extra lines).
    pub fn npmrc(&self, url: &str, token: &str, extra: &str) {
        std::fs::write(
            self.root.join(".npmrc"),
            format!("{}{extra}", npmrc_for(url, token)),
        )
        .unwrap();
    }

    pub fn git_init(&self) {
        for args in [
            vec!["init", "-q", "-b", "main"],
            vec!["add", "-A"],
            vec!["commit", "-qm", "init"],
        ] {
            let o = git(&self.root).args(&args).output().unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
    }

    pub fn relay(&self) -> Command {
        let mut c = harness::relay(&self.root);
        c.env("HOME", &self.home)
            .env("GIT_COMMITTER_NAME", "relay test")
            .env("GIT_COMMITTER_EMAIL", "relay@example.test")
            .env("GIT_AUTHOR_NAME", "relay test")
            .env("GIT_AUTHOR_EMAIL", "relay@example.test");
        c
    }

    pub fn journals(&self) -> Vec<(PathBuf, String)> {
        let dir = self.root.join(".relay/releases");
        let mut out = Vec::new();
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd.flatten() {
                out.push((
                    e.path(),
                    std::fs::read_to_string(e.path()).unwrap_or_default(),
                ));
            }
        }
        out.sort();
        out
    }
}

/// Package i depends on i-1 (prod); every fourth also on i-2 (peer); every fifth on i-3
/// (dev); every seventh on i-5 (optional).
pub fn default_edges(n: usize) -> Vec<(usize, usize, &'static str)> {
    let mut e = Vec::new();
    for i in 1..n {
        e.push((i, i - 1, "dependencies"));
        if i % 4 == 0 && i >= 2 {
            e.push((i, i - 2, "peerDependencies"));
        }
        if i % 5 == 0 && i >= 3 {
            e.push((i, i - 3, "devDependencies"));
        }
        if i % 7 == 0 && i >= 5 {
            e.push((i, i - 5, "optionalDependencies"));
        }
    }
    e
}

pub fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.test")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.test");
    c
}

/// Asserts the token appears in none of the outputs nor any journal.
pub fn assert_no_token(token: &str, outputs: &[&Output], mono: &Mono) {
    for o in outputs {
        assert!(
            !harness::stdout(o).contains(token),
            "token leaked on stdout"
        );
        assert!(
            !harness::stderr(o).contains(token),
            "token leaked on stderr"
        );
    }
    for (path, text) in mono.journals() {
        assert!(
            !text.contains(token),
            "token leaked into {}",
            path.display()
        );
    }
}

pub fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        harness::stdout(o),
        harness::stderr(o)
    );
}

/// Every name at `version` is on the registry and `latest` points at it.
pub fn assert_all_published(vd: &Verdaccio, m: &Mono, version: &str) {
    for name in &m.names {
        let p = vd
            .packument(name)
            .unwrap_or_else(|| panic!("{name} not on the registry"));
        assert!(
            p["versions"].get(version).is_some(),
            "{name}@{version} missing"
        );
        assert_eq!(p["dist-tags"]["latest"], version, "{name} latest");
    }
}

/// Installs every package at `version` into a fresh project with npm and checks that each
/// dependency resolved to the expected version.
pub fn npm_install_check(registry: &str, token: &str, m: &Mono, version: &str) {
    harness::require_node();
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("consumer");
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::write(
        proj.join("package.json"),
        r#"{"name":"consumer","private":true}"#,
    )
    .unwrap();
    let rc = tmp.path().join("npmrc");
    std::fs::write(&rc, npmrc_for(registry, token)).unwrap();
    let specs: Vec<String> = m.names.iter().map(|n| format!("{n}@{version}")).collect();
    let out = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--registry", registry])
        .arg("--userconfig")
        .arg(&rc)
        .arg("--cache")
        .arg(tmp.path().join("cache"))
        .args(&specs)
        .current_dir(&proj)
        .env("HOME", tmp.path())
        .output()
        .unwrap();
    ok(&out);
    for name in &m.names {
        let pj: Value = serde_json::from_str(
            &std::fs::read_to_string(proj.join("node_modules").join(name).join("package.json"))
                .unwrap_or_else(|e| panic!("{name} not installed: {e}")),
        )
        .unwrap();
        assert_eq!(pj["version"], version, "{name}");
        for table in ["dependencies", "peerDependencies", "optionalDependencies"] {
            if let Some(deps) = pj.get(table).and_then(Value::as_object) {
                for dep in deps.keys() {
                    let nested = proj
                        .join("node_modules")
                        .join(name)
                        .join("node_modules")
                        .join(dep)
                        .join("package.json");
                    let top = proj.join("node_modules").join(dep).join("package.json");
                    let path = if nested.exists() { nested } else { top };
                    let d: Value =
                        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                    assert_eq!(d["version"], version, "{name} -> {dep}");
                }
            }
        }
    }
}

#[test]
fn publishes_22_packages_npm_installs_them_and_a_rerun_is_a_no_op() {
    let vd = Verdaccio::shared();
    let scope = unique_scope("e2e");
    let m = Mono::new(&scope, 22, "1.0.0");
    m.npmrc(&vd.url(), vd.token(), "");
    m.add_script(2, "prepublishOnly", "echo ran > prepublish-ran.txt");
    m.git_init();
    let first = m.relay().args(["publish", "--json"]).output().unwrap();
    ok(&first);
    let summary: Value = serde_json::from_str(&harness::stdout(&first)).unwrap();
    assert_eq!(summary["published"].as_array().unwrap().len(), 22);
    assert_eq!(summary["failed"], json!([]));
    // Waves follow the dependency chain: p0 first, p21 last.
    let waves = summary["plan"]["waves"].as_array().unwrap();
    assert_eq!(waves[0], json!([m.names[0]]));
    assert!(
        waves
            .last()
            .unwrap()
            .as_array()
            .unwrap()
            .contains(&json!(m.names[21]))
    );
    assert_all_published(vd, &m, "1.0.0");
    assert!(
        m.dir(2).join("prepublish-ran.txt").exists(),
        "prepublishOnly ran"
    );
    // The registry stores npm's manifest shape.
    let p = vd.packument(&m.names[1]).unwrap();
    let v = &p["versions"]["1.0.0"];
    assert_eq!(v["_id"], format!("{}@1.0.0", m.names[1]));
    assert_eq!(v["readmeFilename"], "README.md");
    assert!(v["gitHead"].as_str().is_some_and(|h| h.len() == 40));
    assert!(
        v["dist"]["integrity"]
            .as_str()
            .unwrap()
            .starts_with("sha512-")
    );
    // Git tags, one per package.
    let tags = git(&m.root).args(["tag", "--list"]).output().unwrap();
    let tags = harness::stdout(&tags);
    for n in &m.names {
        assert!(tags.lines().any(|t| t == format!("{n}@1.0.0")), "{tags}");
    }

    npm_install_check(&vd.url(), vd.token(), &m, "1.0.0");

    let second = m.relay().args(["publish"]).output().unwrap();
    ok(&second);
    assert!(
        harness::stderr(&second).contains("nothing to publish"),
        "{}",
        harness::stderr(&second)
    );
    assert_no_token(vd.token(), &[&first, &second], &m);
    let journals = m.journals();
    assert_eq!(journals.len(), 1);
    let j: Value = serde_json::from_str(&journals[0].1).unwrap();
    assert_eq!(j["status"], "complete");
    assert_eq!(j["packages"].as_object().unwrap().len(), 22);
}

#[test]
fn dry_run_and_publish_plan_change_nothing() {
    let vd = Verdaccio::shared();
    let scope = unique_scope("dry");
    let m = Mono::new(&scope, 5, "1.0.0");
    m.npmrc(&vd.url(), vd.token(), "");
    // Lifecycle scripts do not run in a dry run (it changes nothing anywhere).
    m.add_script(1, "prepublishOnly", "echo ran > prepublish-ran.txt");
    let before = harness::snapshot_tree(&m.root);
    let out = m.relay().args(["publish", "--dry-run"]).output().unwrap();
    ok(&out);
    let text = harness::stdout(&out);
    assert!(text.contains("wave 1:"), "{text}");
    assert!(
        text.contains(&format!("{}@1.0.0  tag latest", m.names[0])),
        "{text}"
    );
    assert!(text.contains(" B "), "tarball sizes shown: {text}");
    let plan_file = m.home.join("plan.json");
    let out2 = m
        .relay()
        .args(["publish-plan", "--output"])
        .arg(&plan_file)
        .output()
        .unwrap();
    ok(&out2);
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&plan_file).unwrap()).unwrap();
    assert_eq!(plan["packages"].as_array().unwrap().len(), 5);
    assert_eq!(plan["waves"].as_array().unwrap().len(), 5);
    assert_eq!(harness::snapshot_tree(&m.root), before);
    for n in &m.names {
        assert!(vd.packument(n).is_none(), "{n} was published by a dry run");
    }
    assert_no_token(vd.token(), &[&out, &out2], &m);
}

#[test]
fn preflight_lists_every_problem_and_uploads_nothing() {
    let vd = Verdaccio::shared();
    let scope = unique_scope("pre");
    let m = Mono::new(&scope, 4, "1.0.0");
    m.npmrc(&vd.url(), vd.token(), "");
    // p1 becomes a prerelease (would go to latest); p3 wants a version of p2 nobody has.
    let p1 = m.dir(1).join("package.json");
    let t = std::fs::read_to_string(&p1)
        .unwrap()
        .replace("\"version\": \"1.0.0\"", "\"version\": \"1.1.0-beta.0\"");
    std::fs::write(&p1, t).unwrap();
    let p3 = m.dir(3).join("package.json");
    let t = std::fs::read_to_string(&p3)
        .unwrap()
        .replace("\"^1.0.0\"", "\"^9.0.0\"");
    std::fs::write(&p3, t).unwrap();
    let out = m.relay().args(["publish"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = harness::stderr(&out);
    assert!(
        err.contains("is a prerelease and would become `latest`"),
        "{err}"
    );
    assert!(err.contains("--tag next"), "{err}");
    assert!(err.contains("cannot be satisfied"), "{err}");
    assert!(err.contains("nothing was published"), "{err}");
    for n in &m.names {
        assert!(
            vd.packument(n).is_none(),
            "{n} uploaded despite preflight failure"
        );
    }
    // No credential at all: named per registry with the fix.
    let m2 = Mono::new(&unique_scope("noauth"), 2, "1.0.0");
    std::fs::write(
        m2.root.join(".npmrc"),
        format!(
            "registry={}\n//127.0.0.1:{}/:_authToken=${{NODE_AUTH_TOKEN}}\n",
            vd.url(),
            vd.port()
        ),
    )
    .unwrap();
    let out = m2.relay().args(["publish"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = harness::stderr(&out);
    assert!(err.contains("no credential"), "{err}");
    assert!(
        err.contains("environment variable that is not set"),
        "{err}"
    );
    assert_eq!(err.matches("no credential").count(), 2, "{err}");
}

#[test]
fn a_dependency_cycle_is_one_wave_with_a_warning() {
    let vd = Verdaccio::shared();
    let edges = vec![
        (1, 2, "dependencies"),
        (2, 1, "peerDependencies"),
        (3, 1, "dependencies"),
        (0, 3, "devDependencies"),
    ];
    let m = Mono::with_edges(&unique_scope("cyc"), 4, "1.0.0", edges);
    m.npmrc(&vd.url(), vd.token(), "");
    let out = m
        .relay()
        .args(["publish", "--no-git-tag", "--json"])
        .output()
        .unwrap();
    ok(&out);
    let err = harness::stderr(&out);
    assert!(err.contains("dependency cycle between"), "{err}");
    let s: Value = serde_json::from_str(&harness::stdout(&out)).unwrap();
    let waves = s["plan"]["waves"].as_array().unwrap();
    // p0 (dev edge only) and the cycle {p1, p2} go first; p3 after the cycle.
    assert_eq!(waves.len(), 2, "{waves:?}");
    assert!(waves[0].as_array().unwrap().contains(&json!(m.names[1])));
    assert!(waves[0].as_array().unwrap().contains(&json!(m.names[2])));
    assert!(waves[0].as_array().unwrap().contains(&json!(m.names[0])));
    assert_eq!(waves[1], json!([m.names[3]]));
    assert_all_published(vd, &m, "1.0.0");
}

#[test]
fn git_tag_command_tags_current_versions_and_skips_existing() {
    let m = Mono::with_edges(&unique_scope("gt"), 3, "2.1.0", Vec::new());
    // A private package is tagged too when privatePackages.tag is set.
    let private = m.root.join("packages/secret");
    std::fs::create_dir_all(&private).unwrap();
    std::fs::write(
        private.join("package.json"),
        r#"{"name":"secret-app","version":"0.3.0","private":true}"#,
    )
    .unwrap();
    std::fs::create_dir_all(m.root.join(".changeset")).unwrap();
    std::fs::write(
        m.root.join(".changeset/config.json"),
        r#"{"privatePackages":{"version":true,"tag":true}}"#,
    )
    .unwrap();
    m.git_init();
    let out = m.relay().arg("git-tag").output().unwrap();
    ok(&out);
    let list = |m: &Mono| {
        let o = git(&m.root).args(["tag", "--list"]).output().unwrap();
        let mut v: Vec<String> = harness::stdout(&o).lines().map(String::from).collect();
        v.sort();
        v
    };
    let mut expected: Vec<String> = m.names.iter().map(|n| format!("{n}@2.1.0")).collect();
    expected.push("secret-app@0.3.0".into());
    expected.sort();
    assert_eq!(list(&m), expected);
    // Annotated, not lightweight.
    let t = git(&m.root)
        .args(["cat-file", "-t", &format!("refs/tags/{}@2.1.0", m.names[0])])
        .output()
        .unwrap();
    assert_eq!(harness::stdout(&t).trim(), "tag");
    let again = m.relay().arg("git-tag").output().unwrap();
    ok(&again);
    assert!(!harness::stderr(&again).contains("created"));
    assert_eq!(list(&m), expected);
}

#[test]
fn single_package_repo_is_tagged_vx_y_z() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("solo");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("package.json"),
        r#"{"name":"solo","version":"4.5.6"}"#,
    )
    .unwrap();
    for args in [
        vec!["init", "-q", "-b", "main"],
        vec!["add", "-A"],
        vec!["commit", "-qm", "init"],
    ] {
        assert!(git(&root).args(&args).output().unwrap().status.success());
    }
    let out = harness::relay(&root)
        .env("HOME", tmp.path())
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.test")
        .arg("git-tag")
        .output()
        .unwrap();
    ok(&out);
    let o = git(&root).args(["tag", "--list"]).output().unwrap();
    assert_eq!(harness::stdout(&o).trim(), "v4.5.6");
}
