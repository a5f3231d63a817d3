//! Bad workspace inputs: each case exits 1, names the file (and the line where there is one),
//! says what to do, and leaves the tree byte-identical.

use std::fs;
use std::path::Path;

use crate::harness::*;

/// A file to write; `DIR` makes a directory instead, `BAD_UTF8` writes invalid UTF-8.
const DIR: &str = "\u{0}dir";
const BAD_UTF8: &str = "\u{0}bad-utf8";

struct Case {
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    /// Substrings stderr must contain (file:line:col first).
    expect: &'static [&'static str],
}

const NPM_ROOT: (&str, &str) = (
    "package.json",
    "{\n  \"name\": \"root\",\n  \"private\": true,\n  \"workspaces\": [\"packages/*\"]\n}\n",
);
const LOCK: (&str, &str) = ("package-lock.json", "{}");
const PKG_A: (&str, &str) = (
    "packages/a/package.json",
    "{\"name\": \"a\", \"version\": \"1.0.0\"}",
);

const CASES: &[Case] = &[
    Case {
        name: "root package.json is malformed JSON",
        files: &[(
            "package.json",
            "{\n  \"name\": \"root\",\n  \"workspaces\": [\"packages/*\",]\n}\n",
        )],
        expect: &["package.json:3:31: invalid JSON", "fix the syntax"],
    },
    Case {
        name: "member package.json has a trailing comma",
        files: &[
            NPM_ROOT,
            LOCK,
            (
                "packages/a/package.json",
                "{\n  \"name\": \"a\",\n  \"version\": \"1.0.0\",\n}\n",
            ),
        ],
        expect: &["packages/a/package.json:4:1: invalid JSON"],
    },
    Case {
        name: "member package.json is not UTF-8",
        files: &[NPM_ROOT, LOCK, ("packages/a/package.json", BAD_UTF8)],
        expect: &["packages/a/package.json:1:", "not valid UTF-8"],
    },
    Case {
        name: "manifest is unreadable (a directory)",
        files: &[NPM_ROOT, LOCK, ("packages/a/package.json", DIR)],
        expect: &["packages/a/package.json: cannot read it", "readable"],
    },
    Case {
        name: "manifest is not an object",
        files: &[NPM_ROOT, LOCK, ("packages/a/package.json", "[1, 2]")],
        expect: &["packages/a/package.json: the manifest must be a JSON object"],
    },
    Case {
        name: "workspaces is a string",
        files: &[(
            "package.json",
            "{\n  \"name\": \"r\",\n  \"workspaces\": \"packages/*\"\n}\n",
        )],
        expect: &["package.json:3:3: `workspaces` must be an array"],
    },
    Case {
        name: "workspaces.packages is an object",
        files: &[(
            "package.json",
            "{\"name\": \"r\",\n \"workspaces\": {\n   \"packages\": {\"a\": 1}\n }\n}\n",
        )],
        expect: &["package.json:3:4: `workspaces.packages` must be an array"],
    },
    Case {
        name: "workspaces entry is a number",
        files: &[(
            "package.json",
            "{\"name\": \"r\",\n\"workspaces\": [\"a/*\", 3]}\n",
        )],
        expect: &["package.json:2:1: every `workspaces` entry must be a glob string, found `3`"],
    },
    Case {
        name: "workspace glob does not compile",
        files: &[(
            "package.json",
            "{\"name\": \"r\", \"workspaces\": [\"packages/[\"]}",
        )],
        expect: &["package.json: workspace glob `packages/[` is not a valid glob"],
    },
    Case {
        name: "duplicate package names",
        files: &[
            NPM_ROOT,
            LOCK,
            PKG_A,
            (
                "packages/b/package.json",
                "{\"name\": \"a\", \"version\": \"2.0.0\"}",
            ),
        ],
        expect: &[
            "two packages are named `a`",
            "packages/a/package.json and ",
            "packages/b/package.json; rename one of them",
        ],
    },
    Case {
        name: "member without a name",
        files: &[
            NPM_ROOT,
            LOCK,
            ("packages/a/package.json", "{\"version\": \"1.0.0\"}"),
        ],
        expect: &["packages/a/package.json: `name` is missing"],
    },
    Case {
        name: "name is a number",
        files: &[
            NPM_ROOT,
            LOCK,
            (
                "packages/a/package.json",
                "{\n  \"version\": \"1.0.0\",\n  \"name\": 7\n}",
            ),
        ],
        expect: &["packages/a/package.json:3:3: `name` must be a non-empty string, found `7`"],
    },
    Case {
        name: "version is a number",
        files: &[
            NPM_ROOT,
            LOCK,
            (
                "packages/a/package.json",
                "{\n  \"name\": \"a\",\n  \"version\": 1.5\n}",
            ),
        ],
        expect: &[
            "packages/a/package.json:3:3: `version` must be a string like \"1.0.0\", found `1.5`",
        ],
    },
    Case {
        name: "dependencies is an array",
        files: &[
            NPM_ROOT,
            LOCK,
            (
                "packages/a/package.json",
                "{\"name\": \"a\",\n \"dependencies\": [\"b\"]}",
            ),
        ],
        expect: &["packages/a/package.json:2:2: `dependencies` must be an object"],
    },
    Case {
        name: "dependency range is not a string",
        files: &[
            NPM_ROOT,
            LOCK,
            (
                "packages/a/package.json",
                "{\"name\": \"a\",\n \"peerDependencies\": {\n   \"react\": 18\n }}",
            ),
        ],
        expect: &[
            "packages/a/package.json:3:4: `peerDependencies.react` must be a version range string",
        ],
    },
    Case {
        name: "single-package repo without a name",
        files: &[("package.json", "{\"version\": \"1.0.0\"}")],
        expect: &["package.json: `name` is missing"],
    },
    Case {
        name: "pnpm-workspace.yaml is malformed",
        files: &[
            ("package.json", "{\"name\": \"r\"}"),
            (
                "pnpm-workspace.yaml",
                "packages:\n  - \"packages/*\"\n   - bad: [\n",
            ),
        ],
        expect: &["pnpm-workspace.yaml:3:", "invalid YAML"],
    },
    Case {
        name: "pnpm-workspace.yaml packages is a string",
        files: &[
            ("package.json", "{\"name\": \"r\"}"),
            ("pnpm-workspace.yaml", "# globs\npackages: packages/*\n"),
        ],
        expect: &["pnpm-workspace.yaml:2:", "invalid YAML"],
    },
    Case {
        name: "pnpm default catalog defined twice",
        files: &[
            ("package.json", "{\"name\": \"r\"}"),
            (
                "pnpm-workspace.yaml",
                "packages: []\ncatalog:\n  a: ^1\ncatalogs:\n  default:\n    a: ^2\n",
            ),
        ],
        expect: &["pnpm-workspace.yaml: the default catalog is defined twice"],
    },
    Case {
        name: "bun catalog is not an object",
        files: &[(
            "package.json",
            "{\"name\": \"r\",\n \"workspaces\": {\"packages\": [],\n  \"catalog\": [\"zod\"]}}",
        )],
        expect: &["package.json:3:3: `workspaces.catalog` must be an object"],
    },
    Case {
        name: "Cargo.toml is malformed",
        files: &[(
            "Cargo.toml",
            "[workspace]\nmembers = [\"crates/*\"\n\n[workspace.package]\n",
        )],
        expect: &["Cargo.toml:", "invalid TOML"],
    },
    Case {
        name: "Cargo member directory without Cargo.toml",
        files: &[
            ("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n"),
            ("crates/empty/README.md", "nothing here"),
        ],
        expect: &[
            "crates/empty/Cargo.toml: workspace member (from `members` glob `crates/*`",
            "exclude",
        ],
    },
    Case {
        name: "Cargo version.workspace without workspace version",
        files: &[
            ("Cargo.toml", "[workspace]\nmembers = [\"a\"]\n"),
            (
                "a/Cargo.toml",
                "[package]\nname = \"a\"\nversion.workspace = true\n",
            ),
        ],
        expect: &["a/Cargo.toml:3:", "[workspace.package] version"],
    },
    Case {
        name: "Cargo version is not a string",
        files: &[("Cargo.toml", "[package]\nname = \"a\"\nversion = 1\n")],
        expect: &["Cargo.toml:3:11: `package.version` must be a string"],
    },
    Case {
        name: "Cargo dependency is a number",
        files: &[(
            "Cargo.toml",
            "[package]\nname = \"a\"\nversion = \"1.0.0\"\n\n[dependencies]\nserde = 1\n",
        )],
        expect: &["Cargo.toml:6:9: `dependencies.serde` must be a version string or a table"],
    },
    Case {
        name: "Cargo dependencies is not a table",
        files: &[(
            "Cargo.toml",
            "dev-dependencies = \"none\"\n[package]\nname = \"a\"\nversion = \"1.0.0\"\n",
        )],
        expect: &["Cargo.toml:1:20: `dev-dependencies` must be a table"],
    },
    Case {
        name: "Cargo workspace dependency missing",
        files: &[
            ("Cargo.toml", "[workspace]\nmembers = [\"a\"]\n"),
            (
                "a/Cargo.toml",
                "[package]\nname = \"a\"\nversion = \"1.0.0\"\n[dependencies]\nserde.workspace = true\n",
            ),
        ],
        expect: &["a/Cargo.toml:5:", "no `[workspace.dependencies] serde`"],
    },
    Case {
        name: "Cargo package without name",
        files: &[("Cargo.toml", "[package]\nversion = \"1.0.0\"\n")],
        expect: &["Cargo.toml:1:1: `package.name` is missing"],
    },
    Case {
        name: "Cargo.toml with neither package nor workspace",
        files: &[("Cargo.toml", "[dependencies]\nserde = \"1\"\n")],
        expect: &["Cargo.toml: neither `[package]` nor `[workspace]`"],
    },
    Case {
        name: "duplicate names across npm and Cargo",
        files: &[
            NPM_ROOT,
            LOCK,
            (
                "packages/shared/package.json",
                "{\"name\": \"shared\", \"version\": \"1.0.0\"}",
            ),
            ("Cargo.toml", "[workspace]\nmembers = [\"crates/shared\"]\n"),
            (
                "crates/shared/Cargo.toml",
                "[package]\nname = \"shared\"\nversion = \"1.0.0\"\n",
            ),
        ],
        expect: &[
            "two packages are named `shared`",
            "packages/shared/package.json",
            "crates/shared/Cargo.toml",
        ],
    },
    Case {
        name: "no manifest at all",
        files: &[("README.md", "just docs")],
        expect: &[
            "no package.json, pnpm-workspace.yaml or Cargo.toml here",
            "--cwd",
        ],
    },
];

