struct Point {
    x: f64,
    y: f64,
}

#[derive(migrate_macros::Model)]
struct Place {
    id: i32,
    location: Option<Point>,
}

fn main() {}
