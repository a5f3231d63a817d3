//! Change-file format: write → parse round trips (proptest) and relay's parser against the
//! real `@changesets/parse` (pinned in tests/tools/changesets-lib) on generated files.

use std::collections::HashSet;
use std::process::{Command, Stdio};

use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use relay::changeset::{self, BumpType, Release};

use crate::harness::*;

fn js_trim(s: &str) -> &str {
    s.trim_matches(|c: char| {
        matches!(
            c,
            '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
                ..='\u{200a}'
                    | '\u{2028}'
                    | '\u{2029}'
                    | '\u{202f}'
                    | '\u{205f}'
                    | '\u{3000}'
                    | '\u{feff}'
        )
    })
}

fn name_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9._-]{0,20}",
        "@[a-z0-9][a-z0-9-]{0,10}/[a-z0-9][a-z0-9._-]{0,15}",
        "[a-z][a-z0-9_]{0,12}",
    ]
}

fn bump_strategy() -> impl Strategy<Value = BumpType> {
    prop_oneof![
        Just(BumpType::None),
        Just(BumpType::Patch),
        Just(BumpType::Minor),
        Just(BumpType::Major),
    ]
}

fn summary_strategy() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("---".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("# Heading".to_string()),
        Just("**bold** _it_ `code`".to_string()),
        Just("- item\n- item".to_string()),
        Just("```js\nconst a = 1;\n```".to_string()),
        Just("ünïcødé ✓ 漢字 🎉".to_string()),
        Just("  ".to_string()),
        Just("\t".to_string()),
        Just("\"quoted\": patch".to_string()),
        "\\PC{0,12}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

fn releases_strategy() -> impl Strategy<Value = Vec<Release>> {
    prop::collection::vec((name_strategy(), bump_strategy()), 0..6).prop_map(|v| {
        let mut seen = HashSet::new();
        v.into_iter()
            .filter(|(n, _)| seen.insert(n.clone()))
            .map(|(name, bump)| Release { name, bump })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn written_change_files_parse_back(releases in releases_strategy(), summary in summary_strategy()) {
        let text = changeset::render(&releases, &summary);
        let (parsed, parsed_summary) = changeset::parse(&text).expect("relay parses what it writes");
        prop_assert_eq!(parsed, releases);
        prop_assert_eq!(parsed_summary, js_trim(&summary));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn written_files_read_back_from_disk(releases in releases_strategy(), summary in summary_strategy(), seed in any::<u64>()) {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join(".changeset")).unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let w = changeset::write(tmp.path(), &releases, &summary, &mut rng).unwrap();
        let all = changeset::read_all(tmp.path()).unwrap();
        prop_assert_eq!(all.len(), 1);
        prop_assert_eq!(&all[0].id, &w.id);
        prop_assert_eq!(&all[0].releases, &releases);
        prop_assert_eq!(all[0].summary.as_str(), js_trim(&summary));
    }
}

/// A random change file built from the pieces that exercise the parser's quirks.
fn random_file(rng: &mut impl Rng) -> String {
    fn pick<'a>(rng: &mut impl Rng, xs: &[&'a str]) -> &'a str {
        xs[rng.random_range(0..xs.len())]
    }
    let names = [
        "a", "pkg-a", "@scope/b", "c.d", "e_f", "10", "2", "yes", "true", "ü-pkg", "x y",
    ];
    let types = [
        "patch", "minor", "major", "none", "Patch", "MAJOR", "1", "", "~", "[patch]", "yes",
    ];
    let nl = pick(rng, &["\n", "\n", "\r\n"]);
    let mut s = String::new();
    s += pick(
        rng,
        &[
            "", "", "", "junk\n", "  ", "\n\n", "\u{feff}", "text ---", " \t",
        ],
    );
    s += pick(
        rng,
        &["---", "---", "---", "---", "---", "--- ", "----", "---\r"],
    );
    s += nl;
    let n = rng.random_range(0..5);
    let mut used = Vec::new();
    for _ in 0..n {
        let name = pick(rng, &names);
        let ty = if rng.random_bool(0.93) {
            pick(rng, &types[..4])
        } else {
            pick(rng, &types)
        };
        let line = match rng.random_range(0..24) {
            0 => format!("{name}: {ty}"),
            1 => format!("'{name}': {ty}"),
            2 => format!("\"{name}\": {ty} # comment"),
            3 => "# just a comment".to_string(),
            4 => String::new(),
            5 => format!("- {name}"),
            6 => format!("  \"{name}\": {ty}"),
            _ => format!("\"{name}\": {ty}"),
        };
        used.push(name);
        s += &line;
        s += nl;
    }
    if rng.random_bool(0.05) {
        s += pick(
            rng,
            &[
                "null",
                "false",
                "0",
                "\"\"",
                "{}",
                "[]",
                "{\"a\": patch}",
                "42",
            ],
        );
        s += nl;
    }
    if rng.random_bool(0.93) {
        s += pick(
            rng,
            &[
                "---", "---", "---", "---", "---", "  ---", "---  ", "---x", "----", "--- ---",
            ],
        );
        s += pick(
            rng,
            &[
                "",
                "\n",
                "\r\n",
                "\n\nSummary",
                "\r\n\r\nSum\r\n---\r\nmore\r\n",
                " inline",
                "\n\n# Title\n\n- a\n- b\n\n---\n\nafter\n",
                "\n\n  ünïcødé 🎉  \n\n",
            ],
        );
    }
    s
}

