//! Diagnosis on logs written from scratch for the defects of issue 12, in
//! the wordings and wrappers real tools print (fixtures/outcomes,
//! fixtures/rank, fixtures/third-party, fixtures/render-builds,
//! fixtures/datadog-archive, fixtures/sequences): outcomes are symptoms,
//! severities are the rules' own, announced failures lead, third-party
//! imports are missing dependencies, Render builds are one run each,
//! Datadog archive events are decoded, and tracebacks are one event.

mod common;

use common::scan_json;
use serde_json::Value;

fn scan(path: &str) -> Value {
    let (code, report) = scan_json(&[path]);
    assert!(code == 0 || code == 1, "{path}: exit {code}");
    report
}

fn causes(report: &Value) -> Vec<&Value> {
    report["root_causes"]
        .as_array()
        .into_iter()
        .flatten()
        .collect()
}

fn finding<'a>(report: &'a Value, rule: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no finding {rule}"))
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// The first root cause is `rule` (of `class`) at `line`, shown with the
/// rule's own severity, and lists `symptoms`, which are not causes.
fn assert_cause(report: &Value, rule: &str, class: &str, line: u64, symptoms: &[&str]) {
    let all = causes(report);
    let ids: Vec<&Value> = all.iter().map(|c| &c["rule"]).collect();
    let cause = all.first().unwrap_or_else(|| panic!("no root cause"));
    assert_eq!(cause["rule"], rule, "{ids:?}");
    assert_eq!(cause["class"], class);
    assert_eq!(cause["evidence"][0]["line"], line);
    assert_eq!(cause["severity"], finding(report, rule)["severity"]);
    assert!(cause.get("unexplained_outcome").is_none());
    let listed = strings(&cause["symptoms"]);
    for symptom in symptoms {
        assert!(
            listed.contains(symptom),
            "{symptom} under {rule}: {listed:?}"
        );
        assert!(
            all.iter().all(|c| c["rule"] != *symptom),
            "{symptom} is not also a cause: {ids:?}"
        );
    }
}

fn runs<'a>(report: &'a Value, id: &str) -> Vec<&'a Value> {
    report["sequences"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["id"] == id)
        .flat_map(|s| s["runs"].as_array().into_iter().flatten())
        .collect()
}

// ---- outcomes: how a process ended is a symptom of the error before it ----

#[test]
fn heroku_crash_after_a_rejected_database_password() {
    let report = scan("fixtures/outcomes/heroku-db-password.log");
    assert_cause(
        &report,
        "database.authentication-failed",
        "auth-failure",
        20,
        &[
            "platform.app-boot-failed",
            "platform.process-exited",
            "heroku.crashed",
        ],
    );
    // The restart's `Process exited with status 143` (SIGTERM) is not a failure.
    assert_eq!(finding(&report, "platform.process-exited")["count"], 1);
    assert_eq!(
        finding(&report, "platform.process-exited")["first"]["line"],
        35
    );
    assert_eq!(causes(&report).len(), 1);
}

#[test]
fn render_exit_after_a_node_connection_refused() {
    let report = scan("fixtures/outcomes/render-node-econnrefused.log");
    let first = causes(&report)[0];
    assert_eq!(first["class"], "connection-failed");
    for outcome in ["platform.process-exited", "node.fatal-exception"] {
        assert!(
            finding(&report, outcome)["explained_by"].is_string(),
            "{outcome}"
        );
        assert!(causes(&report).iter().all(|c| c["rule"] != outcome));
    }
}

#[test]
fn back_off_after_a_missing_secret() {
    let report = scan("fixtures/outcomes/kubectl-events-secret.txt");
    assert_cause(
        &report,
        "k8s.missing-secret-or-configmap",
        "config-error",
        5,
        &["k8s.crashloop", "k8s.container-error-exit"],
    );
    assert!(
        causes(&report)[0]["explanation"]
            .as_str()
            .unwrap_or("")
            .contains("billing-stripe")
    );
}

#[test]
fn compose_exit_after_a_redis_auth_error_no_link_needed() {
    // redis.auth-failed has no `causes:` link to the exit: the nearest
    // error before it in the same compose service explains it.
    let report = scan("fixtures/outcomes/compose-redis-auth.log");
    assert_cause(
        &report,
        "redis.auth-failed",
        "auth-failure",
        15,
        &["platform.process-exited"],
    );
    let exit = finding(&report, "platform.process-exited");
    assert_eq!(exit["evidence"][0]["origin"]["service"], "mailer-1");
}

