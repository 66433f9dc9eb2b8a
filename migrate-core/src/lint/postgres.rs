//! PostgreSQL: squawk's linter (squawk-linter 2.68), its default rule set.

use squawk_linter::Linter;
use squawk_syntax::SourceFile;

use super::{Finding, RevisionSql};
use crate::db::Backend;

/// Lints one revision as one file: squawk then sees a table created earlier in the same
/// revision (an index on it needs no `CONCURRENTLY`) and, for a transactional revision,
/// that it runs in a transaction.
pub(super) fn lint(rev: &RevisionSql<'_>, out: &mut Vec<Finding>) {
    let mut text = String::new();
    for s in rev.statements {
        let s = s.trim().trim_end_matches(';').trim_end();
        if s.is_empty() {
            continue;
        }
        text.push_str(s);
        text.push_str(";\n");
    }
    if text.is_empty() {
        return;
    }
    let parse = SourceFile::parse(&text);
    let mut linter = Linter::with_rules(&[], &[]);
    linter.settings.assume_in_transaction = rev.transactional;
    for v in linter.lint(&parse, &text) {
        let range = std::ops::Range::<usize>::from(v.text_range);
        let statement = text.get(range).unwrap_or_default();
        out.push(Finding::new(
            rev,
            Backend::Postgres,
            &v.code.to_string(),
            v.message,
            v.help,
            statement,
        ));
    }
}
