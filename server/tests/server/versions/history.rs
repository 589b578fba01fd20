//! The history property: random edit sequences on prompts and models, versions
//! cut at random points (by hand, after a quiet period, when the last editor
//! leaves, on unload), the update log compacted in between; every version read
//! back from storage equals the content the document had when it was cut.
//!
//! Seeded, so a failure names the seed that reproduces it.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use rocqet_client::LiveDoc;
use serde_json::{Map, Value, json};

use super::{Api, content, numbers, sdk_as, tick};
use crate::server_test;
use crate::support::db::TestDb;
use crate::support::server::TestServer;

/// Histories per kind; each runs [`STEPS`] steps.
const SEEDS: u64 = 8;
const STEPS: usize = 40;
/// Pieces random prompt text is made of: placeholders, escapes, line breaks, non-ASCII.
const WORDS: [&str; 10] = [
    "alpha ",
    "beta",
    "{{name}}",
    "{{ topic }}",
    "\n",
    "gamma ",
    "delta\n",
    "\\{{x}}",
    "é",
    "🚀",
];
const FIELD_TYPES: [&str; 8] = [
    "string", "text", "integer", "number", "boolean", "date", "uuid", "json",
];

server_test!(every_version_rebuilds_from_storage_after_compaction);

async fn every_version_rebuilds_from_storage_after_compaction(db: TestDb) {
    // Small snapshot interval: most reads cross a snapshot boundary. Logins are
    // repeated as the clock moves past token lifetimes.
    let server = TestServer::start_with(db, |c| {
        c.versions.snapshot_every = 3;
        c.auth_attempts_per_email = 1000;
    })
    .await;
    let mut api = Api::owner(&server);
    for seed in 0..SEEDS {
        for kind in ["prompts", "models"] {
            api = History::run(api, seed, kind).await;
        }
    }
}

/// One random history and what it expects.
struct History<'a> {
    server: &'a TestServer,
    /// As the owner, logged in again whenever the clock moved on.
    api: Api<'a>,
    seed: u64,
    kind: &'static str,
    id: String,
    rng: StdRng,
    /// The live content now (every edit goes through REST and returns it).
    current: Value,
    /// Content recorded for each version when it was cut.
    expected: BTreeMap<i64, Value>,
    /// An open socket, so quiet-period cuts happen without unloading.
    observer: Option<LiveDoc>,
    fresh: u32,
    compactions: u32,
}

impl<'a> History<'a> {
    /// Runs one history; hands the caller back for the next.
    async fn run(mut api: Api<'a>, seed: u64, kind: &'static str) -> Api<'a> {
        let server = api.server;
        api.relogin().await;
        let initial = match kind {
            "prompts" => json!({"title": "P", "content": "Hello {{name}}\n"}),
            _ => json!({"name": "M", "fields": [{"id": "f0", "name": "id", "type": "uuid"}]}),
        };
        let (status, created) = api
            .call(
                Method::POST,
                &format!("/api/workspaces/default/{kind}"),
                Some(initial),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_str().unwrap().to_owned();
        let (_, live) = api
            .call(Method::GET, &format!("/api/{kind}/{id}"), None)
            .await;
        let mut history = History {
            server,
            api,
            seed,
            kind,
            id,
            rng: StdRng::seed_from_u64(seed * 2 + u64::from(kind == "models")),
            current: content(live),
            expected: BTreeMap::new(),
            observer: None,
            fresh: 0,
            compactions: 0,
        };
        if seed % 2 == 1 {
            history.connect().await;
        }
        for step in 0..STEPS {
            history.step(step).await;
        }
        history.verify().await;
        history.api
    }

    fn context(&self, step: usize) -> String {
        format!("seed {} kind {} step {step}", self.seed, self.kind)
    }

    async fn connect(&mut self) {
        self.observer = Some(sdk_as(self.server, &self.id, &self.api.token).await);
    }

