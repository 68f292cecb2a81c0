//! Golden reports: each runbook story in `fixtures/` must produce the report
//! `fixtures/README.md` describes. Snapshots hold a digest of the JSON
//! report, but a snapshot alone is not a check: each test asserts what the
//! story's spec says (the root cause's rule, class and evidence line, its
//! symptoms, the runs with their counts and statuses, the first missing
//! milestone), so a snapshot update can never silently accept a wrong
//! report.

mod common;

use common::{digest, scan_json};
use serde_json::Value;

fn story(name: &str, path: &str) -> Value {
    let (code, report) = scan_json(&[path]);
    insta::assert_json_snapshot!(name, digest(&report));
    assert_eq!(code, exit_code(&report), "{path}: exit code");
    report
}

/// The exit code the spec's convention gives (`--fail-on error`).
fn exit_code(report: &Value) -> i32 {
    let failing = findings(report)
        .iter()
        .any(|f| matches!(f["severity"].as_str(), Some("error" | "critical")));
    i32::from(failing)
}

fn findings(report: &Value) -> Vec<&Value> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .collect()
}

fn finding<'a>(report: &'a Value, rule: &str) -> &'a Value {
    findings(report)
        .into_iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no finding {rule}"))
}

fn causes(report: &Value) -> Vec<&Value> {
    report["root_causes"]
        .as_array()
        .into_iter()
        .flatten()
        .collect()
}

/// `file:line` (the file's name only) of each piece of a cause's evidence.
fn evidence(cause: &Value) -> Vec<String> {
    cause["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let path = e["path"].as_str().unwrap_or("");
            let name = path.rsplit('/').next().unwrap_or(path);
            format!("{name}:{}", e["line"])
        })
        .collect()
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// Asserts the first root cause: its rule, class, first evidence line and
/// the rule ids among its symptoms; returns it.
fn assert_root_cause<'a>(
    report: &'a Value,
    rule: &str,
    class: &str,
    first_evidence: &str,
    symptoms: &[&str],
) -> &'a Value {
    let all = causes(report);
    let cause = all.first().unwrap_or_else(|| panic!("no root cause"));
    assert_eq!(
        cause["rule"],
        rule,
        "root cause rule: {:?}",
        rule_ids(report)
    );
    assert_eq!(cause["class"], class);
    assert_eq!(
        evidence(cause).first().map(String::as_str),
        Some(first_evidence),
        "first evidence of {rule}"
    );
    let listed = strings(&cause["symptoms"]);
    for symptom in symptoms {
        assert!(
            listed.contains(symptom),
            "{symptom} is a symptom of {rule}: {listed:?}"
        );
        assert!(finding(report, symptom)["explained_by"].is_string());
    }
    // The severity shown is the rule's own, never raised by its symptoms.
    assert_eq!(cause["severity"], finding(report, rule)["severity"]);
    cause
}

fn rule_ids(report: &Value) -> Vec<&str> {
    causes(report)
        .iter()
        .filter_map(|c| c["rule"].as_str())
        .collect()
}

fn sequence<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["sequences"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no sequence {id}"))
}

fn runs<'a>(report: &'a Value, id: &str) -> Vec<&'a Value> {
    sequence(report, id)["runs"]
        .as_array()
        .into_iter()
        .flatten()
        .collect()
}

/// Asserts one run: its status, the milestones reached and the first missing.
fn assert_run(run: &Value, status: &str, reached: &[&str], first_missing: Option<&str>) {
    assert_eq!(run["status"], status, "{run}");
    assert_eq!(strings(&run["reached"]), reached, "{run}");
    assert_eq!(run["first_missing"].as_str(), first_missing, "{run}");
}

/// Asserts a sequence's run counts.
fn assert_counts(report: &Value, id: &str, total: u64, completed: u64) {
    let s = sequence(report, id);
    assert_eq!(s["total_runs"], total, "{id} total runs");
    assert_eq!(s["completed_runs"], completed, "{id} completed runs");
}

const OPS_UP_TO_SUPABASE_THEN_STARTED: &[&str] = &[
    "banner",
    "worker-setup",
    "redis",
    "ooda-loop",
    "supabase",
    "subscription",
    "started",
];

