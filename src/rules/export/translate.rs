//! One rule regex (Rust `regex` syntax) rewritten for another engine's
//! dialect from its parsed form, never by string edits: RE2 (Loki, DuckDB)
//! or Lucene `regexp` (Elasticsearch).
//!
//! The two dialects differ from Rust where it matters for a log line:
//!
//! - `\w`, `\d`, `\s` and `\b` are Unicode-aware in Rust and ASCII-only in
//!   RE2, and Lucene has no Unicode classes at all. Classes are therefore
//!   written out from the parsed class (its ranges, or RE2 `\p{..}`
//!   categories plus the difference), so the target sees the same set.
//! - RE2 has no look-around, so a Unicode `\b` cannot be copied. It is
//!   decided from what can stand on either side of it: dropped where it
//!   always holds, or, at the start or end of the pattern, written as the
//!   character that must (not) be a word character there.
//! - Lucene matches the whole field value and has no anchors: the pattern is
//!   wrapped in `.*` on the sides where Rust would search, and `^` / `$`
//!   only count at the pattern's edges.
//! - Named groups (`(?P<name>…)`, which RE2 spells differently) become plain
//!   groups: an export only decides whether a line matches.
//!
//! Anything else is refused with a reason rather than rewritten into a
//! query that means something different.

use std::sync::LazyLock;

use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Look, Repetition};

/// The regex dialect of a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// RE2, as Loki's `|~` and DuckDB's `regexp_matches` use it (a search).
    Re2,
    /// Lucene `RegExp`, as Elasticsearch's `regexp` query uses it (anchored
    /// to the whole value, no Unicode classes).
    Lucene,
}

/// A pattern in the target dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Translation {
    pub(crate) text: String,
    /// Why the target may match other lines than faultline does (empty: exact).
    pub(crate) approximations: Vec<String>,
    /// The pattern uses `^` or `$`: it anchors at the message faultline
    /// matches after removing wrappers, which a store may keep.
    pub(crate) anchored: bool,
}

/// Why a pattern has no faithful form in a dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Untranslatable(pub(crate) String);

/// Characters RE2 reads as syntax, escaped when meant literally.
const RE2_META: &str = r"\.+*?()|[]{}^$-";

/// Why a Unicode `\b` written as RE2's `\b` is approximate.
const ASCII_BOUNDARY: &str = "a word boundary (\\b) between characters that may or may not be word characters is RE2's ASCII \\b: it differs from faultline's Unicode \\b where a non-ASCII letter or digit touches it";

/// Classes up to this many ranges are written out range by range.
const MAX_EXPLICIT_RANGES: usize = 32;

/// RE2 spellings of Unicode sets that a large class may start from (a
/// superset of the usual `\w` and `\d`), written with the categories RE2
/// knows; the rest of the class is listed explicitly.
const RE2_BASES: [&str; 3] = [
    r"\p{L}\p{M}\p{Nd}\p{Pc}\p{Nl}",
    r"\p{L}\p{M}\p{Nd}",
    r"\p{Nd}",
];

/// Rewrites one Rust regex for `dialect`.
pub(crate) fn translate(pattern: &str, dialect: Dialect) -> Result<Translation, Untranslatable> {
    let hir =
        regex_syntax::parse(pattern).map_err(|e| Untranslatable(format!("does not parse: {e}")))?;
    let mut writer = Writer {
        dialect,
        approximations: Vec::new(),
        anchored: false,
    };
    let edges = Ctx {
        before: Kinds::ANY,
        after: Kinds::ANY,
        leading: true,
        trailing: true,
    };
    let text = writer.hir(&hir, edges)?;
    let mut approximations = writer.approximations;
    approximations.dedup();
    Ok(Translation {
        text,
        approximations,
        anchored: writer.anchored,
    })
}

/// What may stand next to a position: a word character, another
/// character, the edge of the text; `EMPTY` marks a sub-pattern that can
/// match nothing at all (so its neighbour shows through).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Kinds(u8);