    async fn step(&mut self, step: usize) {
        match self.rng.random_range(0..20) {
            0..3 if self.kind == "prompts" && self.observer.is_some() => self.socket_edit().await,
            0..11 => {
                let edit = match self.kind {
                    "prompts" => self.prompt_edit(),
                    _ => self.model_edit(),
                };
                self.current = self.api.patch(self.kind, &self.id, edit).await;
            }
            11..15 => {
                let message = format!("step {step}");
                let (status, body) = self
                    .api
                    .cut(self.kind, &self.id, Some(json!({"message": message})))
                    .await;
                let number = body["number"].as_i64().unwrap();
                match status {
                    201 => {
                        assert_eq!(body["message"], json!(message), "{}", self.context(step));
                        self.expected.insert(number, self.current.clone());
                    }
                    200 => assert_eq!(
                        self.expected.get(&number),
                        Some(&self.current),
                        "200 only when nothing changed since the newest version: {}",
                        self.context(step)
                    ),
                    other => panic!("cut answered {other}: {body}"),
                }
            }
            15..17 => {
                // A quiet period: with the observer connected the room stays loaded.
                tick(self.server, &self.id, 31_000).await;
                self.api.relogin().await;
                self.reconcile(step).await;
            }
            _ => self.compact(step).await,
        }
    }

    /// Last editor leaves (a version if anything changed), then the idle room
    /// unloads, which folds the update log into the snapshot.
    async fn compact(&mut self, step: usize) {
        let reconnect = match self.observer.take() {
            Some(observer) => {
                observer.close().await;
                super::wait_present(self.server, &self.id, 0).await;
                true
            }
            None => false,
        };
        let id = self.id.parse().unwrap();
        for _ in 0..5 {
            tick(self.server, &self.id, 31_000).await;
            if !self.server.hub().is_loaded(id) {
                break;
            }
        }
        assert!(!self.server.hub().is_loaded(id), "{}", self.context(step));
        self.api.relogin().await;
        let stored = self.server.db.store().await.load_state(id).await.unwrap();
        assert!(
            stored.updates.is_empty(),
            "compacted: {}",
            self.context(step)
        );
        self.compactions += 1;
        self.reconcile(step).await;
        if reconnect {
            self.connect().await;
        }
    }

    /// Versions cut by the server since the last look hold the current content:
    /// nothing was edited between their cut and now.
    async fn reconcile(&mut self, step: usize) {
        for number in numbers(&self.api.list_all(self.kind, &self.id).await) {
            self.expected
                .entry(number)
                .or_insert_with(|| self.current.clone());
        }
        let newest = self.expected.keys().next_back().copied();
        if let Some(newest) = newest {
            assert_eq!(
                self.expected[&newest],
                self.current,
                "the newest version holds the content once the document went quiet: {}",
                self.context(step)
            );
        }
    }

    async fn verify(&mut self) {
        let listed = numbers(&self.api.list_all(self.kind, &self.id).await);
        let newest = listed.first().copied().unwrap_or(0);
        assert_eq!(
            listed,
            (1..=newest).rev().collect::<Vec<_>>(),
            "numbers are gapless from 1: seed {} {}",
            self.seed,
            self.kind
        );
        assert_eq!(
            self.expected.keys().copied().collect::<Vec<_>>(),
            (1..=newest).collect::<Vec<_>>()
        );
        for (number, expected) in &self.expected {
            let got = self.api.version_content(self.kind, &self.id, *number).await;
            assert_eq!(
                &got, expected,
                "version {number} rebuilt from storage: seed {} {}",
                self.seed, self.kind
            );
        }
        if newest > 0 {
            let (status, latest) = self
                .api
                .call(
                    Method::GET,
                    &format!("/api/{}/{}?label=latest", self.kind, self.id),
                    None,
                )
                .await;
            assert_eq!(status, 200);
            assert_eq!(latest["version"], json!(newest));
            assert_eq!(content(latest), self.expected[&newest]);
        }
        let kinds = self.api.list_all(self.kind, &self.id).await;
        let count = |k: &str| kinds.iter().filter(|v| v["kind"] == k).count();
        // The seed is printed so a failing history can be replayed alone.
        eprintln!(
            "history seed {} {}: {} versions ({} auto, {} manual), {} compactions",
            self.seed,
            self.kind,
            newest,
            count("auto"),
            count("manual"),
            self.compactions
        );
        if let Some(observer) = self.observer.take() {
            observer.close().await;
        }
    }

    /// Types into the content over the observer's socket, then reads back what the server has.
    async fn socket_edit(&mut self) {
        let Some(observer) = &self.observer else {
            return;
        };
        let text = observer.text("content");
        let chars: Vec<char> = text.chars().collect();
        let at = self.rng.random_range(0..=chars.len());
        // The SDK counts UTF-16 units, like JS; never split a surrogate pair.
        let index: usize = chars[..at].iter().map(|c| c.len_utf16()).sum();
        let word = WORDS[self.rng.random_range(0..WORDS.len())];
        observer.insert_text("content", u32::try_from(index).unwrap(), word);
        super::within("socket edit saved", observer.wait_saved())
            .await
            .unwrap();
        let (_, live) = self
            .api
            .call(
                Method::GET,
                &format!("/api/{}/{}", self.kind, self.id),
                None,
            )
            .await;
        self.current = content(live);
    }

