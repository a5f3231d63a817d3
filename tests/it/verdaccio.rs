//! A real npm registry for integration tests: pinned Verdaccio 6.8.0 (tests/tools/verdaccio),
//! started on a free loopback port with its own storage, htpasswd and config, a user and a
//! token created through the CouchDB user `PUT`, and stopped by PID.
//!
//! `Verdaccio::shared()` starts one instance per test binary (≈1.5 s) — isolate tests by
//! package scope (`unique_scope`). `Verdaccio::start()` gives a private instance whose `Drop`
//! kills it. Either way the server runs under a small Node launcher that exits when its stdin
//! closes, so even the shared instance dies with the test process (statics are never dropped).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::harness;

pub const USER: &str = "relay";
pub const PASSWORD: &str = "relay-pass-123";

pub struct Verdaccio {
    child: Option<Child>,
    port: u16,
    token: String,
    dir: tempfile::TempDir,
}

const CONFIG: &str = r#"storage: ./storage
auth:
  htpasswd:
    file: ./htpasswd
    max_users: 1000
    # Cheap hashing: tests create users, they do not defend them.
    algorithm: bcrypt
    rounds: 4
# JWT API tokens: verified by signature. Legacy AES tokens re-check the bcrypt password on
# every request (~300 ms each here), which serialises any concurrent client.
security:
  api:
    jwt:
      sign:
        expiresIn: 7d
uplinks: {}
packages:
  '@*/*': { access: $all, publish: $authenticated, unpublish: $authenticated }
  '**':   { access: $all, publish: $authenticated, unpublish: $authenticated }
web: { enable: false }
middlewares: { audit: { enabled: false } }
max_body_size: 50mb
log: { type: stdout, format: json, level: http }
"#;

// Runs Verdaccio's own CLI in this process and exits as soon as stdin reaches EOF, i.e. when
// the test process that holds the pipe's write end has gone (however it ended).
const LAUNCHER: &str = r#"
const bin = process.argv[2];
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
process.argv = [process.argv[0], bin, ...process.argv.slice(3)];
require(bin);
"#;

