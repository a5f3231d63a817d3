//! Seeded random monorepos and change files for the `version` differential test. The seed of
//! each case is in its name (`random-<seed>`); `RELAY_DIFF_SEED` moves the base seed and
//! `RELAY_DIFF_CASES` the count, so a failure can be replayed alone with `RELAY_DIFF_FILTER`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::{Value, json};

use crate::version_cases::{Pkg, changeset, mono, pkg};
use crate::version_diff::{Case, run_all, version, write};

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn render(v: &Value, indent: &[u8], newline: bool) -> String {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(indent);
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    v.serialize(&mut ser).unwrap();
    let mut s = String::from_utf8(buf).unwrap();
    if newline {
        s.push('\n');
    }
    s
}

const SUMMARIES: [&str; 6] = [
    "Fix a bug",
    "Add `thing()`\n\nWith details:\n- one  \n- two",
    "Multi\n\n\nline with trailing   ",
    "Unicode ✨ résumé",
    "#12 fixed\nauthor: @dev",
    "  Leading spaces\n\tand a tab",
];

pub fn random_case(seed: u64) -> Case {
    let mut rng = StdRng::seed_from_u64(seed);
    let n = rng.random_range(2..=6);
    let versions = ["1.0.0", "0.1.0", "2.3.4", "1.2.0", "0.0.1", "1.0.0-beta.1"];
    let mut pkgs: Vec<Pkg> = (0..n)
        .map(|i| {
            let name = if rng.random_bool(0.2) {
                format!("@s/p{i}")
            } else {
                format!("pkg-{i}")
            };
            let v = if rng.random_bool(0.9) {
                versions[rng.random_range(0..5)]
            } else {
                versions[5]
            };
            let mut p = pkg(&name, v);
            if rng.random_bool(0.12) {
                p = p.private();
            }
            p
        })
        .collect();
    let targets: Vec<(String, String)> = pkgs
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.json["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (i, p) in pkgs.iter_mut().enumerate() {
        for (j, (tname, tv)) in targets.iter().enumerate() {
            if i == j || !rng.random_bool(0.35) {
                continue;
            }
            let specs = [
                format!("^{tv}"),
                format!("~{tv}"),
                tv.clone(),
                "*".into(),
                "workspace:*".into(),
                "workspace:^".into(),
                "workspace:~".into(),
                format!("workspace:^{tv}"),
                format!(">={tv}"),
                "^0.0.1".into(),
                format!(">={tv} <9.0.0"),
                "latest".into(),
                "1.x".into(),
            ];
            let spec = pick(&mut rng, &specs).clone();
            let table = *pick(
                &mut rng,
                &[
                    "dependencies",
                    "dependencies",
                    "devDependencies",
                    "peerDependencies",
                    "optionalDependencies",
                ],
            );
            *p = p.clone().table(table, tname, &spec);
        }
    }

    let names: Vec<String> = pkgs.iter().map(|p| p.name.clone()).collect();
    let mut config = json!({});
    if rng.random_bool(0.3) {
        config["updateInternalDependencies"] = json!("minor");
    }
    let mut shuffled = names.clone();
    for i in (1..shuffled.len()).rev() {
        let j = rng.random_range(0..=i);
        shuffled.swap(i, j);
    }
    if rng.random_bool(0.2) {
        config["fixed"] = json!([[shuffled[0], shuffled[1]]]);
    } else if rng.random_bool(0.2) {
        config["linked"] = json!([[shuffled[0], shuffled[1]]]);
    }
    if rng.random_bool(0.15) {
        config["privatePackages"] = json!({"version": true, "tag": false});
    }
    let mut experimental = json!({});
    if rng.random_bool(0.1) {
        experimental["onlyUpdatePeerDependentsWhenOutOfRange"] = json!(true);
    }
    if rng.random_bool(0.1) {
        experimental["updateInternalDependents"] = json!("always");
    }
    if experimental.as_object().is_some_and(|o| !o.is_empty()) {
        config["___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH"] = experimental;
    }
    if rng.random_bool(0.1) {
        config["bumpVersionsWithWorkspaceProtocolOnly"] = json!(true);
    }
    match rng.random_range(0..10) {
        0 => config["changelog"] = json!(false),
        1 => config["changelog"] = json!(["@changesets/changelog-github", {"repo": "acme/mono"}]),
        _ => {}
    }

    let mut case = mono(&format!("random-{seed}"), &pkgs, config);
    // Re-render manifests with a random indentation and final newline.
    let indents: [&[u8]; 3] = [b"  ", b"    ", b"\t"];
    let indent = *pick(&mut rng, &indents);
    let newline = rng.random_bool(0.8);
    for p in &pkgs {
        case.files.insert(
            format!("{}/package.json", p.dir),
            render(&Value::Object(p.json.clone()), indent, newline),
        );
        if rng.random_bool(0.25) {
            let existing = *pick(
                &mut rng,
                &[
                    "",
                    "# x\n\n## 0.0.1\n\n- old\n",
                    "## 0.9.0\n\n- old\n",
                    "# Changelog\n\nIntro\n",
                ],
            );
            case.files
                .insert(format!("{}/CHANGELOG.md", p.dir), existing.to_string());
        }
    }

    let change_file = |rng: &mut StdRng| {
        let k = rng.random_range(1..=3.min(names.len()));
        let mut chosen: Vec<&String> = Vec::new();
        while chosen.len() < k {
            let c = pick(rng, &names);
            if !chosen.contains(&c) {
                chosen.push(c);
            }
        }
        let releases: Vec<(&str, &str)> = chosen
            .iter()
            .map(|n| {
                (
                    n.as_str(),
                    *pick(rng, &["patch", "patch", "minor", "major", "none"]),
                )
            })
            .collect();
        changeset(&releases, SUMMARIES[rng.random_range(0..SUMMARIES.len())])
    };
    let files = rng.random_range(1..=4);
    for i in 0..files {
        let cf = change_file(&mut rng);
        case.files.insert(format!(".changeset/change-{i}.md"), cf);
    }

    match rng.random_range(0..10) {
        0 | 1 => {
            // Pre mode: version, add, version, exit, version.
            case.files.insert(
                ".changeset/pre.json".into(),
                "{\n  \"mode\": \"pre\",\n  \"tag\": \"next\"\n}\n".into(),
            );
            let more = change_file(&mut rng);
            case = case.steps(vec![
                version(&[]),
                write(".changeset/later.md", &more),
                version(&[]),
                write(
                    ".changeset/pre.json",
                    "{\n  \"mode\": \"exit\",\n  \"tag\": \"next\"\n}\n",
                ),
                version(&[]),
            ]);
        }
        2 => {
            case = case.steps(vec![version(&["--snapshot", "canary"])]);
            case.normalize_time = true;
        }
        3 => {
            // A second run with nothing left must also agree (exit 1, no change).
            case = case.steps(vec![version(&[]), version(&[])]);
        }
        _ => {}
    }
    case
}

#[test]
fn version_matches_changesets_on_random_repos() {
    let base: u64 = std::env::var("RELAY_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_204);
    let count: u64 = std::env::var("RELAY_DIFF_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(150);
    run_all((0..count).map(|i| random_case(base + i)).collect());
}
