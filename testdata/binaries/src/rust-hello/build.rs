// Probes the compiler so that the audit data records a build-time dependency.
fn main() {
    let ac = autocfg::new();
    ac.emit_has_type("i128");
}