impl Verdaccio {
    /// One instance for the whole test binary.
    pub fn shared() -> &'static Verdaccio {
        static SHARED: OnceLock<Verdaccio> = OnceLock::new();
        SHARED.get_or_init(Verdaccio::start)
    }

    /// A private instance (fresh storage); killed on drop.
    pub fn start() -> Verdaccio {
        let tools = harness::node_tool("verdaccio");
        let bin = tools.join("node_modules/verdaccio/bin/verdaccio");
        assert!(bin.exists(), "{} missing after npm ci", bin.display());
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("config.yaml"), CONFIG).unwrap();
        std::fs::write(dir.path().join("htpasswd"), "").unwrap();
        std::fs::write(dir.path().join("launch.js"), LAUNCHER).unwrap();
        let log = std::fs::File::create(dir.path().join("verdaccio.log")).unwrap();
        let port = free_port();
        let child = Command::new("node")
            .arg(dir.path().join("launch.js"))
            .arg(&bin)
            .arg("--config")
            .arg(dir.path().join("config.yaml"))
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("spawn node for verdaccio");
        let mut vd = Verdaccio {
            child: Some(child),
            port,
            token: String::new(),
            dir,
        };
        vd.wait_ready();
        vd.token = vd.create_user(USER, PASSWORD);
        vd
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok((200, _)) = http(self.port, "GET", "/-/ping", None, None) {
                return;
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!(
                    "verdaccio exited early ({status}):\n{}",
                    std::fs::read_to_string(self.dir.path().join("verdaccio.log"))
                        .unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "verdaccio did not answer /-/ping within 60 s:\n{}",
                std::fs::read_to_string(self.dir.path().join("verdaccio.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Creates (or logs in) a user and returns its token.
    pub fn create_user(&self, name: &str, password: &str) -> String {
        let body = format!(
            r#"{{"_id":"org.couchdb.user:{name}","name":"{name}","password":"{password}","type":"user","roles":[],"date":"2026-01-01T00:00:00.000Z"}}"#
        );
        let path = format!("/-/user/org.couchdb.user:{name}");
        let (status, resp) = http(self.port, "PUT", &path, Some(&body), None).unwrap();
        let (status, resp) = if status == 409 {
            use base64::Engine;
            let basic =
                base64::engine::general_purpose::STANDARD.encode(format!("{name}:{password}"));
            http(
                self.port,
                "PUT",
                &path,
                Some(&body),
                Some(&format!("Basic {basic}")),
            )
            .unwrap()
        } else {
            (status, resp)
        };
        assert_eq!(status, 201, "creating user {name}: {resp}");
        let v: serde_json::Value = serde_json::from_str(&resp).unwrap();
        v["token"].as_str().expect("token in response").to_string()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>/` (trailing slash, as npm writes registry URLs).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// The `.npmrc` lines that point npm (or relay) at this registry with the test token.
    pub fn npmrc(&self) -> String {
        npmrc_for(&self.url(), &self.token)
    }

    /// Writes `<dir>/.npmrc` and returns its path.
    pub fn write_npmrc(&self, dir: &Path) -> PathBuf {
        let path = dir.join(".npmrc");
        std::fs::write(&path, self.npmrc()).unwrap();
        path
    }

    /// Everything Verdaccio logged so far (tests grep it for tokens).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("verdaccio.log")).unwrap_or_default()
    }

    /// GET a path and parse JSON (status, body).
    pub fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let (status, body) = http(self.port, "GET", path, None, None).unwrap();
        (
            status,
            serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
        )
    }

    /// The package's full packument, or None when it does not exist.
    pub fn packument(&self, name: &str) -> Option<serde_json::Value> {
        let (status, v) = self.get_json(&format!("/{}", name.replace('/', "%2f")));
        (status == 200).then_some(v)
    }

    pub fn dist_tags(&self, name: &str) -> serde_json::Value {
        self.packument(name)
            .map(|p| p["dist-tags"].clone())
            .unwrap_or(serde_json::Value::Null)
    }
}

impl Drop for Verdaccio {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Kill exactly the process we started, by PID.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn npmrc_for(url: &str, token: &str) -> String {
    let nerf = url.trim_start_matches("http:").trim_start_matches("https:");
    format!("registry={url}\n{nerf}:_authToken={token}\n")
}

/// A scope unique within this test process, so tests sharing one Verdaccio never collide.
pub fn unique_scope(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}{}x{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().unwrap().port()
}

/// Minimal blocking HTTP/1.1 request (Connection: close); enough for harness chores.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
    auth: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nAccept: application/json\r\n"
    );
    if let Some(b) = body {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    let body = body.unwrap_or("");
    if let Some(a) = auth {
        req.push_str(&format!("Authorization: {a}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad response: {head}")))?;
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    Ok((status, body))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

#[test]
fn verdaccio_starts_creates_a_user_and_answers_whoami() {
    let vd = Verdaccio::shared();
    let (status, body) = http(
        vd.port(),
        "GET",
        "/-/whoami",
        None,
        Some(&format!("Bearer {}", vd.token())),
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"relay\""), "{body}");
    // A wrong token does not authenticate as the user.
    let (status, body) = http(vd.port(), "GET", "/-/whoami", None, Some("Bearer nope")).unwrap();
    assert!(
        status != 200 || !body.contains("\"relay\""),
        "{status} {body}"
    );
    assert!(
        vd.npmrc()
            .contains(&format!("//127.0.0.1:{}/:_authToken=", vd.port()))
    );
}

#[test]
fn npm_publishes_to_the_harness_registry() {
    let vd = Verdaccio::shared();
    let scope = unique_scope("vdh");
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(
        pkg.join("package.json"),
        format!(r#"{{"name":"@{scope}/hello","version":"1.0.0"}}"#),
    )
    .unwrap();
    let npmrc = vd.write_npmrc(dir.path());
    let out = Command::new("npm")
        .args(["publish", "--no-audit", "--userconfig"])
        .arg(&npmrc)
        .args(["--registry", &vd.url()])
        .env("npm_config_cache", dir.path().join("cache"))
        .current_dir(&pkg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tags = vd.dist_tags(&format!("@{scope}/hello"));
    assert_eq!(tags["latest"], "1.0.0");
}
