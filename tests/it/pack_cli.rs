//! `relay pack` end to end: lifecycle scripts, bad inputs (clear error, exit 1, nothing
//! written), the secret guard, installing the tarball with npm.

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::harness::*;
use crate::pack::{gunzip, write_tree};

fn pack(root: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    run(relay(root).args(["pack", "--out-dir"]).arg(out).args(extra))
}

fn out_is_empty(out: &Path) -> bool {
    !out.exists() || fs::read_dir(out).unwrap().next().is_none()
}

#[test]
fn lifecycle_scripts_run_like_npm() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ws");
    let log = tmp.path().join("log.txt");
    let rec = format!(
        "echo \"$npm_lifecycle_event|$npm_package_name|$npm_package_version|$(pwd)|$npm_package_json|$npm_package_config_port|$npm_command\" >> {}",
        log.display()
    );
    let manifest = serde_json::json!({
        "name": "@ws/a", "version": "1.2.3", "main": "dist/gen.js",
        "config": {"port": 8080},
        "scripts": {
            "prepack": format!("{rec} && mkdir -p dist && hello > dist/gen.js"),
            "prepare": rec.clone(),
            "postpack": format!("{rec} && echo \"integrity=$npm_package_integrity\" >> {}", log.display()),
            "prepublishOnly": rec.clone(),
        }
    });
    write_tree(
        &root,
        &[
            (
                "package.json",
                r#"{"name":"root","private":true,"workspaces":["packages/*"]}"#,
            ),
            (
                "node_modules/.bin/hello",
                "@exec:#!/bin/sh\necho 'module.exports = 1'\n",
            ),
            (
                "packages/a/package.json",
                &serde_json::to_string_pretty(&manifest).unwrap(),
            ),
        ],
    );
    let out = tmp.path().join("out");
    let o = pack(&root, &out, &["--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let pkg_dir = fs::canonicalize(root.join("packages/a")).unwrap();
    let lines: Vec<String> = fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let json_path = pkg_dir.join("package.json");
    assert_eq!(lines.len(), 4, "{lines:?}");
    for (line, event) in lines.iter().zip(["prepack", "prepare", "postpack"]) {
        assert_eq!(
            *line,
            format!(
                "{event}|@ws/a|1.2.3|{}|{}|8080|pack",
                pkg_dir.display(),
                json_path.display()
            )
        );
    }
    let json: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        lines[3],
        format!("integrity={}", json[0]["integrity"].as_str().unwrap())
    );
    // The file prepack generated is in the tarball.
    let files: Vec<&str> = json[0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["dist/gen.js", "package.json"]);
    // Script output goes to stderr, so stdout stays valid JSON.
    assert!(
        stderr(&o).contains("> @ws/a@1.2.3 prepack"),
        "{}",
        stderr(&o)
    );

    // --ignore-scripts runs nothing.
    fs::remove_file(&log).unwrap();
    let o = pack(&root, &tmp.path().join("out2"), &["--ignore-scripts"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!log.exists());
}

#[test]
fn failing_script_aborts_with_its_output_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("p");
    write_tree(
        &root,
        &[
            (
                "package.json",
                r#"{"name":"p","version":"1.0.0","scripts":{"prepare":"echo boom-output; echo on-stderr >&2; exit 3"}}"#,
            ),
            ("index.js", "x"),
        ],
    );
    let out = tmp.path().join("out");
    let o = pack(&root, &out, &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("`prepare` script failed"), "{err}");
    assert!(
        err.contains("exit code 3") && err.contains("boom-output") && err.contains("on-stderr"),
        "{err}"
    );
    assert!(out_is_empty(&out));
}

