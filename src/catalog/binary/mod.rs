//! What binaries say about themselves, read from their bytes without running them.
//!
//! `go` and `rust` are pure readers of one ELF file's embedded metadata (Go buildinfo, Rust
//! cargo-auditable); each takes the parsed ELF and its bytes and never panics on hostile input.

pub mod go;
pub mod rust;
