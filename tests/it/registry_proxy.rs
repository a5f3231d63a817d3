//! A fault-injecting reverse proxy in front of Verdaccio: per-request rules answer with 5xx,
//! 429 + Retry-After, the packument-save 409 race, 403, reset the connection, delay past the
//! client's timeout, or forward and then drop the success, or demand a one-time password as
//! npmjs does for accounts with 2FA on writes (also its web flow: `authUrl`, and a `doneUrl`
//! this proxy answers). It counts the publishes that Verdaccio accepted per package, so tests
//! can assert "exactly once".
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};

#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status and JSON body; `retry_after` adds the header.
    Status {
        status: u16,
        body: String,
        retry_after: Option<u64>,
    },
    /// Read the request, then close the connection without answering.
    Reset,
    /// Wait, then forward (the client may have given up by then).
    Delay(Duration),
    /// Forward, then close the connection instead of returning the (successful) answer.
    LoseResponse,
    /// Pause until `release()` is called on the proxy, then forward.
    Hold,
    /// Forward only with `npm-otp: <code>`; otherwise `401`, `www-authenticate: OTP` and
    /// npmjs's error body, plus `authUrl`/`doneUrl` when `web` (the proxy answers the done URL:
    /// `202` + `Retry-After: 1` for `web_pending` polls, then `200 {"token": code}`).
    RequireOtp { code: String, web: bool },
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub method: &'static str,
    /// Substring of the request path (e.g. the escaped package name).
    pub path_contains: String,
    pub fault: Fault,
    /// How many matching requests it applies to (0 = forever).
    pub times: usize,
}

#[derive(Default)]
struct State {
    rules: Vec<(Rule, usize)>,
    /// Successful (2xx) publish PUTs that reached Verdaccio, per request path.
    accepted_puts: BTreeMap<String, usize>,
    /// Every request seen: "METHOD path".
    seen: Vec<String>,
    held: usize,
    released: bool,
    /// "METHOD path" of every request that carried `npm-otp`.
    otp_sent: Vec<String>,
    /// Polls of the web flow's done URL still to answer `202`, and the code it then gives.
    web_pending: usize,
    web_code: Option<String>,
    /// Polls of the done URL, and whether each carried the registry credential.
    web_polls: Vec<bool>,
}

