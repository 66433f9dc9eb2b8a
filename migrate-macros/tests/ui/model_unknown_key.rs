#[derive(migrate_macros::Model)]
#[model(tabel = "users")]
struct User {
    #[model(primary_key, lenght = 20)]
    id: i32,
    #[model(table = "x")]
    name: String,
}

fn main() {
    // the errors above are all: the model still implements `Model`
    let _ = <User as migrate_core::schema::declare::Model>::table();
}
