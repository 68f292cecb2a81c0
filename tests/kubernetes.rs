//! The Kubernetes manifests in deploy/kubernetes, checked without a
//! cluster: the Indexed Job's shard count agrees with itself, run.sh
//! rewrites it consistently, and the pods' own scripts, run here once per
//! completion index, write partials whose merge is the single scan, and a
//! shard that left none fails the merge and is named.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::faultline;
use serde_json::Value;

fn manifest(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("valid YAML")
}

fn shipped(name: &str) -> Value {
    manifest(&std::fs::read_to_string(format!("deploy/kubernetes/{name}")).expect("manifest"))
}

fn container(job: &Value) -> &Value {
    &job["spec"]["template"]["spec"]["containers"][0]
}

/// The container's environment as the manifest sets it.
fn env(job: &Value) -> Vec<(String, String)> {
    container(job)["env"]
        .as_array()
        .expect("env")
        .iter()
        .map(|e| {
            let value = e["value"].as_str().expect("a plain value");
            (
                e["name"].as_str().expect("name").to_string(),
                value.to_string(),
            )
        })
        .collect()
}

fn env_var(job: &Value, name: &str) -> String {
    env(job)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("{name} is set"))
}

/// Runs a container's script with `sh` as its pod would: the manifest's
/// environment, the volumes' mount paths replaced by `mounts`, the
/// faultline under test first on PATH.
fn run_pod(job: &Value, mounts: &[(&str, &Path)], index: Option<u32>) -> Output {
    let script = container(job)["args"][0].as_str().expect("script");
    let bin = assert_cmd::cargo::cargo_bin("faultline");
    let path = format!(
        "{}:{}",
        bin.parent().expect("bin dir").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new("sh");
    command
        .args(["-c", script])
        .env("PATH", path)
        .env("NO_COLOR", "1");
    command.envs(env(job));
    for (name, dir) in mounts {
        command.env(name, dir);
    }
    if let Some(index) = index {
        command.env("JOB_COMPLETION_INDEX", index.to_string());
    }
    command.output().expect("run sh")
}

#[test]
fn the_indexed_job_agrees_with_itself_and_run_sh_rewrites_it() {
    let scan = shipped("scan-job.yaml");
    assert_eq!(scan["spec"]["completionMode"], "Indexed");
    let shards: u64 = env_var(&scan, "SHARDS").parse().expect("a number");
    assert_eq!(scan["spec"]["completions"], shards);
    assert_eq!(scan["spec"]["parallelism"], shards);
    let merge = shipped("merge-job.yaml");
    assert_eq!(env_var(&scan, "RUN"), env_var(&merge, "RUN"));

    let output = Command::new("bash")
        .args(["deploy/kubernetes/run.sh", "--dry-run", "--shards", "5"])
        .output()
        .expect("run.sh");
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    let (scan, merge) = text.split_once("\n---\n").expect("two manifests");
    let (scan, merge) = (manifest(scan), manifest(merge));
    assert_eq!(scan["spec"]["completions"], 5);
    assert_eq!(scan["spec"]["parallelism"], 5);
    assert_eq!(env_var(&scan, "SHARDS"), "5");
    let run = env_var(&scan, "RUN");
    assert_ne!(run, "manual", "each run gets its own partials directory");
    assert_eq!(env_var(&merge, "RUN"), run);
    Command::new("bash")
        .args(["deploy/kubernetes/run.sh", "--dry-run", "--shards", "0"])
        .output()
        .map(|o| assert_eq!(o.status.code(), Some(2)))
        .expect("run.sh");
}

#[test]
fn the_pods_scripts_shard_and_merge_into_the_single_scan() {
    let scan = shipped("scan-job.yaml");
    let merge = shipped("merge-job.yaml");
    let shards: u32 = env_var(&scan, "SHARDS").parse().expect("a number");
    let partials = tempfile::tempdir().expect("tempdir");
    let logs = Path::new("fixtures");
    let mounts = [("LOGS", logs), ("PARTIALS", partials.path())];
    for index in 0..shards {
        let pod = run_pod(&scan, &mounts, Some(index));
        assert_eq!(pod.status.code(), Some(0), "pod {index}: {pod:?}");
    }
    let run = partials.path().join(env_var(&scan, "RUN"));
    let written = std::fs::read_dir(&run).expect("partials").count();
    assert_eq!(
        written, shards as usize,
        "one partial per index, no temporaries"
    );

    let pod = run_pod(&merge, &[("PARTIALS", partials.path())], None);
    assert_eq!(pod.status.code(), Some(0), "{pod:?}");
    let single = faultline()
        .args(["scan", "--format", "json", "fixtures"])
        .output()
        .expect("scan");
    let report = std::fs::read(run.join("report.json")).expect("report.json kept");
    assert_eq!(
        String::from_utf8_lossy(&report),
        String::from_utf8_lossy(&single.stdout)
    );
    assert!(run.join("report.md").exists());
    assert!(String::from_utf8_lossy(&pod.stdout).contains("Root cause"));

    let lost = format!("shard-3-of-{shards}.json.gz");
    std::fs::remove_file(run.join(lost)).expect("remove a partial");
    let pod = run_pod(&merge, &[("PARTIALS", partials.path())], None);
    assert_eq!(pod.status.code(), Some(2), "a missing shard fails the Job");
    let stdout = String::from_utf8_lossy(&pod.stdout);
    assert!(stdout.contains(&format!("shard 3/{shards}")), "{stdout}");
}