impl Kinds {
    const WORD: Kinds = Kinds(1);
    const OTHER: Kinds = Kinds(2);
    const EDGE: Kinds = Kinds(4);
    const EMPTY: Kinds = Kinds(8);
    const ANY: Kinds = Kinds(1 | 2 | 4);

    fn has(self, k: Kinds) -> bool {
        self.0 & k.0 != 0
    }
    fn or(self, k: Kinds) -> Kinds {
        Kinds(self.0 | k.0)
    }
    fn without(self, k: Kinds) -> Kinds {
        Kinds(self.0 & !k.0)
    }
    /// Only word characters.
    fn all_word(self) -> bool {
        self.0 != 0 && self.without(Kinds::WORD).0 == 0
    }
    /// Only non-word characters or the text's edge.
    fn no_word(self) -> bool {
        self.0 != 0 && !self.has(Kinds::WORD)
    }
}

/// Where a sub-pattern sits: what may precede and follow it, and whether
/// nothing consuming comes before (`leading`) or after (`trailing`) it in
/// the whole pattern.
#[derive(Debug, Clone, Copy)]
struct Ctx {
    before: Kinds,
    after: Kinds,
    leading: bool,
    trailing: bool,
}

fn char_kind(c: char) -> Kinds {
    if regex_syntax::is_word_character(c) {
        Kinds::WORD
    } else {
        Kinds::OTHER
    }
}

fn unicode_class(class: &Class) -> Option<ClassUnicode> {
    match class {
        Class::Unicode(u) => Some(u.clone()),
        // A byte class from `(?-u)`: the same set when it is all ASCII.
        Class::Bytes(b) => b.to_unicode_class(),
    }
}

/// The class a pattern spells, parsed once (`\w` and the RE2 bases are
/// consulted for every class of every pattern).
fn parsed_class(spelling: &str) -> ClassUnicode {
    match regex_syntax::parse(spelling).map(|h| h.kind().clone()) {
        Ok(HirKind::Class(Class::Unicode(u))) => u,
        _ => ClassUnicode::empty(),
    }
}

/// Rust's Unicode `\w`.
fn word_class() -> &'static ClassUnicode {
    static WORD: LazyLock<ClassUnicode> = LazyLock::new(|| parsed_class(r"\w"));
    &WORD
}

/// The [`RE2_BASES`] with their sets.
fn re2_bases() -> &'static [(&'static str, ClassUnicode)] {
    static BASES: LazyLock<Vec<(&str, ClassUnicode)>> = LazyLock::new(|| {
        RE2_BASES
            .iter()
            .map(|base| (*base, parsed_class(&format!("[{base}]"))))
            .collect()
    });
    &BASES
}

fn class_kinds(class: &ClassUnicode) -> Kinds {
    let word = word_class();
    let mut inside = class.clone();
    inside.intersect(word);
    let mut outside = class.clone();
    outside.difference(word);
    let mut kinds = Kinds(0);
    if !inside.ranges().is_empty() {
        kinds = kinds.or(Kinds::WORD);
    }
    if !outside.ranges().is_empty() {
        kinds = kinds.or(Kinds::OTHER);
    }
    kinds
}

/// What the first character of a match of `hir` may be.
fn first(hir: &Hir) -> Kinds {
    edge_kinds(hir, true)
}

/// What the last character of a match of `hir` may be.
fn last(hir: &Hir) -> Kinds {
    edge_kinds(hir, false)
}