#[test]
fn an_exit_with_nothing_before_it_is_reported_with_the_lines_before_it() {
    let report = scan("fixtures/outcomes/render-exit-no-cause.log");
    let all = causes(&report);
    assert_eq!(all.len(), 1);
    let cause = all[0];
    assert_eq!(cause["rule"], "platform.process-exited");
    assert_eq!(cause["unexplained_outcome"], true);
    assert!(
        cause["explanation"]
            .as_str()
            .unwrap_or("")
            .contains("no recorded cause")
    );
    let before = strings(&cause["evidence"][0]["before"]);
    assert_eq!(before.len(), 6, "{before:?}");
    assert_eq!(
        before.last().copied(),
        Some("nothing to schedule; set SCHEDULER_ENABLED_JOBS to run jobs")
    );
    assert!(
        report["verdict_note"]
            .as_str()
            .unwrap_or("")
            .contains("no signature explains why")
    );
}

#[test]
fn an_exit_printed_before_the_traceback_it_ends_is_still_its_symptom() {
    // Heroku prints the platform's lines before the app's older ones.
    let report = scan("fixtures/formats/heroku.log");
    assert_cause(
        &report,
        "python.env-var-keyerror",
        "config-error",
        25,
        &[
            "platform.app-boot-failed",
            "platform.process-exited",
            "heroku.crashed",
        ],
    );
}

// ---- severity and rank ----

#[test]
fn the_unrecoverable_error_that_stopped_celery_outranks_one_tasks_key_error() {
    let report = scan("fixtures/rank/kubectl-celery-unrecoverable.log");
    // The worker's unrecoverable error names the failure (Redis MISCONF):
    // that failure leads, with the wrapper line as its symptom, above the
    // task's KeyError.
    assert_cause(
        &report,
        "redis.misconf-persistence",
        "disk-full",
        31,
        &["queue.celery-worker-unrecoverable"],
    );
    let all = causes(&report);
    assert_eq!(all[1]["rule"], "python.env-var-keyerror");
    assert!(strings(&all[1]["symptoms"]).contains(&"queue.task-failed"));
}

#[test]
fn liveness_probe_kills_are_the_root_cause_of_the_back_off() {
    let report = scan("fixtures/rank/kubectl-events-liveness.txt");
    assert_cause(
        &report,
        "k8s.probe-restart",
        "probe-failure",
        8,
        &["k8s.probe-failed", "k8s.crashloop"],
    );
    // Repeated liveness failures in `kubectl describe` (x9) are a kill too.
    let report = scan("fixtures/rank/kubectl-describe-liveness.txt");
    assert_cause(
        &report,
        "k8s.probe-restart",
        "probe-failure",
        36,
        &["k8s.probe-failed"],
    );
}

#[test]
fn a_warning_cause_keeps_its_severity() {
    // Startup probe failures, then a back-off: the probe warning explains
    // the (critical) crash loop, so it is the root cause, shown as a warning.
    let report = scan("fixtures/rank/kubectl-events-probe-backoff.txt");
    assert_cause(
        &report,
        "k8s.probe-failed",
        "probe-failure",
        3,
        &["k8s.crashloop"],
    );
    assert_eq!(causes(&report)[0]["severity"], "warning");
    for report in [
        scan("fixtures/rank/heroku-memory-quota.log"),
        scan("fixtures/oom-crashloop"),
        scan("fixtures/upstash-tls"),
    ] {
        for cause in causes(&report) {
            assert_eq!(
                cause["severity"],
                finding(&report, cause["rule"].as_str().unwrap_or(""))["severity"]
            );
        }
    }
}

#[test]
fn memory_quota_warnings_announce_the_kill_they_precede() {
    let report = scan("fixtures/rank/heroku-memory-quota.log");
    assert_cause(
        &report,
        "heroku.memory-quota-vastly-exceeded",
        "oom-killed",
        8,
        &[
            "heroku.memory-quota-exceeded",
            "resources.exit-137",
            "heroku.crashed",
        ],
    );
    assert_eq!(causes(&report).len(), 1);
    // The chain follows causes, not the warnings that announced them.
    let chain = strings(&causes(&report)[0]["chain"]);
    assert!(
        !chain.contains(&"heroku.memory-quota-exceeded"),
        "{chain:?}"
    );
}

// ---- third-party modules ----

