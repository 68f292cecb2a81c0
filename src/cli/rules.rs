//! `faultline rules`: list, test, lint and explain signatures.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand, ValueEnum};

use super::output::print_escaped;
use super::{RuleArgs, exit, print_diagnostics};
use crate::report::untrusted::Untrusted;
use crate::report::view::ProblemView;
use crate::rules::breadth::broad_patterns;
use crate::rules::diagnostic::Level;
use crate::rules::listing;
use crate::rules::selftest;
use crate::rules::spelling::closest;
use crate::rules::{CLASSES, Diagnostic, RulePack, RuleSources, Severity, load};
use crate::scan::Matcher;

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: RulesCommand,
}

/// Output format of `rules list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// One aligned line per rule (or sequence).
    Text,
    /// A JSON array (id, title, class, severity, patterns, causes).
    Json,
}

/// Rule files to work on: named as arguments or with `--rules`, like the
/// other commands.
#[derive(Debug, Args)]
pub struct RuleFiles {
    /// Rule files or directories (in addition to the embedded pack unless --no-default-rules).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub rules: RuleArgs,
}

impl RuleFiles {
    /// The files named either way.
    fn all(&self) -> Vec<PathBuf> {
        self.paths
            .iter()
            .chain(&self.rules.rules)
            .cloned()
            .collect()
    }
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules (id, severity, class, title), or the sequences.
    List {
        #[command(flatten)]
        rules: RuleArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        /// List the expected sequences and their milestones instead of rules.
        #[arg(long, conflicts_with_all = ["class", "severity"])]
        sequences: bool,
        /// Only rules of this failure class (see docs/failure-classes.md).
        #[arg(long, value_name = "CLASS")]
        class: Option<String>,
        /// Only rules of this severity.
        #[arg(long, value_name = "SEVERITY")]
        severity: Option<Severity>,
    },
    /// Run every rule's and milestone's inline examples.
    Test {
        #[command(flatten)]
        files: RuleFiles,
    },
    /// Check rule files like a compiler: schema, regexes, ids, causes, speed, breadth.
    Lint {
        /// Rule files or directories to lint (default: the embedded pack).
        #[command(flatten)]
        files: RuleFiles,
        /// A sample log: warn about patterns matching most of its lines.
        #[arg(long, value_name = "FILE")]
        corpus: Option<PathBuf>,
    },
    /// Draft signatures for the errors in logs that no rule matches.
    Suggest {
        /// Logs to mine (files, directories, globs, `-`).
        #[arg(required = true)]
        paths: Vec<String>,
        /// Drafts for the most frequent unrecognised shapes, at most this many.
        #[arg(long, default_value_t = 5)]
        top: usize,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Compile the signatures into a log store's query language (LogQL, DuckDB SQL, Elasticsearch DSL, Datadog search).
    Export(super::export::ExportArgs),
    /// Show one rule (explanation, remediation, references, examples) or sequence (milestones).
    Explain {
        /// The rule or sequence id (see `rules list`, `rules list --sequences`).
        id: String,
        #[command(flatten)]
        rules: RuleArgs,
    },
}

pub fn run(args: &RulesArgs) -> ExitCode {
    match &args.command {
        RulesCommand::List {
            rules,
            format,
            sequences,
            class,
            severity,
        } => match rules.load() {
            Ok(loaded) => {
                let json = *format == ListFormat::Json;
                if let Some(class) = class.as_deref().filter(|c| !CLASSES.contains(c)) {
                    return unknown("class", class, CLASSES.iter().copied());
                }
                let listed = if *sequences {
                    listing::list_sequences(&loaded.pack, json)
                } else {
                    let filter = listing::Filter {
                        class: class.as_deref(),
                        severity: *severity,
                    };
                    listing::list(&loaded.pack, filter, json)
                };
                print_escaped(&listed)
            }
            Err(code) => code,
        },
        RulesCommand::Test { files } => test(&RuleArgs {
            rules: files.all(),
            no_default_rules: files.rules.no_default_rules,
        }),
        RulesCommand::Lint { files, corpus } => {
            lint(&files.all(), files.rules.no_default_rules, corpus.as_ref())
        }
        RulesCommand::Suggest { paths, top, rules } => match rules.load() {
            Ok(loaded) => suggest(loaded.pack, paths, *top),
            Err(code) => code,
        },
        RulesCommand::Export(args) => super::export::run(args),
        RulesCommand::Explain { id, rules } => match rules.load() {
            Ok(loaded) => explain(&loaded.pack, id),
            Err(code) => code,
        },
    }
}

/// Prints a rule file of drafts; exit 1 when there was nothing to draft.
fn suggest(pack: RulePack, paths: &[String], top: usize) -> ExitCode {
    let engine = crate::engine::Engine::new(pack, crate::engine::Options::default());
    let report = engine.report(&engine.scan_paths(paths));
    for problem in report.problems.iter().map(ProblemView::of) {
        eprintln!(
            "faultline: {}: {}",
            problem.path.terminal(),
            problem.message.terminal()
        );
    }
    if report.unrecognised.is_empty() {
        eprintln!("no unrecognised errors: every error line matched a signature");
        return ExitCode::from(exit::FINDINGS);
    }
    println!(
        "# Drafts: finish each (class, description, remediation), then `faultline rules test FILE`.\nrules:"
    );
    for found in report.unrecognised.iter().take(top) {
        // A draft quotes log text: escaped, so nothing in it drives the terminal.
        for line in Untrusted::new(crate::rules::suggest::draft(found)).terminal_lines() {
            println!("{line}");
        }
    }
    ExitCode::from(exit::CLEAN)
}

fn test(args: &RuleArgs) -> ExitCode {
    let loaded = match args.load() {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let pack = Arc::new(loaded.pack);
    let outcome = selftest::run(&pack);
    for failure in &outcome.failures {
        println!(
            "FAIL {}:{}: [{}] {}",
            failure.file, failure.line, failure.id, failure.message
        );
    }
    println!(
        "{} examples passed, {} failed ({} rules, {} sequences)",
        outcome.passed,
        outcome.failures.len(),
        pack.rules.len(),
        pack.sequences.len()
    );
    ExitCode::from(if outcome.failures.is_empty() {
        exit::CLEAN
    } else {
        exit::FINDINGS
    })
}

fn lint(paths: &[PathBuf], no_default_rules: bool, corpus: Option<&PathBuf>) -> ExitCode {
    let sources = match RuleSources::new(paths, no_default_rules) {
        Ok(sources) => sources,
        Err(errors) => {
            print_diagnostics(&errors);
            return ExitCode::from(exit::ERROR);
        }
    };
    let loaded = match load(&sources) {
        Ok(loaded) => loaded,
        Err(errors) => {
            print_diagnostics(&errors);
            eprintln!("{} error(s)", errors.len());
            return ExitCode::from(exit::ERROR);
        }
    };
    // Linting named files: report only their warnings.
    let named: Vec<String> = RuleSources::new(paths, true)
        .map(|s| s.files().map(|f| f.name.clone()).collect())
        .unwrap_or_default();
    let mut warnings: Vec<Diagnostic> = loaded
        .warnings
        .into_iter()
        .filter(|w| paths.is_empty() || named.contains(&w.source.name))
        .collect();
    if let Some(corpus) = corpus {
        match broad_patterns(&loaded.pack, &sources, corpus) {
            Ok(mut found) => warnings.append(&mut found),
            Err(message) => {
                eprintln!("error: corpus {}: {message}", corpus.display());
                return ExitCode::from(exit::ERROR);
            }
        }
    }
    print_diagnostics(&warnings);
    let matcher = Matcher::new(Arc::new(loaded.pack.clone()));
    let (exact, folded) = matcher.needle_counts();
    eprintln!(
        "{} rules, {} sequences: 0 errors, {} warnings; prefilter: {exact} literals (+{folded} case-insensitive){}",
        loaded.pack.rules.len(),
        loaded.pack.sequences.len(),
        warnings
            .iter()
            .filter(|w| w.level == Level::Warning)
            .count(),
        if matcher.checks_every_line() {
            "; some patterns are checked on every line"
        } else {
            ""
        }
    );
    ExitCode::from(exit::CLEAN)
}

/// An unknown name on the command line: the closest known one, if any.
fn unknown<'a>(
    what: &str,
    name: &str,
    known: impl IntoIterator<Item = &'a str> + Clone,
) -> ExitCode {
    let hint = match closest(name, known.clone()) {
        Some(close) => format!("; did you mean `{close}`?"),
        None => format!(
            " (known: {})",
            known.into_iter().collect::<Vec<_>>().join(", ")
        ),
    };
    eprintln!(
        "error: no {what} `{}`{hint}",
        Untrusted::new(name).terminal()
    );
    ExitCode::from(exit::ERROR)
}

fn explain(pack: &RulePack, id: &str) -> ExitCode {
    if let Some(rule) = pack.rule(id) {
        return print_escaped(&listing::explain_rule(rule));
    }
    if let Some(sequence) = pack.sequences.iter().find(|s| s.id == id) {
        return print_escaped(&listing::explain_sequence(sequence));
    }
    let ids = pack
        .rules
        .iter()
        .map(|r| r.id.as_str())
        .chain(pack.sequences.iter().map(|s| s.id.as_str()));
    let hint = closest(id, ids.clone())
        .or_else(|| ids.clone().find(|known| known.contains(id)))
        .map(|close| format!("; did you mean `{close}`?"))
        .unwrap_or_default();
    eprintln!(
        "error: no rule or sequence `{}`{hint}",
        Untrusted::new(id).terminal()
    );
    ExitCode::from(exit::ERROR)
}
