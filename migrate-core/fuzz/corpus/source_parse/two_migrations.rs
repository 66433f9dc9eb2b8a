//! two in one file
#[migration(revision = "aa")]
mod a {}
/** outer doc */
#[::migrate_macros::migration(revision = "bb", down_revision = "aa")]
#[cfg(test)]
mod b { fn f() -> &'static str { r#"}"# } /* } */ }
