//! `relay pre enter/exit`: changesets 3's pre.json, refusals and v2 migration.

use std::fs;

use crate::add::monorepo;
use crate::harness::*;

#[test]
fn enter_exit_and_refusals() {
    let (_t, root) = monorepo();
    let out = run(relay(&root).args(["pre", "exit"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("can only be run when in pre mode"));
    assert!(!root.join(".changeset/pre.json").exists());

    let out = run(relay(&root).args(["pre", "enter", "beta"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("Entered pre mode with tag beta"));
    assert_eq!(
        fs::read_to_string(root.join(".changeset/pre.json")).unwrap(),
        "{\n  \"mode\": \"pre\",\n  \"tag\": \"beta\"\n}\n"
    );

    let before = snapshot_tree(&root);
    let out = run(relay(&root).args(["pre", "enter", "rc"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot be run when in pre mode"));
    assert_eq!(before, snapshot_tree(&root));

    let out = run(relay(&root).args(["pre", "exit"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(root.join(".changeset/pre.json")).unwrap(),
        "{\n  \"mode\": \"exit\",\n  \"tag\": \"beta\"\n}\n"
    );
    // Re-entering from exit mode is allowed, with a new tag.
    let out = run(relay(&root).args(["pre", "enter", "rc"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(root.join(".changeset/pre.json")).unwrap(),
        "{\n  \"mode\": \"pre\",\n  \"tag\": \"rc\"\n}\n"
    );
}

#[test]
fn bad_tags_are_usage_errors() {
    let (_t, root) = monorepo();
    for tag in ["", "has space", "a..b", "beta/1", "bêta"] {
        let out = run(relay(&root).args(["pre", "enter", tag]));
        assert_eq!(out.status.code(), Some(2), "{tag:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("invalid pre-release tag"),
            "{}",
            stderr(&out)
        );
    }
    assert!(!root.join(".changeset/pre.json").exists());
}

#[test]
fn v2_pre_json_is_migrated_on_exit() {
    let (_t, root) = monorepo();
    fs::write(
        root.join(".changeset/pre.json"),
        r#"{"mode":"pre","tag":"next","initialVersions":{"tool":"3.1.0"},"changesets":["used-one"]}"#,
    )
    .unwrap();
    fs::write(
        root.join(".changeset/used-one.md"),
        "---\n\"tool\": patch\n---\n\nx\n",
    )
    .unwrap();
    let out = run(relay(&root).args(["pre", "exit"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(root.join(".changeset/pre.json")).unwrap(),
        "{\n  \"mode\": \"exit\",\n  \"tag\": \"next\"\n}\n"
    );
    assert!(root.join(".changeset/pre/used-one.md").is_file());
    assert!(!root.join(".changeset/used-one.md").exists());
    let ids: Vec<String> = relay::changeset::read_all(&root)
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, ["pre/used-one"]);
}

#[test]
fn without_changeset_dir() {
    let (_t, root) = monorepo();
    fs::remove_dir_all(root.join(".changeset")).unwrap();
    let out = run(relay(&root).args(["pre", "enter", "beta"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("relay init"), "{}", stderr(&out));
    assert!(!root.join(".changeset").exists());
}
