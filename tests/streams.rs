//! Streams: every record belongs to its input plus the origin its wrapper
//! names. Tracebacks, runs and causal links stay within a stream; evidence
//! says where it came from; what follows a stall is read while scanning,
//! whatever the input is (file, stdin, gzip); and `tail` reports what `scan`
//! reports for the same lines.

mod common;

use std::io::Write;

use common::{faultline, scan_json};
use serde_json::Value;

fn finding<'a>(report: &'a Value, rule: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["rule"] == rule))
        .unwrap_or_else(|| panic!("no finding {rule}: {report:#}"))
}

fn traceback(finding: &Value) -> String {
    finding["evidence"][0]["traceback"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

#[test]
fn interleaved_prefix_pods_keep_their_own_tracebacks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("pods.log");
    std::fs::write(
        &log,
        "[pod/api-7c9f-1/web] Traceback (most recent call last):\n\
         [pod/api-7c9f-2/web] Traceback (most recent call last):\n\
         [pod/api-7c9f-1/web]   File \"/app/settings.py\", line 12, in <module>\n\
         [pod/api-7c9f-2/web]   File \"/app/db/connect.py\", line 40, in connect\n\
         [pod/api-7c9f-1/web]     import yaml\n\
         [pod/api-7c9f-2/web]     url = os.environ['DATABASE_URL']\n\
         [pod/api-7c9f-1/web] ModuleNotFoundError: No module named 'yaml'\n\
         [pod/api-7c9f-2/web] KeyError: 'DATABASE_URL'\n",
    )
    .expect("write");
    let (_, report) = scan_json(&[log.to_str().expect("utf-8 path")]);
    let yaml = finding(&report, "python.missing-dependency");
    let yaml_trace = traceback(yaml);
    assert!(yaml_trace.contains("settings.py"), "{yaml_trace}");
    assert!(!yaml_trace.contains("connect.py"), "{yaml_trace}");
    assert_eq!(yaml["evidence"][0]["origin"]["pod"], "api-7c9f-1");
    assert_eq!(yaml["evidence"][0]["origin"]["container"], "web");

    let env = finding(&report, "python.env-var-keyerror");
    let env_trace = traceback(env);
    assert!(env_trace.contains("connect.py"), "{env_trace}");
    assert!(!env_trace.contains("settings.py"), "{env_trace}");
    assert_eq!(env["evidence"][0]["origin"]["pod"], "api-7c9f-2");
}

#[test]
fn a_symptom_never_crosses_services_without_a_link() {
    let dir = tempfile::tempdir().expect("tempdir");
    let describe = dir.path().join("describe-pod.txt");
    std::fs::write(
        &describe,
        "Name:             agent-worker-6d8f7b9c4-x2k9p\n\
         Containers:\n  agent-worker:\n    State:          Waiting\n      Reason:       CrashLoopBackOff\n\
         \x20   Last State:     Terminated\n      Reason:       OOMKilled\n      Exit Code:    137\n",
    )
    .expect("write");
    let compose = dir.path().join("compose.log");
    std::fs::write(
        &compose,
        "redis-1   | 1:M 02 Jun 2025 14:14:40.326 # Redis is now ready to exit, bye bye...\n\
         redis-1 exited with code 137\n",
    )
    .expect("write");
    let (_, report) = scan_json(&[
        describe.to_str().expect("utf-8"),
        compose.to_str().expect("utf-8"),
    ]);
    // The pod's OOM kill explains the pod's exit 137 ...
    let in_pod = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            f["first"]["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("describe-pod.txt"))
        })
        .filter(|f| f["rule"] != "resources.oom-killed")
        .count();
    assert!(in_pod > 0, "{report:#}");
    // ... but never compose's redis-1 exit, which is another service.
    for f in report["findings"].as_array().expect("findings") {
        if f["first"]["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("compose.log"))
        {
            assert!(
                f["explained_by"].is_null(),
                "{} in compose.log explained by {}",
                f["rule"],
                f["explained_by"]
            );
            assert_eq!(f["evidence"][0]["origin"]["service"], "redis-1", "{f:#}");
        }
    }
}

/// A start-up that reaches three milestones and then goes quiet for long
/// enough that nothing explains it: the report shows what followed.
fn stalled_startup() -> String {
    let mut text = String::from(
        "INFO:__main__:Ops Agent Worker - Orchestrator Integration\n\
         INFO:__main__:Initialized Ops Agent Worker (Redis: redis://red-cq1:6379)\n\
         INFO:__main__:✅ Connected to Orchestrator Redis queue\n\
         INFO:__main__:waiting for the orchestrator lock (held by pid 41)\n\
         INFO:__main__:still waiting for the orchestrator lock\n",
    );
    for i in 0..40 {
        text.push_str(&format!("DEBUG:__main__:heartbeat {i}\n"));
    }
    text
}

fn stall_lines(report: &Value) -> Vec<String> {
    report["sequences"]
        .as_array()
        .expect("sequences")
        .iter()
        .flat_map(|s| s["runs"].as_array().cloned().unwrap_or_default())
        .flat_map(|r| {
            r["unexplained_stall"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|e| e["text"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn stall_context_is_read_from_files_stdin_and_gzip() {
    let text = stalled_startup();
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = dir.path().join("worker.log");
    std::fs::write(&plain, &text).expect("write");
    let gz = dir.path().join("worker.log.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(text.as_bytes()).expect("gzip");
    std::fs::write(&gz, encoder.finish().expect("gzip")).expect("write");

    let (_, from_file) = scan_json(&[plain.to_str().expect("utf-8")]);
    let expected = stall_lines(&from_file);
    assert_eq!(expected.len(), 8, "{from_file:#}");
    assert_eq!(
        expected[0],
        "INFO:__main__:waiting for the orchestrator lock (held by pid 41)"
    );

    let (_, from_gzip) = scan_json(&[gz.to_str().expect("utf-8")]);
    assert_eq!(stall_lines(&from_gzip), expected);

    let output = faultline()
        .args(["scan", "--format", "json", "-"])
        .write_stdin(text)
        .output()
        .expect("run");
    let from_stdin: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(stall_lines(&from_stdin), expected);
}

/// The report `tail` prints at the end of its input.
fn tail_report(text: &str) -> Value {
    let output = faultline()
        .args(["tail", "--format", "jsonl", "-"])
        .write_stdin(text.to_string())
        .output()
        .expect("run tail");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().expect("tail printed something");
    let event: Value = serde_json::from_str(last).expect("json line");
    assert_eq!(event["event"], "report");
    event["report"].clone()
}

#[test]
fn tail_from_the_start_reports_what_scan_reports() {
    let stories = [
        "fixtures/degraded-import/render-dashboard.log",
        "fixtures/schema-credits/kubectl-logs-prefix.log",
        "fixtures/celery-broker-lost/docker-compose-logs.log",
        "fixtures/missing-pyyaml/render-dashboard.log",
        "fixtures/anthropic-proxies/e3b9c41f7a2d6e8b0c5f9a1d3e7b2c4f6a8d0e2b4c6f8a1d3e5b7c9f0a2d4e6b-json.log",
    ];
    for story in stories {
        let text = std::fs::read_to_string(story).expect("fixture");
        let output = faultline()
            .args(["scan", "--format", "json", "-"])
            .write_stdin(text.clone())
            .output()
            .expect("run scan");
        let scanned: Value = serde_json::from_slice(&output.stdout).expect("json");
        assert!(
            !scanned["findings"].as_array().expect("findings").is_empty(),
            "{story} has findings"
        );
        assert_eq!(tail_report(&text), scanned, "{story}");
    }
}
