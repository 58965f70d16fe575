//! ELF note sections: the note walk (both byte orders, both alignments), package and dlopen notes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sbomkit::catalog::binary::notes;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let align = if sel & 2 == 0 { 4 } else { 8 };
    let (found, _err) = notes::parse(rest, sel & 1 == 0, align);
    let _ = format!("{found:?}");
    let _ = notes::package_note(rest);
    let _ = notes::dlopen_note(rest);
});