fn edge_kinds(hir: &Hir, front: bool) -> Kinds {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Kinds::EMPTY,
        HirKind::Literal(lit) => {
            let text = String::from_utf8_lossy(&lit.0);
            let c = if front {
                text.chars().next()
            } else {
                text.chars().next_back()
            };
            c.map_or(Kinds::EMPTY, char_kind)
        }
        HirKind::Class(class) => unicode_class(class).map_or(Kinds::ANY, |u| class_kinds(&u)),
        HirKind::Repetition(rep) => {
            let kinds = edge_kinds(&rep.sub, front);
            if rep.min == 0 {
                kinds.or(Kinds::EMPTY)
            } else {
                kinds
            }
        }
        HirKind::Capture(cap) => edge_kinds(&cap.sub, front),
        HirKind::Alternation(branches) => branches
            .iter()
            .fold(Kinds(0), |acc, b| acc.or(edge_kinds(b, front))),
        HirKind::Concat(subs) => {
            let mut acc = Kinds(0);
            let ordered: Box<dyn Iterator<Item = &Hir>> = if front {
                Box::new(subs.iter())
            } else {
                Box::new(subs.iter().rev())
            };
            for sub in ordered {
                let kinds = edge_kinds(sub, front);
                acc = acc.or(kinds.without(Kinds::EMPTY));
                if !kinds.has(Kinds::EMPTY) {
                    return acc;
                }
            }
            acc.or(Kinds::EMPTY)
        }
    }
}

/// `kinds` seen through a sub-pattern that may match nothing: its own
/// edge characters, plus what lies beyond it when it can be empty.
fn through(own: Kinds, beyond: Kinds) -> Kinds {
    if own.has(Kinds::EMPTY) {
        own.without(Kinds::EMPTY).or(beyond)
    } else {
        own
    }
}

/// Whether `hir` is written as one unit that a repetition can follow
/// (one character, a class, a group).
fn is_atom(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Literal(lit) => String::from_utf8_lossy(&lit.0).chars().count() == 1,
        HirKind::Class(_) | HirKind::Alternation(_) => true,
        HirKind::Capture(cap) => is_atom(&cap.sub),
        _ => false,
    }
}

fn is_zero_width(hir: &Hir) -> bool {
    matches!(hir.kind(), HirKind::Look(_) | HirKind::Empty)
}

/// How a Unicode `\b` (or `\B` when `negated`) between `before` and
/// `after` is written.
enum Boundary {
    /// Always holds there: nothing to write.
    Always,
    /// At the pattern's start: the character before the match must be a
    /// word character (`true`) or must not be one, or be the text's start.
    Leading(bool),
    /// At the pattern's end: likewise for the character after.
    Trailing(bool),
}

fn boundary(before: Kinds, after: Kinds, ctx: Ctx, negated: bool) -> Result<Boundary, String> {
    let differ = (before.all_word() && after.no_word()) || (before.no_word() && after.all_word());
    let same = (before.all_word() && after.all_word()) || (before.no_word() && after.no_word());
    if (differ && !negated) || (same && negated) {
        return Ok(Boundary::Always);
    }
    if differ || same {
        return Err("a word boundary that can never hold there".into());
    }
    // The side inside the pattern is known; the other is the text around
    // the match, which only a pattern edge lets us constrain.
    if ctx.leading && (after.all_word() || after.no_word()) {
        return Ok(Boundary::Leading(after.no_word() != negated));
    }
    if ctx.trailing && (before.all_word() || before.no_word()) {
        return Ok(Boundary::Trailing(before.no_word() != negated));
    }
    Err(format!(
        "a Unicode word boundary (`{}`) next to text that may or may not be a word character: Lucene has no word boundaries",
        if negated { r"\B" } else { r"\b" }
    ))
}

struct Writer {
    dialect: Dialect,
    approximations: Vec<String>,
    anchored: bool,
}

