//! Prints a greeting; exists to be scanned for its cargo-auditable data.
fn main() {
    let mut buf = itoa::Buffer::new();
    println!("{} {}", greet::hello("world"), buf.format(42u32));
}
