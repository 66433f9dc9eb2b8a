//! Schema operations ([`super::ops::Op`]) as Rust source for a revision file.
