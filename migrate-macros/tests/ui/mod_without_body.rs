#[migrate_macros::migration(revision = "a1")]
mod revision;

fn main() {}
