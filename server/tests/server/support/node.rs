//! Drives a real yjs + y-websocket client from tests: [`NodeClient`] runs
//! `tests/js/yclient.mjs` under `node` and speaks its JSON-lines protocol
//! (one command per line on stdin, one `{id, ok, result|error}` per line on
//! stdout; see the header of `yclient.mjs`). The doc text is
//! `getText('content')`.
//!
//! `node_modules` is installed with `npm ci` on first use, once per test
//! binary.
#![allow(dead_code)] // each test uses a few of the wrappers

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// Upper bound on one reply, beyond the command's own `timeout_ms`, so a
/// wedged node process fails the test instead of hanging it.
const REPLY_GRACE: Duration = Duration::from_secs(30);

/// Stderr lines kept for error messages.
const STDERR_TAIL: usize = 20;

/// One `node yclient.mjs` process: one Y.Doc, at most one provider.
pub struct NodeClient {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    stderr: Arc<Mutex<Vec<String>>>,
    next_id: u64,
}

fn js_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js")
}

/// Runs `npm ci` (or `npm install` without a lockfile) if `node_modules` is
/// missing; once per process, other tests wait for the first.
fn ensure_installed() -> Result<(), String> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let dir = js_dir();
            if dir.join("node_modules/y-websocket/package.json").exists() {
                return Ok(());
            }
            let verb = if dir.join("package-lock.json").exists() {
                "ci"
            } else {
                "install"
            };
            let out = std::process::Command::new("npm")
                .args([verb, "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .output()
                .map_err(|e| {
                    format!(
                        "cannot run npm in {} (is Node.js installed?): {e}",
                        dir.display()
                    )
                })?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "npm {verb} in {} failed: {}",
                    dir.display(),
                    String::from_utf8_lossy(&out.stderr)
                ))
            }
        })
        .clone()
}