#[test]
fn parser_matches_changesets_parse() {
    let dir = node_tool("changesets-lib");
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    let mut files: Vec<String> = (0..800).map(|_| random_file(&mut rng)).collect();
    // Hand-picked edge cases.
    files.extend(
        [
            "",
            "   \n",
            "---\n---\n",
            "---\n\n---\n\n\n",
            "---\r\n\"a\": patch\r\n---\r\n\r\nCRLF body\r\n",
            "---\n\"a\": patch\n---",
            "---\n\"a\": patch\n---\n\none\n---\ntwo\n",
            "---\n\"a\": patch\n\"a\": minor\n---\n",
            "---\n@scope/a: patch\n---\n",
            "---\n\"b\": patch\n\"1\": minor\n---\n",
            "---\na: patch\n--- \t \nx",
            "------\na: patch\n---\n",
            "---\n~: patch\n---\n",
            "---\n1.0: patch\n0x10: minor\n1e3: major\n-0: none\n---\n",
            "---\n10: patch\n0xA: minor\n---\n",
            "---\ntrue: patch\n\"true\": minor\n---\n",
            "---\n1_000: patch\n01: minor\n0o17: none\n---\n",
            "---\nyes: patch\nNo: minor\n---\n",
            "---\n\"a\": patch\r\"b\": minor\n---\n",
            "---\n\"a\":   patch   \n\n\n\"b\": minor\n---\n",
            "---\n{\"a\": patch, b: minor}\n---\n",
        ]
        .map(String::from),
    );
    let input = serde_json::to_string(&files).unwrap();
    let script = r#"
import { parseChangesetFile } from "@changesets/parse";
let input = "";
for await (const chunk of process.stdin) input += chunk;
const out = JSON.parse(input).map((text) => {
  try { return { ok: parseChangesetFile(text) }; }
  catch (e) { return { err: String(e && e.message) }; }
});
process.stdout.write(JSON.stringify(out));
"#;
    let mut child = Command::new("node")
        .args(["--input-type=module", "-e", script])
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn node");
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "oracle failed: {}", stderr(&out));
    let oracle: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(oracle.len(), files.len());

    let mut diffs = Vec::new();
    let (mut oks, mut errs) = (0, 0);
    for (text, want) in files.iter().zip(&oracle) {
        let got = changeset::parse(text);
        match (want.get("ok"), &got) {
            (Some(ok), Ok((releases, summary))) => {
                oks += 1;
                let want_releases: Vec<(String, String)> = ok["releases"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        (
                            r["name"].as_str().unwrap().to_string(),
                            r["type"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect();
                let got_releases: Vec<(String, String)> = releases
                    .iter()
                    .map(|r| (r.name.clone(), r.bump.to_string()))
                    .collect();
                if want_releases != got_releases || ok["summary"].as_str() != Some(summary) {
                    diffs.push(format!(
                        "{text:?}\n  changesets: {want_releases:?} {:?}\n  relay:      {got_releases:?} {summary:?}",
                        ok["summary"]
                    ));
                }
            }
            (None, Err(_)) => errs += 1,
            (Some(ok), Err(e)) => diffs.push(format!(
                "{text:?}\n  changesets accepts: {ok}\n  relay rejects: {e}"
            )),
            (None, Ok(r)) => diffs.push(format!(
                "{text:?}\n  changesets rejects: {}\n  relay accepts: {r:?}",
                want["err"]
            )),
        }
    }
    assert!(
        diffs.is_empty(),
        "{} of {} files parse differently:\n\n{}",
        diffs.len(),
        files.len(),
        diffs.join("\n\n")
    );
    // The generator must exercise both outcomes substantially.
    assert!(oks > 250 && errs > 100, "oks={oks} errs={errs}");
}

#[test]
fn read_since_keeps_change_files_added_since_the_ref() {
    let (_t, root) = crate::add::monorepo();
    let w = |p: &str, t: &str| {
        let f = root.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, t).unwrap();
    };
    w(".changeset/old.md", "---\n\"tool\": patch\n---\n\nold\n");
    w(".changeset/edited.md", "---\n\"tool\": patch\n---\n\nv1\n");
    crate::add::git_init(&root);
    crate::add::git(&root, &["checkout", "-qb", "feature"]);
    w(".changeset/new.md", "---\n\"tool\": minor\n---\n\nnew\n");
    w(
        ".changeset/pre/p.md",
        "---\n\"@s/core\": patch\n---\n\npre\n",
    );
    w(".changeset/edited.md", "---\n\"tool\": patch\n---\n\nv2\n");
    crate::add::git(&root, &["add", "-A"]);
    crate::add::git(&root, &["commit", "-qm", "feature"]);
    // Staged but uncommitted counts too (`git diff <merge-base>`).
    w(".changeset/staged.md", "---\n---\n");
    crate::add::git(&root, &["add", "-A"]);

    let ids = |v: Vec<relay::changeset::ChangeFile>| -> Vec<String> {
        v.into_iter().map(|c| c.id).collect()
    };
    assert_eq!(
        ids(changeset::read_since(&root, "main").unwrap()),
        ["edited", "new", "staged", "pre/p"]
    );
    assert_eq!(
        ids(changeset::read_all(&root).unwrap()),
        ["edited", "new", "old", "staged", "pre/p"]
    );
    // An unknown ref selects nothing, as in changesets.
    assert!(changeset::read_since(&root, "nope").unwrap().is_empty());
}
