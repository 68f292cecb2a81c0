//! `faultline rules`: list, test, lint and explain signatures.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand, ValueEnum};

use super::{RuleArgs, exit, print_diagnostics};
use crate::report::untrusted::Untrusted;
use crate::report::view::ProblemView;
use crate::rules::breadth::broad_patterns;
use crate::rules::diagnostic::Level;
use crate::rules::selftest;
use crate::rules::{Diagnostic, RulePack, RuleSources, load};
use crate::scan::Matcher;

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: RulesCommand,
}

/// Output format of `rules list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List every rule (id, class, severity, patterns).
    List {
        #[command(flatten)]
        rules: RuleArgs,
        #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Run every rule's and milestone's inline examples.
    Test {
        /// Rule files or directories to test (in addition to the embedded pack unless --no-default-rules).
        paths: Vec<PathBuf>,
        #[arg(long)]
        no_default_rules: bool,
    },
    /// Check rule files like a compiler: schema, regexes, ids, causes, speed, breadth.
    Lint {
        /// Rule files or directories to lint (default: the embedded pack).
        paths: Vec<PathBuf>,
        #[arg(long)]
        no_default_rules: bool,
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
    /// Show one rule: explanation, remediation, references, examples.
    Explain {
        id: String,
        #[command(flatten)]
        rules: RuleArgs,
    },
}

pub fn run(args: &RulesArgs) -> ExitCode {
    match &args.command {
        RulesCommand::List { rules, format } => match rules.load() {
            Ok(loaded) => {
                print!(
                    "{}",
                    crate::rules::listing::list(&loaded.pack, *format == ListFormat::Json)
                );
                ExitCode::from(exit::CLEAN)
            }
            Err(code) => code,
        },
        RulesCommand::Test {
            paths,
            no_default_rules,
        } => test(&RuleArgs {
            rules: paths.clone(),
            no_default_rules: *no_default_rules,
        }),
        RulesCommand::Lint {
            paths,
            no_default_rules,
            corpus,
        } => lint(paths, *no_default_rules, corpus.as_ref()),
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

fn explain(pack: &RulePack, id: &str) -> ExitCode {
    let Some(rule) = pack.rule(id) else {
        let close: Vec<&str> = pack
            .rules
            .iter()
            .map(|r| r.id.as_str())
            .filter(|r| r.contains(id) || id.contains(*r))
            .take(5)
            .collect();
        eprintln!(
            "error: no rule `{id}`{}",
            if close.is_empty() {
                String::new()
            } else {
                format!("; did you mean: {}", close.join(", "))
            }
        );
        return ExitCode::from(exit::ERROR);
    };
    println!("{} — {}", rule.id, rule.title);
    println!(
        "class: {}   severity: {}   defined at {}:{}",
        rule.class, rule.severity, rule.origin.file, rule.origin.line
    );
    if !rule.description.is_empty() {
        println!("\n{}", rule.description);
    }
    println!("\npatterns:");
    for p in &rule.patterns {
        println!("  {}", p.source);
    }
    for (label, list) in [("all of", &rule.all), ("not", &rule.not)] {
        if !list.is_empty() {
            println!("{label}:");
            for re in list {
                println!("  {}", re.as_str());
            }
        }
    }
    if let Some(explain) = &rule.explain {
        println!("\nexplanation: {explain}");
    }
    if !rule.remediation.is_empty() {
        println!(
            "\nremediation:\n  {}",
            rule.remediation.replace('\n', "\n  ")
        );
    }
    if !rule.references.is_empty() {
        println!("\nreferences:");
        for r in &rule.references {
            println!("  - {r}");
        }
    }
    if !rule.causes.is_empty() {
        println!("\ncauses: {}", rule.causes.join(", "));
    }
    println!("\nexamples (match):");
    for e in &rule.examples.must_match {
        println!("  ✔ {}", e.line);
    }
    println!("examples (no match):");
    for e in &rule.examples.no_match {
        println!("  ✘ {}", e.line);
    }
    ExitCode::from(exit::CLEAN)
}
