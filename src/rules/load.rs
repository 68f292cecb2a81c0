//! Loading rule files: YAML → validated, compiled [`RulePack`], or every
//! problem found as a [`Diagnostic`]. A broken file never half-loads.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use super::LazyRegex;
use serde_saphyr::{Location, Spanned};

use super::diagnostic::{Diagnostic, SourceText};
use super::literal::{MIN_NEEDLE_LEN, required_needles};
use super::model::{
    CLASSES, Example, Examples, Milestone, Origin, Pattern, Rule, RulePack, Sequence, Severity,
};
use super::schema::{ExamplesSpec, RuleFile, RuleSpec, SequenceSpec};
use super::spelling::closest;

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// The levels a rule may filter on.
pub const LEVELS: [&str; 5] = ["debug", "info", "warning", "error", "critical"];

/// Rule files larger than this are rejected before parsing.
const MAX_RULE_FILE_BYTES: usize = 8 << 20;

/// The outcome of loading: the pack and any warnings, or the errors.
pub struct Loaded {
    pub pack: RulePack,
    pub warnings: Vec<Diagnostic>,
}

/// Where rules come from: the embedded pack and/or files given by the user.
/// Later layers override earlier ones rule by rule (same id).
pub struct RuleSources {
    /// The rule files of each layer, earliest (overridden) first.
    pub layers: Vec<Vec<Arc<SourceText>>>,
}

impl RuleSources {
    /// The embedded default pack, plus `extra` files and directories unless
    /// `no_default` is set.
    pub fn new(extra: &[PathBuf], no_default: bool) -> Result<Self, Vec<Diagnostic>> {
        let mut layers = Vec::new();
        if !no_default {
            layers.push(embedded());
        }
        if !extra.is_empty() {
            layers.push(read_paths(extra)?);
        }
        Ok(RuleSources { layers })
    }

    /// Every rule file, layer by layer.
    pub fn files(&self) -> impl Iterator<Item = &Arc<SourceText>> {
        self.layers.iter().flatten()
    }
}

/// The embedded pack as source texts.
pub fn embedded() -> Vec<Arc<SourceText>> {
    EMBEDDED_RULES
        .iter()
        .map(|(name, text)| {
            Arc::new(SourceText {
                name: (*name).to_string(),
                text: (*text).to_string(),
                embedded: true,
            })
        })
        .collect()
}

fn io_diagnostic(path: &Path, message: String) -> Diagnostic {
    let source = Arc::new(SourceText {
        name: path.display().to_string(),
        text: String::new(),
        embedded: false,
    });
    Diagnostic::error("io", &source, Location::UNKNOWN, message)
}

/// Reads rule files, recursing into directories for `*.yaml` / `*.yml`.
pub fn read_paths(paths: &[PathBuf]) -> Result<Vec<Arc<SourceText>>, Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        collect_yaml(path, &mut files, &mut errors, 0);
    }
    let mut sources = Vec::new();
    for file in files {
        match std::fs::metadata(&file) {
            Ok(meta) if meta.len() as usize > MAX_RULE_FILE_BYTES => {
                errors.push(io_diagnostic(
                    &file,
                    format!(
                        "rule file is {} bytes; the limit is {MAX_RULE_FILE_BYTES}",
                        meta.len()
                    ),
                ));
                continue;
            }
            _ => {}
        }
        match std::fs::read(&file) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => sources.push(Arc::new(SourceText {
                    name: file.display().to_string(),
                    text,
                    embedded: false,
                })),
                Err(_) => errors.push(io_diagnostic(&file, "rule file is not valid UTF-8".into())),
            },
            Err(e) => errors.push(io_diagnostic(&file, format!("cannot read rule file: {e}"))),
        }
    }
    if errors.is_empty() {
        Ok(sources)
    } else {
        Err(errors)
    }
}

fn collect_yaml(path: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<Diagnostic>, depth: usize) {
    if depth > 32 {
        errors.push(io_diagnostic(
            path,
            "directory nesting too deep (symlink loop?)".into(),
        ));
        return;
    }
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
                Ok(rd) => rd.flatten().map(|e| e.path()).collect(),
                Err(e) => {
                    errors.push(io_diagnostic(path, format!("cannot read directory: {e}")));
                    return;
                }
            };
            entries.sort();
            for entry in entries {
                let is_yaml = matches!(
                    entry.extension().and_then(|e| e.to_str()),
                    Some("yaml" | "yml")
                );
                if entry.is_dir() || is_yaml {
                    collect_yaml(&entry, files, errors, depth + 1);
                }
            }
        }
        Ok(_) => files.push(path.to_path_buf()),
        Err(e) => errors.push(io_diagnostic(path, format!("cannot read rule path: {e}"))),
    }
}

