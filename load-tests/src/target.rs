//! Which server is measured, how its documents are named and made, and what
//! the generator can see of its process (RSS, CPU time).

use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::conn::Endpoint;
use crate::proto::Protocol;

/// The server under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// Rocqet Hub: documents are made over REST first; sockets at /ws/{id}.
    Rocqet,
    /// @y/websocket-server: the URL path is the room name.
    Yws,
    /// @hocuspocus/server: the document name travels in every message.
    Hocuspocus,
}

/// Options shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Server base URL.
    #[arg(long, default_value = "ws://127.0.0.1:8080")]
    pub url: String,
    /// Which server this is (decides document naming and the default protocol).
    #[arg(long, value_enum, default_value_t = Target::Rocqet)]
    pub target: Target,
    /// Message framing; defaults to the target's.
    #[arg(long, value_enum)]
    pub protocol: Option<Protocol>,
    /// Create the documents over REST (always on for --target rocqet).
    #[arg(long)]
    pub create_docs: bool,
    /// Server process to sample RSS and CPU time from (/proc/PID).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Free-form label copied into the JSON result.
    #[arg(long, default_value = "")]
    pub label: String,
    /// Also append the JSON result line to this file.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
    /// Sockets opened at once.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Rocqet: the account `make_docs` registers, whose token every socket uses.
    #[arg(skip)]
    account: std::sync::OnceLock<Account>,
}

/// A throw-away account on the server under test, with a workspace of its own.
#[derive(Debug, Clone)]
struct Account {
    token: String,
    workspace: String,
}

impl Common {
    pub fn protocol(&self) -> Protocol {
        self.protocol.unwrap_or(match self.target {
            Target::Hocuspocus => Protocol::Hocuspocus,
            Target::Rocqet | Target::Yws => Protocol::YWebsocket,
        })
    }

    /// Options for a Rocqet server the scenario started itself (no flags of its own).
    pub fn rocqet_at(url: String, label: String, out: Option<std::path::PathBuf>) -> Common {
        Common {
            url,
            target: Target::Rocqet,
            protocol: None,
            create_docs: true,
            server_pid: None,
            label,
            out,
            concurrency: 16,
            account: std::sync::OnceLock::new(),
        }
    }

    fn base(&self) -> &str {
        self.url.trim_end_matches('/')
    }

    /// The REST base (`http://...`) of the server.
    pub fn http_base(&self) -> String {
        self.base()
            .replacen("ws://", "http://", 1)
            .replacen("wss://", "https://", 1)
    }

    /// The access token of the account `make_docs` registered (rocqet targets).
    pub fn token(&self) -> Option<&str> {
        self.account.get().map(|a| a.token.as_str())
    }

    /// Names (rocqet: creates) `count` fresh documents.
    pub async fn make_docs(&self, count: usize) -> Result<Vec<String>, String> {
        if self.target == Target::Rocqet || self.create_docs {
            let http = self.http_base();
            let account = match self.account.get() {
                Some(account) => account.clone(),
                None => {
                    let account = open_account(&http).await?;
                    self.account.get_or_init(|| account).clone()
                }
            };
            return create_docs(&http, &account, count, self.concurrency.clamp(1, 16)).await;
        }
        let run = format!(
            "{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0)
        );
        Ok((0..count).map(|i| format!("bench-{run}-{i}")).collect())
    }

    /// The socket endpoint for one document.
    pub fn endpoint(&self, doc: &str, ack: bool) -> Endpoint {
        self.endpoint_on(self.base(), doc, ack)
    }

    /// [`Common::endpoint`] on another node of the same cluster (base URL `node`).
    pub fn endpoint_on(&self, node: &str, doc: &str, ack: bool) -> Endpoint {
        let node = node.trim_end_matches('/');
        let url = match self.target {
            Target::Rocqet => format!(
                "{}/ws/{doc}?token={}{}",
                node,
                self.account
                    .get()
                    .map(|a| a.token.as_str())
                    .unwrap_or_default(),
                if ack { "&ack=1" } else { "" }
            ),
            Target::Yws | Target::Hocuspocus => format!("{node}/{doc}"),
        };
        Endpoint {
            url,
            doc_name: doc.to_string(),
            protocol: self.protocol(),
        }
    }
}