fn materialise(root: &Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        match *text {
            DIR => fs::create_dir_all(&p).unwrap(),
            BAD_UTF8 => fs::write(&p, b"{\"name\": \"\xff\xfe\"}").unwrap(),
            _ => fs::write(&p, text).unwrap(),
        }
    }
}

#[test]
fn bad_workspaces_fail_cleanly() {
    assert!(CASES.len() >= 16);
    let mut failures = Vec::new();
    for case in CASES {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("repo");
        fs::create_dir_all(&root).unwrap();
        materialise(&root, case.files);
        let before = snapshot_tree(&root);
        for args in [&["list"][..], &["list", "--json"][..]] {
            let out = run(relay(&root).arg("--cwd").arg(&root).args(args));
            let err = stderr(&out);
            if out.status.code() != Some(1) {
                failures.push(format!(
                    "{}: exit {:?}, stderr: {err}",
                    case.name,
                    out.status.code()
                ));
            }
            if !out.stdout.is_empty() {
                failures.push(format!("{}: printed to stdout", case.name));
            }
            for want in case.expect {
                if !err.contains(want) {
                    failures.push(format!("{}: stderr lacks {want:?}:\n{err}", case.name));
                }
            }
        }
        assert_eq!(snapshot_tree(&root), before, "{}: tree changed", case.name);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