impl Writer {
    fn hir(&mut self, hir: &Hir, ctx: Ctx) -> Result<String, Untranslatable> {
        match hir.kind() {
            HirKind::Empty => Ok(self.consuming(self.empty(), ctx)),
            HirKind::Literal(lit) => {
                let text = std::str::from_utf8(&lit.0)
                    .map_err(|_| Untranslatable("matches bytes that are not UTF-8".into()))?;
                let escaped: String = text.chars().map(|c| self.escape(c, false)).collect();
                Ok(self.consuming(escaped, ctx))
            }
            HirKind::Class(class) => {
                let unicode = unicode_class(class).ok_or_else(|| {
                    Untranslatable("a byte class with non-ASCII bytes ((?-u))".into())
                })?;
                let text = self.class(&unicode)?;
                Ok(self.consuming(text, ctx))
            }
            HirKind::Look(look) => self.look(*look, ctx),
            HirKind::Repetition(rep) => {
                let inner = Ctx {
                    before: through(last(&rep.sub), ctx.before).or(ctx.before),
                    after: through(first(&rep.sub), ctx.after).or(ctx.after),
                    leading: false,
                    trailing: false,
                };
                let sub = self.hir(&rep.sub, inner)?;
                let sub = if is_atom(&rep.sub) {
                    sub
                } else {
                    self.group(sub)
                };
                let text = format!("{sub}{}", repeat(rep));
                Ok(self.consuming(text, ctx))
            }
            // A group only for matching: alternations group themselves and
            // repetitions group what needs it.
            HirKind::Capture(cap) => self.hir(&cap.sub, ctx),
            HirKind::Alternation(branches) => {
                let parts = branches
                    .iter()
                    .map(|b| self.hir(b, ctx))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(self.group(parts.join("|")))
            }
            HirKind::Concat(subs) => self.concat(subs, ctx),
        }
    }

    fn concat(&mut self, subs: &[Hir], ctx: Ctx) -> Result<String, Untranslatable> {
        // What precedes each sub-pattern, and what follows it.
        let mut befores = Vec::with_capacity(subs.len());
        let mut before = ctx.before;
        for sub in subs {
            befores.push(before);
            before = match sub.kind() {
                HirKind::Look(Look::Start) => Kinds::EDGE,
                HirKind::Look(Look::StartLF) => Kinds::EDGE.or(Kinds::OTHER),
                _ => through(last(sub), before),
            };
        }
        let mut afters = vec![ctx.after; subs.len()];
        let mut after = ctx.after;
        for (i, sub) in subs.iter().enumerate().rev() {
            afters[i] = after;
            after = match sub.kind() {
                HirKind::Look(Look::End) => Kinds::EDGE,
                HirKind::Look(Look::EndLF) => Kinds::EDGE.or(Kinds::OTHER),
                _ => through(first(sub), after),
            };
        }
        // Which sub-pattern is the first (last) to consume text; zero-width
        // ones before (after) it keep the pattern's edge.
        let mut trailing = vec![false; subs.len()];
        let mut trail = ctx.trailing;
        for (i, sub) in subs.iter().enumerate().rev() {
            trailing[i] = trail;
            let cx = Ctx {
                before: befores[i],
                after: afters[i],
                leading: false,
                trailing: trail,
            };
            if !self.keeps_edge(sub, cx) {
                trail = false;
            }
        }
        let mut out = String::new();
        let mut lead = ctx.leading;
        for (i, sub) in subs.iter().enumerate() {
            let cx = Ctx {
                before: befores[i],
                after: afters[i],
                leading: lead,
                trailing: trailing[i],
            };
            if !self.keeps_edge(sub, cx) {
                lead = false;
            }
            out.push_str(&self.hir(sub, cx)?);
        }
        Ok(out)
    }

    /// Whether a sub-pattern leaves the pattern's edge to its neighbour: a
    /// zero-width assertion that is not itself written at the edge.
    fn keeps_edge(&self, hir: &Hir, ctx: Ctx) -> bool {
        match hir.kind() {
            HirKind::Look(Look::Start | Look::End) => self.dialect == Dialect::Re2,
            HirKind::Look(look @ (Look::WordUnicode | Look::WordUnicodeNegate)) => matches!(
                boundary(ctx.before, ctx.after, ctx, *look == Look::WordUnicodeNegate),
                Ok(Boundary::Always)
            ),
            _ => is_zero_width(hir) && !matches!(hir.kind(), HirKind::Empty),
        }
    }

