//! Hand-written monorepos for the `version` differential tests, one or more per rule of
//! changesets' `apply-release-plan` (reference/changesets.md §5–§9).

use serde_json::{Value, json};

use crate::version_diff::{Case, Step, run_all, version, write};

/// A workspace package: name, version and dependency tables in order.
#[derive(Clone)]
pub struct Pkg {
    pub name: String,
    pub dir: String,
    pub json: serde_json::Map<String, Value>,
}

pub fn pkg(name: &str, version: &str) -> Pkg {
    let mut json = serde_json::Map::new();
    json.insert("name".into(), json!(name));
    json.insert("version".into(), json!(version));
    Pkg {
        name: name.into(),
        dir: format!(
            "packages/{}",
            name.trim_start_matches('@').replace('/', "-")
        ),
        json,
    }
}

impl Pkg {
    pub fn table(mut self, table: &str, dep: &str, spec: &str) -> Self {
        let t = self
            .json
            .entry(table.to_string())
            .or_insert_with(|| json!({}));
        t.as_object_mut().unwrap().insert(dep.into(), json!(spec));
        self
    }
    pub fn dep(self, d: &str, s: &str) -> Self {
        self.table("dependencies", d, s)
    }
    pub fn dev(self, d: &str, s: &str) -> Self {
        self.table("devDependencies", d, s)
    }
    pub fn peer(self, d: &str, s: &str) -> Self {
        self.table("peerDependencies", d, s)
    }
    pub fn opt(self, d: &str, s: &str) -> Self {
        self.table("optionalDependencies", d, s)
    }
    pub fn private(mut self) -> Self {
        self.json.insert("private".into(), json!(true));
        self
    }
    pub fn text(&self) -> String {
        serde_json::to_string_pretty(&Value::Object(self.json.clone())).unwrap() + "\n"
    }
}

/// An npm workspace (`packages/*`, lockfile present) with `config` merged over
/// `{"format": false}`.
pub fn mono(name: &str, pkgs: &[Pkg], config: Value) -> Case {
    let mut cfg = json!({ "$schema": "x", "changelog": "@changesets/cli/changelog", "commit": false, "format": false });
    for (k, v) in config.as_object().unwrap() {
        cfg[k] = v.clone();
    }
    let mut c = Case::new(name)
        .file(
            "package.json",
            "{\n  \"name\": \"root\",\n  \"private\": true,\n  \"workspaces\": [\"packages/*\"]\n}\n",
        )
        .file("package-lock.json", "{\"lockfileVersion\":3}\n")
        .file(
            ".changeset/config.json",
            &(serde_json::to_string_pretty(&cfg).unwrap() + "\n"),
        );
    for p in pkgs {
        c = c.file(&format!("{}/package.json", p.dir), &p.text());
    }
    c
}

pub fn changeset(releases: &[(&str, &str)], summary: &str) -> String {
    let mut s = String::from("---\n");
    for (n, t) in releases {
        s.push_str(&format!("\"{n}\": {t}\n"));
    }
    s.push_str("---\n\n");
    s.push_str(summary);
    s.push('\n');
    s
}

impl Case {
    pub fn cs(self, id: &str, releases: &[(&str, &str)], summary: &str) -> Self {
        self.file(
            &format!(".changeset/{id}.md"),
            &changeset(releases, summary),
        )
    }
}

fn a() -> Pkg {
    pkg("pkg-a", "1.0.0")
}