/// Each bad input: exit 1, a message naming the problem, nothing in the out dir, and the
/// second (good) package is not written either.
#[test]
fn bad_inputs_fail_cleanly() {
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            "missing-main",
            vec![(
                "packages/bad/package.json",
                r#"{"name":"bad","version":"1.0.0","main":"dist/index.js"}"#,
            )],
            "`main` points to `dist/index.js`",
        ),
        (
            "missing-bin",
            vec![(
                "packages/bad/package.json",
                r#"{"name":"bad","version":"1.0.0","bin":{"bad":"cli.js"}}"#,
            )],
            "`bin.bad` points to `cli.js`",
        ),
        (
            "files-not-array",
            vec![(
                "packages/bad/package.json",
                r#"{"name":"bad","version":"1.0.0","files":"lib"}"#,
            )],
            "invalid `files` field",
        ),
        (
            "files-entry-not-string",
            vec![(
                "packages/bad/package.json",
                r#"{"name":"bad","version":"1.0.0","files":["lib",7]}"#,
            )],
            "`files[1]` is 7",
        ),
        (
            "workspace-range-in-npm",
            vec![(
                "packages/bad/package.json",
                r#"{"name":"bad","version":"1.0.0","scripts":{"prepack":"touch ran"},"dependencies":{"good":"workspace:^"}}"#,
            )],
            "dependencies.good: \"workspace:^\" in an npm workspace",
        ),
        (
            "catalog-range-in-npm",
            vec![(
                "packages/bad/package.json",
                r#"{"name":"bad","version":"1.0.0","peerDependencies":{"x":"catalog:"}}"#,
            )],
            "peerDependencies.x: \"catalog:\"",
        ),
        (
            "secret-env-file",
            vec![
                (
                    "packages/bad/package.json",
                    r#"{"name":"bad","version":"1.0.0"}"#,
                ),
                ("packages/bad/.env.local", "A=1"),
            ],
            ".env.local: environment file",
        ),
        (
            "secret-key-files",
            vec![
                (
                    "packages/bad/package.json",
                    r#"{"name":"bad","version":"1.0.0"}"#,
                ),
                ("packages/bad/certs/server.pem", "x"),
                ("packages/bad/id_rsa", "k"),
            ],
            "certs/server.pem: PEM key",
        ),
        (
            "token-in-file",
            vec![
                (
                    "packages/bad/package.json",
                    r#"{"name":"bad","version":"1.0.0"}"#,
                ),
                (
                    "packages/bad/config.js",
                    "const t = 'npm_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ';",
                ),
            ],
            "config.js: contains an npm access token",
        ),
        (
            "github-token-in-file",
            vec![
                (
                    "packages/bad/package.json",
                    r#"{"name":"bad","version":"1.0.0"}"#,
                ),
                (
                    "packages/bad/ci.yml",
                    "token: ghs_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ\n",
                ),
            ],
            "ci.yml: contains a GitHub token (ghs_",
        ),
        (
            "invalid-json",
            vec![(
                "packages/bad/package.json",
                "{\"name\": \"bad\",\n  \"version\": }",
            )],
            "invalid JSON",
        ),
    ];
    let mut failures = Vec::new();
    for (name, files, expect) in &cases {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("ws");
        write_tree(
            &root,
            &[
                (
                    "package.json",
                    r#"{"name":"root","private":true,"workspaces":["packages/*"]}"#,
                ),
                (
                    "packages/good/package.json",
                    r#"{"name":"good","version":"1.0.0"}"#,
                ),
                ("packages/good/index.js", "x"),
            ],
        );
        write_tree(&root, files);
        let out = tmp.path().join("out");
        let before = snapshot_tree(&root);
        let o = pack(&root, &out, &[]);
        let err = stderr(&o);
        if o.status.code() != Some(1)
            || !err.contains(expect)
            || !out_is_empty(&out)
            || snapshot_tree(&root) != before
        {
            failures.push(format!(
                "[{name}] exit {:?}, out dir empty: {}, stderr:\n{err}",
                o.status.code(),
                out_is_empty(&out)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "expected clear failures:\n{}",
        failures.join("\n")
    );
}

#[test]
fn unreadable_file_is_a_clear_error() {
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| stdout(&o).trim().to_string())
        .unwrap_or_default();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("p");
    write_tree(
        &root,
        &[
            ("package.json", r#"{"name":"p","version":"1.0.0"}"#),
            ("dir/", ""),
        ],
    );
    let target = root.join("dir/secret.js");
    fs::write(&target, "x").unwrap();
    fs::set_permissions(&target, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    let out = tmp.path().join("out");
    let o = if uid == "0" {
        // root reads files whatever their mode: run relay as `nobody` so the mode applies.
        use std::os::unix::fs::PermissionsExt;
        for dir in [tmp.path(), root.as_path(), &root.join("dir")] {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o777)).unwrap();
        }
        fs::set_permissions(root.join("package.json"), fs::Permissions::from_mode(0o644)).unwrap();
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(relay_bin())
            .args(["pack", "--out-dir"])
            .arg(&out)
            .current_dir(&root);
        scrub_env(&mut cmd);
        cmd.env("NO_COLOR", "1").env("HOME", tmp.path());
        run(&mut cmd)
    } else {
        pack(&root, &out, &[])
    };
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("dir/secret.js"), "{}", stderr(&o));
    assert!(out_is_empty(&out));
}

