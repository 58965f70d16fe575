//! What binaries say about themselves, read from their bytes without running them.
//!
//! `elf` reads one file's structures and notes (`notes`) into a small summary during the scan;
//! `cataloger` turns the summaries into packages, files and edges, resolving libraries with `loader`
//! and mapping embedded modules with `modules`.
//!
//! `classify` names binaries no package owns by the version strings in their bytes (products and
//! statically linked libraries, one table).
//!
//! `go` and `rust` are pure readers of one ELF file's embedded metadata (Go buildinfo, Rust
//! cargo-auditable); each takes the parsed ELF and its bytes and never panics on hostile input.

pub mod cataloger;
pub mod classify;
pub mod elf;
pub mod go;
pub mod loader;
pub mod modules;
pub mod notes;
pub mod rust;

pub use cataloger::ElfBinaries;