/// The embedded pack alone, for tests (`rules test` and the test suite
/// check that it loads).
#[cfg(test)]
pub(crate) fn embedded_pack() -> RulePack {
    let sources = RuleSources::new(&[], false).expect("the embedded sources");
    match load(&sources) {
        Ok(loaded) => loaded.pack,
        Err(errors) => panic!("the embedded pack loads: {} errors", errors.len()),
    }
}

/// Parses, validates and compiles every layer into one pack.
pub fn load(sources: &RuleSources) -> Result<Loaded, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut rules: Vec<(Rule, Vec<Location>, Arc<SourceText>)> = Vec::new();
    let mut sequences: Vec<Sequence> = Vec::new();
    for layer in &sources.layers {
        // Files compile in parallel (regex compilation is most of start-up);
        // ids are then checked in file order, so the result is the same.
        let compiled: Vec<CompiledFile> = layer.par_iter().map(compile_file).collect();
        let mut seen: HashMap<String, (Arc<SourceText>, Location)> = HashMap::new();
        for (source, file) in layer.iter().zip(compiled) {
            errors.extend(file.errors);
            warnings.extend(file.warnings);
            for entry in file.rules {
                if let Some((first_source, first_at)) = seen.get(&entry.id) {
                    let (line, _) =
                        Diagnostic::error("x", first_source, *first_at, "").line_column();
                    errors.push(
                        Diagnostic::error(
                            "duplicate-id",
                            source,
                            entry.id_at,
                            format!("duplicate rule id `{}`", entry.id),
                        )
                        .with_hint(format!(
                            "first defined at {}:{line}; ids must be unique",
                            first_source.name
                        )),
                    );
                    continue;
                }
                seen.insert(entry.id, (Arc::clone(source), entry.id_at));
                if let Some(rule) = entry.rule {
                    rules.retain(|(r, _, _)| r.id != rule.id);
                    rules.push((rule, entry.cause_locations, Arc::clone(source)));
                }
            }
            for sequence in file.sequences {
                sequences.retain(|s| s.id != sequence.id);
                sequences.push(sequence);
            }
        }
    }
    check_causes(&rules, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let pack = RulePack {
        rules: rules.into_iter().map(|(r, _, _)| r).collect(),
        sequences,
    };
    Ok(Loaded { pack, warnings })
}

