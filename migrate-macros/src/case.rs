//! Case conversion of Rust names into SQL names: the default table name of a model, the
//! default enum type name, and `rename_all` (the rules sqlx's `rename_all` applies).

/// The words of a Rust identifier: split at `_`, `-`, and where a lowercase letter or digit
/// is followed by an uppercase one, or an uppercase run is followed by an uppercase letter
/// and a lowercase one (`HTTPServer` → `HTTP`, `Server`).
fn words(name: &str) -> Vec<String> {
    let name = name.strip_prefix("r#").unwrap_or(name);
    let chars: Vec<char> = name.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == '-' {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `UserProfile` → `user_profile`.
pub(crate) fn snake(name: &str) -> String {
    words(name)
        .iter()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join("_")
}

fn capitalised(word: &str) -> String {
    let mut c = word.chars();
    match c.next() {
        Some(first) => first
            .to_uppercase()
            .chain(c.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

/// The `rename_all` rules (sqlx's names).
pub(crate) const RULES: &[&str] = &[
    "lowercase",
    "UPPERCASE",
    "snake_case",
    "SCREAMING_SNAKE_CASE",
    "kebab-case",
    "camelCase",
    "PascalCase",
];

/// `name` renamed by `rule` (one of [`RULES`]); `None` for an unknown rule.
pub(crate) fn rename(name: &str, rule: &str) -> Option<String> {
    let name = name.strip_prefix("r#").unwrap_or(name);
    let w = words(name);
    Some(match rule {
        "lowercase" => name.to_lowercase(),
        "UPPERCASE" => name.to_uppercase(),
        "snake_case" => snake(name),
        "SCREAMING_SNAKE_CASE" => snake(name).to_uppercase(),
        "kebab-case" => snake(name).replace('_', "-"),
        "camelCase" => {
            let mut s = String::new();
            for (i, word) in w.iter().enumerate() {
                if i == 0 {
                    s.push_str(&word.to_lowercase());
                } else {
                    s.push_str(&capitalised(word));
                }
            }
            s
        }
        "PascalCase" => w.iter().map(|word| capitalised(word)).collect(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_splits_words() {
        assert_eq!(snake("User"), "user");
        assert_eq!(snake("UserProfile"), "user_profile");
        assert_eq!(snake("HTTPServer"), "http_server");
        assert_eq!(snake("Post2Tag"), "post2_tag");
        assert_eq!(snake("already_snake"), "already_snake");
    }

    #[test]
    fn rename_all_rules() {
        let r = |rule| rename("VeryHappy", rule).unwrap();
        assert_eq!(r("lowercase"), "veryhappy");
        assert_eq!(r("UPPERCASE"), "VERYHAPPY");
        assert_eq!(r("snake_case"), "very_happy");
        assert_eq!(r("SCREAMING_SNAKE_CASE"), "VERY_HAPPY");
        assert_eq!(r("kebab-case"), "very-happy");
        assert_eq!(r("camelCase"), "veryHappy");
        assert_eq!(r("PascalCase"), "VeryHappy");
        assert_eq!(rename("x", "Title Case"), None);
    }
}
