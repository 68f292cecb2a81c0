//! The benchmark corpus (`benches/gen_corpus.py`) measures generalisation:
//! every failure it injects is detected by the shipped pack with its class,
//! nothing healthy is reported at warning or above, and no injected failure
//! is worded as one of the rules' own examples (numbers and ids masked).
//! `benches/compare.sh` applies the same recall and false-positive check to
//! its large corpus and exits non-zero when either fails; this test runs it
//! on small corpora in every format. Needs `python3`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::sync::LazyLock;

use common::faultline;
use regex::Regex;
use serde_json::Value;

/// Generates a corpus; returns its lines and the manifest (line → class).
fn generate(dir: &Path, format: &str, size: &str) -> (Vec<String>, BTreeMap<u64, Option<String>>) {
    let corpus = dir.join(format!("{format}.log"));
    let manifest = dir.join(format!("{format}.manifest.jsonl"));
    let status = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/gen_corpus.py"
        ))
        .args(["--size", size, "--format", format, "--seed", "11"])
        .args(["--incident-rate", "0.02", "--out"])
        .arg(&corpus)
        .arg("--manifest")
        .arg(&manifest)
        .status()
        .expect("python3 runs benches/gen_corpus.py (install python3 to run this test)");
    assert!(status.success(), "gen_corpus.py failed");
    let lines = std::fs::read_to_string(&corpus)
        .expect("corpus")
        .lines()
        .map(str::to_string)
        .collect();
    let manifest = std::fs::read_to_string(&manifest)
        .expect("manifest")
        .lines()
        .map(|l| {
            let entry: Value = serde_json::from_str(l).expect("manifest line");
            (
                entry["line"].as_u64().expect("line"),
                entry["class"].as_str().map(str::to_string),
            )
        })
        .collect();
    (lines, manifest)
}

/// Every rule's `match` examples, from the rule files.
fn rule_examples() -> Vec<String> {
    let mut examples = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("rules dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("rule file");
            let file: Value = serde_saphyr::from_str(&text).expect("rule file parses");
            for rule in file["rules"].as_array().into_iter().flatten() {
                for example in rule["examples"]["match"].as_array().into_iter().flatten() {
                    let line = example.as_str().or_else(|| example["line"].as_str());
                    examples.push(line.expect("an example line").to_string());
                }
            }
        }
    }
    assert!(examples.len() > 300, "{} examples", examples.len());
    examples
}

/// A line's wording: platform wrappers removed, ids and numbers masked,
/// spaces collapsed.
fn wording(line: &str) -> String {
    static WRAPPERS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^(?:\[pod/[^\]]+\] )?(?:\d{4}-\d\d-\d\dT\S+ )?(?:[A-Z][a-z]{2} +\d+ \d+:\d\d:\d\d (?:AM|PM) +)?(?:[\w.-]+ +\| )?",
        )
        .expect("regex")
    });
    static MASKS: LazyLock<Vec<(Regex, &str)>> = LazyLock::new(|| {
        [
            (r"run_id=[^\]\s]+", "run_id=ID"),
            (r"\b[0-9a-f]*\d[0-9a-f]*(?:-[0-9a-f]+){4}\b", "UUID"),
            (r"\b0x[0-9a-f]+\b", "HEX"),
            (r"\d+", "N"),
            (r"\s+", " "),
        ]
        .into_iter()
        .map(|(p, r)| (Regex::new(p).expect("regex"), r))
        .collect()
    });
    let mut text = WRAPPERS.replace(line, "").to_string();
    for (regex, replacement) in MASKS.iter() {
        text = regex.replace_all(&text, *replacement).to_string();
    }
    text.trim().to_string()
}

/// The message of a corpus line in `format`.
fn message(line: &str, format: &str) -> String {
    match format {
        "datadog-jsonl" => {
            let event: Value = serde_json::from_str(line).expect("JSON line");
            event["message"].as_str().expect("message").to_string()
        }
        _ => line.to_string(),
    }
}

#[test]
fn injected_failures_are_not_worded_as_rule_examples() {
    let examples: BTreeSet<String> = rule_examples().iter().map(|e| wording(e)).collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let (lines, manifest) = generate(dir.path(), "plain", "2M");
    let mut wordings: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut copied = BTreeSet::new();
    for (line, class) in &manifest {
        let Some(class) = class else { continue };
        let text = wording(&lines[*line as usize - 1]);
        if let Some(example) = examples
            .iter()
            .find(|e| text == **e || text.ends_with(&format!(" {e}")))
        {
            copied.insert(format!("{class}: {example}"));
        }
        wordings.entry(class.clone()).or_default().insert(text);
    }
    assert!(
        copied.is_empty(),
        "injected failures worded as rule examples:\n{}",
        copied.into_iter().collect::<Vec<_>>().join("\n")
    );
    // Every class, each in several wordings.
    assert!(wordings.len() >= 18, "{:?}", wordings.keys());
    for (class, set) in &wordings {
        assert!(set.len() >= 2, "{class}: only {set:?}");
    }
}

/// Recall (each failure line reported with its class) and false positives
/// (anything at warning or above on a line outside the manifest), per format.
#[test]
fn the_pack_finds_every_injected_failure_and_nothing_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (format, size) in [
        ("plain", "1M"),
        ("kubectl", "1M"),
        ("kubectl-prefix", "1M"),
        ("datadog-jsonl", "1M"),
    ] {
        let (lines, manifest) = generate(dir.path(), format, size);
        let output = faultline()
            .args(["scan", "--matches", "--format", "jsonl"])
            .arg(dir.path().join(format!("{format}.log")))
            .output()
            .expect("run faultline");
        assert_eq!(output.status.code(), Some(1), "{format}");
        let mut found: BTreeMap<u64, Vec<Value>> = BTreeMap::new();
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let m: Value = serde_json::from_str(line).expect("JSON line");
            let at = m["line"].as_u64().expect("line");
            // One object per matched line: each rule that matched it, with its text.
            for rule in m["rules"].as_array().expect("rules") {
                let mut one = rule.clone();
                one["text"] = m["text"].clone();
                found.entry(at).or_default().push(one);
            }
        }
        let mut missed = Vec::new();
        let mut failures = 0;
        for (line, class) in &manifest {
            let Some(class) = class else { continue };
            failures += 1;
            let classes: Vec<&str> = found
                .get(line)
                .into_iter()
                .flatten()
                .filter_map(|m| m["class"].as_str())
                .collect();
            if !classes.contains(&class.as_str()) {
                missed.push(format!(
                    "line {line}, expected {class}, got {classes:?}: {}",
                    message(&lines[*line as usize - 1], format)
                ));
            }
        }
        assert!(failures > 50, "{format}: {failures} failure lines");
        assert!(missed.is_empty(), "{format}: missed\n{}", missed.join("\n"));
        let false_positives: Vec<String> = found
            .iter()
            .filter(|(line, _)| !manifest.contains_key(line))
            .flat_map(|(line, ms)| ms.iter().map(move |m| (line, m)))
            .filter(|(_, m)| m["severity"] != "info")
            .map(|(line, m)| format!("line {line} [{}]: {}", m["rule"], m["text"]))
            .collect();
        assert!(
            false_positives.is_empty(),
            "{format}: false positives\n{}",
            false_positives.join("\n")
        );
    }
}