#[test]
fn third_party_modules_are_missing_dependencies() {
    for (path, line, module) in [
        ("fixtures/third-party/heroku-markdown.log", 16, "markdown"),
        ("fixtures/third-party/kubectl-sendgrid.log", 10, "sendgrid"),
        ("fixtures/third-party/compose-kafka.log", 7, "kafka.errors"),
    ] {
        let report = scan(path);
        assert_cause(
            &report,
            "python.missing-dependency",
            "missing-dependency",
            line,
            &[],
        );
        let cause = causes(&report)[0];
        assert!(
            cause["explanation"].as_str().unwrap_or("").contains(module),
            "{path}: {cause}"
        );
        assert!(
            report["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .all(|f| f["rule"] != "python.module-not-found"),
            "{path}"
        );
    }
}

#[test]
fn a_module_an_installed_package_imports_is_its_dependency() {
    let report = scan("fixtures/third-party/render-package-dependency.log");
    assert_cause(
        &report,
        "python.missing-dependency-of-package",
        "missing-dependency",
        14,
        &["platform.process-exited"],
    );
    assert!(
        causes(&report)[0]["explanation"]
            .as_str()
            .unwrap_or("")
            .contains("tinycss2")
    );
}

#[test]
fn an_app_module_gunicorn_cannot_import_stays_first_party() {
    let report = scan("fixtures/third-party/gunicorn-first-party.log");
    assert_cause(
        &report,
        "python.module-not-found",
        "module-not-found",
        17,
        &["platform.app-boot-failed"],
    );
}

// ---- Render build runs ----

#[test]
fn every_render_build_is_one_run() {
    let report = scan("fixtures/render-builds/two-deploys.log");
    assert!(causes(&report).is_empty());
    let sequence = report["sequences"]
        .as_array()
        .expect("sequences")
        .iter()
        .find(|s| s["id"] == "render.deploy")
        .expect("render.deploy");
    assert_eq!(sequence["total_runs"], 3);
    assert_eq!(sequence["completed_runs"], 2);
    let all = runs(&report, "render.deploy");
    // The paste starts with a deploy whose build is not in it: not completed.
    assert_eq!(all[0]["status"], "running");
    assert_eq!(strings(&all[0]["reached"]), ["deploying", "running"]);
    assert!(all[0]["first_missing"].is_null());
    for run in &all[1..] {
        assert_eq!(run["status"], "completed", "{run}");
        assert_eq!(
            strings(&run["reached"]),
            ["build", "build-ok", "deploying", "running"]
        );
    }
    assert!(
        all.iter().all(|r| r["status"] != "stalled"),
        "no phantom run"
    );
}

#[test]
fn a_failed_render_build_stalls_at_build_successful() {
    let report = scan("fixtures/render-builds/build-failed.log");
    assert_cause(
        &report,
        "build.pip-build-error",
        "build-failure",
        9,
        &["render.build-failed"],
    );
    let all = runs(&report, "render.deploy");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["status"], "stalled");
    assert_eq!(strings(&all[0]["reached"]), ["build"]);
    assert_eq!(all[0]["first_missing"], "build-ok");
}

// ---- Datadog Log Archive events ----

#[test]
fn datadog_archive_events_are_decoded_and_their_tracebacks_grouped() {
    let report = scan("fixtures/datadog-archive");
    assert_cause(
        &report,
        "database.relation-missing",
        "db-schema-mismatch",
        6,
        &["python.unhandled-exception"],
    );
    let evidence = &causes(&report)[0]["evidence"][0];
    assert_eq!(
        evidence["text"],
        "psycopg2.errors.UndefinedTable: relation \"order_refunds\" does not exist"
    );
    assert_eq!(evidence["timestamp"], "2026-03-02T15:00:02.204Z");
    assert_eq!(evidence["origin"]["pod"], "orders-api-7f6d9c5b8-2lq7w");
    assert_eq!(evidence["origin"]["service"], "orders-api");
    let traceback = strings(&evidence["traceback"]);
    assert_eq!(
        traceback.first().copied(),
        Some("Traceback (most recent call last):")
    );
    assert_eq!(traceback.len(), 6);
}

// ---- sequences and tracebacks as events ----

#[test]
fn a_dramatiq_worker_with_two_processes_is_one_run() {
    let report = scan("fixtures/sequences/dramatiq-two-processes.log");
    let all = runs(&report, "dramatiq.worker");
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["status"], "completed");
}

#[test]
fn worker_init_needs_its_timestamp() {
    let report = scan("fixtures/sequences/kubectl-worker-init-trap.log");
    let all = runs(&report, "worker.process");
    assert_eq!(
        all.len(),
        1,
        "the debug write and the source line are not runs"
    );
    assert_eq!(all[0]["status"], "completed");
    assert_eq!(all[0]["steps"][0]["at"]["line"], 1);
}

#[test]
fn a_lost_broker_connection_and_its_traceback_are_symptoms_of_the_reconnect_failure() {
    let report = scan("fixtures/sequences/kubectl-celery-amqp-lost.log");
    assert_cause(
        &report,
        "queue.celery-broker-unreachable",
        "connection-failed",
        11,
        &[
            "queue.celery-broker-connection-lost",
            "network.connection-reset",
            "queue.celery-broker-retrying",
        ],
    );
    assert_eq!(causes(&report).len(), 1);
    assert_eq!(runs(&report, "celery.worker")[0]["status"], "completed");
}