    fn word(&mut self) -> &'static str {
        WORDS[self.rng.random_range(0..WORDS.len())]
    }

    fn fresh_name(&mut self) -> String {
        self.fresh += 1;
        format!("n{}", self.fresh)
    }

    fn prompt_edit(&mut self) -> Value {
        let mut edit = Map::new();
        match self.rng.random_range(0..6) {
            0..3 => {
                let mut text: Vec<char> = self.current["content"]
                    .as_str()
                    .unwrap_or_default()
                    .chars()
                    .collect();
                for _ in 0..self.rng.random_range(1..4) {
                    if !text.is_empty() && self.rng.random_bool(0.4) {
                        let start = self.rng.random_range(0..text.len());
                        let end = (start + self.rng.random_range(1..6)).min(text.len());
                        text.drain(start..end);
                    } else {
                        let at = self.rng.random_range(0..=text.len());
                        let word = self.word();
                        text.splice(at..at, word.chars());
                    }
                }
                edit.insert(
                    "content".into(),
                    json!(text.into_iter().collect::<String>()),
                );
            }
            3 => {
                edit.insert("title".into(), json!(self.fresh_name()));
                if self.rng.random_bool(0.5) {
                    edit.insert("description".into(), json!(self.word()));
                }
            }
            4 => {
                let tags: Vec<&str> = ["a", "b", "c"]
                    .into_iter()
                    .filter(|_| self.rng.random_bool(0.5))
                    .collect();
                edit.insert("tags".into(), json!(tags));
                let temperature = f64::from(self.rng.random_range(0..10u8)) / 10.0;
                let model = if self.rng.random_bool(0.5) {
                    json!("m1")
                } else {
                    Value::Null
                };
                edit.insert(
                    "settings".into(),
                    json!({"temperature": temperature, "model": model}),
                );
            }
            _ => {
                let variables = if self.rng.random_bool(0.7) {
                    let default = if self.rng.random_bool(0.5) {
                        json!("you")
                    } else {
                        Value::Null
                    };
                    json!([{"name": "name", "description": self.word(), "default": default,
                            "required": self.rng.random_bool(0.5)}])
                } else {
                    json!([])
                };
                edit.insert("variables".into(), variables);
            }
        }
        Value::Object(edit)
    }

    fn model_edit(&mut self) -> Value {
        let mut fields: Vec<Value> = self.current["fields"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        match self.rng.random_range(0..8) {
            0 | 1 => {
                let ty = FIELD_TYPES[self.rng.random_range(0..FIELD_TYPES.len())];
                let at = self.rng.random_range(0..=fields.len());
                fields.insert(at, json!({"name": self.fresh_name(), "type": ty}));
            }
            2 if !fields.is_empty() => {
                fields.remove(self.rng.random_range(0..fields.len()));
            }
            3 if !fields.is_empty() => {
                let i = self.rng.random_range(0..fields.len());
                fields[i]["name"] = json!(self.fresh_name());
            }
            4 if !fields.is_empty() => {
                let i = self.rng.random_range(0..fields.len());
                fields[i]["type"] = json!(FIELD_TYPES[self.rng.random_range(0..FIELD_TYPES.len())]);
            }
            5 if fields.len() >= 2 => {
                let (i, j) = (
                    self.rng.random_range(0..fields.len()),
                    self.rng.random_range(0..fields.len()),
                );
                fields.swap(i, j);
            }
            6 if !fields.is_empty() => {
                let i = self.rng.random_range(0..fields.len());
                let required = fields[i]["required"].as_bool().unwrap_or(false);
                fields[i]["required"] = json!(!required);
                fields[i]["unique"] = json!(self.rng.random_bool(0.5));
            }
            _ => {
                let relations = if self.rng.random_bool(0.6) {
                    json!([{"name": self.fresh_name(), "kind": "one_to_many", "target": "other"}])
                } else {
                    json!([])
                };
                return json!({"name": self.fresh_name(), "relations": relations});
            }
        }
        json!({ "fields": fields })
    }
}
