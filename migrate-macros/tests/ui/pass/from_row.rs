//! `#[derive(FromRow)]` makes a struct usable with `Db::fetch_*` on every backend, generics,
//! `Option` fields and raw identifiers included.

#[derive(migrate_macros::FromRow)]
struct Post {
    id: i32,
    title: String,
    slug: Option<String>,
    r#type: i64,
}

#[derive(migrate_macros::FromRow)]
struct Pair<T> {
    key: String,
    value: T,
}

fn fetchable<T: migrate_core::FromAnyRow>() {}

fn main() {
    fetchable::<Post>();
    fetchable::<Pair<i64>>();
}