/// Story 1: the traceback is lines 13–22, one event; degraded mode at 23
/// (and later at 46–47); registration is the first missing step.
#[test]
fn degraded_mode_from_an_import_path_mismatch() {
    let report = story(
        "degraded-import",
        "fixtures/degraded-import/render-dashboard.log",
    );
    let cause = assert_root_cause(
        &report,
        "python.module-not-found",
        "module-not-found",
        "render-dashboard.log:22",
        &["worker.degraded-mode"],
    );
    assert!(
        cause["explanation"]
            .as_str()
            .unwrap_or("")
            .contains("orchestrator.persistence")
    );
    let traceback = strings(&cause["evidence"][0]["traceback"]);
    assert_eq!(traceback.len(), 10, "lines 13-22: {traceback:?}");
    assert_eq!(traceback[0], "Traceback (most recent call last):");
    assert_eq!(
        finding(&report, "worker.degraded-mode")["first"]["line"],
        23
    );
    assert_eq!(causes(&report).len(), 1, "{:?}", rule_ids(&report));
    assert_counts(&report, "ops-agent-worker.startup", 1, 0);
    let ops = runs(&report, "ops-agent-worker.startup");
    assert_run(
        ops[0],
        "stalled",
        OPS_UP_TO_SUPABASE_THEN_STARTED,
        Some("registration"),
    );
    // The paste starts at `==> Deploying...`: the build is not in the log,
    // so the Render run is not shown as completed.
    assert_run(
        runs(&report, "render.deploy")[0],
        "running",
        &["deploying", "running"],
        None,
    );
}

/// Story 2: the violation at line 14 and its traceback ending at line 21;
/// degraded mode at 22.
#[test]
fn agent_type_check_constraint() {
    let report = story(
        "agent-type-constraint",
        "fixtures/agent-type-constraint/render-cli.log",
    );
    let cause = assert_root_cause(
        &report,
        "database.check-violation",
        "db-constraint-violation",
        "render-cli.log:14",
        &["worker.degraded-mode"],
    );
    assert_eq!(evidence(cause)[1], "render-cli.log:21");
    assert_eq!(
        finding(&report, "worker.degraded-mode")["first"]["line"],
        22
    );
    assert_counts(&report, "ops-agent-worker.startup", 1, 0);
    assert_run(
        runs(&report, "ops-agent-worker.startup")[0],
        "stalled",
        OPS_UP_TO_SUPABASE_THEN_STARTED,
        Some("registration"),
    );
}

/// Story 3: PyYAML missing; the Render exit at line 73 is the symptom; the
/// worker reached only its banner; one complete Render run, no phantom one.
#[test]
fn missing_pyyaml() {
    let report = story(
        "missing-pyyaml",
        "fixtures/missing-pyyaml/render-dashboard.log",
    );
    let cause = assert_root_cause(
        &report,
        "python.missing-dependency",
        "missing-dependency",
        "render-dashboard.log:72",
        &["platform.process-exited"],
    );
    assert!(cause["explanation"].as_str().unwrap_or("").contains("yaml"));
    assert_eq!(strings(&cause["evidence"][0]["traceback"]).len(), 22);
    assert_eq!(
        finding(&report, "platform.process-exited")["first"]["line"],
        73
    );
    assert_eq!(causes(&report).len(), 1, "{:?}", rule_ids(&report));
    assert_counts(&report, "ops-agent-worker.startup", 1, 0);
    assert_run(
        runs(&report, "ops-agent-worker.startup")[0],
        "stalled",
        &["banner"],
        Some("worker-setup"),
    );
    assert_counts(&report, "render.deploy", 1, 1);
    assert_run(
        runs(&report, "render.deploy")[0],
        "completed",
        &["build", "build-ok", "deploying", "running"],
        None,
    );
}

/// Story 4: Supabase unavailable at line 11 (again at 36); degraded mode at 13.
#[test]
fn supabase_timeout() {
    let report = story(
        "supabase-timeout",
        "fixtures/supabase-timeout/kubectl-logs.log",
    );
    assert_root_cause(
        &report,
        "worker.supabase-unavailable",
        "db-unavailable",
        "kubectl-logs.log:11",
        &["worker.degraded-mode"],
    );
    assert_eq!(finding(&report, "worker.supabase-unavailable")["count"], 2);
    assert_eq!(
        finding(&report, "worker.supabase-unavailable")["last"]["line"],
        36
    );
    assert_eq!(
        finding(&report, "worker.degraded-mode")["first"]["line"],
        13
    );
    assert_counts(&report, "ops-agent-worker.startup", 1, 0);
    assert_run(
        runs(&report, "ops-agent-worker.startup")[0],
        "stalled",
        OPS_UP_TO_SUPABASE_THEN_STARTED,
        Some("registration"),
    );
}

