//! Finds the file a `DT_NEEDED` (or dlopen) soname names, the way the dynamic loader of the image
//! would: inside the [`Vfs`], symlinks followed inside the root.
//!
//! glibc: `DT_RPATH` (only without `DT_RUNPATH`), `DT_RUNPATH`, the folders of `/etc/ld.so.conf` (what
//! `ldconfig` puts in the cache; `include` lines followed), then the default folders (`/lib`,
//! `/usr/lib`, their `lib64` forms on 64-bit, and the Debian multiarch folders). musl: `DT_RPATH` and
//! `DT_RUNPATH` alike, then `/etc/ld-musl-ARCH.path` or, without it, `/lib:/usr/local/lib:/usr/lib`.

use std::collections::BTreeMap;

use super::elf::ElfFacts;
use crate::source::vfs::normalize;
use crate::source::Vfs;

/// How deep `include` lines may nest, and how many files one configuration may read.
const MAX_INCLUDE_DEPTH: usize = 8;
const MAX_CONF_FILES: usize = 256;

/// Files the loader configuration lives in, which the cataloger keeps.
pub fn is_loader_config(path: &[u8]) -> bool {
    path == b"etc/ld.so.conf"
        || (path.starts_with(b"etc/ld.so.conf.d/") && path.ends_with(b".conf"))
        || (path.starts_with(b"etc/ld-musl-") && path.ends_with(b".path"))
}

/// The loader configuration of one image, read once.
#[derive(Debug, Default)]
pub struct Loader {
    /// Folders from `/etc/ld.so.conf`, in order.
    conf_dirs: Vec<Vec<u8>>,
    /// `/etc/ld-musl-ARCH.path` by ARCH.
    musl_paths: BTreeMap<String, Vec<Vec<u8>>>,
}

/// The Debian multiarch triplet of a machine.
fn multiarch(machine: &str, class: u8) -> Option<&'static str> {
    Some(match (machine, class) {
        ("x86_64", 64) => "x86_64-linux-gnu",
        ("x86_64", 32) => "x86_64-linux-gnux32",
        ("i386", _) => "i386-linux-gnu",
        ("aarch64", _) => "aarch64-linux-gnu",
        ("arm", _) => "arm-linux-gnueabihf",
        ("ppc64", _) => "powerpc64le-linux-gnu",
        ("s390", _) => "s390x-linux-gnu",
        ("riscv", 64) => "riscv64-linux-gnu",
        ("mips", _) => "mipsel-linux-gnu",
        ("loongarch", 64) => "loongarch64-linux-gnu",
        _ => return None,
    })
}

fn dir_list(text: &[u8]) -> Vec<Vec<u8>> {
    text.split(|&b| b == b'\n' || b == b':')
        .map(|l| l.trim_ascii())
        .filter(|l| !l.is_empty() && !l.starts_with(b"#"))
        .map(normalize)
        .collect()
}

impl Loader {
    pub fn read(fs: &Vfs) -> Loader {
        let mut l = Loader::default();
        let mut budget = MAX_CONF_FILES;
        l.read_conf(fs, b"etc/ld.so.conf", 0, &mut budget);
        for name in fs.read_dir(b"etc") {
            let Some(arch) = name
                .strip_prefix(b"ld-musl-")
                .and_then(|r| r.strip_suffix(b".path"))
            else {
                continue;
            };
            let mut path = b"etc/".to_vec();
            path.extend_from_slice(&name);
            if let Some(text) = fs.read(&path) {
                l.musl_paths
                    .insert(String::from_utf8_lossy(arch).into_owned(), dir_list(text));
            }
        }
        l
    }

    fn read_conf(&mut self, fs: &Vfs, path: &[u8], depth: usize, budget: &mut usize) {
        if depth > MAX_INCLUDE_DEPTH || *budget == 0 {
            return;
        }
        *budget -= 1;
        let Some(text) = fs.read(path) else { return };
        for line in text.split(|&b| b == b'\n') {
            let line = line
                .split(|&b| b == b'#')
                .next()
                .unwrap_or_default()
                .trim_ascii();
            if line.is_empty() || line.starts_with(b"hwcap ") {
                continue;
            }
            if let Some(pattern) = line.strip_prefix(b"include") {
                for pat in pattern.split(|b| b.is_ascii_whitespace()) {
                    if pat.is_empty() {
                        continue;
                    }
                    // Relative includes are relative to the including file's folder.
                    let pat = if pat.starts_with(b"/") {
                        normalize(pat)
                    } else {
                        let mut p = parent(path).to_vec();
                        p.push(b'/');
                        p.extend_from_slice(pat);
                        normalize(&p)
                    };
                    for file in glob(fs, &pat) {
                        self.read_conf(fs, &file, depth + 1, budget);
                    }
                }
                continue;
            }
            for dir in line.split(|&b| b == b':' || b == b',' || b.is_ascii_whitespace()) {
                if !dir.is_empty() {
                    self.conf_dirs.push(normalize(dir));
                }
            }
        }
    }