impl NodeClient {
    /// Starts a driver process (installing `node_modules` first if needed).
    pub async fn spawn() -> Result<Self, String> {
        tokio::task::spawn_blocking(ensure_installed)
            .await
            .map_err(|e| format!("npm install task: {e}"))??;
        let dir = js_dir();
        let mut child = Command::new("node")
            .arg(dir.join("yclient.mjs"))
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot run node (is Node.js installed?): {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let stderr_pipe = child.stderr.take().ok_or("no stderr")?;
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let tail = stderr.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr_pipe).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut tail = tail.lock().unwrap_or_else(|e| e.into_inner());
                if tail.len() == STDERR_TAIL {
                    tail.remove(0);
                }
                tail.push(line);
            }
        });
        Ok(NodeClient {
            child,
            stdin,
            stdout: BufReader::new(stdout).lines(),
            stderr,
            next_id: 1,
        })
    }

    /// Sends one command (`{"cmd": ..., args}`; the id is added) and returns
    /// its `result`, or its `error` as `Err`.
    pub async fn call(&mut self, mut cmd: Value) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        let limit = cmd
            .get("timeout_ms")
            .and_then(Value::as_u64)
            .map_or(REPLY_GRACE, |ms| Duration::from_millis(ms) + REPLY_GRACE);
        let name = cmd
            .get("cmd")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned();
        cmd.as_object_mut()
            .ok_or("command must be a JSON object")?
            .insert("id".into(), id.into());
        let mut line = cmd.to_string();
        line.push('\n');
        if let Err(e) = self.stdin.write_all(line.as_bytes()).await {
            return Err(self.failure(&format!("{name}: node stdin: {e}")));
        }
        match tokio::time::timeout(limit, self.read_reply(id)).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(e)) => Err(self.failure(&format!("{name}: {e}"))),
            Err(_) => Err(self.failure(&format!("{name}: no reply within {limit:?}"))),
        }
    }

    /// Reads lines until the reply to `id`; replies to abandoned (timed-out)
    /// calls are skipped.
    async fn read_reply(&mut self, id: u64) -> Result<Result<Value, String>, String> {
        loop {
            let line = match self.stdout.next_line().await {
                Ok(Some(line)) => line,
                Ok(None) => return Err("node exited".into()),
                Err(e) => return Err(format!("node stdout: {e}")),
            };
            let Ok(reply) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if reply.get("id").and_then(Value::as_u64) != Some(id) {
                continue;
            }
            return Ok(if reply.get("ok") == Some(&Value::Bool(true)) {
                Ok(reply.get("result").cloned().unwrap_or(Value::Null))
            } else {
                Err(reply
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("no error text")
                    .to_owned())
            });
        }
    }

    fn failure(&self, what: &str) -> String {
        let tail = self
            .stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .join("\n");
        if tail.is_empty() {
            what.to_owned()
        } else {
            format!("{what}\nnode stderr:\n{tail}")
        }
    }

    /// Connects to `{url}/{doc}` (url like `ws://127.0.0.1:PORT/ws`) and
    /// waits until synced; returns the yjs client id. Fails if the server
    /// closes the socket before syncing.
    pub async fn connect(
        &mut self,
        url: &str,
        doc: &str,
        token: Option<&str>,
    ) -> Result<u64, String> {
        let params = match token {
            Some(token) => json!({ "token": token }),
            None => json!({}),
        };
        let result = self
            .call(json!({"cmd": "connect", "url": url, "doc": doc, "params": params}))
            .await?;
        result
            .get("client_id")
            .and_then(Value::as_u64)
            .ok_or_else(|| format!("bad connect reply {result}"))
    }

    /// Inserts `text` at `index` (UTF-16 units).
    pub async fn insert(&mut self, index: u32, text: &str) -> Result<(), String> {
        self.call(json!({"cmd": "insert", "index": index, "text": text}))
            .await
            .map(drop)
    }

    /// Deletes `len` UTF-16 units at `index`.
    pub async fn delete(&mut self, index: u32, len: u32) -> Result<(), String> {
        self.call(json!({"cmd": "delete", "index": index, "len": len}))
            .await
            .map(drop)
    }

    /// The current text.
    pub async fn text(&mut self) -> Result<String, String> {
        let v = self.call(json!({"cmd": "text"})).await?;
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("bad text reply {v}"))
    }

    /// `Y.encodeStateVector(doc)` (decode with `yrs::StateVector::decode_v1`).
    pub async fn state_vector(&mut self) -> Result<Vec<u8>, String> {
        let v = self.call(json!({"cmd": "state_vector"})).await?;
        decode_base64(
            v.as_str()
                .ok_or_else(|| format!("bad state_vector reply {v}"))?,
        )
    }

    /// Waits (event-driven, in node) until the text equals `expected`.
    pub async fn wait_text(&mut self, expected: &str, timeout: Duration) -> Result<String, String> {
        let ms = duration_ms(timeout);
        let v = self
            .call(json!({"cmd": "wait_text", "equals": expected, "timeout_ms": ms}))
            .await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// Waits until the text contains `needle`; returns the whole text.
    pub async fn wait_text_contains(
        &mut self,
        needle: &str,
        timeout: Duration,
    ) -> Result<String, String> {
        let ms = duration_ms(timeout);
        let v = self
            .call(json!({"cmd": "wait_text", "contains": needle, "timeout_ms": ms}))
            .await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// Sets the local awareness state (`null` clears it).
    pub async fn awareness_set(&mut self, state: Value) -> Result<(), String> {
        self.call(json!({"cmd": "awareness_set", "state": state}))
            .await
            .map(drop)
    }

    /// Other clients' awareness states, sorted by client id.
    pub async fn awareness_states(&mut self) -> Result<Vec<(u64, Value)>, String> {
        let v = self.call(json!({"cmd": "awareness_states"})).await?;
        parse_states(&v)
    }

    /// Waits until exactly `count` other clients have awareness state.
    pub async fn wait_awareness(
        &mut self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<(u64, Value)>, String> {
        let ms = duration_ms(timeout);
        let v = self
            .call(json!({"cmd": "wait_awareness", "count": count, "timeout_ms": ms}))
            .await?;
        parse_states(&v)
    }

    /// Waits until the server closes the socket; returns code and reason.
    pub async fn wait_closed(&mut self, timeout: Duration) -> Result<(u16, String), String> {
        let ms = duration_ms(timeout);
        let v = self
            .call(json!({"cmd": "wait_closed", "timeout_ms": ms}))
            .await?;
        let code = v
            .get("code")
            .and_then(Value::as_u64)
            .and_then(|c| u16::try_from(c).ok());
        let reason = v
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        code.map(|c| (c, reason))
            .ok_or_else(|| format!("bad wait_closed reply {v}"))
    }

    /// Destroys the provider (peers see this client's awareness leave); the
    /// Y.Doc is kept, so a later `connect` to the same doc syncs offline edits.
    pub async fn disconnect(&mut self) -> Result<(), String> {
        self.call(json!({"cmd": "disconnect"})).await.map(drop)
    }

    /// Asks the process to exit and waits for it.
    pub async fn exit(mut self) -> Result<(), String> {
        self.call(json!({"cmd": "exit"})).await?;
        self.child.wait().await.map(drop).map_err(|e| e.to_string())
    }
}

impl Drop for NodeClient {
    fn drop(&mut self) {
        // kill_on_drop covers the Child too; this makes the intent explicit.
        let _ = self.child.start_kill();
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn parse_states(v: &Value) -> Result<Vec<(u64, Value)>, String> {
    let bad = || format!("bad awareness reply {v}");
    v.as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|e| {
            let id = e.get("client_id").and_then(Value::as_u64).ok_or_else(bad)?;
            Ok((id, e.get("state").cloned().unwrap_or(Value::Null)))
        })
        .collect()
}

/// Standard-alphabet base64 with padding (what `Buffer.toString('base64')` writes).
fn decode_base64(s: &str) -> Result<Vec<u8>, String> {
    let value = |c: u8| -> Result<u32, String> {
        Ok(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return Err(format!("bad base64 {s:?}")),
        }
        .into())
    };
    let bytes = s.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= value(c)? << (18 - 6 * i);
        }
        let n = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return Err(format!("bad base64 length {s:?}")),
        };
        out.extend_from_slice(&acc.to_be_bytes()[1..=n]);
    }
    Ok(out)
}

#[test]
fn base64_round_trips_node_output() {
    // Buffer.from([1, 136, 211, 128, 193, 7, 11]).toString('base64')
    assert_eq!(
        decode_base64("AYjTgMEHCw=="),
        Ok(vec![1, 136, 211, 128, 193, 7, 11])
    );
    assert_eq!(decode_base64(""), Ok(vec![]));
    assert_eq!(decode_base64("AQID"), Ok(vec![1, 2, 3]));
    assert!(decode_base64("A").is_err());
}
