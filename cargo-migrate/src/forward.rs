//! The runner's command line: `cargo migrate`'s arguments minus its own options.

use std::ffi::OsString;

/// Options of the database commands that take a value as the next argument: their value is
/// passed through untouched even when it looks like one of our options.
const VALUE_OPTIONS: &[&str] = &[
    "--database-url",
    "--version-table",
    "--lock-timeout",
    "--connect-timeout",
    "--transaction-mode",
    "--dialect",
    "--rev-range",
    "-r",
];

/// Short flags of the database commands that take a value (the rest of a `-xyz` cluster, or
/// the next argument).
const VALUE_SHORTS: &[char] = &['r'];

/// The arguments to run the runner binary with: `args` (program name first, as given to
/// [`crate::normalize_args`]) without the program name, a leading `migrate`, and
/// `cargo migrate`'s own options: `--manifest-path X`, `--manifest-path=X`, `-p X`, `-pX`,
/// `--package X`, `--package=X` (also `p` inside a cluster of short flags such as `-vp X`).
/// Everything after `--` is kept as is.
pub fn runner_args(args: &[OsString]) -> Vec<OsString> {
    let mut rest = args.iter().skip(1).peekable();
    if rest.peek().is_some_and(|a| *a == "migrate") {
        rest.next();
    }
    let mut out = Vec::new();
    while let Some(arg) = rest.next() {
        let Some(s) = arg.to_str() else {
            out.push(arg.clone());
            continue;
        };
        if s == "--" {
            out.push(arg.clone());
            out.extend(rest.cloned());
            break;
        }
        if s == "--manifest-path" || s == "--package" {
            rest.next(); // its value
            continue;
        }
        if s.starts_with("--manifest-path=") || s.starts_with("--package=") {
            continue;
        }
        if VALUE_OPTIONS.contains(&s) {
            out.push(arg.clone());
            if let Some(v) = rest.next() {
                out.push(v.clone());
            }
            continue;
        }
        if let Some(cluster) = s.strip_prefix('-')
            && !cluster.is_empty()
            && !cluster.starts_with('-')
        {
            // a cluster of short flags: `-p`, `-pNAME`, `-vp NAME`, `-vrREV`, `-1` (a value)
            let mut kept = String::from("-");
            let mut stripped = false;
            let mut value_next = false;
            for (i, c) in cluster.char_indices() {
                let after = &cluster[i + c.len_utf8()..];
                if VALUE_SHORTS.contains(&c) {
                    value_next = after.is_empty();
                    break;
                }
                if c == 'p' {
                    stripped = true;
                    if after.is_empty() {
                        rest.next(); // the value is the next argument
                    }
                    break;
                }
                kept.push(c);
            }
            if stripped {
                if kept.len() > 1 {
                    out.push(OsString::from(kept));
                }
            } else {
                out.push(arg.clone());
                if value_next && let Some(v) = rest.next() {
                    out.push(v.clone());
                }
            }
            continue;
        }
        out.push(arg.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn display_args(args: &[OsString]) -> String {
        args.iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[track_caller]
    fn check(input: &str, expected: &str) {
        let args: Vec<OsString> = std::iter::once("cargo-migrate")
            .chain(input.split_whitespace())
            .map(OsString::from)
            .collect();
        assert_eq!(display_args(&runner_args(&args)), expected, "for `{input}`");
    }

    #[test]
    fn strips_our_options_and_keeps_the_rest() {
        check("migrate upgrade", "upgrade");
        check("upgrade head", "upgrade head");
        check("migrate --manifest-path a/Cargo.toml upgrade", "upgrade");
        check("migrate --manifest-path=a/Cargo.toml upgrade", "upgrade");
        check("migrate -p migrations downgrade -1", "downgrade -1");
        check("migrate -pmigrations downgrade -1", "downgrade -1");
        check("migrate downgrade -1 --package migrations", "downgrade -1");
        check(
            "migrate downgrade base --package=migrations",
            "downgrade base",
        );
        check(
            "migrate --database-url sqlite:x.db -p m current -v",
            "--database-url sqlite:x.db current -v",
        );
        check("migrate history -vp m", "history -v");
        check("migrate history -vpm -i", "history -v -i");
    }

    #[test]
    fn values_of_other_options_are_kept() {
        check(
            "migrate --database-url -p current",
            "--database-url -p current",
        );
        check("migrate history -r -p:head", "history -r -p:head");
        check("migrate history -vr -p:head -p m", "history -vr -p:head");
        check("migrate history -rp:head", "history -rp:head");
        check("migrate stamp --purge head", "stamp --purge head");
    }

    #[test]
    fn stops_at_double_dash() {
        check("migrate -p m upgrade -- -p x", "upgrade -- -p x");
    }

    #[test]
    fn only_a_leading_migrate_is_dropped() {
        check("migrate show migrate", "show migrate");
        check("show migrate", "show migrate");
    }
}
