//! One ELF file: facts, hardening, notes, Go build information, cargo-auditable data.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sbomkit::catalog::binary::elf;

fuzz_target!(|data: &[u8]| {
    let s = elf::inspect(data);
    let _ = format!("{s:?}");
});
