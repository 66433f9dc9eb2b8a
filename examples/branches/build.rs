// Written by `cargo migrate init`: a new revision file in src/versions must rebuild the
// crate (the `migrations!()` registry lists that directory) without touching another file.
fn main() {
    println!("cargo:rerun-if-changed=src/versions");
}
