//! What one ELF file says about itself: identity, linkage, hardening, notes, and the Go and Rust
//! dependency data it embeds. Read once from the whole content during the scan ([`inspect`]) and
//! kept as a small [`ElfSummary`]; the content is not kept.

use std::panic::{catch_unwind, AssertUnwindSafe};

use goblin::elf::dynamic::{DF_1_NOW, DF_1_PIE, DF_BIND_NOW, DT_BIND_NOW, DT_FLAGS, DT_FLAGS_1};
use goblin::elf::header::{ET_CORE, ET_DYN, ET_EXEC, ET_REL};
use goblin::elf::program_header::{PF_X, PT_GNU_RELRO, PT_GNU_STACK, PT_NOTE};
use goblin::elf::section_header::{SHT_NOTE, SHT_SYMTAB};
use goblin::elf::Elf;

use super::classify::Classified;
use super::go::GoBuildInfo;
use super::notes::{self, NoteFacts};
use super::rust::AuditInfo;

/// The four bytes every ELF file starts with.
pub const MAGIC: &[u8; 4] = b"\x7fELF";

/// Most `*_chk` names recorded per file.
const MAX_FORTIFIED: usize = 64;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum ElfType {
    /// `ET_EXEC`: linked at a fixed address.
    Executable,
    /// `ET_DYN` with an interpreter or `DF_1_PIE`.
    Pie,
    /// `ET_DYN` without: a library.
    SharedObject,
    Relocatable,
    Core,
    Other,
}

impl ElfType {
    pub fn as_str(self) -> &'static str {
        match self {
            ElfType::Executable => "executable",
            ElfType::Pie => "pie-executable",
            ElfType::SharedObject => "shared-object",
            ElfType::Relocatable => "relocatable",
            ElfType::Core => "core",
            ElfType::Other => "other",
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Relro {
    None,
    Partial,
    Full,
}

impl Relro {
    pub fn as_str(self) -> &'static str {
        match self {
            Relro::None => "none",
            Relro::Partial => "partial",
            Relro::Full => "full",
        }
    }
}

/// Facts read from the ELF structures.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ElfFacts {
    /// 32 or 64.
    pub class: u8,
    pub little_endian: bool,
    /// `x86_64`, `aarch64`, ... (goblin's name, lower case, for others).
    pub machine: String,
    pub kind: ElfType,
    /// Has an interpreter or needs libraries.
    pub dynamic: bool,
    pub interpreter: Option<String>,
    pub needed: Vec<String>,
    pub soname: Option<String>,
    pub rpath: Vec<String>,
    pub runpath: Vec<String>,
    /// No `.symtab` section.
    pub stripped: bool,
    /// A `PT_GNU_STACK` without the execute flag.
    pub nx_stack: bool,
    pub relro: Relro,
    pub stack_protector: bool,
    /// `*_chk` functions imported or defined (FORTIFY_SOURCE), sorted, at most [`MAX_FORTIFIED`].
    pub fortified: Vec<String>,
    pub notes: NoteFacts,
}

/// What the scan keeps of one ELF file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ElfSummary {
    /// The facts, or why the file could not be parsed.
    pub facts: Result<ElfFacts, String>,
    pub go: Option<GoBuildInfo>,
    pub rust: Option<AuditInfo>,
    /// What the classifiers matched in its bytes ([`super::classify`]).
    #[serde(default)]
    pub classified: Option<Classified>,
    /// Problems that did not stop the reading (a bad note, unreadable Go or Rust data).
    pub warnings: Vec<String>,
}

/// Whether the first bytes are an ELF file's.
pub fn is_elf(head: &[u8]) -> bool {
    head.starts_with(MAGIC)
}

fn machine_name(m: u16) -> String {
    use goblin::elf::header::*;
    match m {
        EM_X86_64 => "x86_64".into(),
        EM_386 => "i386".into(),
        EM_AARCH64 => "aarch64".into(),
        EM_ARM => "arm".into(),
        EM_RISCV => "riscv".into(),
        EM_PPC64 => "ppc64".into(),
        EM_PPC => "ppc".into(),
        EM_S390 => "s390".into(),
        EM_MIPS => "mips".into(),
        EM_LOONGARCH => "loongarch".into(),
        other => machine_to_str(other).to_ascii_lowercase(),
    }
}

/// Reads one ELF file. Never panics: goblin's own failures (and, as a last resort, its panics) and
/// the Go and Rust readers' errors become the summary's error or warnings.
pub fn inspect(bytes: &[u8]) -> ElfSummary {
    let parsed = catch_unwind(AssertUnwindSafe(|| read(bytes)));
    match parsed {
        Ok(s) => s,
        Err(_) => ElfSummary {
            facts: Err("the ELF parser failed on this file".into()),
            go: None,
            rust: None,
            classified: None,
            warnings: Vec::new(),
        },
    }
}