    fn look(&mut self, look: Look, ctx: Ctx) -> Result<String, Untranslatable> {
        let lucene = self.dialect == Dialect::Lucene;
        match look {
            Look::Start | Look::End => {
                self.anchored = true;
                let at_edge = if look == Look::Start {
                    ctx.leading
                } else {
                    ctx.trailing
                };
                match (lucene, at_edge) {
                    (false, _) => Ok(if look == Look::Start { "^" } else { "$" }.into()),
                    (true, true) => Ok(String::new()),
                    (true, false) => Err(Untranslatable(
                        "`^` or `$` inside the pattern: Lucene has no anchors".into(),
                    )),
                }
            }
            Look::StartLF | Look::EndLF if !lucene => {
                self.anchored = true;
                Ok(if look == Look::StartLF {
                    "(?m:^)"
                } else {
                    "(?m:$)"
                }
                .into())
            }
            Look::WordAscii if !lucene => Ok(r"\b".into()),
            Look::WordAsciiNegate if !lucene => Ok(r"\B".into()),
            Look::WordUnicode | Look::WordUnicodeNegate => {
                let negated = look == Look::WordUnicodeNegate;
                let found = match boundary(ctx.before, ctx.after, ctx, negated) {
                    Ok(found) => found,
                    // RE2's own boundary is right wherever the neighbours are
                    // ASCII: close, and said so.
                    Err(_) if self.dialect == Dialect::Re2 => {
                        self.approximations.push(ASCII_BOUNDARY.into());
                        return Ok(if negated { r"\B" } else { r"\b" }.into());
                    }
                    Err(why) => return Err(Untranslatable(why)),
                };
                let word = self.class(word_class())?;
                let mut other = word_class().clone();
                other.negate();
                let other = self.class(&other)?;
                Ok(match (found, self.dialect) {
                    (Boundary::Always, _) => String::new(),
                    (Boundary::Leading(true), Dialect::Re2) => word,
                    (Boundary::Leading(false), Dialect::Re2) => format!("(?:^|{other})"),
                    (Boundary::Trailing(true), Dialect::Re2) => word,
                    (Boundary::Trailing(false), Dialect::Re2) => format!("(?:$|{other})"),
                    (Boundary::Leading(true), Dialect::Lucene) => format!(".*{word}"),
                    (Boundary::Leading(false), Dialect::Lucene) => format!("(.*{other})?"),
                    (Boundary::Trailing(true), Dialect::Lucene) => format!("{word}.*"),
                    (Boundary::Trailing(false), Dialect::Lucene) => format!("({other}.*)?"),
                })
            }
            other => Err(Untranslatable(format!(
                "the assertion {other:?} has no equivalent in {}",
                self.dialect_name()
            ))),
        }
    }