pub struct FaultProxy {
    pub port: u16,
    state: Arc<Mutex<State>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FaultProxy {
    pub fn start(upstream_port: u16) -> FaultProxy {
        let state = Arc::new(Mutex::new(State::default()));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let st = state.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                port_tx.send(listener.local_addr().unwrap().port()).unwrap();
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(60))
                    .build()
                    .unwrap();
                let mut rx = rx;
                loop {
                    tokio::select! {
                        _ = &mut rx => break,
                        acc = listener.accept() => {
                            let Ok((stream, _)) = acc else { continue };
                            let st = st.clone();
                            let client = client.clone();
                            tokio::spawn(async move {
                                let io = hyper_util::rt::TokioIo::new(stream);
                                let svc = hyper::service::service_fn(move |req| {
                                    handle(req, st.clone(), client.clone(), upstream_port)
                                });
                                let _ = hyper::server::conn::http1::Builder::new()
                                    .keep_alive(true)
                                    .serve_connection(io, svc)
                                    .await;
                            });
                        }
                    }
                }
            });
        });
        let port = port_rx.recv().unwrap();
        FaultProxy {
            port,
            state,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    pub fn add(&self, method: &'static str, path_contains: &str, fault: Fault, times: usize) {
        self.state.lock().unwrap().rules.push((
            Rule {
                method,
                path_contains: path_contains.to_string(),
                fault,
                times,
            },
            0,
        ));
    }

    pub fn clear(&self) {
        self.state.lock().unwrap().rules.clear();
    }

    /// Lets every held request (and future ones) through.
    pub fn release_held(&self) {
        let mut s = self.state.lock().unwrap();
        s.rules.clear();
        s.released = true;
    }

    pub fn held(&self) -> usize {
        self.state.lock().unwrap().held
    }

    pub fn accepted_puts(&self) -> BTreeMap<String, usize> {
        self.state.lock().unwrap().accepted_puts.clone()
    }

    pub fn seen(&self) -> Vec<String> {
        self.state.lock().unwrap().seen.clone()
    }

    pub fn otp_sent(&self) -> Vec<String> {
        self.state.lock().unwrap().otp_sent.clone()
    }

    /// The done URL answers `202` this many times, then `200 {"token": code}`.
    pub fn web_approval(&self, pending: usize, code: &str) {
        let mut s = self.state.lock().unwrap();
        s.web_pending = pending;
        s.web_code = Some(code.to_string());
    }

    pub fn web_polls(&self) -> Vec<bool> {
        self.state.lock().unwrap().web_polls.clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.state.lock().unwrap().released = true;
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

type Resp = Response<Full<Bytes>>;

async fn handle(
    req: Request<Incoming>,
    state: Arc<Mutex<State>>,
    client: reqwest::Client,
    upstream: u16,
) -> Result<Resp, std::io::Error> {
    let method = req.method().to_string();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    if path.starts_with("/-/v1/done") {
        let mut s = state.lock().unwrap();
        let authed = req.headers().contains_key("authorization");
        s.web_polls.push(authed);
        let r = if s.web_pending > 0 {
            s.web_pending -= 1;
            Response::builder()
                .status(202)
                .header("retry-after", "1")
                .body(Full::new(Bytes::from_static(b"{}")))
        } else {
            let token = serde_json::json!({ "token": s.web_code.clone().unwrap_or_default() });
            Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(token.to_string())))
        };
        return Ok(r.unwrap());
    }
    let fault = {
        let mut s = state.lock().unwrap();
        s.seen.push(format!("{method} {path}"));
        if req.headers().contains_key("npm-otp") {
            s.otp_sent.push(format!("{method} {path}"));
        }
        let mut found = None;
        for (rule, used) in s.rules.iter_mut() {
            if rule.method == method
                && path.contains(&rule.path_contains)
                && (rule.times == 0 || *used < rule.times)
            {
                *used += 1;
                found = Some(rule.fault.clone());
                break;
            }
        }
        found
    };
    let headers = req.headers().clone();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    match &fault {
        Some(Fault::Status {
            status,
            body,
            retry_after,
        }) => {
            let mut r = Response::builder()
                .status(*status)
                .header("content-type", "application/json");
            if let Some(s) = retry_after {
                r = r.header("retry-after", s.to_string());
            }
            return Ok(r.body(Full::new(Bytes::from(body.clone()))).unwrap());
        }
        Some(Fault::Reset) => {
            return Err(std::io::Error::other("injected connection reset"));
        }
        Some(Fault::RequireOtp { code, web }) => {
            let given = headers.get("npm-otp").and_then(|v| v.to_str().ok());
            if given != Some(code.as_str()) {
                let mut body = serde_json::json!({
                    "error": "You must provide a one-time pass. Upgrade your client to npm@latest in order to use 2FA."
                });
                if *web {
                    let host = headers
                        .get("host")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("127.0.0.1");
                    body["authUrl"] = format!("http://{host}/auth/approve/1").into();
                    body["doneUrl"] = format!("http://{host}/-/v1/done?authId=1").into();
                }
                return Ok(Response::builder()
                    .status(401)
                    .header("www-authenticate", "OTP")
                    .header("content-type", "application/json")
                    .body(Full::new(Bytes::from(body.to_string())))
                    .unwrap());
            }
        }
        Some(Fault::Delay(d)) => tokio::time::sleep(*d).await,
        Some(Fault::Hold) => state.lock().unwrap().held += 1,
        _ => {}
    }
    let hold = matches!(fault, Some(Fault::Hold));
    // Forward in a detached task: if the client disappears (SIGKILL) the request still
    // completes upstream, like a real upload already on the wire.
    let fwd_state = state.clone();
    let fwd_path = path.clone();
    let task = tokio::spawn(async move {
        while hold && !fwd_state.lock().unwrap().released {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let url = format!("http://127.0.0.1:{upstream}{fwd_path}");
        let mut fwd = client.request(method.parse().unwrap(), &url);
        for (k, v) in headers.iter() {
            if k == "host" || k == "content-length" || k == "connection" {
                continue;
            }
            fwd = fwd.header(k.as_str(), v.as_bytes());
        }
        let resp = fwd
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let status = resp.status().as_u16();
        let ctype = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json")
            .to_string();
        let bytes = resp.bytes().await.unwrap_or_default();
        let is_publish = method == "PUT" && !fwd_path.starts_with("/-/");
        if is_publish && (200..300).contains(&status) {
            *fwd_state
                .lock()
                .unwrap()
                .accepted_puts
                .entry(fwd_path)
                .or_default() += 1;
        }
        Ok::<_, std::io::Error>((status, ctype, bytes))
    });
    let (status, ctype, bytes) = task
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))??;
    if matches!(fault, Some(Fault::LoseResponse)) {
        return Err(std::io::Error::other("injected lost response"));
    }
    Ok(Response::builder()
        .status(status)
        .header("content-type", ctype)
        .body(Full::new(bytes))
        .unwrap())
}
