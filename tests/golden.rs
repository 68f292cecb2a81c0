//! Golden reports: each runbook story in `fixtures/` must produce the right
//! root cause, symptoms and sequence positions. Snapshots hold a digest of
//! the JSON report; the assertions name what each story is about, so a
//! snapshot update can never silently accept a wrong root cause.

mod common;

use common::{digest, root_cause_classes, scan_json};

fn story(name: &str, path: &str) -> serde_json::Value {
    let (code, report) = scan_json(&[path]);
    insta::assert_json_snapshot!(name, digest(&report));
    assert!(code == 0 || code == 1, "{path}: exit {code}");
    report
}

fn first_class(report: &serde_json::Value) -> String {
    root_cause_classes(report)
        .into_iter()
        .next()
        .unwrap_or_default()
}

fn symptom_classes(report: &serde_json::Value) -> Vec<String> {
    let symptoms: Vec<&str> = report["root_causes"][0]["symptoms"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str())
        .collect();
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| symptoms.contains(&f["rule"].as_str().unwrap_or("")))
        .filter_map(|f| f["class"].as_str().map(str::to_string))
        .collect()
}

fn run_of<'a>(report: &'a serde_json::Value, sequence: &str) -> &'a serde_json::Value {
    report["sequences"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["id"] == sequence)
        .map(|s| &s["runs"][0])
        .unwrap_or(&serde_json::Value::Null)
}

#[test]
fn degraded_mode_from_an_import_path_mismatch() {
    let report = story(
        "degraded-import",
        "fixtures/degraded-import/render-dashboard.log",
    );
    assert_eq!(first_class(&report), "module-not-found");
    assert!(symptom_classes(&report).contains(&"degraded-mode".to_string()));
    assert_eq!(
        run_of(&report, "ops-agent-worker.startup")["first_missing"],
        "registration"
    );
    assert!(
        report["root_causes"][0]["explanation"]
            .as_str()
            .unwrap_or("")
            .contains("orchestrator.persistence")
    );
    assert!(
        !report["root_causes"][0]["evidence"][0]["traceback"]
            .as_array()
            .expect("traceback")
            .is_empty()
    );
}

#[test]
fn agent_type_check_constraint() {
    let report = story(
        "agent-type-constraint",
        "fixtures/agent-type-constraint/render-cli.log",
    );
    assert_eq!(first_class(&report), "db-constraint-violation");
    assert!(symptom_classes(&report).contains(&"degraded-mode".to_string()));
    assert_eq!(
        run_of(&report, "ops-agent-worker.startup")["first_missing"],
        "registration"
    );
}

#[test]
fn missing_pyyaml() {
    let report = story(
        "missing-pyyaml",
        "fixtures/missing-pyyaml/render-dashboard.log",
    );
    assert_eq!(first_class(&report), "missing-dependency");
    assert!(
        report["root_causes"][0]["explanation"]
            .as_str()
            .unwrap_or("")
            .contains("yaml")
    );
}

#[test]
fn supabase_timeout() {
    let report = story(
        "supabase-timeout",
        "fixtures/supabase-timeout/kubectl-logs.log",
    );
    assert_eq!(first_class(&report), "db-unavailable");
    assert!(symptom_classes(&report).contains(&"degraded-mode".to_string()));
}

#[test]
fn jobs_fail_on_a_missing_column() {
    let report = story("schema-credits", "fixtures/schema-credits");
    assert_eq!(first_class(&report), "db-schema-mismatch");
    let finding = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["class"] == "db-schema-mismatch")
        .expect("schema finding");
    // Seven jobs, each logged twice: by the planner and by the job processor.
    assert_eq!(finding["count"], 14);
    assert!(
        run_of(&report, "worker.process")["reached"]
            .as_array()
            .expect("reached")
            .len()
            >= 3
    );
}

#[test]
fn oom_killed_pod_in_a_crash_loop() {
    let report = story("oom-crashloop", "fixtures/oom-crashloop");
    assert_eq!(first_class(&report), "oom-killed");
    // Memory climbing in the killed run ranks first (it sits where the run
    // stalled); the OOMKilled container explains the crash loop.
    assert!(
        root_cause_classes(&report)
            .iter()
            .all(|c| c == "oom-killed"),
        "{:?}",
        root_cause_classes(&report)
    );
    let crashloop_explained = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| f["class"] == "crashloop" && f["explained_by"].is_string());
    assert!(crashloop_explained, "the crash loop is a symptom");
}

#[test]
fn timed_out_agent_run_among_healthy_interleaved_runs() {
    for path in [
        "fixtures/agent-timeout/datadog-log-explorer.csv",
        "fixtures/agent-timeout/datadog-logs-api-v2.json",
    ] {
        let (_, report) = scan_json(&[path]);
        assert_eq!(first_class(&report), "timeout", "{path}");
    }
    let report = story(
        "agent-timeout",
        "fixtures/agent-timeout/datadog-log-explorer.csv",
    );
    let runs = report["sequences"]
        .as_array()
        .expect("sequences")
        .iter()
        .find(|s| s["id"] == "agent-run.execution")
        .expect("agent runs")["runs"]
        .as_array()
        .expect("runs")
        .clone();
    let stalled: Vec<&serde_json::Value> =
        runs.iter().filter(|r| r["status"] != "completed").collect();
    assert_eq!(
        stalled.len(),
        1,
        "only the timed-out run is incomplete: {runs:?}"
    );
    assert_eq!(stalled[0]["key"], "7f3a9c21");
    assert_eq!(
        runs.iter().filter(|r| r["status"] == "completed").count(),
        3
    );
}

#[test]
fn celery_worker_loses_its_broker() {
    let report = story(
        "celery-broker-lost",
        "fixtures/celery-broker-lost/docker-compose-logs.log",
    );
    assert_eq!(first_class(&report), "connection-failed");
    assert_eq!(run_of(&report, "celery.worker")["status"], "completed");
}

#[test]
fn dramatiq_worker_on_the_wrong_broker() {
    let report = story("dramatiq-stubbroker", "fixtures/dramatiq-stubbroker");
    assert_eq!(first_class(&report), "broker-misconfigured");
}

#[test]
fn upstash_redis_without_tls_in_cri_partial_lines() {
    let report = story("upstash-tls", "fixtures/upstash-tls");
    assert_eq!(first_class(&report), "redis-tls");
}

#[test]
fn anthropic_sdk_proxies_incompatibility_in_docker_json() {
    let report = story("anthropic-proxies", "fixtures/anthropic-proxies");
    assert_eq!(first_class(&report), "dependency-incompatibility");
}

#[test]
fn healthy_startup_with_harmless_warnings_has_no_root_cause() {
    for path in [
        "fixtures/healthy-startup/kubectl-logs.log",
        "fixtures/healthy-startup",
    ] {
        let (code, report) = scan_json(&[path]);
        assert_eq!(code, 0, "{path}");
        assert!(
            report["root_causes"].as_array().expect("array").is_empty(),
            "{path}: {:?}",
            report["root_causes"]
        );
        assert_eq!(
            run_of(&report, "ops-agent-worker.startup")["status"],
            "completed",
            "{path}"
        );
    }
    story(
        "healthy-startup",
        "fixtures/healthy-startup/kubectl-logs.log",
    );
}
