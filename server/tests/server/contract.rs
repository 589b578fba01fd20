//! The REST contract: schemathesis (from PyPI) fuzzes every operation of the
//! live server's `/api/openapi.json` as an authenticated user and must find no
//! server error, no response outside the schema and no undocumented status.

use std::path::PathBuf;
use std::process::Command;

use reqwest::Method;
use serde_json::json;

use crate::support::db::TestDb;
use crate::support::server::TestServer;

/// The schemathesis release the contract is checked with.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";

/// `target/py/bin/schemathesis`, installed into a virtualenv on first use.
fn schemathesis() -> PathBuf {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/py");
    let bin = venv.join("bin/schemathesis");
    if !bin.exists() {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 runs");
        assert!(made.success(), "python3 -m venv failed");
        let installed = Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", SCHEMATHESIS])
            .status()
            .expect("pip runs");
        assert!(installed.success(), "pip install {SCHEMATHESIS} failed");
    }
    bin
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_contract_breach() {
    let bin = tokio::task::spawn_blocking(schemathesis).await.unwrap();
    let server = TestServer::start(TestDb::sqlite()).await;
    // Real things to reach, so operations get past 404: a prompt with a version,
    // a second prompt and a workspace to delete, a member to change.
    let prompt = server.create_prompt("Hello {{name}}").await;
    let versions = format!("/api/prompts/{prompt}/versions");
    let (status, body) = server
        .call(Method::POST, &versions, Some(json!({"message": "first"})))
        .await;
    assert_eq!(status, 201, "{body}");
    let doomed = server.create_prompt("delete me").await;
    let model = json!({"name": "User"});
    let (status, _) = server
        .call(Method::POST, "/api/workspaces/default/models", Some(model))
        .await;
    assert_eq!(status, 201);
    let colleague = server.member("colleague", "editor").await;
    let (http, base) = (&server.http, &server.base);
    let scratch =
        crate::support::accounts::create_workspace(http, base, &server.owner, "scratch").await;

    let report = std::env::temp_dir().join(format!(
        "rocqet-schemathesis-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&report).expect("report folder");
    // Ids, not slugs: a PATCH that changes the slug must not strand the rest.
    let config = format!(
        r#"
[parameters]
"path.ws" = "{ws}"
"path.kind" = "prompts"
"path.id" = "{prompt}"
"path.n" = 1
"path.user_id" = "{colleague}"
"path.label" = "staging"

[[operations]]
include-path = "/api/workspaces/{{ws}}"
include-method = "DELETE"
parameters = {{ "path.ws" = "{scratch}" }}

[[operations]]
include-path = "/api/{{kind}}/{{id}}"
include-method = "DELETE"
parameters = {{ "path.id" = "{doomed}" }}
"#,
        ws = server.workspace,
        colleague = colleague.user_id,
    );
    let config_file = report.join("schemathesis.toml");
    std::fs::write(&config_file, config).expect("config written");

    let schema = format!("{}/api/openapi.json", server.base);
    let auth = format!("Authorization: Bearer {}", server.owner.token);
    let output = tokio::process::Command::new(bin)
        .arg("--config-file")
        .arg(&config_file)
        .arg("run")
        .arg(&schema)
        .args(["--header", &auth])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--max-examples", "25", "--workers", "2", "--seed", "20261122"])
        .args(["--request-timeout", "10"])
        .arg("--report-dir")
        .arg(&report)
        // Its cache folder goes with the report, not into the source tree.
        .current_dir(&report)
        .env("NO_COLOR", "1")
        .output()
        .await
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let _ = std::fs::remove_dir_all(&report);
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{stdout}\n{stderr}"
    );
    eprintln!("{stdout}");
}