pub fn hand_cases() -> Vec<Case> {
    let mut v = Vec::new();

    // Worked example A: fixed group, dev dependency, multi-line summary with trailing spaces.
    v.push(
        mono(
            "example-a",
            &[
                a(),
                pkg("pkg-b", "1.0.0").dep("pkg-a", "^1.0.0"),
                pkg("pkg-c", "1.0.0")
                    .dep("pkg-b", "^1.0.0")
                    .dev("pkg-a", "~1.0.0"),
            ],
            json!({"fixed": [["pkg-a", "pkg-b"]]}),
        )
        .cs(
            "brave-lions-dance",
            &[("pkg-a", "major")],
            "Remove the deprecated `foo()` export.  \n\nMigration:\n- call `bar()` instead",
        )
        .cs("quiet-owls-sing", &[("pkg-c", "patch")], "Fix c rendering"),
    );

    // Worked example B: peers and the workspace protocol, for each bump type.
    for bump in ["major", "minor", "patch"] {
        v.push(
            mono(
                &format!("example-b-{bump}"),
                &[
                    a(),
                    pkg("pkg-b", "1.0.0")
                        .peer("pkg-a", "^1.0.0")
                        .dev("pkg-a", "^1.0.0"),
                    pkg("pkg-c", "1.0.0")
                        .dep("pkg-a", "workspace:*")
                        .dep("pkg-b", "workspace:^1.0.0")
                        .opt("pkg-d", "workspace:~"),
                    pkg("pkg-d", "3.2.1").dev("pkg-a", "workspace:^"),
                ],
                json!({}),
            )
            .cs("peer-change", &[("pkg-a", bump)], "A change to a"),
        );
    }

    // Worked example E: linked group, private package kept at its version, its file kept.
    v.push(
        mono(
            "example-e-linked-private",
            &[
                a(),
                pkg("pkg-b", "1.3.0"),
                pkg("pkg-c", "0.5.0").dep("pkg-a", "^1.0.0"),
                pkg("app", "0.0.1").private().dep("pkg-a", "^1.0.0"),
            ],
            json!({"linked": [["pkg-a", "pkg-b"]]}),
        )
        .cs("linked-one", &[("pkg-a", "minor")], "Linked one")
        .cs(
            "linked-two",
            &[("pkg-a", "patch"), ("pkg-c", "minor")],
            "Linked two",
        )
        .cs("private-app", &[("app", "patch")], "Private app change"),
    );

    // privatePackages.version: true versions private packages too.
    v.push(
        mono(
            "private-versioned",
            &[a(), pkg("app", "0.0.1").private().dep("pkg-a", "^1.0.0")],
            json!({"privatePackages": {"version": true, "tag": false}}),
        )
        .cs("one", &[("pkg-a", "minor"), ("app", "patch")], "Both"),
    );

    // Config ignore: the ignored package's file stays, its dependents' ranges still rewrite.
    v.push(
        mono(
            "config-ignore",
            &[a(), pkg("pkg-b", "1.0.0").dev("pkg-a", "^1.0.0")],
            json!({"ignore": ["pkg-b"]}),
        )
        .cs("one", &[("pkg-a", "major")], "Major a")
        .cs("two", &[("pkg-b", "minor")], "Ignored b"),
    );
    // `--ignore` on the command line, and its refusals.
    v.push(
        mono(
            "cli-ignore",
            &[a(), pkg("pkg-b", "1.0.0").dev("pkg-a", "^1.0.0")],
            json!({}),
        )
        .cs("one", &[("pkg-a", "major")], "Major a")
        .cs("two", &[("pkg-b", "minor")], "Ignored b")
        .steps(vec![version(&["--ignore", "pkg-b"])]),
    );
    v.push(
        mono("cli-ignore-unknown", &[a()], json!({}))
            .cs("one", &[("pkg-a", "major")], "Major a")
            .steps(vec![version(&["--ignore", "nope"])]),
    );

    // updateInternalDependencies: minor leaves in-range patch dependents alone.
    v.push(
        mono(
            "update-internal-minor",
            &[
                a(),
                pkg("pkg-b", "1.0.0").dep("pkg-a", "^1.0.0"),
                pkg("pkg-c", "1.0.0").dep("pkg-b", "~1.0.0"),
            ],
            json!({"updateInternalDependencies": "minor"}),
        )
        .cs("one", &[("pkg-a", "patch"), ("pkg-b", "minor")], "Mixed"),
    );

    // Experimental knobs.
    v.push(
        mono(
            "peer-only-out-of-range",
            &[
                a(),
                pkg("pkg-b", "1.0.0").peer("pkg-a", "^1.0.0"),
                pkg("pkg-c", "1.0.0").peer("pkg-a", "~1.0.0"),
            ],
            json!({"___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH": {"onlyUpdatePeerDependentsWhenOutOfRange": true}}),
        )
        .cs("one", &[("pkg-a", "minor")], "Minor a")
        .cs("two", &[("pkg-b", "patch")], "Patch b"),
    );
    v.push(
        mono(
            "update-internal-dependents-always",
            &[
                a(),
                pkg("pkg-b", "1.0.0").dep("pkg-a", "^1.0.0"),
                pkg("pkg-c", "1.0.0").dev("pkg-a", "^1.0.0"),
            ],
            json!({"___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH": {"updateInternalDependents": "always"}}),
        )
        .cs("one", &[("pkg-a", "patch")], "Patch a"),
    );
    v.push(
        mono(
            "workspace-protocol-only",
            &[
                a(),
                pkg("pkg-b", "1.0.0").dep("pkg-a", "^1.0.0"),
                pkg("pkg-c", "1.0.0").dep("pkg-a", "workspace:^1.0.0"),
            ],
            json!({"bumpVersionsWithWorkspaceProtocolOnly": true}),
        )
        .cs("one", &[("pkg-a", "major")], "Major a"),
    );

    // Range shapes: what is rewritten, what is deliberately left alone.
    for spec in [
        ">=1 <2",
        "1.x",
        "^1 || ^2",
        "*",
        "x",
        "",
        ">=0.0.0",
        "latest",
        "file:../pkg-a",
        "link:../pkg-a",
        "npm:pkg-a@^1.0.0",
        "workspace:packages/pkg-a",
        "workspace:../pkg-a",
        ">1.0.0",
        "<=1.0.0",
        "1.0.0 - 1.5.0",
        "=1.0.0",
        "~1",
    ] {
        // One dependent per spec: a package can name pkg-a once per table.
        let p = pkg("pkg-c", "1.0.0").dep("pkg-a", spec);
        for bump in ["major", "patch"] {
            v.push(
                mono(
                    &format!("range-{spec}-{bump}"),
                    &[a(), p.clone()],
                    json!({}),
                )
                .cs("one", &[("pkg-a", bump)], "Change a"),
            );
        }
    }

    // Prerelease dependency: "match anything" ranges get pinned.
    v.push(
        mono(
            "prerelease-star",
            &[
                pkg("pkg-a", "1.0.0-beta.0"),
                pkg("pkg-b", "1.0.0").dep("pkg-a", "*"),
            ],
            json!({}),
        )
        .cs("one", &[("pkg-a", "patch")], "Patch a"),
    );

    // Existing CHANGELOG.md shapes.
    for (label, existing) in [
        (
            "header",
            "# pkg-a\n\n## 1.0.0\n\n### Major Changes\n\n- First\n",
        ),
        ("version-first", "## 1.0.0\n\n- First\n"),
        ("empty", ""),
        ("one-line", "# Changelog"),
        ("crlf", "# pkg-a\r\n\r\n## 1.0.0\r\n"),
        ("intro", "# Changelog\n\nAll notable changes.\n\n## 1.0.0\n"),
    ] {
        v.push(
            mono(&format!("changelog-{label}"), &[a()], json!({}))
                .file("packages/pkg-a/CHANGELOG.md", existing)
                .cs("one", &[("pkg-a", "minor")], "Add a thing"),
        );
    }

    // package.json formatting is kept: tabs, 4 spaces, no final newline, CRLF, one line.
    for (label, text) in [
        (
            "tabs",
            "{\n\t\"name\": \"pkg-b\",\n\t\"version\": \"1.0.0\",\n\t\"dependencies\": {\n\t\t\"pkg-a\": \"^1.0.0\"\n\t}\n}\n",
        ),
        (
            "four",
            "{\n    \"version\": \"1.0.0\",\n    \"name\": \"pkg-b\",\n    \"dependencies\": { \"pkg-a\": \"^1.0.0\" }\n}",
        ),
        (
            "crlf",
            "{\r\n  \"name\": \"pkg-b\",\r\n  \"version\": \"1.0.0\",\r\n  \"dependencies\": {\r\n    \"pkg-a\": \"^1.0.0\"\r\n  }\r\n}\r\n",
        ),
        (
            "oneline",
            "{\"name\":\"pkg-b\",\"version\":\"1.0.0\",\"dependencies\":{\"pkg-a\":\"^1.0.0\"},\"x\":[1, 2 ,3]}",
        ),
    ] {
        v.push(
            mono(&format!("format-{label}"), &[a()], json!({}))
                .file("packages/pkg-b/package.json", text)
                .cs("one", &[("pkg-a", "major"), ("pkg-b", "patch")], "Both"),
        );
    }

    // v3 rewrites the root package.json's ranges (#2163), never its version.
    v.push(
        mono("root-ranges", &[a()], json!({}))
            .file(
                "package.json",
                "{\n  \"name\": \"root\",\n  \"version\": \"0.0.0\",\n  \"private\": true,\n  \"workspaces\": [\"packages/*\"],\n  \"devDependencies\": {\n    \"pkg-a\": \"^1.0.0\"\n  }\n}\n",
            )
            .cs("one", &[("pkg-a", "major")], "Major a"),
    );

    // Several change files per package: sections by each file's own type; `none` entries.
    v.push(
        mono(
            "sections",
            &[a(), pkg("pkg-b", "1.0.0").dep("pkg-a", "^1.0.0")],
            json!({}),
        )
        .cs("c1", &[("pkg-a", "minor")], "Feature one")
        .cs(
            "c2",
            &[("pkg-a", "patch"), ("pkg-b", "none")],
            "Fix two\n\n  indented\n\n\nafter blanks",
        )
        .cs("c3", &[("pkg-a", "major")], "Breaking ✨ three")
        .cs("c4", &[("pkg-b", "none")], "Nothing for b"),
    );

    // An empty change file releases nothing but is consumed.
    v.push(
        mono("empty-changeset", &[a()], json!({}))
            .file(".changeset/empty.md", "---\n---\n")
            .cs("one", &[("pkg-a", "patch")], "Patch a"),
    );

    // Nothing to release: exit 1, nothing written.
    v.push(mono("nothing", &[a()], json!({})));

    // A mixed change file is refused with nothing written.
    v.push(
        mono(
            "mixed",
            &[a(), pkg("pkg-b", "1.0.0")],
            json!({"ignore": ["pkg-b"]}),
        )
        .cs("one", &[("pkg-a", "patch"), ("pkg-b", "patch")], "Mixed"),
    );

    // "changelog": false writes no CHANGELOG.
    v.push(
        mono(
            "changelog-false",
            &[a(), pkg("pkg-b", "1.0.0").dep("pkg-a", "^1.0.0")],
            json!({"changelog": false}),
        )
        .cs("one", &[("pkg-a", "major")], "Major a"),
    );

    // Committed change files: changelog-git's commit prefixes.
    let mut committed = mono(
        "git-commit-prefix",
        &[a(), pkg("pkg-b", "1.0.0").dep("pkg-a", "^1.0.0")],
        json!({}),
    )
    .cs("one", &[("pkg-a", "major")], "Committed change")
    .steps(vec![
        write(
            ".changeset/two.md",
            &changeset(&[("pkg-a", "patch")], "Uncommitted change"),
        ),
        version(&[]),
    ]);
    committed.git = true;
    v.push(committed);

    // commit: true makes changesets' commit.
    let mut commit = mono(
        "commit-true",
        &[a(), pkg("pkg-b", "1.0.0").dep("pkg-a", "^1.0.0")],
        json!({"commit": true}),
    )
    .cs("one", &[("pkg-a", "major")], "Committed change");
    commit.git = true;
    v.push(commit);

    // changelog-github offline: repo option or GITHUB_REPOSITORY, author/user lines, #refs.
    v.push(
        mono(
            "github-offline",
            &[a(), pkg("pkg-b", "1.0.0").dep("pkg-a", "^1.0.0")],
            json!({"changelog": ["@changesets/changelog-github", {"repo": "acme/relay"}]}),
        )
        .cs(
            "one",
            &[("pkg-a", "minor")],
            "Fix #12 and see [#3](x)\nauthor: @alice\nuser: bob\n\nMore about #7",
        )
        .cs("two", &[("pkg-b", "patch")], "Plain b"),
    );
    v.push(
        mono(
            "github-env-repo-disable-thanks",
            &[a()],
            json!({"changelog": ["@changesets/changelog-github", {"disableThanks": true}]}),
        )
        .env("GITHUB_REPOSITORY", "acme/relay")
        .env("GITHUB_SERVER_URL", "https://ghe.example")
        .cs("one", &[("pkg-a", "minor")], "Fix #1\nauthor: alice"),
    );
    v.push(
        mono(
            "github-no-repo",
            &[a()],
            json!({"changelog": "@changesets/changelog-github"}),
        )
        .cs("one", &[("pkg-a", "minor")], "Needs a repo"),
    );

    // Pre mode: enter → version → add → version → exit → version.
    let pre =
        |tag: &str, mode: &str| format!("{{\n  \"mode\": \"{mode}\",\n  \"tag\": \"{tag}\"\n}}\n");
    v.push(
        mono(
            "pre-sequence",
            &[a(), pkg("pkg-b", "1.0.0").dep("pkg-a", "^1.0.0")],
            json!({}),
        )
        .file(".changeset/pre.json", &pre("beta", "pre"))
        .cs(
            "first-pre-change",
            &[("pkg-a", "minor")],
            "First beta feature",
        )
        .steps(vec![
            version(&[]),
            write(
                ".changeset/second-pre-fix.md",
                &changeset(&[("pkg-a", "patch")], "Second beta fix"),
            ),
            version(&[]),
            version(&[]),
            write(".changeset/pre.json", &pre("beta", "exit")),
            version(&[]),
            version(&[]),
        ]),
    );
    v.push(
        mono(
            "pre-tag-change-and-groups",
            &[
                a(),
                pkg("pkg-b", "1.0.0"),
                pkg("pkg-c", "1.0.0").dep("pkg-b", "^1.0.0"),
            ],
            json!({"fixed": [["pkg-a", "pkg-b"]]}),
        )
        .file(".changeset/pre.json", &pre("alpha", "pre"))
        .cs("one", &[("pkg-a", "major")], "Alpha")
        .steps(vec![
            version(&[]),
            write(".changeset/pre.json", &pre("rc", "pre")),
            write(".changeset/two.md", &changeset(&[("pkg-c", "minor")], "RC")),
            version(&[]),
            write(".changeset/pre.json", &pre("rc", "exit")),
            version(&[]),
        ]),
    );
    v.push(
        mono("pre-snapshot-refused", &[a()], json!({}))
            .file(".changeset/pre.json", &pre("beta", "pre"))
            .cs("one", &[("pkg-a", "minor")], "x")
            .steps(vec![version(&["--snapshot"])]),
    );

    // Snapshots (timestamps normalised).
    for (label, args, cfg) in [
        ("bare", vec!["--snapshot"], json!({})),
        ("tag", vec!["--snapshot", "canary"], json!({})),
        (
            "template",
            vec![
                "--snapshot",
                "canary",
                "--snapshot-prerelease-template",
                "{tag}.{timestamp}",
            ],
            json!({}),
        ),
        (
            "calculated",
            vec!["--snapshot", "pr1"],
            json!({"snapshot": {"useCalculatedVersion": true, "prereleaseTemplate": "{tag}-{datetime}"}}),
        ),
        (
            "tag-unused",
            vec![
                "--snapshot",
                "x",
                "--snapshot-prerelease-template",
                "{datetime}",
            ],
            json!({}),
        ),
    ] {
        let mut c = mono(
            &format!("snapshot-{label}"),
            &[
                a(),
                pkg("pkg-b", "1.0.0").dep("pkg-a", "^1.0.0"),
                pkg("pkg-c", "1.0.0").dep("pkg-a", "workspace:^1.0.0"),
            ],
            cfg,
        )
        .cs("one", &[("pkg-a", "major")], "Snap")
        .steps(vec![Step::Version(
            args.iter().map(|s| s.to_string()).collect(),
        )]);
        c.normalize_time = true;
        v.push(c);
    }

    // A private package without a version depending on a released one (a versionless `none`
    // entry in the plan): its range is still rewritten, it gets no version and no CHANGELOG.
    let mut versionless = pkg("app", "0.0.0").private().dep("pkg-a", "^1.0.0");
    versionless.json.remove("version");
    v.push(
        mono(
            "versionless-private-dependent",
            &[a(), versionless, pkg("pkg-b", "1.0.0")],
            json!({}),
        )
        .cs("one", &[("pkg-a", "major")], "Major a"),
    );

    // pnpm workspace.
    let mut p = mono(
        "pnpm",
        &[a(), pkg("pkg-b", "1.0.0").dep("pkg-a", "workspace:^1.0.0")],
        json!({}),
    )
    .cs("one", &[("pkg-a", "major")], "Major a");
    p.files.remove("package-lock.json");
    p.files.insert(
        "pnpm-workspace.yaml".into(),
        "packages:\n  - 'packages/*'\n".into(),
    );
    v.push(p);

    // Scoped names and nested directories.
    v.push(
        mono(
            "scoped",
            &[
                pkg("@acme/core", "0.1.0"),
                pkg("@acme/ui", "0.3.0").dep("@acme/core", "^0.1.0"),
            ],
            json!({}),
        )
        .cs("one", &[("@acme/core", "minor")], "Core feature"),
    );

    // Big enough (72 packages, 80 change files) that relay reads, renders and writes on
    // several threads: the result must still be changesets' order and bytes.
    let n = 72;
    let pkgs: Vec<Pkg> = (0..n)
        .map(|i| {
            let mut p = pkg(&format!("pkg-{i:02}"), ["1.0.0", "0.3.1", "2.4.0"][i % 3]);
            if i > 0 {
                let d = (i * 7) % i;
                p = p.dep(
                    &format!("pkg-{d:02}"),
                    &format!("^{}", ["1.0.0", "0.3.1", "2.4.0"][d % 3]),
                );
            }
            if i % 5 == 4 {
                p = p.peer(&format!("pkg-{:02}", i - 1), "*");
            }
            p
        })
        .collect();
    let mut big = mono("many-packages", &pkgs, json!({}));
    for c in 0..80 {
        let a = format!("pkg-{:02}", (c * 13) % n);
        let b = format!("pkg-{:02}", (c * 29 + 5) % n);
        let bump = ["patch", "minor", "patch", "major"][c % 4];
        let mut rel = vec![(a.as_str(), bump)];
        if a != b {
            rel.push((b.as_str(), "patch"));
        }
        big = big.cs(&format!("change-{c:02}"), &rel, &format!("Change {c}"));
    }
    v.push(big);
    v
}