/// Registers a throw-away account with a workspace of its own (slug `bench-<run>`).
async fn open_account(http: &str) -> Result<Account, String> {
    let client = reqwest::Client::new();
    let run = format!("{}-{}", std::process::id(), rand::random::<u32>());
    let body = serde_json::json!({
        "email": format!("bench-{run}@load.rocqet"),
        "password": "load-test-password",
        "name": "load test",
    });
    let resp = client
        .post(format!("{http}/api/auth/register"))
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("register: {e}"))?;
    if resp.status() != reqwest::StatusCode::CREATED {
        return Err(format!("register: HTTP {}", resp.status()));
    }
    let session: serde_json::Value = resp.json().await.map_err(|e| e.to_string())?;
    let token = session["access_token"]
        .as_str()
        .ok_or("register: no access token")?
        .to_string();
    let resp = client
        .post(format!("{http}/api/workspaces"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "bench", "slug": format!("bench-{run}")}))
        .send()
        .await
        .map_err(|e| format!("workspace: {e}"))?;
    if resp.status() != reqwest::StatusCode::CREATED {
        return Err(format!("workspace: HTTP {}", resp.status()));
    }
    Ok(Account {
        token,
        workspace: format!("bench-{run}"),
    })
}

/// `POST /api/workspaces/{bench}/prompts` `count` times, a few at a time.
async fn create_docs(
    http: &str,
    account: &Account,
    count: usize,
    parallel: usize,
) -> Result<Vec<String>, String> {
    let endpoint = format!("{http}/api/workspaces/{}/prompts", account.workspace);
    let token = account.token.clone();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(parallel));
    let mut tasks = Vec::with_capacity(count);
    for _ in 0..count {
        let (client, endpoint, sem) = (client.clone(), endpoint.clone(), sem.clone());
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await.map_err(|e| e.to_string())?;
            let resp = client
                .post(&endpoint)
                .bearer_auth(&token)
                .json(&serde_json::json!({"title": "b", "content": ""}))
                .send()
                .await
                .map_err(|e| format!("create doc: {e}"))?;
            if resp.status() != reqwest::StatusCode::CREATED {
                return Err(format!("create doc: HTTP {}", resp.status()));
            }
            let body: serde_json::Value = resp.json().await.map_err(|e| e.to_string())?;
            body["id"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| "create doc: no id".to_string())
        }));
    }
    let mut ids = Vec::with_capacity(count);
    for t in tasks {
        ids.push(t.await.map_err(|e| e.to_string())??);
    }
    Ok(ids)
}

/// Resident set size of a process in KiB (VmRSS).
pub fn rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmRSS")
}

/// A `... kB` field of /proc/PID/status (VmRSS, RssAnon, RssFile, VmData...).
pub fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// RSS split into anonymous (heap, stacks) and file-backed pages, plus VmData, in KiB.
pub fn memory_breakdown(pid: u32) -> serde_json::Value {
    serde_json::json!({
        "rss": status_kib(pid, "VmRSS"),
        "anon": status_kib(pid, "RssAnon"),
        "file": status_kib(pid, "RssFile"),
        "data": status_kib(pid, "VmData"),
        "threads": std::fs::read_to_string(format!("/proc/{pid}/status")).ok().and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("Threads:")).and_then(|v| v.trim().parse::<u64>().ok())
        }),
    })
}

/// User + system CPU seconds a process has used (/proc/PID/stat, clock ticks of 1/100 s).
pub fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// This process's own CPU seconds, for the generator's share of the machine.
pub fn self_cpu_secs() -> Option<f64> {
    cpu_secs(std::process::id())
}
