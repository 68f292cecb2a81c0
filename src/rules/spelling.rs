//! "Did you mean": the closest known name to a misspelt one (a class, a
//! severity, a rule id), by edit distance, so that a typo in a rule file
//! or on the command line gets the fix, not just the list.

/// Single-character edits (insert, delete, substitute) from `a` to `b`.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// The candidate closest to `word`, if one is close enough to be a typo of
/// it (at most a third of its length in edits, and never more than 3) or
/// starts with it (`warn` for `warning`).
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| {
            let prefix = word.len() >= 3 && c.starts_with(word);
            (if prefix { 1 } else { distance(word, c) }, c)
        })
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, c)| (d, c))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos_and_nothing_far_off() {
        let classes = ["module-not-found", "missing-dependency", "timeout"];
        assert_eq!(
            closest("module-not-fund", classes),
            Some("module-not-found")
        );
        assert_eq!(closest("timout", classes), Some("timeout"));
        assert_eq!(closest("network", classes), None);
        assert_eq!(
            closest("warn", ["info", "warning", "error"]),
            Some("warning")
        );
        assert_eq!(closest("fatal", ["info", "warning", "error"]), None);
        assert_eq!(closest("eror", ["info", "warning", "error"]), Some("error"));
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
