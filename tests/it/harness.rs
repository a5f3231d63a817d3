//! Shared test harness: running the relay binary, copying fixtures, provisioning pinned Node
//! tools from lockfiles under `tests/tools/`.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn relay_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_relay"))
}

/// A `relay` command with an environment scrubbed of anything CI or the developer's machine
/// could leak into behaviour (OIDC variables, npm config, colours).
pub fn relay(cwd: &Path) -> Command {
    let mut cmd = Command::new(relay_bin());
    cmd.current_dir(cwd);
    scrub_env(&mut cmd);
    cmd.env("NO_COLOR", "1");
    cmd
}

pub fn scrub_env(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy().to_string();
        let upper = k.to_ascii_uppercase();
        if upper.starts_with("NPM_CONFIG_")
            || upper.starts_with("ACTIONS_ID_TOKEN")
            || upper.starts_with("GITHUB_")
            || upper.starts_with("GITLAB")
            || upper.starts_with("CI_")
            || upper.starts_with("BUILDKITE")
            || upper.starts_with("CIRCLE")
            || matches!(
                upper.as_str(),
                "NODE_AUTH_TOKEN" | "NPM_ID_TOKEN" | "CI" | "RELAY_LOG"
            )
        {
            cmd.env_remove(&key);
        }
    }
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("failed to spawn command")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Copies `fixtures/<name>` into a fresh temp dir and returns (guard, path).
pub fn fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join(name);
    copy_dir(&repo_root().join("fixtures").join(name), &dest);
    (tmp, dest)
}

pub fn copy_dir(src: &Path, dest: &Path) {
    fs::create_dir_all(dest).unwrap();
    for entry in fs::read_dir(src).unwrap_or_else(|e| panic!("{}: {e}", src.display())) {
        let entry = entry.unwrap();
        let ft = entry.file_type().unwrap();
        let to = dest.join(entry.file_name());
        if ft.is_dir() {
            copy_dir(&entry.path(), &to);
        } else if ft.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(entry.path()).unwrap(), &to).unwrap();
        } else {
            fs::copy(entry.path(), &to).unwrap();
        }
    }
}

/// Every file under `dir` with its bytes, for "nothing changed" assertions.
pub fn snapshot_tree(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_type().is_file() {
            out.insert(
                e.path().strip_prefix(dir).unwrap().to_path_buf(),
                fs::read(e.path()).unwrap(),
            );
        }
    }
    out
}

/// Node and npm must be on PATH for the tests that use them; a missing one fails loudly.
pub fn require_node() {
    for tool in ["node", "npm"] {
        let ok = Command::new(tool)
            .arg("--version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        assert!(
            ok,
            "`{tool}` is required on PATH for this test (install Node.js 20+ with npm)"
        );
    }
}

/// Installs the pinned tool set `tests/tools/<name>/` (package.json + package-lock.json) with
/// `npm ci` into `target/test-tools/<name>/` once per lockfile content, and returns that dir.
/// Safe across parallel tests and test binaries (a file lock guards the install).
pub fn node_tool(name: &str) -> PathBuf {
    require_node();
    let src = repo_root().join("tests/tools").join(name);
    let lock = fs::read(src.join("package-lock.json"))
        .unwrap_or_else(|e| panic!("tests/tools/{name}/package-lock.json: {e}"));
    let manifest = fs::read(src.join("package.json")).unwrap();
    let stamp_value = format!("{:x}", fxhash(&[&lock[..], &manifest[..]].concat()));
    let dest = repo_root().join("target/test-tools").join(name);
    fs::create_dir_all(&dest).unwrap();
    let lock_file = fs::File::create(dest.with_extension("lock")).unwrap();
    lock_file.lock().unwrap();
    let stamp = dest.join(".installed");
    if fs::read_to_string(&stamp).ok().as_deref() == Some(stamp_value.as_str()) {
        return dest;
    }
    fs::write(dest.join("package.json"), &manifest).unwrap();
    fs::write(dest.join("package-lock.json"), &lock).unwrap();
    let out = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dest)
        .env(
            "npm_config_cache",
            repo_root().join("target/test-tools/.npm-cache"),
        )
        .output()
        .expect("spawn npm ci");
    assert!(
        out.status.success(),
        "npm ci in {} failed:\n{}\n{}",
        dest.display(),
        stdout(&out),
        stderr(&out)
    );
    fs::write(&stamp, stamp_value).unwrap();
    dest
}

fn fxhash(bytes: &[u8]) -> u64 {
    // FNV-1a: a stable content stamp, not a security boundary.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}
