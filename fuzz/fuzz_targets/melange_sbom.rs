//! The `melange_sbom` target of `../dispatch.rs`.
#![no_main]

#[path = "../dispatch.rs"]
mod dispatch;

libfuzzer_sys::fuzz_target!(|data: &[u8]| dispatch::run("melange_sbom", data));
