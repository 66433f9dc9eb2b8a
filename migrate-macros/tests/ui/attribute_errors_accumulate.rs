#[migrate_macros::migration(revision = "A1", foo = 1)]
mod revision {
    pub fn upgrade() {}
}

fn main() {}
