//! sbomkit tells exactly what ships inside a container image, and proves it.
//!
//! Data flows one way:
//! [`source`] (image, OCI layout, folder, file → a [`source::Vfs`]) →
//! [`catalog`] (os-release, apk, dpkg, binaries → packages) →
//! [`model`] (format-neutral [`model::Sbom`]) →
//! [`format`] (SPDX, CycloneDX, table).
//! [`scan`] ties the first three together; [`attest`] signs and verifies. The `sbomkit` binary
//! (`src/main.rs`, `src/cli/`) is a thin shell: arguments in, bytes out, every decision made here.
//!
//! Every parser here takes untrusted bytes: none may panic, loop forever or allocate without bound.
// One exception, with its reason: mapping a spooled temp file (src/source/spool.rs).
#![deny(unsafe_code)]

pub mod attest;
pub mod catalog;
pub mod config;
pub mod cpe;
pub mod diff;
pub mod error;
pub mod exclude;
pub mod format;
pub mod limits;
pub mod memory;
pub mod model;
pub mod posture;
pub mod purl;
pub mod read;
pub mod scan;
pub mod source;

pub use error::{Error, ExitCode};