    fn dialect_name(&self) -> &'static str {
        match self.dialect {
            Dialect::Re2 => "RE2",
            Dialect::Lucene => "Lucene regexp",
        }
    }

    /// A consuming piece: Lucene matches whole values, so a piece at the
    /// pattern's edge takes the `.*` that Rust's search implies.
    fn consuming(&self, text: String, ctx: Ctx) -> String {
        if self.dialect == Dialect::Re2 {
            return text;
        }
        let pre = if ctx.leading { ".*" } else { "" };
        let post = if ctx.trailing { ".*" } else { "" };
        format!("{pre}{text}{post}")
    }

    fn empty(&self) -> String {
        match self.dialect {
            Dialect::Re2 => "(?:)".into(),
            Dialect::Lucene => "()".into(),
        }
    }

    fn group(&self, inner: String) -> String {
        match self.dialect {
            Dialect::Re2 => format!("(?:{inner})"),
            Dialect::Lucene => format!("({inner})"),
        }
    }

    /// One character, escaped for the dialect (inside a class if `in_class`).
    fn escape(&self, c: char, in_class: bool) -> String {
        if c.is_ascii_alphanumeric() || (c == ' ' && !in_class) {
            return c.to_string();
        }
        match self.dialect {
            // Lucene reserves most punctuation (`"`, `#`, `@`, `&`, `<`, `~`
            // too) and has no escapes for characters, which stand for
            // themselves.
            Dialect::Lucene if c.is_ascii_punctuation() || c == ' ' => format!("\\{c}"),
            Dialect::Lucene => c.to_string(),
            Dialect::Re2 if RE2_META.contains(c) || (in_class && c == ' ') => format!("\\{c}"),
            // Invisible or ambiguous characters, and every non-ASCII class
            // bound, by code point.
            Dialect::Re2
                if c.is_control()
                    || c.is_whitespace()
                    || ('\u{200B}'..='\u{200F}').contains(&c)
                    || ('\u{FE00}'..='\u{FE0F}').contains(&c)
                    || (in_class && !c.is_ascii()) =>
            {
                format!("\\x{{{:X}}}", c as u32)
            }
            Dialect::Re2 => c.to_string(),
        }
    }

    fn ranges(&self, ranges: &[ClassUnicodeRange]) -> String {
        ranges
            .iter()
            .map(|r| {
                if r.start() == r.end() {
                    self.escape(r.start(), true)
                } else {
                    format!(
                        "{}-{}",
                        self.escape(r.start(), true),
                        self.escape(r.end(), true)
                    )
                }
            })
            .collect()
    }

    /// A class as the dialect can say it: its ranges, its complement's, or
    /// (RE2) Unicode categories plus the difference; Lucene, which has no
    /// Unicode categories, gets the class's ASCII part and a note.
    fn class(&mut self, class: &ClassUnicode) -> Result<String, Untranslatable> {
        let mut complement = class.clone();
        complement.negate();
        let (n, m) = (class.ranges().len(), complement.ranges().len());
        if n == 0 {
            return Err(Untranslatable("a class that matches nothing".into()));
        }
        if n <= MAX_EXPLICIT_RANGES && n <= m {
            return Ok(format!("[{}]", self.ranges(class.ranges())));
        }
        if m <= MAX_EXPLICIT_RANGES {
            if m == 0 {
                return Ok(match self.dialect {
                    Dialect::Re2 => r"[\x{0}-\x{10FFFF}]".into(),
                    Dialect::Lucene => ".".into(),
                });
            }
            return Ok(format!("[^{}]", self.ranges(complement.ranges())));
        }
        match self.dialect {
            Dialect::Re2 => self
                .re2_categories(class, "")
                .or_else(|| self.re2_categories(&complement, "^"))
                .ok_or_else(|| {
                    Untranslatable(format!(
                        "a Unicode class of {n} ranges that RE2's categories do not cover"
                    ))
                }),
            Dialect::Lucene => {
                let mut ascii = class.clone();
                ascii.intersect(&ClassUnicode::new([ClassUnicodeRange::new('\0', '\x7F')]));
                if ascii.ranges().is_empty() {
                    return Err(Untranslatable(
                        "a Unicode class without ASCII characters: Lucene has no Unicode classes"
                            .into(),
                    ));
                }
                self.approximations.push(
                    "Unicode classes (\\w, \\d, \\s, \\p{..}) are limited to ASCII: Lucene regexp has no Unicode classes, so lines where they meet non-ASCII text are missed".into(),
                );
                Ok(format!("[{}]", self.ranges(ascii.ranges())))
            }
        }
    }

    /// `class` as RE2 categories plus a few explicit ranges, when one of
    /// the [`RE2_BASES`] lies inside it.
    fn re2_categories(&self, class: &ClassUnicode, negation: &str) -> Option<String> {
        re2_bases().iter().find_map(|(base, set)| {
            let mut inside = set.clone();
            inside.intersect(class);
            if inside != *set {
                return None;
            }
            let mut extra = class.clone();
            extra.difference(set);
            (extra.ranges().len() <= MAX_EXPLICIT_RANGES)
                .then(|| format!("[{negation}{base}{}]", self.ranges(extra.ranges())))
        })
    }
}

