#[derive(migrate_macros::DbEnum)]
#[db_enum(rename_all = "Title Case", type_name = "mood")]
enum Mood {
    Happy,
    Sad(String),
    #[db_enum(rename = "Happy")]
    Glad,
}

#[derive(migrate_macros::DbEnum)]
struct NotAnEnum {
    x: i32,
}

fn main() {
    // the errors above are all: the enum still implements `SqlType`
    let _ = <Mood as migrate_core::schema::declare::SqlType>::column_type();
}
