//! Bad-input corpus for change files, `.changeset/config.json`, `.changeset/pre.json` and
//! `relay.toml`: each case makes `relay add --empty` and `relay pre enter` exit 1 with a
//! message naming the file and line, and leaves the tree byte-identical.

use std::fs;

use crate::add::monorepo;
use crate::harness::*;

/// (file, content, text the error must contain — always `file:line`, plus a hint).
const CASES: &[(&str, &str, &[&str])] = &[
    // Change files.
    (
        ".changeset/a.md",
        "  \n\t\n",
        &[".changeset/a.md:1:", "empty"],
    ),
    (
        ".changeset/a.md",
        "no frontmatter here\n",
        &[".changeset/a.md:1:", "frontmatter"],
    ),
    (
        ".changeset/a.md",
        "---\n\"tool\": patch\n",
        &[".changeset/a.md:1:", "frontmatter"],
    ),
    (
        ".changeset/a.md",
        "---\n\"tool\": Patch\n---\n\nx\n",
        &[
            ".changeset/a.md:2:",
            "\"Patch\"",
            "major, minor, patch, none",
        ],
    ),
    (
        ".changeset/a.md",
        "---\n\"tool\": patch\n@s/core: minor\n---\n\nx\n",
        &[".changeset/a.md:3:", "YAML"],
    ),
    (
        ".changeset/a.md",
        "---\n\"tool\": patch\n\"tool\": minor\n---\n\nx\n",
        &[".changeset/a.md:3:", "YAML"],
    ),
    (
        ".changeset/a.md",
        "---\n- tool\n---\n\nx\n",
        &[".changeset/a.md:2:", "list"],
    ),
    (
        ".changeset/a.md",
        "---\n\"tool\":\n---\n\nx\n",
        &[".changeset/a.md:2:", "tool"],
    ),
    (
        ".changeset/a.md",
        "---\n\"tool\": patch\n\"@s/cor\": minor\n---\n\nx\n",
        &[
            ".changeset/a.md:3:",
            "not in the workspace",
            "did you mean \"@s/core\"",
        ],
    ),
    (
        ".changeset/pre/b.md",
        "---\n\"tool\": huge\n---\n",
        &[".changeset/pre/b.md:2:", "\"huge\""],
    ),
    // config.json
    (
        ".changeset/config.json",
        "{\n  \"access\": \"public\",\n  \"ignore\": [\n}\n",
        &[".changeset/config.json:4:", "invalid JSON"],
    ),
    (
        ".changeset/config.json",
        "{\n  \"access\": \"private\"\n}\n",
        &[".changeset/config.json:2:", "access", "\"public\""],
    ),
    (
        ".changeset/config.json",
        "{\n  \"fixed\": [\"@s/*\"]\n}\n",
        &[".changeset/config.json:2:", "fixed.0"],
    ),
    (
        ".changeset/config.json",
        "{\n  \"fixed\": [[\"@s/core\"], [\"@s/*\"]]\n}\n",
        &[
            ".changeset/config.json:2:",
            "\"@s/core\" is defined in multiple groups",
        ],
    ),
    (
        ".changeset/config.json",
        "{\n  \"fixed\": [[\"tool\"]],\n  \"linked\": [[\"t*\"]]\n}\n",
        &[".changeset/config.json:3:", "both fixed and linked"],
    ),
    (
        ".changeset/config.json",
        "{\n  \"privatePackages\": {\"version\": false, \"tag\": true}\n}\n",
        &[".changeset/config.json:2:", "Invalid combination"],
    ),
    (
        ".changeset/config.json",
        "{\n  \"updateInternalDependencies\": \"major\"\n}\n",
        &[".changeset/config.json:2:", "\"minor\" | \"patch\""],
    ),
    (
        ".changeset/config.json",
        "{\n  \"snapshot\": {\n    \"prereleaseTemplate\": \"\"\n  }\n}\n",
        &[".changeset/config.json:3:", "prereleaseTemplate"],
    ),
    (
        ".changeset/config.json",
        "{\n  \"ignore\": [\"@s/core\"]\n}\n",
        &[
            ".changeset/config.json:2:",
            "\"@s/ui\" depends on the skipped package \"@s/core\"",
        ],
    ),
    (
        ".changeset/config.json",
        "{\n  \"___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH\": {\n    \"updateInternalDependents\": \"sometimes\"\n  }\n}\n",
        &[".changeset/config.json:3:", "\"always\" | \"out-of-range\""],
    ),
    (
        ".changeset/config.json",
        "{\n  \"changelog\": 42\n}\n",
        &[".changeset/config.json:2:", "changelog"],
    ),
    (
        ".changeset/config.json",
        "{\n  \"baseBranch\": \"main\",\n  \"commit\": [\"x\"]\n}\n",
        &[".changeset/config.json:3:", "commit"],
    ),
    // pre.json
    (
        ".changeset/pre.json",
        "{\n  \"mode\": \"pre\"\n  \"tag\": \"beta\"\n}\n",
        &[".changeset/pre.json:3:", "invalid JSON"],
    ),
    (
        ".changeset/pre.json",
        "{\n  \"mode\": \"beta\",\n  \"tag\": \"beta\"\n}\n",
        &[".changeset/pre.json:2:", "\"mode\" must be"],
    ),
    (
        ".changeset/pre.json",
        "{\n  \"mode\": \"pre\",\n  \"tag\": 3\n}\n",
        &[".changeset/pre.json:3:", "\"tag\" must be"],
    ),
    // relay.toml
    (
        "relay.toml",
        "[publish]\nregistry = \"https://registry.npmjs.org/\"\nstrategi = \"direct\"\n",
        &["relay.toml:3:", "strategi"],
    ),
    (
        "relay.toml",
        "[publish]\nstrategy = \"fast\"\n",
        &["relay.toml:2:", "fast"],
    ),
    ("relay.toml", "[publish\n", &["relay.toml:1:"]),
    (
        "relay.toml",
        "[pack]\nallow-secrets = { \"tool\" = [\"a/[b\"] }\n",
        &["relay.toml:2:", "invalid glob"],
    ),
];

