//! Rendering a new revision file ([`render_revision_file`]).

use std::fmt::Write as _;

/// A revision file to write: what `cargo migrate revision` / `merge` knows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRevision {
    /// The new id (see [`validate_revision_id`](super::validate_revision_id)).
    pub id: String,
    /// Parents: the current head(s); empty for a base.
    pub down_revisions: Vec<String>,
    /// The message (`-m`); its first line names the file.
    pub message: String,
    /// The creation date as it should appear in the header, e.g. `2026-11-21 12:00:00 UTC`.
    pub create_date: String,
    /// Branch labels of the new revision.
    pub branch_labels: Vec<String>,
    /// `depends_on` dependencies.
    pub depends_on: Vec<String>,
    /// A merge revision (`cargo migrate merge`): the bodies say so in a comment.
    pub merge: bool,
}

/// Renders a new revision file: the Alembic-like `//!` header (message, blank line,
/// `Revision ID:`, `Revises:`, `Create Date:`), the `#[migrate_macros::migration(...)]`
/// attribute with only the keys needed, and empty `upgrade` / `downgrade` bodies. The output
/// is rustfmt-clean and [`parse_file`](super::parse_file) reads it back.
pub fn render_revision_file(r: &NewRevision) -> String {
    let mut out = String::with_capacity(640);
    let mut lines = r.message.lines();
    let first = lines.next().unwrap_or("").trim_end();
    doc_line(&mut out, first);
    for line in lines {
        doc_line(&mut out, line.trim_end());
    }
    out.push_str("//!\n");
    let _ = writeln!(out, "//! Revision ID: {}", r.id);
    doc_line(
        &mut out,
        &format!("Revises: {}", r.down_revisions.join(", ")),
    );
    doc_line(&mut out, &format!("Create Date: {}", r.create_date));
    out.push('\n');

    let mut args = vec![format!("revision = {}", quote_str(&r.id))];
    match r.down_revisions.as_slice() {
        [] => {}
        [one] if !r.merge => args.push(format!("down_revision = {}", quote_str(one))),
        many => args.push(format!("down_revision = {}", quote_list(many))),
    }
    if !r.branch_labels.is_empty() {
        args.push(format!("branch_labels = {}", quote_list(&r.branch_labels)));
    }
    if !r.depends_on.is_empty() {
        args.push(format!("depends_on = {}", quote_list(&r.depends_on)));
    }
    let one_line = format!("#[migrate_macros::migration({})]", args.join(", "));
    if one_line.len() <= 100 {
        out.push_str(&one_line);
        out.push('\n');
    } else {
        out.push_str("#[migrate_macros::migration(\n");
        for a in &args {
            let _ = writeln!(out, "    {a},");
        }
        out.push_str(")]\n");
    }

    let note = if r.merge {
        "        // a merge revision: it joins branches and usually has nothing to do\n"
    } else {
        ""
    };
    out.push_str("mod revision {\n    use migrate_core::prelude::*;\n\n");
    for f in ["upgrade", "downgrade"] {
        if f == "downgrade" {
            out.push('\n');
        }
        let _ = write!(
            out,
            "    pub async fn {f}(_db: &mut Db) -> Result<()> {{\n{note}        Ok(())\n    }}\n"
        );
    }
    out.push_str("}\n");
    out
}

fn doc_line(out: &mut String, text: &str) {
    let text = text.trim_end();
    if text.is_empty() {
        out.push_str("//!\n");
    } else {
        out.push_str("//! ");
        out.push_str(text);
        out.push('\n');
    }
}

fn quote_str(s: &str) -> String {
    format!("{s:?}")
}

fn quote_list(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|s| quote_str(s))
            .collect::<Vec<_>>()
            .join(", ")
    )
}
