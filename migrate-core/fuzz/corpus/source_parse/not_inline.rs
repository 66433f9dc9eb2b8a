#![allow(unused)]
//! Revision ID: abc
/// doc
#[migrate_macros::migration(revision = "abc")]
mod revision;
const S: &str = "#[migration(revision = \"zzz\")]";
const C: char = '\'';
fn f<'a>(x: &'a str) -> &'a str { x }
