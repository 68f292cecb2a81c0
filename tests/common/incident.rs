//! A generated incident bigger than a screen: many root causes, other
//! findings and stalled sequences, from rules made for it.

pub const CAUSES: usize = 30;
pub const WARNINGS: usize = 15;
pub const SEQUENCES: usize = 6;

/// Rules made for the test: error rules that are each a root cause,
/// warning rules that are other findings, and three-step sequences.
fn rules() -> String {
    let mut yaml = String::from("rules:\n");
    for n in 0..CAUSES {
        yaml.push_str(&format!(
            "  - id: t.failure-{n:02}\n    title: Failure number {n:02} of a long incident with many causes\n    \
             class: unknown\n    severity: error\n    patterns: ['FAILURE-{n:02} happened']\n"
        ));
    }
    for n in 0..WARNINGS {
        yaml.push_str(&format!(
            "  - id: t.warning-{n:02}\n    title: Warning number {n:02}\n    \
             class: unknown\n    severity: warning\n    patterns: ['WARNING-{n:02} seen']\n"
        ));
    }
    yaml.push_str("sequences:\n");
    for n in 0..SEQUENCES {
        yaml.push_str(&format!(
            "  - id: t.sequence-{n}\n    title: Start-up of service {n}\n    milestones:\n"
        ));
        for step in ["one", "two", "three"] {
            yaml.push_str(&format!(
                "      - id: {step}\n        title: Step {step}\n        patterns: ['service-{n} step {step}']\n"
            ));
        }
    }
    yaml
}

/// A log in which every rule matches (each failure twice) and every
/// sequence stops after its second step, with healthy lines after it.
pub fn log() -> String {
    let mut lines = Vec::new();
    for n in 0..SEQUENCES {
        lines.push(format!("INFO service-{n} step one"));
        lines.push(format!("INFO service-{n} step two"));
    }
    for round in 0..2 {
        for n in 0..CAUSES {
            lines.push(format!("ERROR FAILURE-{n:02} happened (round {round})"));
        }
    }
    for n in 0..WARNINGS {
        lines.push(format!("WARNING WARNING-{n:02} seen"));
    }
    for n in 0..200 {
        lines.push(format!("INFO request {n} ok"));
    }
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| format!("2026-01-01T00:{:02}:{:02}.123Z {l}\n", i / 60, i % 60))
        .collect()
}

/// The rules and the log, in a directory removed when it is dropped.
pub struct Incident {
    _dir: tempfile::TempDir,
    /// The rule file (`--no-default-rules --rules RULES`).
    pub rules: String,
    /// The log.
    pub log: String,
}

/// Writes the rules and the log.
pub fn incident() -> Incident {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules_path = dir.path().join("rules.yaml");
    let log_path = dir.path().join("incident.log");
    std::fs::write(&rules_path, rules()).expect("write rules");
    std::fs::write(&log_path, log()).expect("write log");
    Incident {
        rules: rules_path.to_str().expect("UTF-8").to_string(),
        log: log_path.to_str().expect("UTF-8").to_string(),
        _dir: dir,
    }
}