fn read(bytes: &[u8]) -> ElfSummary {
    let elf = match Elf::parse(bytes) {
        Ok(e) => e,
        Err(e) => {
            return ElfSummary {
                facts: Err(format!("not a readable ELF file: {e}")),
                go: None,
                rust: None,
                classified: None,
                warnings: Vec::new(),
            }
        }
    };
    let mut warnings = Vec::new();
    let facts = facts(&elf, bytes);
    warnings.extend(facts.notes.warnings.iter().cloned());
    let go = match super::go::read(&elf, bytes) {
        Ok(g) => g,
        Err(e) => {
            warnings.push(format!("Go build information: {e}"));
            None
        }
    };
    let rust = match super::rust::read(&elf, bytes) {
        Ok(r) => r,
        Err(e) => {
            warnings.push(format!("cargo-auditable data: {e}"));
            None
        }
    };
    ElfSummary {
        facts: Ok(facts),
        go,
        rust,
        classified: None,
        warnings,
    }
}

fn facts(elf: &Elf<'_>, bytes: &[u8]) -> ElfFacts {
    let (mut flags, mut flags_1, mut bind_now) = (0u64, 0u64, false);
    if let Some(d) = &elf.dynamic {
        for e in &d.dyns {
            match e.d_tag {
                DT_FLAGS => flags |= e.d_val,
                DT_FLAGS_1 => flags_1 |= e.d_val,
                DT_BIND_NOW => bind_now = true,
                _ => {}
            }
        }
    }
    bind_now |= flags & DF_BIND_NOW != 0 || flags_1 & DF_1_NOW != 0;
    let kind = match elf.header.e_type {
        ET_EXEC => ElfType::Executable,
        ET_DYN if flags_1 & DF_1_PIE != 0 => ElfType::Pie,
        ET_DYN if elf.interpreter.is_some() && elf.soname.is_none() => ElfType::Pie,
        ET_DYN => ElfType::SharedObject,
        ET_REL => ElfType::Relocatable,
        ET_CORE => ElfType::Core,
        _ => ElfType::Other,
    };
    let phdrs = &elf.program_headers;
    let nx_stack = phdrs
        .iter()
        .any(|p| p.p_type == PT_GNU_STACK && p.p_flags & PF_X == 0);
    let relro = if !phdrs.iter().any(|p| p.p_type == PT_GNU_RELRO) {
        Relro::None
    } else if bind_now {
        Relro::Full
    } else {
        Relro::Partial
    };

    let mut stack_protector = false;
    let mut fortified = std::collections::BTreeSet::new();
    let mut look = |name: &str| {
        if name == "__stack_chk_fail" || name == "__stack_chk_guard" {
            stack_protector = true;
        } else if name.starts_with("__")
            && name.ends_with("_chk")
            && fortified.len() < MAX_FORTIFIED
        {
            fortified.insert(name.to_string());
        }
    };
    for s in elf.dynsyms.iter() {
        if let Some(n) = elf.dynstrtab.get_at(s.st_name) {
            look(n);
        }
    }
    for s in elf.syms.iter() {
        if let Some(n) = elf.strtab.get_at(s.st_name) {
            look(n);
        }
    }

    let stripped = !elf.section_headers.iter().any(|s| s.sh_type == SHT_SYMTAB);

    // Notes from SHT_NOTE sections; from PT_NOTE segments when there are no section headers.
    let mut note_facts = NoteFacts::default();
    let mut from_sections = false;
    for s in elf.section_headers.iter().filter(|s| s.sh_type == SHT_NOTE) {
        from_sections = true;
        note_region(
            bytes,
            s.sh_offset,
            s.sh_size,
            s.sh_addralign,
            elf,
            &mut note_facts,
        );
    }
    if !from_sections {
        for p in phdrs.iter().filter(|p| p.p_type == PT_NOTE) {
            note_region(
                bytes,
                p.p_offset,
                p.p_filesz,
                p.p_align,
                elf,
                &mut note_facts,
            );
        }
    }

    ElfFacts {
        class: if elf.is_64 { 64 } else { 32 },
        little_endian: elf.little_endian,
        machine: machine_name(elf.header.e_machine),
        kind,
        dynamic: elf.interpreter.is_some() || !elf.libraries.is_empty(),
        interpreter: elf.interpreter.map(str::to_string),
        needed: elf.libraries.iter().map(|s| s.to_string()).collect(),
        soname: elf.soname.map(str::to_string),
        rpath: split_paths(&elf.rpaths),
        runpath: split_paths(&elf.runpaths),
        stripped,
        nx_stack,
        relro,
        stack_protector,
        fortified: fortified.into_iter().collect(),
        notes: note_facts,
    }
}

