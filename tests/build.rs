// The fixture registries in tests/fixtures/* are listed by `migrations!()`: a new file there
// must rebuild the tests.
fn main() {
    println!("cargo:rerun-if-changed=tests/fixtures");
}