    /// The folders searched for the libraries of `elf`, found at `path` (root-relative), in order.
    pub fn search_dirs(&self, elf: &ElfFacts, path: &[u8]) -> Vec<Vec<u8>> {
        let origin = parent(path);
        let lib = if elf.class == 64 { "lib64" } else { "lib" };
        let expand = |p: &str| -> Option<Vec<u8>> {
            let p = p
                .replace("${ORIGIN}", "$ORIGIN")
                .replace("${LIB}", "$LIB")
                .replace("$LIB", lib);
            let p = match p.strip_prefix("$ORIGIN") {
                Some(rest) => {
                    let mut o = origin.to_vec();
                    o.push(b'/');
                    o.extend_from_slice(rest.as_bytes());
                    o
                }
                None => p.into_bytes(),
            };
            // `$PLATFORM` and other tokens are not known without running the loader.
            (!p.contains(&b'$')).then(|| normalize(&p))
        };
        let mut dirs = Vec::new();
        let musl = musl_arch(elf);
        if musl.is_some() {
            dirs.extend(elf.rpath.iter().filter_map(|p| expand(p)));
            dirs.extend(elf.runpath.iter().filter_map(|p| expand(p)));
        } else if elf.runpath.is_empty() {
            dirs.extend(elf.rpath.iter().filter_map(|p| expand(p)));
        } else {
            dirs.extend(elf.runpath.iter().filter_map(|p| expand(p)));
        }
        match musl {
            Some(arch) => match self.musl_paths.get(&arch) {
                Some(list) => dirs.extend(list.iter().cloned()),
                None => dirs.extend([
                    b"lib".to_vec(),
                    b"usr/local/lib".to_vec(),
                    b"usr/lib".to_vec(),
                ]),
            },
            None => {
                dirs.extend(self.conf_dirs.iter().cloned());
                if let Some(t) = multiarch(&elf.machine, elf.class) {
                    dirs.push(format!("lib/{t}").into_bytes());
                    dirs.push(format!("usr/lib/{t}").into_bytes());
                }
                if elf.class == 64 {
                    dirs.extend([b"lib64".to_vec(), b"usr/lib64".to_vec()]);
                }
                dirs.extend([b"lib".to_vec(), b"usr/lib".to_vec()]);
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        dirs.retain(|d| seen.insert(d.clone()));
        dirs
    }

    /// The canonical path of the file `soname` names for `elf` at `path`, if the image has it.
    pub fn find(&self, fs: &Vfs, elf: &ElfFacts, path: &[u8], soname: &str) -> Option<Vec<u8>> {
        if soname.contains('/') {
            return regular_file(fs, &normalize(soname.as_bytes()));
        }
        self.search_dirs(elf, path).into_iter().find_map(|dir| {
            let mut p = dir;
            p.push(b'/');
            p.extend_from_slice(soname.as_bytes());
            regular_file(fs, &normalize(&p))
        })
    }
}

fn regular_file(fs: &Vfs, path: &[u8]) -> Option<Vec<u8>> {
    let (canonical, node) = fs.lookup(path)?;
    node.is_file().then_some(canonical)
}

/// musl's architecture name when the file is linked against musl (its interpreter is
/// `ld-musl-ARCH.so.1`, or, for a library, it needs `libc.musl-ARCH.so.1`).
fn musl_arch(elf: &ElfFacts) -> Option<String> {
    if let Some(i) = &elf.interpreter {
        let name = i.rsplit('/').next().unwrap_or(i);
        if let Some(arch) = name
            .strip_prefix("ld-musl-")
            .and_then(|r| r.strip_suffix(".so.1"))
        {
            return Some(arch.to_string());
        }
        return None;
    }
    elf.needed.iter().find_map(|n| {
        n.strip_prefix("libc.musl-")
            .and_then(|r| r.strip_suffix(".so.1"))
            .map(str::to_string)
    })
}

fn parent(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => path.get(..i).unwrap_or_default(),
        None => b"",
    }
}

/// Files matching `pattern` (a `*` and `?` glob in the last component only, as `ld.so.conf` uses),
/// sorted as glob(3) sorts them.
fn glob(fs: &Vfs, pattern: &[u8]) -> Vec<Vec<u8>> {
    let dir = parent(pattern);
    let name = pattern.get(dir.len()..).unwrap_or_default();
    let name = name.strip_prefix(b"/").unwrap_or(name);
    if !name.contains(&b'*') && !name.contains(&b'?') {
        return vec![pattern.to_vec()];
    }
    fs.read_dir(dir)
        .into_iter()
        .filter(|n| matches(name, n))
        .map(|n| {
            let mut p = dir.to_vec();
            if !p.is_empty() {
                p.push(b'/');
            }
            p.extend_from_slice(&n);
            p
        })
        .collect()
}

/// Glob match with `*` and `?`, iterative (no backtracking blow-up).
fn matches(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == b'?' || Some(&c) == name.get(n) => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .unwrap_or_default()
        .iter()
        .all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::binary::elf::{ElfType, Relro};
    use crate::catalog::binary::notes::NoteFacts;
    use crate::catalog::testutil::{file, link, put};

    fn facts(interp: Option<&str>, needed: &[&str], rpath: &[&str], runpath: &[&str]) -> ElfFacts {
        ElfFacts {
            class: 64,
            little_endian: true,
            machine: "x86_64".into(),
            kind: ElfType::Pie,
            dynamic: true,
            interpreter: interp.map(Into::into),
            needed: needed.iter().map(|s| s.to_string()).collect(),
            soname: None,
            rpath: rpath.iter().map(|s| s.to_string()).collect(),
            runpath: runpath.iter().map(|s| s.to_string()).collect(),
            stripped: true,
            nx_stack: true,
            relro: Relro::Full,
            stack_protector: false,
            fortified: Vec::new(),
            notes: NoteFacts::default(),
        }
    }

    #[test]
    fn glob_matches() {
        assert!(matches(b"*.conf", b"x86_64-linux-gnu.conf"));
        assert!(!matches(b"*.conf", b"x.conf.bak"));
        assert!(matches(b"a?c*", b"abcdef"));
        assert!(matches(b"*", b""));
    }

    #[test]
    fn glibc_order_with_conf_includes_and_runpath() {
        let mut fs = Vfs::new();
        put(
            &mut fs,
            "etc/ld.so.conf",
            file(0, b"include /etc/ld.so.conf.d/*.conf\n"),
        );
        put(
            &mut fs,
            "etc/ld.so.conf.d/x86_64-linux-gnu.conf",
            file(0, b"# Multiarch support\n/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n"),
        );
        put(
            &mut fs,
            "etc/ld.so.conf.d/libc.conf",
            file(0, b"/usr/local/lib\n"),
        );
        put(
            &mut fs,
            "usr/lib/x86_64-linux-gnu/libz.so.1.2.13",
            file(0, b"\x7fELF"),
        );
        put(
            &mut fs,
            "usr/lib/x86_64-linux-gnu/libz.so.1",
            link(0, "libz.so.1.2.13"),
        );
        fs.insert(b"lib".to_vec(), link(0, "usr/lib"));
        put(&mut fs, "opt/app/lib/libz.so.1", file(0, b"\x7fELF"));
        let l = Loader::read(&fs);
        let f = facts(
            Some("/lib64/ld-linux-x86-64.so.2"),
            &["libz.so.1"],
            &[],
            &[],
        );
        let dirs = l.search_dirs(&f, b"usr/bin/app");
        assert_eq!(dirs[0], b"usr/local/lib"); // libc.conf sorts before x86_64-linux-gnu.conf
        assert_eq!(
            l.find(&fs, &f, b"usr/bin/app", "libz.so.1"),
            Some(b"usr/lib/x86_64-linux-gnu/libz.so.1.2.13".to_vec())
        );
        // RUNPATH with $ORIGIN wins over the system folders.
        let f = facts(None, &["libz.so.1"], &["/nowhere"], &["$ORIGIN/../lib"]);
        assert_eq!(
            l.find(&fs, &f, b"opt/app/bin/app", "libz.so.1"),
            Some(b"opt/app/lib/libz.so.1".to_vec())
        );
        assert_eq!(l.find(&fs, &f, b"opt/app/bin/app", "libnone.so"), None);
    }

    #[test]
    fn musl_uses_its_path_file_or_defaults() {
        let mut fs = Vfs::new();
        put(&mut fs, "usr/lib/libssl.so.3", file(0, b"\x7fELF"));
        put(&mut fs, "opt/lib/libfoo.so", file(0, b"\x7fELF"));
        let f = facts(Some("/lib/ld-musl-x86_64.so.1"), &["libssl.so.3"], &[], &[]);
        let l = Loader::read(&fs);
        assert_eq!(
            l.find(&fs, &f, b"bin/x", "libssl.so.3"),
            Some(b"usr/lib/libssl.so.3".to_vec())
        );
        assert_eq!(l.find(&fs, &f, b"bin/x", "libfoo.so"), None);
        put(
            &mut fs,
            "etc/ld-musl-x86_64.path",
            file(0, b"/opt/lib\n/usr/lib\n"),
        );
        let l = Loader::read(&fs);
        assert_eq!(
            l.find(&fs, &f, b"bin/x", "libfoo.so"),
            Some(b"opt/lib/libfoo.so".to_vec())
        );
        // A musl library without an interpreter is told by its libc.
        let lib = facts(None, &["libc.musl-x86_64.so.1"], &[], &[]);
        assert_eq!(musl_arch(&lib).as_deref(), Some("x86_64"));
    }

    #[test]
    fn include_loops_are_bounded() {
        let mut fs = Vfs::new();
        put(
            &mut fs,
            "etc/ld.so.conf",
            file(0, b"include ld.so.conf\n/usr/x\n"),
        );
        let l = Loader::read(&fs);
        assert!(l.conf_dirs.len() <= MAX_CONF_FILES);
        assert!(l.conf_dirs.iter().all(|d| d == b"usr/x"));
    }
}