fn split_paths(list: &[&str]) -> Vec<String> {
    list.iter()
        .flat_map(|s| s.split(':'))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn note_region(
    bytes: &[u8],
    offset: u64,
    size: u64,
    align: u64,
    elf: &Elf<'_>,
    out: &mut NoteFacts,
) {
    let region = usize::try_from(offset)
        .ok()
        .zip(usize::try_from(size).ok())
        .and_then(|(o, s)| bytes.get(o..o.checked_add(s)?));
    match region {
        Some(data) => {
            let mut walk = notes::walk(data, elf.little_endian, align);
            walk.by_ref().for_each(|n| out.add_one(&n));
            if let Some(e) = walk.error() {
                out.warn(format!("notes at file offset {offset}: {e}"));
            }
        }
        None => out.warn(format!(
            "notes at file offset {offset} ({size} bytes) lie outside the file"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(rel: &str) -> Vec<u8> {
        crate::catalog::testutil::fixture(rel)
    }

    #[test]
    fn libudev_is_a_shared_object_with_a_package_note() {
        let s = inspect(&fixture("elf/package-notes/libudev.so.1.7.5"));
        let f = s.facts.unwrap();
        assert_eq!(f.kind, ElfType::SharedObject);
        assert_eq!(f.class, 64);
        assert_eq!(f.machine, "x86_64");
        assert_eq!(f.soname.as_deref(), Some("libudev.so.1"));
        // readelf -n: Build ID 15712d7cbb7e891534e72538c0c0e2ed13839fae
        assert_eq!(
            f.notes.build_id.as_deref(),
            Some("15712d7cbb7e891534e72538c0c0e2ed13839fae")
        );
        let p = f.notes.package.unwrap();
        assert_eq!(p.name.as_deref(), Some("systemd"));
        assert_eq!(p.version.as_deref(), Some("252.39-1~deb12u2"));
        assert_eq!(p.kind.as_deref(), Some("deb"));
        assert_eq!(p.os.as_deref(), Some("Debian"));
        assert!(f.needed.iter().any(|n| n == "libc.so.6"));
        assert!(f.dynamic);
        assert!(f.stripped);
    }

    #[test]
    fn go_test_binary_is_static() {
        let f = inspect(&fixture("elf/go/test.elf")).facts.unwrap();
        assert_eq!(f.kind, ElfType::Executable);
        assert!(!f.dynamic);
        assert!(f.needed.is_empty());
        assert_eq!(f.interpreter, None);
    }

    /// What `readelf -SlndW --dyn-syms` says about a file, in the terms of [`ElfFacts`].
    #[derive(Debug, Default)]
    struct Readelf {
        kind: Option<ElfType>,
        interpreter: Option<String>,
        needed: Vec<String>,
        relro: bool,
        bind_now: bool,
        nx_stack: bool,
        symtab: bool,
        stack_chk: bool,
        fortified: Vec<String>,
        build_id: Option<String>,
        package_json: Option<String>,
        dlopen_note: bool,
    }

    fn readelf(text: &str) -> Readelf {
        let mut r = Readelf::default();
        let between = |l: &str, a: &str, b: char| {
            l.split_once(a)
                .and_then(|(_, rest)| rest.split_once(b))
                .map(|(v, _)| v.to_string())
        };
        for l in text.lines() {
            let t = l.trim();
            if let Some(rest) = t.strip_prefix("Elf file type is ") {
                r.kind = Some(if rest.starts_with("EXEC") {
                    ElfType::Executable
                } else if rest.contains("Position-Independent Executable") {
                    ElfType::Pie
                } else {
                    ElfType::SharedObject
                });
            }
            if let Some(i) = between(t, "[Requesting program interpreter: ", ']') {
                r.interpreter = Some(i);
            }
            if t.contains("(NEEDED)") {
                r.needed.extend(between(t, "Shared library: [", ']'));
            }
            r.relro |= t.starts_with("GNU_RELRO ");
            if t.starts_with("GNU_STACK ") {
                let flags: Vec<&str> = t.split_whitespace().collect();
                // Flags come before the alignment: `RW` or `RWE`.
                r.nx_stack = flags.iter().rev().nth(1).is_some_and(|f| !f.contains('E'));
            }
            r.bind_now |= (t.contains("(FLAGS)") && t.contains("BIND_NOW"))
                || (t.contains("(FLAGS_1)") && t.split_whitespace().any(|w| w == "NOW"))
                || t.contains("(BIND_NOW)");
            r.symtab |= t.contains(" SYMTAB ");
            if t.contains(" UND ") {
                let name = t.split_whitespace().nth(7).unwrap_or("");
                let name = name.split('@').next().unwrap_or("");
                if name == "__stack_chk_fail" {
                    r.stack_chk = true;
                } else if name.starts_with("__") && name.ends_with("_chk") {
                    r.fortified.push(name.to_string());
                }
            }
            if let Some((_, id)) = t.split_once("Build ID: ") {
                r.build_id = Some(id.trim().to_string());
            }
            if let Some((_, json)) = t.split_once("Packaging Metadata: ") {
                r.package_json = Some(json.trim().to_string());
            }
            r.dlopen_note |= t.starts_with("FDO ") && t.contains("0x407c0c0a");
        }
        r.fortified.sort();
        r
    }

    #[test]
    fn c_fixtures_agree_with_readelf() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/binaries/c");
        for name in ["hardened", "plain", "noted", "noted-noshdr"] {
            let bytes = std::fs::read(format!("{dir}/{name}")).unwrap();
            let text = std::fs::read_to_string(format!("{dir}/{name}.readelf.txt")).unwrap();
            let want = readelf(&text);
            let s = inspect(&bytes);
            assert!(s.warnings.is_empty(), "{name}: {:?}", s.warnings);
            let f = s.facts.unwrap();
            assert_eq!(Some(f.kind), want.kind, "{name}");
            assert_eq!(f.interpreter, want.interpreter, "{name}");
            assert_eq!(f.needed, want.needed, "{name}");
            let relro = match (want.relro, want.bind_now) {
                (false, _) => Relro::None,
                (true, false) => Relro::Partial,
                (true, true) => Relro::Full,
            };
            assert_eq!(f.relro, relro, "{name}");
            assert_eq!(f.nx_stack, want.nx_stack, "{name}");
            assert_eq!(f.stripped, !want.symtab, "{name}");
            assert_eq!(f.stack_protector, want.stack_chk, "{name}");
            assert_eq!(f.fortified, want.fortified, "{name}");
            assert_eq!(f.notes.build_id, want.build_id, "{name}");
            let json: Option<serde_json::Value> =
                want.package_json.map(|j| serde_json::from_str(&j).unwrap());
            let note = f.notes.package.as_ref();
            assert_eq!(
                note.and_then(|n| n.name.as_deref()),
                json.as_ref().and_then(|j| j["name"].as_str()),
                "{name}"
            );
            assert_eq!(
                note.and_then(|n| n.app_cpe.as_deref()),
                json.as_ref().and_then(|j| j["appCpe"].as_str()),
                "{name}"
            );
            assert_eq!(!f.notes.dlopen.is_empty(), want.dlopen_note, "{name}");
        }
        // What the fixtures were built to show, so that the comparison above compares something.
        let hardened =
            readelf(&std::fs::read_to_string(format!("{dir}/hardened.readelf.txt")).unwrap());
        assert!(hardened.relro && hardened.bind_now && hardened.stack_chk);
        assert!(!hardened.fortified.is_empty());
        let plain = readelf(&std::fs::read_to_string(format!("{dir}/plain.readelf.txt")).unwrap());
        assert!(!plain.relro && !plain.stack_chk && plain.kind == Some(ElfType::Executable));
        let noshdr = std::fs::read_to_string(format!("{dir}/noted-noshdr.readelf.txt")).unwrap();
        assert!(noshdr.contains("There are no sections in this file."));
    }

    #[test]
    fn dlopen_note_of_the_c_fixture() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/binaries/c");
        let f = inspect(&std::fs::read(format!("{dir}/noted-noshdr")).unwrap())
            .facts
            .unwrap();
        assert_eq!(f.notes.dlopen.len(), 1);
        assert_eq!(f.notes.dlopen[0].soname, ["libz.so.1"]);
        assert_eq!(f.notes.dlopen[0].priority.as_deref(), Some("suggested"));
    }

    #[test]
    fn truncated_and_corrupted_files_never_panic() {
        for name in [
            "elf/package-notes/libudev.so.1.7.5",
            "elf/rust/binary-with-audit-info",
            "../binaries/c/noted-noshdr",
        ] {
            let bytes = fixture(name);
            let mut cuts: Vec<usize> = (0..2048).step_by(7).collect();
            cuts.extend((0..bytes.len()).step_by(bytes.len() / 97 + 1));
            for cut in cuts {
                let _ = inspect(&bytes[..cut.min(bytes.len())]);
            }
            // Flip bytes across the headers.
            for at in (0..1024.min(bytes.len())).step_by(3) {
                let mut b = bytes.clone();
                b[at] ^= 0xff;
                let _ = inspect(&b);
            }
        }
        assert!(inspect(b"\x7fELF").facts.is_err());
    }
}
