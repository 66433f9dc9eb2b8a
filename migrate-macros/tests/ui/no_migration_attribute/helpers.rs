//! shared helpers

pub fn table() -> &'static str {
    "users"
}