#[test]
fn version_matches_changesets_on_hand_written_repos() {
    run_all(hand_cases());
}

/// changelog-github with metadata from the GitHub API (a local double): `pr:`, `commit:` and
/// `author:` lines, committed change files, dependency lines with commit links.
#[test]
fn version_matches_changesets_with_github_api() {
    let gh = crate::version_diff::GraphqlDouble::start();
    let base = || {
        mono(
            "github-api",
            &[
                a(),
                pkg("pkg-b", "1.0.0").dep("pkg-a", "^1.0.0"),
                pkg("pkg-c", "1.0.0").peer("pkg-a", "^1.0.0"),
            ],
            json!({"changelog": ["@changesets/changelog-github", {"repo": "acme/relay"}]}),
        )
        .env("GITHUB_TOKEN", "test-token")
        .env("GITHUB_GRAPHQL_URL", &gh.url)
    };
    let mut committed = base()
        .cs("from-commit", &[("pkg-a", "major")], "Looked up by commit")
        .cs("with-pr", &[("pkg-a", "minor")], "pr: #42\nWith a PR")
        .cs(
            "odd-pr",
            &[("pkg-b", "patch")],
            "PR: 7\ncommit: 1234567890abcdef\nauthor: @me\nuser: you\nOdd PR",
        )
        .cs(
            "missing-pr",
            &[("pkg-c", "patch")],
            "pull request: 999\nUnknown PR",
        )
        .cs(
            "unknown-commit",
            &[("pkg-b", "minor")],
            "commit: 0000000deadbeef\nUnknown commit",
        )
        .steps(vec![
            write(
                ".changeset/uncommitted.md",
                &changeset(&[("pkg-c", "minor")], "Not committed, #5"),
            ),
            version(&[]),
        ]);
    committed.git = true;
    committed.name = "github-api-committed".into();
    let no_token = {
        let mut c = base().cs("with-pr", &[("pkg-a", "minor")], "pr: 3\nNeeds the API");
        c.env.retain(|(k, _)| k != "GITHUB_TOKEN");
        c.name = "github-api-no-token".into();
        c
    };
    run_all(vec![committed, no_token]);
}

