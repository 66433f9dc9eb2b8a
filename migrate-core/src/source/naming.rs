//! Naming a new revision file ([`file_name`]).

/// The length [`file_name`] truncates a message slug to.
pub const MAX_SLUG_LEN: usize = 40;

/// The file name of a new revision, `{id}_{slug}.rs` (Alembic's `3f2a9c1b7e4d_create_users.py`):
/// the slug is the message's first line in lowercase ASCII letters, digits and `_`, cut at
/// a word boundary to at most [`MAX_SLUG_LEN`] characters; `{id}.rs` when the slug is empty.
pub fn file_name(id: &str, message: &str) -> String {
    let slug = slug(message);
    if slug.is_empty() {
        format!("{id}.rs")
    } else {
        format!("{id}_{slug}.rs")
    }
}

/// The slug of a message, as in [`file_name`]: the first line in lowercase ASCII letters,
/// digits and `_`, cut at a word boundary to at most [`MAX_SLUG_LEN`] characters (empty when
/// nothing is left).
pub fn slug(message: &str) -> String {
    let first = message.lines().next().unwrap_or("");
    let mut slug = String::with_capacity(first.len());
    for c in first.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('_') {
            slug.push('_');
        }
    }
    if slug.len() > MAX_SLUG_LEN {
        let cut = &slug[..MAX_SLUG_LEN];
        // cut at the last word boundary unless the first word alone is too long
        let keep = if slug.as_bytes()[MAX_SLUG_LEN] == b'_' {
            MAX_SLUG_LEN
        } else {
            cut.rfind('_').unwrap_or(MAX_SLUG_LEN)
        };
        slug.truncate(keep);
    }
    slug.trim_end_matches('_').to_owned()
}
