//! The integration tests, as one binary: one link of the library and the test helpers instead of
//! one per suite. `cargo test --test integration <suite>::` runs one suite.

mod support;

mod attest;
mod audit;
mod binaries;
mod cache;
mod cli;
mod diff;
mod formats;
mod fuzz_regressions;
mod hostile;
mod keyless;
mod keyless_roundtrip;
mod lang;
mod melange;
mod multiplatform;
mod options;
mod provenance;
mod registry;
mod rpm;
mod scanners;
mod sources;
mod validate;
mod verify_bundle;