/// One rule file parsed and compiled on its own.
struct CompiledFile {
    rules: Vec<CompiledRule>,
    sequences: Vec<Sequence>,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

/// A rule of a file: its id (checked for duplicates across files) and the
/// compiled rule, `None` if it had errors.
struct CompiledRule {
    id: String,
    id_at: Location,
    cause_locations: Vec<Location>,
    rule: Option<Rule>,
}

fn compile_file(source: &Arc<SourceText>) -> CompiledFile {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let Some(file) = parse_file(source, &mut errors) else {
        return CompiledFile {
            rules: Vec::new(),
            sequences: Vec::new(),
            errors,
            warnings,
        };
    };
    let rules = file
        .rules
        .into_iter()
        .map(|spec| CompiledRule {
            id: spec.id.value.clone(),
            id_at: spec.id.referenced,
            cause_locations: spec.causes.iter().map(|c| c.referenced).collect(),
            rule: compile_rule(spec, source, &mut errors, &mut warnings),
        })
        .collect();
    let sequences = file
        .sequences
        .into_iter()
        .filter_map(|spec| compile_sequence(spec, source, &mut errors, &mut warnings))
        .collect();
    CompiledFile {
        rules,
        sequences,
        errors,
        warnings,
    }
}

fn parse_file(source: &Arc<SourceText>, errors: &mut Vec<Diagnostic>) -> Option<RuleFile> {
    if source.text.trim().is_empty() {
        return Some(RuleFile::default());
    }
    match serde_saphyr::from_str::<RuleFile>(&source.text) {
        Ok(file) => Some(file),
        Err(e) => {
            errors.push(yaml_diagnostic(source, &e));
            None
        }
    }
}

const RULE_FIELDS: &str = "id, title, class, severity, description, patterns, all, not, levels, services, raised_in, not_raised_in, explain, remediation, references, causes, outcome, examples";

fn yaml_diagnostic(source: &Arc<SourceText>, error: &serde_saphyr::Error) -> Diagnostic {
    let at = error.location().unwrap_or(Location::UNKNOWN);
    let text = error.without_snippet().render_with_options(
        serde_saphyr::render_options! { snippets: serde_saphyr::SnippetMode::Off },
    );
    let message = text.lines().next().unwrap_or("invalid YAML").to_string();
    let lower = message.to_lowercase();
    let (code, hint) = if lower.contains("unknown field") {
        (
            "unknown-field",
            format!(
                "valid fields of a rule: {RULE_FIELDS}; of a sequence: id, title, description, correlate, restart, milestones"
            ),
        )
    } else if lower.contains("missing field") {
        (
            "missing-field",
            format!(
                "a rule needs at least id, title, class, severity and patterns; all fields: {RULE_FIELDS}"
            ),
        )
    } else if lower.contains("invalid type")
        || lower.contains("expected") && !lower.contains("while")
    {
        (
            "wrong-type",
            "check the value's type: lists are `[a, b]` or `- a` items, text may need quotes"
                .to_string(),
        )
    } else if lower.contains("budget") || lower.contains("alias") || lower.contains("limit") {
        ("yaml-limit", "the file exceeds a parser limit (size, nesting or alias expansion); rule files should be small and flat".to_string())
    } else {
        (
            "yaml-syntax",
            "check indentation and quoting near this position".to_string(),
        )
    };
    Diagnostic::error(code, source, at, message).with_hint(hint)
}

fn origin(source: &SourceText, at: Location) -> Origin {
    Origin {
        file: source.name.clone(),
        line: at.line(),
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'))
}

fn check_id(id: &Spanned<String>, source: &Arc<SourceText>, errors: &mut Vec<Diagnostic>) {
    if !valid_id(&id.value) {
        errors.push(
            Diagnostic::error("invalid-id", source, id.referenced, format!("invalid id `{}`", id.value))
                .with_hint("ids are lower case, dotted and stable: letters, digits, `.`, `-`, `_` (e.g. `python.module-not-found`)"),
        );
    }
}

fn compile_rule(
    spec: RuleSpec,
    source: &Arc<SourceText>,
    errors: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Diagnostic>,
) -> Option<Rule> {
    let before = errors.len();
    check_id(&spec.id, source, errors);
    let severity = spec.severity.value.parse::<Severity>().map_err(|message| {
        let mut diagnostic = Diagnostic::error(
            "unknown-severity",
            source,
            spec.severity.referenced,
            message,
        );
        if let Some(close) = closest(&spec.severity.value, Severity::NAMES) {
            diagnostic = diagnostic.with_hint(format!("did you mean `{close}`?"));
        }
        errors.push(diagnostic);
    });
    if !CLASSES.contains(&spec.class.value.as_str()) {
        let hint = match closest(&spec.class.value, CLASSES.iter().copied()) {
            Some(close) => format!("did you mean `{close}`? (classes: docs/failure-classes.md)"),
            None => format!("classes (docs/failure-classes.md): {}", CLASSES.join(", ")),
        };
        errors.push(
            Diagnostic::error(
                "unknown-class",
                source,
                spec.class.referenced,
                format!("unknown class `{}`", spec.class.value),
            )
            .with_hint(hint),
        );
    }
    if spec.patterns.is_empty() {
        errors.push(Diagnostic::error(
            "no-patterns",
            source,
            spec.id.referenced,
            format!("rule `{}` has no patterns", spec.id.value),
        ));
    }
    for level in &spec.levels {
        if !LEVELS.contains(&level.value.as_str()) {
            errors.push(
                Diagnostic::error(
                    "unknown-level",
                    source,
                    level.referenced,
                    format!("unknown level `{}`", level.value),
                )
                .with_hint(format!("levels: {}", LEVELS.join(", "))),
            );
        }
    }
    let patterns = compile_patterns(&spec.patterns, source, errors, warnings);
    let all = compile_plain(&spec.all, source, errors);
    let not = compile_plain(&spec.not, source, errors);
    let raised_in = compile_plain(&spec.raised_in, source, errors);
    let not_raised_in = compile_plain(&spec.not_raised_in, source, errors);
    let services = compile_services(&spec.services, source, errors);
    if let (Some(explain), Some(patterns)) = (&spec.explain, &patterns) {
        check_placeholders(explain, patterns, source, errors);
    }
    let examples = examples(&spec.examples, source);
    if errors.len() > before {
        return None;
    }
    Some(Rule {
        id: spec.id.value,
        title: spec.title,
        class: spec.class.value,
        severity: severity.ok()?,
        description: spec.description.trim().to_string(),
        patterns: patterns?,
        all: all?,
        not: not?,
        levels: spec.levels.into_iter().map(|l| l.value).collect(),
        services: services?,
        service_globs: spec.services.into_iter().map(|s| s.value).collect(),
        explain: spec.explain.map(|e| e.value.trim().to_string()),
        remediation: spec.remediation.trim().to_string(),
        references: spec.references,
        causes: spec.causes.into_iter().map(|c| c.value).collect(),
        outcome: spec.outcome,
        raised_in: raised_in?,
        not_raised_in: not_raised_in?,
        examples,
        origin: origin(source, spec.id.referenced),
    })
}

fn compile_sequence(
    spec: SequenceSpec,
    source: &Arc<SourceText>,
    errors: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Diagnostic>,
) -> Option<Sequence> {
    let before = errors.len();
    check_id(&spec.id, source, errors);
    if spec.milestones.is_empty() {
        errors.push(Diagnostic::error(
            "no-milestones",
            source,
            spec.id.referenced,
            format!("sequence `{}` has no milestones", spec.id.value),
        ));
    }
    let mut ids = HashSet::new();
    let mut milestones = Vec::new();
    for m in spec.milestones {
        check_id(&m.id, source, errors);
        if !ids.insert(m.id.value.clone()) {
            errors.push(Diagnostic::error(
                "duplicate-id",
                source,
                m.id.referenced,
                format!("duplicate milestone id `{}`", m.id.value),
            ));
        }
        let Some(patterns) = compile_patterns(&m.patterns, source, errors, warnings) else {
            continue;
        };
        if let Some(correlate) = &spec.correlate
            && !patterns
                .iter()
                .all(|p| p.regex.capture_names().contains(&correlate.value))
        {
            warnings.push(
                Diagnostic::warning("uncorrelated-milestone", source, m.id.referenced, format!("milestone `{}` does not capture `{}`", m.id.value, correlate.value))
                    .with_hint("lines of this milestone cannot be told apart between interleaved runs; add a named capture"),
            );
        }
        milestones.push(Milestone {
            id: m.id.value,
            title: m.title,
            patterns,
            examples: examples(&m.examples, source),
        });
    }
    if errors.len() > before {
        return None;
    }
    Some(Sequence {
        id: spec.id.value,
        title: spec.title,
        correlate: spec.correlate.map(|c| c.value),
        restart: spec.restart,
        milestones,
    })
}

fn examples(spec: &ExamplesSpec, source: &SourceText) -> Examples {
    Examples {
        must_match: spec
            .must_match
            .iter()
            .map(|e| Example {
                line: e.value.line().to_string(),
                captures: e
                    .value
                    .captures()
                    .map(|c| c.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
                origin: origin(source, e.referenced),
            })
            .collect(),
        no_match: spec
            .no_match
            .iter()
            .map(|e| Example {
                line: e.value.clone(),
                captures: None,
                origin: origin(source, e.referenced),
            })
            .collect(),
    }
}

/// Compiles one regex, pointing into the pattern on failure.
fn compile_regex(
    pattern: &Spanned<String>,
    source: &Arc<SourceText>,
) -> Result<(LazyRegex, regex_syntax::hir::Hir), Diagnostic> {
    let text = pattern.value.as_str();
    let fail = |offset: usize, len: usize, message: String| {
        Diagnostic::error("invalid-regex", source, pattern.referenced, message)
            .narrowed(offset, len)
            .with_hint("patterns use Rust regex syntax (docs.rs/regex): no lookaround or backreferences; named captures are `(?P<name>...)`")
    };
    let at_span = |span: &regex_syntax::ast::Span, kind: &dyn std::fmt::Display| {
        fail(
            span.start.offset,
            span.end.offset - span.start.offset,
            format!("invalid regex: {kind}"),
        )
    };
    let ast = regex_syntax::ast::parse::Parser::new()
        .parse(text)
        .map_err(|e| at_span(e.span(), e.kind()))?;
    let hir = regex_syntax::hir::translate::Translator::new()
        .translate(text, &ast)
        .map_err(|e| at_span(e.span(), e.kind()))?;
    let regex = LazyRegex::new(text, &hir, !source.embedded).map_err(|e| {
        fail(
            0,
            text.len(),
            format!(
                "regex rejected: {}",
                e.to_string().lines().last().unwrap_or("too large")
            ),
        )
    })?;
    Ok((regex, hir))
}

fn compile_patterns(
    specs: &[Spanned<String>],
    source: &Arc<SourceText>,
    errors: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Diagnostic>,
) -> Option<Vec<Pattern>> {
    let mut out = Vec::new();
    let mut ok = true;
    for spec in specs {
        match compile_regex(spec, source) {
            Ok((regex, hir)) => {
                let needles = required_needles(&hir);
                if needles.is_none() {
                    warnings.push(
                        Diagnostic::warning("slow-pattern", source, spec.referenced, format!("no literal of {MIN_NEEDLE_LEN}+ characters is required by this pattern: every line must be checked"))
                            .with_hint("make the pattern require a distinctive literal (e.g. the exception name) so the prefilter can skip most lines"),
                    );
                }
                out.push(Pattern {
                    source: spec.value.clone(),
                    regex,
                    needles,
                });
            }
            Err(d) => {
                errors.push(d);
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

fn compile_plain(
    specs: &[Spanned<String>],
    source: &Arc<SourceText>,
    errors: &mut Vec<Diagnostic>,
) -> Option<Vec<LazyRegex>> {
    let mut out = Vec::new();
    let mut ok = true;
    for spec in specs {
        match compile_regex(spec, source) {
            Ok((regex, _)) => out.push(regex),
            Err(d) => {
                errors.push(d);
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

fn compile_services(
    specs: &[Spanned<String>],
    source: &Arc<SourceText>,
    errors: &mut Vec<Diagnostic>,
) -> Option<Option<globset::GlobSet>> {
    if specs.is_empty() {
        return Some(None);
    }
    let mut builder = globset::GlobSetBuilder::new();
    let mut ok = true;
    for spec in specs {
        match globset::Glob::new(&spec.value) {
            Ok(glob) => {
                builder.add(glob);
            }
            Err(e) => {
                errors.push(Diagnostic::error(
                    "invalid-glob",
                    source,
                    spec.referenced,
                    format!("invalid service glob: {e}"),
                ));
                ok = false;
            }
        }
    }
    if !ok {
        return None;
    }
    builder.build().ok().map(Some)
}

fn check_placeholders(
    explain: &Spanned<String>,
    patterns: &[Pattern],
    source: &Arc<SourceText>,
    errors: &mut Vec<Diagnostic>,
) {
    let mut rest = explain.value.as_str();
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + close];
        let everywhere = patterns
            .iter()
            .all(|p| p.regex.capture_names().iter().any(|n| n == name));
        if !everywhere {
            errors.push(
                Diagnostic::error("unknown-capture", source, explain.referenced, format!("`{{{name}}}` is not captured by every pattern"))
                    .with_hint("each pattern must define the named capture `(?P<NAME>...)` that the explanation uses"),
            );
        }
        rest = &rest[open + close + 1..];
    }
}

/// `causes` must name existing rules and must not form a cycle.
fn check_causes(rules: &[(Rule, Vec<Location>, Arc<SourceText>)], errors: &mut Vec<Diagnostic>) {
    let ids: HashSet<&str> = rules.iter().map(|(r, _, _)| r.id.as_str()).collect();
    for (rule, locations, source) in rules {
        for (cause, at) in rule.causes.iter().zip(locations) {
            if !ids.contains(cause.as_str()) {
                errors.push(
                    Diagnostic::error("unknown-cause", source, *at, format!("rule `{}` lists unknown rule `{cause}` in `causes`", rule.id))
                        .with_hint("`causes` names the ids of rules this failure brings about; check the spelling or load the file that defines it"),
                );
            }
        }
    }
    let graph: BTreeMap<&str, Vec<&str>> = rules
        .iter()
        .map(|(r, _, _)| (r.id.as_str(), r.causes.iter().map(String::as_str).collect()))
        .collect();
    if let Some(cycle) = find_cycle(&graph)
        && let Some((rule, locations, source)) = rules.iter().find(|(r, _, _)| r.id == cycle[0])
        && let Some(at) = rule
            .causes
            .iter()
            .position(|c| c == cycle[1])
            .and_then(|i| locations.get(i))
    {
        errors.push(
            Diagnostic::error(
                "causal-cycle",
                source,
                *at,
                format!("causal cycle: {}", cycle.join(" → ")),
            )
            .with_hint(
                "a failure cannot (indirectly) cause itself; remove one of the `causes` links",
            ),
        );
    }
}

fn find_cycle<'a>(graph: &BTreeMap<&'a str, Vec<&'a str>>) -> Option<Vec<&'a str>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Active,
        Done,
    }
    fn visit<'a>(
        node: &'a str,
        graph: &BTreeMap<&'a str, Vec<&'a str>>,
        marks: &mut HashMap<&'a str, Mark>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<&'a str>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Active) => {
                let start = path.iter().position(|n| *n == node).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(node);
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node, Mark::Active);
        path.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, marks, path) {
                return Some(cycle);
            }
        }
        path.pop();
        marks.insert(node, Mark::Done);
        None
    }
    let mut marks = HashMap::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut marks, &mut Vec::new()))
}