/// Story 5: all seven jobs fail on the missing column (14 lines: planner and
/// job processor), moved to jobs:failed; no crash; the worker process
/// reached every step.
#[test]
fn jobs_fail_on_a_missing_column() {
    let report = story("schema-credits", "fixtures/schema-credits");
    assert_root_cause(
        &report,
        "database.column-missing",
        "db-schema-mismatch",
        "kubectl-logs-prefix.log:21",
        &["queue.dead-letter-growth"],
    );
    assert_eq!(finding(&report, "database.column-missing")["count"], 14);
    assert_eq!(finding(&report, "queue.dead-letter-growth")["count"], 7);
    assert!(
        findings(&report)
            .iter()
            .all(|f| f["class"] != "crashloop" && f["class"] != "oom-killed"),
        "the pod is healthy"
    );
    assert_counts(&report, "worker.process", 1, 1);
    let run = runs(&report, "worker.process")[0];
    assert_run(
        run,
        "completed",
        &["init", "started", "main-loop", "dequeued"],
        None,
    );
    let lines: Vec<&Value> = run["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| &s["at"]["line"])
        .collect();
    assert_eq!(lines, [3, 13, 15, 17]);
}

/// Story 6: the container's OOMKilled (describe-pod 26–27) is the root
/// cause; crash loop, restarts, exit 137 and the readiness probe failures are
/// its symptoms; the memory warnings are symptoms too (of the agent's OOM
/// kill that corroborates it), never the cause. The killed agent run stops
/// before COMPLETING.
#[test]
fn oom_killed_pod_in_a_crash_loop() {
    let report = story("oom-crashloop", "fixtures/oom-crashloop");
    assert_root_cause(
        &report,
        "resources.oom-killed",
        "oom-killed",
        "kubectl-describe-pod.txt:26",
        &[
            "k8s.crashloop",
            "k8s.restart-count",
            "resources.exit-137",
            "k8s.probe-failed",
        ],
    );
    assert_eq!(finding(&report, "resources.exit-137")["first"]["line"], 27);
    assert_eq!(
        finding(&report, "resources.memory-pressure")["explained_by"],
        "worker.agent-oom-killed"
    );
    for cause in causes(&report) {
        assert_eq!(cause["class"], "oom-killed", "{:?}", rule_ids(&report));
        assert_ne!(cause["severity"], "warning", "{:?}", rule_ids(&report));
    }
    assert_counts(&report, "agent-run.states", 3, 1);
    let states = runs(&report, "agent-run.states");
    let complete = [
        "pending",
        "initializing",
        "running",
        "completing",
        "completed",
    ];
    let killed = ["pending", "initializing", "running"];
    assert_eq!(states[0]["key"], "e91b2c7d");
    assert_run(states[0], "stalled", &killed, Some("completing"));
    assert_eq!(states[1]["key"], "52fa0e83");
    assert_run(states[1], "completed", &complete, None);
    assert_eq!(states[2]["key"], "e91b2c7d");
    assert_run(states[2], "running", &killed, Some("completing"));
    for run in runs(&report, "agent-run.execution") {
        let expected = if run["key"] == "52fa0e83" {
            None
        } else {
            Some("completed")
        };
        assert_eq!(run["first_missing"].as_str(), expected, "{run}");
    }
}

/// Story 7: one run of four times out; the timeout event is CSV line 5.
#[test]
fn timed_out_agent_run_among_healthy_interleaved_runs() {
    for path in [
        "fixtures/agent-timeout/datadog-log-explorer.csv",
        "fixtures/agent-timeout/datadog-logs-api-v2.json",
    ] {
        let (code, report) = scan_json(&[path]);
        assert_eq!(code, 1, "{path}");
        assert_eq!(rule_ids(&report)[0], "worker.execution-timeout", "{path}");
        assert_eq!(causes(&report)[0]["class"], "timeout", "{path}");
    }
    let report = story(
        "agent-timeout",
        "fixtures/agent-timeout/datadog-log-explorer.csv",
    );
    assert_root_cause(
        &report,
        "worker.execution-timeout",
        "timeout",
        "datadog-log-explorer.csv:5",
        &[],
    );
    for id in ["agent-run.states", "agent-run.execution"] {
        assert_counts(&report, id, 4, 3);
        let all = runs(&report, id);
        let incomplete: Vec<&&Value> = all.iter().filter(|r| r["status"] != "completed").collect();
        assert_eq!(incomplete.len(), 1, "only the timed-out run: {all:?}");
        assert_eq!(incomplete[0]["key"], "7f3a9c21");
        assert_eq!(incomplete[0]["status"], "stalled");
    }
    assert_run(
        runs(&report, "agent-run.execution")
            .into_iter()
            .find(|r| r["key"] == "7f3a9c21")
            .expect("7f3a9c21"),
        "stalled",
        &["pack-loaded", "execution-started", "step-completed"],
        Some("completed"),
    );
}

/// Story 8: the broker is unreachable from line 102 on (12 times); the lost
/// connection at 57, its traceback ending at 92 and the retries are
/// symptoms, not causes; Celery's startup completed before.
#[test]
fn celery_worker_loses_its_broker() {
    let report = story(
        "celery-broker-lost",
        "fixtures/celery-broker-lost/docker-compose-logs.log",
    );
    assert_root_cause(
        &report,
        "queue.celery-broker-unreachable",
        "connection-failed",
        "docker-compose-logs.log:102",
        &[
            "queue.celery-broker-connection-lost",
            "redis.connection-dropped",
            "queue.celery-broker-retrying",
        ],
    );
    assert_eq!(causes(&report).len(), 1, "{:?}", rule_ids(&report));
    assert_eq!(
        finding(&report, "queue.celery-broker-unreachable")["count"],
        12
    );
    assert_eq!(
        finding(&report, "queue.celery-broker-retrying")["count"],
        12
    );
    assert!(
        findings(&report)
            .iter()
            .all(|f| f["class"] != "retries-exhausted"),
        "12/100 retries is not exhaustion"
    );
    assert_counts(&report, "celery.worker", 1, 1);
    assert_run(
        runs(&report, "celery.worker")[0],
        "completed",
        &["broker-connected", "ready"],
        None,
    );
}

/// Story 9: the worker runs a StubBroker (worker-stderr.log line 1); the
/// sender's task times out waiting (test_dramatiq_worker.log:28). One worker
/// run, which never consumes a message.
#[test]
fn dramatiq_worker_on_the_wrong_broker() {
    let report = story("dramatiq-stubbroker", "fixtures/dramatiq-stubbroker");
    assert_root_cause(
        &report,
        "queue.dramatiq-stub-broker",
        "broker-misconfigured",
        "worker-stderr.log:1",
        &["queue.timed-out-waiting"],
    );
    assert_eq!(
        finding(&report, "queue.timed-out-waiting")["first"]["line"],
        28
    );
    assert_counts(&report, "dramatiq.worker", 1, 0);
    let run = runs(&report, "dramatiq.worker")[0];
    assert!(
        run["key"]
            .as_str()
            .unwrap_or("")
            .ends_with("worker-stderr.log")
    );
    assert_run(
        run,
        "stalled",
        &["booting", "broker-configured", "actors-found", "ready"],
        Some("consuming"),
    );
    for path in [
        "fixtures/dramatiq-stubbroker/worker-stderr.log",
        "fixtures/dramatiq-stubbroker/test_dramatiq_worker.log",
    ] {
        let (code, report) = scan_json(&[path]);
        assert_eq!(code, 1, "{path}");
        assert!(!causes(&report).is_empty(), "{path}");
    }
}

/// Story 10: the reset from the Upstash host (line 62, a chained traceback
/// from line 8) is the root cause, with the plain `redis://` URL (lines 3
/// and 7) listed with it; the generic reset is only a symptom. One worker
/// run per container start (0.log, 1.log), each stopped after `init`; the
/// traceback's source line 34 is not a milestone.
#[test]
fn upstash_redis_without_tls_in_cri_partial_lines() {
    let report = story("upstash-tls", "fixtures/upstash-tls");
    let cause = assert_root_cause(
        &report,
        "redis.upstash-tls",
        "redis-tls",
        "0.log:62",
        &["redis.upstash-plaintext-url", "network.connection-reset"],
    );
    assert_eq!(evidence(cause), ["0.log:62", "1.log:62"]);
    let traceback = strings(&cause["evidence"][0]["traceback"]);
    assert_eq!(traceback.len(), 55, "lines 8-62");
    assert!(
        traceback
            .iter()
            .any(|l| l.contains("During handling of the above exception"))
    );
    let url = finding(&report, "redis.upstash-plaintext-url");
    let url_lines: Vec<String> = evidence(url);
    assert_eq!(url_lines[..2], ["0.log:3", "0.log:7"]);
    assert!(
        url["evidence"][0]["text"]
            .as_str()
            .unwrap_or("")
            .contains("caring-owl-41.upstash.io"),
        "CRI partial lines joined into one record"
    );
    assert_eq!(causes(&report).len(), 1, "{:?}", rule_ids(&report));
    assert_counts(&report, "worker.process", 2, 0);
    for (run, file) in runs(&report, "worker.process")
        .iter()
        .zip(["0.log", "1.log"])
    {
        assert!(run["key"].as_str().unwrap_or("").ends_with(file), "{run}");
        assert_run(run, "stalled", &["init"], Some("started"));
        assert_eq!(run["steps"][0]["at"]["line"], 6);
    }
}

/// Story 11: the SDK/httpx clash at lines 28, 56 and 84; three container
/// starts, each reaching `init` (lines 3, 31, 59), never `started`; the
/// debug writes at 6/34/62 are not milestones.
#[test]
fn anthropic_sdk_proxies_incompatibility_in_docker_json() {
    let report = story("anthropic-proxies", "fixtures/anthropic-proxies");
    let cause = assert_root_cause(
        &report,
        "python.sdk-proxies-argument",
        "dependency-incompatibility",
        &format!("{}:28", ANTHROPIC_LOG),
        &[],
    );
    let lines: Vec<String> = ["28", "56", "84"]
        .iter()
        .map(|l| format!("{ANTHROPIC_LOG}:{l}"))
        .collect();
    assert_eq!(evidence(cause), lines);
    assert_counts(&report, "worker.process", 3, 0);
    let all = runs(&report, "worker.process");
    for (run, line) in all.iter().zip([3, 31, 59]) {
        assert_run(run, "stalled", &["init"], Some("started"));
        assert_eq!(run["steps"][0]["at"]["line"], line);
    }
}

const ANTHROPIC_LOG: &str =
    "e3b9c41f7a2d6e8b0c5f9a1d3e7b2c4f6a8d0e2b4c6f8a1d3e5b7c9f0a2d4e6b-json.log";

/// Story 12: nothing at error; all eight steps reached, in each of the three
/// files and in the directory (the Datadog archive decoded to its messages).
#[test]
fn healthy_startup_with_harmless_warnings_has_no_root_cause() {
    for path in [
        "fixtures/healthy-startup/kubectl-logs.log",
        "fixtures/healthy-startup",
        "fixtures/healthy-startup/dt=20251023/hour=15/archive_155741.5203.9gk3WJhZQ5ufo4Vte6zb7A.json",
        "fixtures/healthy-startup/dt=20251023/hour=15/archive_155741.5203.9gk3WJhZQ5ufo4Vte6zb7A.json.gz",
    ] {
        let (code, report) = scan_json(&[path]);
        assert_eq!(code, 0, "{path}");
        assert!(
            causes(&report).is_empty(),
            "{path}: {:?}",
            rule_ids(&report)
        );
        let all = runs(&report, "ops-agent-worker.startup");
        assert!(!all.is_empty(), "{path}");
        for run in all {
            assert_run(
                run,
                "completed",
                &[
                    "banner",
                    "worker-setup",
                    "redis",
                    "ooda-loop",
                    "supabase",
                    "registration",
                    "subscription",
                    "started",
                ],
                None,
            );
        }
        for f in findings(&report) {
            assert!(
                matches!(f["severity"].as_str(), Some("info" | "warning")),
                "{path}: {f}"
            );
            for e in f["evidence"].as_array().into_iter().flatten() {
                assert!(
                    !e["text"].as_str().unwrap_or("").starts_with('{'),
                    "{path}: archive events are decoded: {e}"
                );
            }
        }
    }
    story(
        "healthy-startup",
        "fixtures/healthy-startup/kubectl-logs.log",
    );
}