#[test]
fn allow_secrets_in_relay_toml_lets_files_through() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ws");
    write_tree(
        &root,
        &[
            (
                "package.json",
                r#"{"name":"root","private":true,"workspaces":["packages/*"]}"#,
            ),
            (
                "relay.toml",
                "[pack.allow-secrets]\n\"@ws/certs\" = [\"fixtures/*.pem\", \".env.example\"]\n",
            ),
            (
                "packages/certs/package.json",
                r#"{"name":"@ws/certs","version":"1.0.0"}"#,
            ),
            (
                "packages/certs/fixtures/test.pem",
                "-----BEGIN CERTIFICATE-----",
            ),
            ("packages/certs/.env.example", "A="),
        ],
    );
    let out = tmp.path().join("out");
    let o = pack(&root, &out, &["--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json[0]["entryCount"], 3);
    // Not allowed for another package's files.
    write_tree(&root, &[("packages/certs/other.pem", "x")]);
    let o = pack(&root, &tmp.path().join("out2"), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("other.pem: PEM key"), "{}", stderr(&o));
}

#[test]
fn packs_all_publishable_packages_and_the_tarball_installs() {
    require_node();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ws");
    write_tree(
        &root,
        &[
            (
                "package.json",
                r#"{"name":"root","private":true,"workspaces":["packages/*"]}"#,
            ),
            (
                "packages/lib/package.json",
                r#"{"name":"@ws/lib","version":"1.0.0","main":"index.js","bin":{"ws-hello":"cli.js"}}"#,
            ),
            (
                "packages/lib/index.js",
                "module.exports = () => 'hello from lib';\n",
            ),
            (
                "packages/lib/cli.js",
                "#!/usr/bin/env node\nconsole.log(require('./index.js')())\n",
            ),
            (
                "packages/private/package.json",
                r#"{"name":"priv","version":"1.0.0","private":true}"#,
            ),
            ("packages/noversion/package.json", r#"{"name":"nover"}"#),
        ],
    );
    let out = tmp.path().join("out");
    let o = pack(&root, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("@ws/lib@1.0.0"), "{}", stdout(&o));
    let mut written: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    // --out-dir also writes the publish plan for `relay publish --from-pack-dir`.
    assert_eq!(written, ["relay-publish-plan.json", "ws-lib-1.0.0.tgz"]);

    // --dry-run writes nothing.
    let o = pack(&root, &tmp.path().join("dry"), &["--dry-run"]);
    assert!(o.status.success());
    assert!(!tmp.path().join("dry").exists());

    // Naming an unknown package is a usage error.
    let o = pack(&root, &tmp.path().join("x"), &["nope"]);
    assert_eq!(o.status.code(), Some(2));

    let tgz = out.join("ws-lib-1.0.0.tgz");
    let tar = gunzip(&fs::read(&tgz).unwrap());
    assert_eq!(tar.len() % 512, 0);

    let project = tmp.path().join("consumer");
    write_tree(
        &project,
        &[(
            "package.json",
            r#"{"name":"consumer","version":"1.0.0","private":true}"#,
        )],
    );
    let mut npm = Command::new("npm");
    npm.current_dir(&project)
        .args([
            "install",
            "--offline",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ])
        .arg(&tgz)
        .env("npm_config_cache", tmp.path().join("npm-cache"));
    scrub_env(&mut npm);
    let o = run(&mut npm);
    assert!(
        o.status.success(),
        "npm install failed:\n{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    let o = run(Command::new(project.join("node_modules/.bin/ws-hello")).current_dir(&project));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "hello from lib");
}

/// The library entry the publish step uses: `Lifecycle::Publish` runs `prepublishOnly` first,
/// and `Packed` carries the publish-time manifest and digests of its own bytes.
#[test]
fn pack_package_api_for_publish() {
    use relay::pack::{Lifecycle, PackOptions, pack_package};
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ws");
    let log = tmp.path().join("events");
    let rec = |e: &str| format!("echo {e} >> {}", log.display());
    let manifest = serde_json::json!({
        "name": "@ws/a", "version": "2.0.0",
        "dependencies": {"@ws/b": "workspace:^"},
        "scripts": {"prepublishOnly": rec("prepublishOnly"), "prepack": rec("prepack"),
                    "prepare": rec("prepare"), "postpack": rec("postpack")}
    });
    write_tree(
        &root,
        &[
            ("package.json", r#"{"name":"root","private":true}"#),
            ("pnpm-workspace.yaml", "packages:\n  - packages/*\n"),
            (
                "packages/a/package.json",
                &serde_json::to_string(&manifest).unwrap(),
            ),
            (
                "packages/b/package.json",
                r#"{"name":"@ws/b","version":"3.1.0"}"#,
            ),
        ],
    );
    let ws = relay::workspace::discover(&root).unwrap();
    let pkg = ws.get("@ws/a").unwrap();
    let opts = PackOptions {
        lifecycle: Lifecycle::Publish,
        ..Default::default()
    };
    let packed = pack_package(&ws, pkg, &opts).unwrap();
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        "prepublishOnly\nprepack\nprepare\npostpack\n"
    );
    assert_eq!(packed.manifest["dependencies"]["@ws/b"], "^3.1.0");
    // pnpm strips the lifecycle scripts from the published manifest.
    assert_eq!(packed.manifest["scripts"], serde_json::json!({}));
    assert_eq!(packed.filename, "ws-a-2.0.0.tgz");
    let (sha1, integrity) = relay::pack::digests(&packed.tarball);
    assert_eq!(
        (packed.shasum.as_str(), packed.integrity.as_str()),
        (sha1.as_str(), integrity.as_str())
    );
    assert_eq!(packed.size, packed.tarball.len() as u64);
    // The manifest field is exactly what the tarball holds.
    let tar = gunzip(&packed.tarball);
    let mut ar = tar::Archive::new(&tar[..]);
    let mut e = ar.entries().unwrap().next().unwrap().unwrap();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut e, &mut bytes).unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&bytes).unwrap(),
        packed.manifest
    );

    // With ignore_scripts nothing runs.
    fs::remove_file(&log).unwrap();
    let opts = PackOptions {
        ignore_scripts: true,
        lifecycle: Lifecycle::Publish,
        ..Default::default()
    };
    pack_package(&ws, pkg, &opts).unwrap();
    assert!(!log.exists());
}

/// A `workspace:` range in any package of an npm workspace stops the run before the first
/// package's scripts run.
#[test]
fn npm_workspace_protocol_fails_before_any_script() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ws");
    write_tree(
        &root,
        &[
            (
                "package.json",
                r#"{"name":"root","private":true,"workspaces":["packages/*"]}"#,
            ),
            (
                "packages/a-first/package.json",
                r#"{"name":"a-first","version":"1.0.0","scripts":{"prepack":"touch ran"}}"#,
            ),
            (
                "packages/z-later/package.json",
                r#"{"name":"z-later","version":"1.0.0","dependencies":{"a-first":"workspace:*"}}"#,
            ),
        ],
    );
    let out = tmp.path().join("out");
    let o = pack(&root, &out, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("dependencies.a-first: \"workspace:*\" in an npm workspace"),
        "{}",
        stderr(&o)
    );
    assert!(
        !root.join("packages/a-first/ran").exists(),
        "a script ran before the check"
    );
    assert!(out_is_empty(&out));
}