#[test]
fn bad_inputs_fail_with_file_and_line_and_change_nothing() {
    assert!(CASES.len() >= 16);
    let mut failures = Vec::new();
    for (i, (file, content, needles)) in CASES.iter().enumerate() {
        let (_t, root) = monorepo();
        let path = root.join(file);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, content).unwrap();
        let before = snapshot_tree(&root);
        for args in [
            &["add", "--empty", "-m", "x"][..],
            &["add", "--patch", "tool", "-m", "x"][..],
            &["pre", "enter", "beta"][..],
        ] {
            let out = run(relay(&root).args(args));
            let err = stderr(&out);
            if out.status.code() != Some(1) {
                failures.push(format!(
                    "case {i} ({file}) `relay {}`: exit {:?}, stderr:\n{err}",
                    args.join(" "),
                    out.status.code()
                ));
            }
            for n in needles.iter() {
                if !err.contains(n) {
                    failures.push(format!(
                        "case {i} ({file}) `relay {}`: missing {n:?} in:\n{err}",
                        args.join(" ")
                    ));
                }
            }
            if snapshot_tree(&root) != before {
                failures.push(format!(
                    "case {i} ({file}) `relay {}` changed the tree",
                    args.join(" ")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn unmatched_globs_warn_but_work() {
    let (_t, root) = monorepo();
    fs::write(
        root.join(".changeset/config.json"),
        "{\n  \"fixed\": [[\"@s/*\", \"@nope/*\"]],\n  \"unknownKey\": true\n}\n",
    )
    .unwrap();
    let out = run(relay(&root).args(["add", "--empty"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(".changeset/config.json:2: fixed: Invalid path: The package or glob \"@nope/*\" does not match any package"),
        "{err}"
    );
}

#[test]
fn ignored_dependents_that_are_private_or_dev_only_are_fine() {
    let (_t, root) = monorepo();
    // `@s/ui` is ignored too, so ignoring `@s/core` is consistent.
    fs::write(
        root.join(".changeset/config.json"),
        "{\"ignore\": [\"@s/*\"]}\n",
    )
    .unwrap();
    let out = run(relay(&root).args(["add", "--patch", "tool", "-m", "x"]));
    assert!(out.status.success(), "{}", stderr(&out));
}

/// relay's config loading against `@changesets/config` 4.0.1's `validateConfig` (what
/// `@changesets/cli` 3.0.3 runs) on generated configs over one workspace: same accept/reject
/// decision, same normalised values, same warnings.
#[test]
fn config_validation_matches_changesets_config() {
    use rand::{Rng, SeedableRng};
    use serde_json::{Value, json};

    let dir = node_tool("changesets-lib");
    let (_t, root) = crate::add::repo_with(&[
        (
            "package.json",
            r#"{"name":"root","private":true,"workspaces":["packages/*"]}"#,
        ),
        ("package-lock.json", "{}"),
        (
            "packages/a/package.json",
            r#"{"name":"@s/a","version":"1.0.0"}"#,
        ),
        (
            "packages/b/package.json",
            r#"{"name":"@s/b","version":"1.0.0","dependencies":{"@s/a":"^1.0.0"}}"#,
        ),
        (
            "packages/c/package.json",
            r#"{"name":"@s/c","version":"1.0.0","devDependencies":{"@s/a":"workspace:*"}}"#,
        ),
        (
            "packages/d/package.json",
            r#"{"name":"d","version":"0.1.0","private":true,"dependencies":{"@s/b":"workspace:^"}}"#,
        ),
        (
            "packages/e/package.json",
            r#"{"name":"e","version":"2.0.0","dependencies":{"@s/a":"^2.0.0"}}"#,
        ),
        (
            "packages/f/package.json",
            r#"{"name":"f","version":"1.0.0","peerDependencies":{"@s/a":"^1.0.0"}}"#,
        ),
        ("packages/g/package.json", r#"{"name":"g","private":true}"#),
        (
            "packages/tool/package.json",
            r#"{"name":"tool","version":"3.0.0"}"#,
        ),
    ]);
    let ws = relay::workspace::discover(&root).unwrap();

    let options: Vec<(&str, Vec<Value>)> = vec![
        (
            "baseBranch",
            vec![json!("main"), json!("develop"), json!(1), json!(null)],
        ),
        (
            "access",
            vec![json!("public"), json!("restricted"), json!("private")],
        ),
        (
            "changedFilePatterns",
            vec![
                json!(["**"]),
                json!(["src/**", "!**/*.md"]),
                json!("**"),
                json!([1]),
            ],
        ),
        (
            "format",
            vec![
                json!("auto"),
                json!(false),
                json!(true),
                json!("prettier"),
                json!("biome"),
            ],
        ),
        (
            "ignore",
            vec![
                json!([]),
                json!(["@s/a"]),
                json!(["@s/*"]),
                json!(["e"]),
                json!(["nope"]),
                json!(["!@s/a"]),
                json!(["@s/*", "!@s/c"]),
                json!(["tool", "@s/b", "d"]),
                json!("tool"),
                json!([["x"]]),
            ],
        ),
        (
            "fixed",
            vec![
                json!([]),
                json!([["@s/*"]]),
                json!([["@s/a", "@s/b"]]),
                json!([["@s/a"], ["@s/a"]]),
                json!([["nope"], ["tool"]]),
                json!([["tool"], ["e", "f"]]),
                json!(["@s/a"]),
                json!([["@s/{a,b}"]]),
                json!([["*"]]),
                json!([["@s/*", "!@s/b"]]),
                json!([["@s/b"], ["@s/*"], ["@s/b"]]),
            ],
        ),
        (
            "linked",
            vec![
                json!([]),
                json!([["e", "f"]]),
                json!([["@s/c"]]),
                json!([["tool"], ["tool"]]),
                json!([["x*"]]),
                json!("e"),
            ],
        ),
        (
            "updateInternalDependencies",
            vec![json!("patch"), json!("minor"), json!("major")],
        ),
        (
            "privatePackages",
            vec![
                json!(true),
                json!(false),
                json!({}),
                json!({"version": true}),
                json!({"tag": true}),
                json!({"version": true, "tag": true}),
                json!({"version": "yes"}),
                json!("x"),
            ],
        ),
        (
            "bumpVersionsWithWorkspaceProtocolOnly",
            vec![json!(true), json!(false), json!("no")],
        ),
        (
            "snapshot",
            vec![
                json!({}),
                json!({"useCalculatedVersion": true}),
                json!({"prereleaseTemplate": "{tag}-{commit}"}),
                json!({"prereleaseTemplate": ""}),
                json!({"useCalculatedVersion": "y"}),
                json!("x"),
            ],
        ),
        (
            "changelog",
            vec![
                json!(false),
                json!(true),
                json!("@changesets/changelog-github"),
                json!(["@changesets/changelog-github", {"repo": "o/r"}]),
                json!(["x", null]),
                json!(["x"]),
                json!(3),
            ],
        ),
        (
            "commit",
            vec![
                json!(true),
                json!(false),
                json!("./c.js"),
                json!(["@changesets/cli/commit", {"skipCI": "add"}]),
                json!(["x"]),
                json!(1),
            ],
        ),
        (
            "___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH",
            vec![
                json!({}),
                json!({"updateInternalDependents": "always"}),
                json!({"onlyUpdatePeerDependentsWhenOutOfRange": true}),
                json!({"updateInternalDependents": "never"}),
                json!([]),
            ],
        ),
        ("prettier", vec![json!(true)]),
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let mut configs: Vec<Value> = vec![json!({})];
    for _ in 0..400 {
        let mut obj = serde_json::Map::new();
        for (key, values) in &options {
            // Mostly valid values so that rule checks run, not only schema checks.
            if rng.random_bool(0.3) {
                let limit = if rng.random_bool(0.8) {
                    values.len().min(3)
                } else {
                    values.len()
                };
                obj.insert(key.to_string(), values[rng.random_range(0..limit)].clone());
            }
        }
        configs.push(Value::Object(obj));
    }

    let script = r#"
import { validateConfig } from "@changesets/config";
import { getPackages } from "@manypkg/get-packages";
const packages = await getPackages(process.argv[1]);
let input = "";
for await (const chunk of process.stdin) input += chunk;
const origError = console.error;
console.error = () => {};
const out = JSON.parse(input).map((c) => {
  try { return validateConfig(c, packages); } catch (e) { return { threw: String(e) }; }
});
console.error = origError;
process.stdout.write(JSON.stringify(out));
"#;
    let mut child = std::process::Command::new("node")
        .args(["--input-type=module", "-e", script])
        .arg(&root)
        .current_dir(&dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn node");
    {
        use std::io::Write;
        let text = serde_json::to_string(&configs).unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "oracle failed: {}", stderr(&out));
    let oracle: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(oracle.len(), configs.len());

    let module = |m: &relay::settings::ModuleSetting| match m {
        relay::settings::ModuleSetting::Disabled => json!(false),
        relay::settings::ModuleSetting::Module { name, options } => {
            json!([name, options.clone().unwrap_or(Value::Null)])
        }
    };
    let mut diffs = Vec::new();
    let (mut accepted, mut rejected) = (0, 0);
    for (cfg, want) in configs.iter().zip(&oracle) {
        assert!(want.get("threw").is_none(), "{cfg}: {want}");
        let text = serde_json::to_string_pretty(cfg).unwrap();
        let got =
            relay::settings::parse_config(&text, std::path::Path::new("c.json")).and_then(|file| {
                relay::settings::ResolvedConfig::resolve(&file.config, &ws, Some(&text))
                    .map(|r| (file, r))
            });
        let want_ok = want.get("config").filter(|c| !c.is_null());
        match (want_ok, got) {
            (Some(c), Ok((file, resolved))) => {
                accepted += 1;
                let k = &file.config;
                let format = match file.format {
                    relay::settings::FormatSetting::Disabled => json!(false),
                    f => json!(format!("{f:?}").to_lowercase()),
                };
                let mine = json!({
                    "baseBranch": k.base_branch,
                    "access": format!("{:?}", k.access).to_lowercase(),
                    "changedFilePatterns": k.changed_file_patterns,
                    "format": format,
                    "ignore": resolved.ignore,
                    "fixed": resolved.fixed,
                    "linked": resolved.linked,
                    "updateInternalDependencies": k.update_internal_dependencies.as_str(),
                    "privatePackages": {"version": k.private_packages.version, "tag": k.private_packages.tag},
                    "bumpVersionsWithWorkspaceProtocolOnly": k.bump_versions_with_workspace_protocol_only,
                    "snapshot": match &k.snapshot.prerelease_template {
                        Some(t) => json!({"useCalculatedVersion": k.snapshot.use_calculated_version, "prereleaseTemplate": t}),
                        None => json!({"useCalculatedVersion": k.snapshot.use_calculated_version}),
                    },
                    "changelog": module(&k.changelog),
                    "commit": module(&k.commit),
                    "experimental": {
                        "onlyUpdatePeerDependentsWhenOutOfRange": k.only_update_peer_dependents_when_out_of_range,
                        "updateInternalDependents": match k.update_internal_dependents {
                            relay::settings::UpdateInternalDependents::Always => "always",
                            relay::settings::UpdateInternalDependents::OutOfRange => "out-of-range",
                        },
                    },
                });
                let mut theirs = c.clone();
                let obj = theirs.as_object_mut().unwrap();
                let exp = obj
                    .remove("___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH")
                    .unwrap();
                obj.insert("experimental".into(), exp);
                obj.remove("prettier");
                let strip = |w: &str| {
                    w.split_once(": ")
                        .map_or(w.to_string(), |(_, r)| r.to_string())
                };
                let my_warnings: Vec<String> = resolved.warnings.iter().map(|w| strip(w)).collect();
                let their_warnings: Vec<String> = want["warnings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|w| w.as_str().unwrap().to_string())
                    .collect();
                if mine != theirs || my_warnings != their_warnings {
                    diffs.push(format!(
                        "{cfg}\n  changesets: {theirs}\n              {their_warnings:?}\n  relay:      {mine}\n              {my_warnings:?}"
                    ));
                }
            }
            (None, Err(_)) => rejected += 1,
            (Some(_), Err(e)) => {
                diffs.push(format!("{cfg}\n  changesets accepts\n  relay rejects: {e}"))
            }
            (None, Ok(_)) => diffs.push(format!(
                "{cfg}\n  changesets rejects: {}\n  relay accepts",
                want["errors"]
            )),
        }
    }
    assert!(
        diffs.is_empty(),
        "{} of {} configs differ:\n\n{}",
        diffs.len(),
        configs.len(),
        diffs.join("\n\n")
    );
    eprintln!("accepted={accepted} rejected={rejected}");
    assert!(
        accepted > 60 && rejected > 60,
        "accepted={accepted} rejected={rejected}"
    );
}
