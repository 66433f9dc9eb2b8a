#[derive(migrate_macros::Model)]
struct Product {
    #[model(primary_key = true, length = "20")]
    sku: String,
    #[model(precision = 4, scale = 6)]
    price: rust_decimal_stub::Decimal,
    #[model(precision = 10)]
    weight: f64,
    #[model(scale = 2)]
    cost: String,
    #[model(sql_type = "citext", length = 40)]
    name: String,
    #[model(default = true, skip)]
    cache: Vec<u8>,
    #[model(check)]
    qty: i32,
}

mod rust_decimal_stub {
    pub struct Decimal;
}

fn main() {}