/// changesets 3 runs the repository's formatter on the CHANGELOGs it writes (`format`, default
/// `auto`): here the pinned Prettier, found by its configuration file, by name, or as an
/// installed package. The files must come out the same from both tools.
#[test]
fn version_formats_changelogs_like_changesets() {
    let npm_cache = tempfile::tempdir().unwrap();
    let cache = npm_cache.path().to_string_lossy().into_owned();
    let repo = |name: &str, format: Value| {
        let mut c = mono(
            name,
            &[
                a(),
                pkg("pkg-b", "1.0.0").dep("pkg-a", "^1.0.0"),
                pkg("pkg-c", "1.0.0").peer("pkg-a", "^1.0.0"),
            ],
            json!({ "format": format }),
        )
        .cs(
            "brave-lions-dance",
            &[("pkg-a", "major")],
            "Remove the deprecated `foo()` export, which had been kept around for a long time because of many callers.  \n\nMigration:\n* call `bar()` instead\n* or   `baz()`",
        )
        .cs("quiet-owls-sing", &[("pkg-c", "patch")], "Fix c rendering")
        .file(
            "packages/pkg-a/CHANGELOG.md",
            "# pkg-a\n\n## 1.0.0\n*   First   release\n",
        )
        .env("npm_config_cache", &cache)
        .env("npm_config_update_notifier", "false");
        c.prettier = true;
        c
    };
    run_all(vec![
        repo("prettier-by-config", json!("auto")).file(
            ".prettierrc",
            "{\"proseWrap\": \"always\", \"printWidth\": 40}\n",
        ),
        repo("prettier-by-name", json!("prettier")),
        repo("prettier-installed", json!("auto")),
        repo("format-off", json!(false)),
    ]);
}