fn repeat(rep: &Repetition) -> String {
    match (rep.min, rep.max) {
        (0, None) => "*".into(),
        (1, None) => "+".into(),
        (0, Some(1)) => "?".into(),
        (min, None) => format!("{{{min},}}"),
        (min, Some(max)) if min == max => format!("{{{min}}}"),
        (min, Some(max)) => format!("{{{min},{max}}}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re2(p: &str) -> String {
        translate(p, Dialect::Re2).expect("translates").text
    }

    fn lucene(p: &str) -> Translation {
        translate(p, Dialect::Lucene).expect("translates")
    }

    #[test]
    fn named_groups_become_plain_groups_and_punctuation_is_escaped() {
        assert_eq!(
            re2(r"No module named '(?P<m>[a-z.]+)'"),
            r"No module named '[\.a-z]+'"
        );
    }

    #[test]
    fn unicode_word_class_keeps_its_non_ascii_members() {
        let out = re2(r"user=\w+");
        assert!(
            out.starts_with(r"user=[\p{L}\p{M}\p{Nd}\p{Pc}\p{Nl}"),
            "{out}"
        );
        let negated = re2(r"\W");
        assert!(negated.starts_with(r"[^\p{L}"), "{negated}");
    }

    #[test]
    fn word_boundaries_inside_known_text_are_dropped() {
        assert_eq!(re2(r"exit\b 137"), r"exit 137");
    }

    #[test]
    fn word_boundaries_at_the_edges_become_character_tests() {
        let start = re2(r"\bHTTP");
        assert!(start.starts_with(r"(?:^|[^\p{L}"), "{start}");
        assert!(start.ends_with("HTTP"), "{start}");
        let end = re2(r"HTTP 40[13]\b");
        assert!(end.starts_with("HTTP 40[13](?:$|[^"), "{end}");
    }

    #[test]
    fn word_boundaries_next_to_unknown_text_are_ascii_in_re2_and_refused_in_lucene() {
        let t = translate(r"[\w.]+\b[\w.]+", Dialect::Re2).expect("approximated");
        assert!(t.text.contains(r"\b"), "{}", t.text);
        assert!(
            t.approximations[0].contains("ASCII"),
            "{:?}",
            t.approximations
        );
        let err = translate(r"[\w.]+\b[\w.]+", Dialect::Lucene).expect_err("refused");
        assert!(err.0.contains("word boundary"), "{}", err.0);
    }

    #[test]
    fn a_boundary_after_start_anchor_is_not_turned_into_a_character() {
        assert_eq!(re2(r"^\bpanic: "), r"^panic: ");
    }

    #[test]
    fn lucene_is_wrapped_where_rust_searches_and_anchors_drop_the_wrap() {
        let t = lucene(r"Killed process \d+");
        assert_eq!(t.text, r".*Killed process [0-9]+.*");
        assert!(!t.approximations.is_empty(), "\\d is narrowed to ASCII");
        let anchored = lucene(r"^panic: (?:ab|cd)$");
        assert_eq!(anchored.text, r"panic\: (ab|cd)");
        assert!(anchored.anchored);
        assert!(translate(r"a^b", Dialect::Lucene).is_err());
    }

    #[test]
    fn lucene_alternation_branches_get_their_own_edges() {
        assert_eq!(
            lucene(r"OOMKilled|oom-kill").text,
            r"(.*OOMKilled.*|.*oom\-kill.*)"
        );
    }

    #[test]
    fn small_negated_classes_stay_exact_in_lucene() {
        let t = lucene(r#"name "[^"]+""#);
        assert_eq!(t.text, r#".*name \"[^\"]+\".*"#);
        assert!(t.approximations.is_empty());
    }
}
