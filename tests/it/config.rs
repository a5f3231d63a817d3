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
