//! Go build information (`runtime/debug.BuildInfo`) embedded by the Go linker in `.go.buildinfo`.
//!
//! Layout, as `debug/buildinfo` reads it: a 32-byte header at a 16-byte aligned address starting
//! with `\xff Go buildinf:`, then the pointer size (byte 14) and flags (byte 15; bit 0 big-endian,
//! bit 1 inline strings). Go >= 1.18 stores the version and the module information inline right
//! after the header as varint-length-prefixed strings; older linkers store two pointers to Go string
//! headers (`{data, len}`), resolved through the `PT_LOAD` program headers. The module information
//! is framed by two 16-byte sentinels and holds tab-separated `path`, `mod`, `dep`, `=>` and `build`
//! lines.
//!
//! Safe on untrusted input: every length is checked against the bytes present, nothing is
//! allocated by a size read from the file, and malformed data yields an error naming the offset or
//! line instead of a panic.

use goblin::elf::program_header::{PF_W, PF_X, PT_LOAD};

/// One module line of the build information (`mod` or `dep`), with its replacement (`=>`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GoModule {
    pub path: String,
    /// As recorded: `v1.2.3`, a pseudo-version, or `(devel)`.
    pub version: String,
    /// `h1:` sum, where recorded.
    pub sum: Option<String>,
    pub replace: Option<Box<GoModule>>,
}

/// The build information of one Go binary.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GoBuildInfo {
    /// `go1.22.1`, as recorded.
    pub go_version: String,
    /// The main package path (`path` line).
    pub path: Option<String>,
    /// The main module (`mod` line).
    pub main: Option<GoModule>,
    /// Dependencies (`dep` lines), in recorded order.
    pub deps: Vec<GoModule>,
    /// Build settings (`build` lines: `GOOS`, `GOARCH`, `CGO_ENABLED`, `vcs.revision`, `-ldflags`...),
    /// in recorded order.
    pub settings: Vec<(String, String)>,
}

impl GoBuildInfo {
    /// The value of the first build setting named `key`.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

const MAGIC: &[u8] = b"\xff Go buildinf:";
const HEADER_SIZE: usize = 32;
const ALIGN: u64 = 16;
const FLAG_BIG_ENDIAN: u8 = 0x1;
const FLAG_INLINE: u8 = 0x2;
/// How much of a data segment is searched for the header when there are no section headers.
const SEGMENT_SEARCH_LEN: usize = 64 * 1024;
/// Length of each sentinel framing the module information.
const SENTINEL_LEN: usize = 16;

/// Reads the build information of a Go binary. `Ok(None)` when the file is not a Go binary.
pub fn read(elf: &goblin::elf::Elf<'_>, bytes: &[u8]) -> Result<Option<GoBuildInfo>, String> {
    let Some(found) = locate(elf, bytes)? else {
        return Ok(None);
    };
    let (version, modinfo) = decode(elf, bytes, found)?;
    if version.is_empty() {
        return Err(format!(
            "Go buildinfo at offset {found:#x}: empty Go version"
        ));
    }
    let mut info = parse_modinfo(strip_sentinels(modinfo))
        .map_err(|e| format!("Go buildinfo at offset {found:#x}: {e}"))?;
    info.go_version = String::from_utf8_lossy(version).into_owned();
    Ok(Some(info))
}

/// File offset of the buildinfo header: in `.go.buildinfo` when the section headers name it, else
/// the first aligned magic in a writable `PT_LOAD` segment (section headers stripped).
fn locate(elf: &goblin::elf::Elf<'_>, bytes: &[u8]) -> Result<Option<usize>, String> {
    for sh in &elf.section_headers {
        if elf.shdr_strtab.get_at(sh.sh_name) != Some(".go.buildinfo") {
            continue;
        }
        let region = file_region(bytes, sh.sh_offset, sh.sh_size).ok_or_else(|| {
            format!(
                ".go.buildinfo section (offset {:#x}, size {:#x}) lies outside the file",
                sh.sh_offset, sh.sh_size
            )
        })?;
        return match find_magic(bytes, region, sh.sh_addr) {
            Some(off) => Ok(Some(off)),
            None => Err(format!(
                ".go.buildinfo section at offset {:#x} holds no buildinfo header",
                sh.sh_offset
            )),
        };
    }
    // Like `debug/buildinfo`: the linker puts the blob near the start of the writable data segment,
    // so only the first 64 KiB of each such segment are searched.
    for ph in &elf.program_headers {
        if ph.p_type != PT_LOAD || ph.p_flags & (PF_X | PF_W) != PF_W {
            continue;
        }
        // A truncated file still gets its present bytes searched.
        let Some(start) = usize::try_from(ph.p_offset)
            .ok()
            .filter(|&s| s < bytes.len())
        else {
            continue;
        };
        let len = usize::try_from(ph.p_filesz)
            .unwrap_or(usize::MAX)
            .min(bytes.len() - start)
            .min(SEGMENT_SEARCH_LEN);
        if let Some(off) = find_magic(bytes, (start, len), ph.p_vaddr) {
            return Ok(Some(off));
        }
    }
    Ok(None)
}

/// `(offset, len)` of a region wholly inside `bytes`.
fn file_region(bytes: &[u8], offset: u64, size: u64) -> Option<(usize, usize)> {
    let start = usize::try_from(offset).ok()?;
    let len = usize::try_from(size).ok()?;
    let end = start.checked_add(len)?;
    (end <= bytes.len()).then_some((start, len))
}

/// File offset of the first magic inside the region whose virtual address is 16-byte aligned and
/// that leaves room for the whole header.
fn find_magic(bytes: &[u8], (start, len): (usize, usize), vaddr: u64) -> Option<usize> {
    let region = bytes.get(start..start.checked_add(len)?)?;
    let mut from = 0usize;
    while from < region.len() {
        let rel = from + find(region.get(from..)?, MAGIC)?;
        if rel.checked_add(HEADER_SIZE)? > region.len() {
            return None;
        }
        if vaddr.wrapping_add(rel as u64) % ALIGN == 0 {
            return start.checked_add(rel);
        }
        from = rel + 1;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, tail) = needle.split_first()?;
    let mut from = 0;
    loop {
        let at = from + haystack.get(from..)?.iter().position(|&b| b == first)?;
        if haystack.get(at + 1..)?.starts_with(tail) {
            return Some(at);
        }
        from = at + 1;
    }
}

/// The raw version and module-information strings behind the header at `off`.
fn decode<'a>(
    elf: &goblin::elf::Elf<'_>,
    bytes: &'a [u8],
    off: usize,
) -> Result<(&'a [u8], &'a [u8]), String> {
    let header = off
        .checked_add(HEADER_SIZE)
        .and_then(|end| bytes.get(off..end))
        .ok_or_else(|| format!("Go buildinfo header at offset {off:#x} is truncated"))?;
    let ptr_size = header[14];
    let flags = header[15];
    if flags & FLAG_INLINE != 0 {
        let rest = &bytes[off + HEADER_SIZE..];
        let (version, rest) = varint_string(rest)
            .ok_or_else(|| format!("Go buildinfo at offset {off:#x}: bad inline version string"))?;
        let (modinfo, _) = varint_string(rest).ok_or_else(|| {
            format!("Go buildinfo at offset {off:#x}: bad inline module information string")
        })?;
        return Ok((version, modinfo));
    }
    let big_endian = flags & FLAG_BIG_ENDIAN != 0;
    let width = match ptr_size {
        4 | 8 => usize::from(ptr_size),
        other => {
            return Err(format!(
                "Go buildinfo at offset {off:#x}: unsupported pointer size {other}"
            ))
        }
    };
    let version_ptr = read_uint(&header[16..], width, big_endian);
    let modinfo_ptr = read_uint(&header[16 + width..], width, big_endian);
    let version = go_string(elf, bytes, version_ptr, width, big_endian)
        .map_err(|e| format!("Go buildinfo at offset {off:#x}: version: {e}"))?;
    let modinfo = go_string(elf, bytes, modinfo_ptr, width, big_endian)
        .map_err(|e| format!("Go buildinfo at offset {off:#x}: module information: {e}"))?;
    Ok((version, modinfo))
}

/// A varint-length-prefixed string and the bytes after it.
fn varint_string(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, used) = uvarint(data)?;
    let rest = data.get(used..)?;
    let len = usize::try_from(len).ok().filter(|&l| l <= rest.len())?;
    Some(rest.split_at(len))
}

/// `encoding/binary.Uvarint`: `None` on truncation or overflow past 64 bits.
fn uvarint(data: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &b) in data.iter().enumerate().take(10) {
        if i == 9 && b > 1 {
            return None;
        }
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// An unsigned integer of `width` (4 or 8) bytes; `data` holds at least `width` bytes.
fn read_uint(data: &[u8], width: usize, big_endian: bool) -> u64 {
    let mut buf = [0u8; 8];
    let src = data.get(..width).unwrap_or(&[]);
    if big_endian {
        buf[8 - src.len()..].copy_from_slice(src);
        u64::from_be_bytes(buf)
    } else {
        buf[..src.len()].copy_from_slice(src);
        u64::from_le_bytes(buf)
    }
}

/// The bytes of the Go string whose header (`{data, len}`) sits at virtual address `addr`.
fn go_string<'a>(
    elf: &goblin::elf::Elf<'_>,
    bytes: &'a [u8],
    addr: u64,
    width: usize,
    big_endian: bool,
) -> Result<&'a [u8], String> {
    let header = mapped(elf, bytes, addr)
        .and_then(|d| d.get(..2 * width))
        .ok_or_else(|| format!("string header address {addr:#x} is not in the file"))?;
    let data_addr = read_uint(header, width, big_endian);
    let len = read_uint(&header[width..], width, big_endian);
    if len == 0 {
        return Ok(&[]);
    }
    let data = mapped(elf, bytes, data_addr)
        .ok_or_else(|| format!("string data address {data_addr:#x} is not in the file"))?;
    usize::try_from(len)
        .ok()
        .and_then(|l| data.get(..l))
        .ok_or_else(|| format!("string at {data_addr:#x} of length {len} runs past its segment"))
}

/// The file bytes from virtual address `addr` to the end of the `PT_LOAD` segment holding it.
fn mapped<'a>(elf: &goblin::elf::Elf<'_>, bytes: &'a [u8], addr: u64) -> Option<&'a [u8]> {
    elf.program_headers.iter().find_map(|ph| {
        if ph.p_type != PT_LOAD || addr < ph.p_vaddr {
            return None;
        }
        let delta = addr - ph.p_vaddr;
        if delta >= ph.p_filesz {
            return None;
        }
        let start = usize::try_from(ph.p_offset.checked_add(delta)?).ok()?;
        let avail = usize::try_from(ph.p_filesz - delta).ok()?;
        let end = start.checked_add(avail)?.min(bytes.len());
        bytes.get(start..end)
    })
}

/// The module information without its sentinels; empty when it is not framed as the linker frames
/// it (as `debug/buildinfo` treats it).
fn strip_sentinels(modinfo: &[u8]) -> &[u8] {
    let n = modinfo.len();
    if n > 2 * SENTINEL_LEN && modinfo[n - SENTINEL_LEN - 1] == b'\n' {
        &modinfo[SENTINEL_LEN..n - SENTINEL_LEN]
    } else {
        &[]
    }
}

/// Parses the module information lines as `debug.ParseBuildInfo` does. Errors name the line.
pub fn parse_modinfo(data: &[u8]) -> Result<GoBuildInfo, String> {
    let text = String::from_utf8_lossy(data);
    let mut info = GoBuildInfo::default();
    // Which module a following `=>` line replaces: the main module or a dependency.
    #[derive(Clone, Copy)]
    enum Last {
        None,
        Main,
        Dep(usize),
    }
    let mut last = Last::None;
    // A final line without a newline is ignored, as Go does.
    let mut lines: Vec<&str> = text.split('\n').collect();
    lines.pop();
    for (i, line) in lines.into_iter().enumerate() {
        let n = i + 1;
        let err = |msg: &str| format!("module information line {n}: {msg}");
        if let Some(rest) = line.strip_prefix("path\t") {
            info.path = Some(rest.to_string());
        } else if let Some(rest) = line.strip_prefix("mod\t") {
            info.main = Some(module_line(rest).map_err(|e| err(&e))?);
            last = Last::Main;
        } else if let Some(rest) = line.strip_prefix("dep\t") {
            info.deps.push(module_line(rest).map_err(|e| err(&e))?);
            last = Last::Dep(info.deps.len() - 1);
        } else if let Some(rest) = line.strip_prefix("=>\t") {
            let elem: Vec<&str> = rest.split('\t').collect();
            let [path, version, sum] = elem[..] else {
                return Err(err(&format!(
                    "expected 3 columns for replacement; got {}",
                    elem.len()
                )));
            };
            let replacement = Box::new(GoModule {
                path: path.to_string(),
                version: version.to_string(),
                sum: (!sum.is_empty()).then(|| sum.to_string()),
                replace: None,
            });
            let target = match last {
                Last::None => None,
                Last::Main => info.main.as_mut(),
                Last::Dep(d) => info.deps.get_mut(d),
            };
            let Some(target) = target else {
                return Err(err("replacement with no module on previous line"));
            };
            target.replace = Some(replacement);
            last = Last::None;
        } else if let Some(kv) = line.strip_prefix("build\t") {
            info.settings.push(build_line(kv).map_err(|e| err(&e))?);
        }
    }
    Ok(info)
}

fn module_line(rest: &str) -> Result<GoModule, String> {
    let elem: Vec<&str> = rest.split('\t').collect();
    let (path, version, sum) = match elem[..] {
        [path, version] => (path, version, ""),
        [path, version, sum] => (path, version, sum),
        _ => return Err(format!("expected 2 or 3 columns; got {}", elem.len())),
    };
    Ok(GoModule {
        path: path.to_string(),
        version: version.to_string(),
        sum: (!sum.is_empty()).then(|| sum.to_string()),
        replace: None,
    })
}

/// A `build` line: `key=value`, either side possibly quoted with Go's `strconv` quoting.
fn build_line(kv: &str) -> Result<(String, String), String> {
    let (key, raw_value) = match kv.as_bytes().first() {
        None => return Err("build line missing '='".to_string()),
        Some(b'=') => return Err("build line with missing key".to_string()),
        Some(b'"' | b'`') => {
            let raw_key = quoted_prefix(kv).ok_or("invalid quoted key in build line")?;
            let key = unquote(raw_key).ok_or("invalid quoted key in build line")?;
            let after = &kv[raw_key.len()..];
            let value = after
                .strip_prefix('=')
                .ok_or("unquoted '=' missing after quoted key in build line")?;
            (key, value)
        }
        Some(_) => {
            let (key, value) = kv.split_once('=').ok_or("build line missing '='")?;
            (key.to_string(), value)
        }
    };
    let value = match raw_value.as_bytes().first() {
        Some(b'"' | b'`') => {
            unquote(raw_value).ok_or_else(|| format!("invalid quoted value for {key}"))?
        }
        _ => raw_value.to_string(),
    };
    Ok((key, value))
}

/// The leading quoted string of `s` (`strconv.QuotedPrefix`), quotes included.
fn quoted_prefix(s: &str) -> Option<&str> {
    let bytes = s.as_bytes();
    match bytes.first()? {
        b'`' => {
            let end = s[1..].find('`')? + 2;
            Some(&s[..end])
        }
        b'"' => {
            let mut i = 1;
            while i < bytes.len() {
                match bytes[i] {
                    b'"' => return Some(&s[..=i]),
                    b'\n' => return None,
                    b'\\' => i += 2,
                    _ => i += 1,
                }
            }
            None
        }
        _ => None,
    }
}

/// `strconv.Unquote` for double-quoted and back-quoted strings; `None` when `s` is not exactly one
/// valid quoted string. Escaped bytes that are not UTF-8 are replaced, as elsewhere in this reader.
fn unquote(s: &str) -> Option<String> {
    if let Some(inner) = s.strip_prefix('`') {
        let inner = inner.strip_suffix('`')?;
        if inner.contains('`') {
            return None;
        }
        return Some(inner.replace('\r', ""));
    }
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out: Vec<u8> = Vec::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\n' => return None,
            '\\' => {
                let e = chars.next()?;
                match e {
                    'a' => out.push(0x07),
                    'b' => out.push(0x08),
                    'f' => out.push(0x0c),
                    'n' => out.push(b'\n'),
                    'r' => out.push(b'\r'),
                    't' => out.push(b'\t'),
                    'v' => out.push(0x0b),
                    '\\' => out.push(b'\\'),
                    '"' => out.push(b'"'),
                    'x' => out.push(u8::try_from(hex_digits(&mut chars, 2)?).ok()?),
                    'u' | 'U' => {
                        let n = if e == 'u' { 4 } else { 8 };
                        let ch = char::from_u32(hex_digits(&mut chars, n)?)?;
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    }
                    '0'..='7' => {
                        let mut v = e.to_digit(8)?;
                        for _ in 0..2 {
                            v = v * 8 + chars.next()?.to_digit(8)?;
                        }
                        out.push(u8::try_from(v).ok()?);
                    }
                    _ => return None,
                }
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

fn hex_digits(chars: &mut std::str::Chars<'_>, n: usize) -> Option<u32> {
    let mut v = 0u32;
    for _ in 0..n {
        v = v
            .checked_mul(16)?
            .checked_add(chars.next()?.to_digit(16)?)?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::catalog::testutil::testdata;

    fn read_bytes(bytes: &[u8]) -> Result<Option<GoBuildInfo>, String> {
        match goblin::elf::Elf::parse(bytes) {
            Ok(elf) => read(&elf, bytes),
            Err(e) => Err(format!("not ELF: {e}")),
        }
    }

    fn read_file(rel: &str) -> GoBuildInfo {
        let bytes = std::fs::read(testdata(rel)).unwrap();
        read_bytes(&bytes).unwrap().expect("a Go binary")
    }

    /// (path, version, sum), with an empty sum where none is printed.
    type Triple = (String, String, String);

    /// What `go version -m` printed: the version and the module lines, taken apart by hand.
    #[derive(Debug, PartialEq)]
    struct Printed {
        go_version: String,
        path: Option<String>,
        // (path, version, sum) of the main module, then of each dependency with its replacement.
        main: Option<Triple>,
        deps: Vec<(Triple, Option<Triple>)>,
        settings: Vec<(String, String)>,
    }

    fn printed(rel: &str) -> Printed {
        let text = std::fs::read_to_string(testdata(rel)).unwrap();
        let mut lines = text.lines();
        let first = lines.next().unwrap();
        let go_version = first.rsplit(": ").next().unwrap().to_string();
        let mut out = Printed {
            go_version,
            path: None,
            main: None,
            deps: Vec::new(),
            settings: Vec::new(),
        };
        let triple = |cols: &[&str]| {
            (
                cols[0].to_string(),
                cols[1].to_string(),
                cols.get(2).unwrap_or(&"").to_string(),
            )
        };
        for line in lines {
            let cols: Vec<&str> = line.trim_start_matches('\t').split('\t').collect();
            match cols[0] {
                "path" => out.path = Some(cols[1].to_string()),
                "mod" => out.main = Some(triple(&cols[1..])),
                "dep" => out.deps.push((triple(&cols[1..]), None)),
                "=>" => out.deps.last_mut().unwrap().1 = Some(triple(&cols[1..])),
                "build" => {
                    let (k, v) = cols[1].split_once('=').unwrap();
                    // Only the quoting the fixtures use: "..." around a value with spaces.
                    let v = match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
                        None => v.to_string(),
                    };
                    out.settings.push((k.to_string(), v));
                }
                "" => {}
                other => panic!("unexpected line kind {other:?} in {rel}"),
            }
        }
        out
    }

    fn as_printed(info: &GoBuildInfo) -> Printed {
        let triple = |m: &GoModule| {
            (
                m.path.clone(),
                m.version.clone(),
                m.sum.clone().unwrap_or_default(),
            )
        };
        Printed {
            go_version: info.go_version.clone(),
            path: info.path.clone(),
            main: info.main.as_ref().map(triple),
            deps: info
                .deps
                .iter()
                .map(|d| (triple(d), d.replace.as_deref().map(triple)))
                .collect(),
            settings: info.settings.clone(),
        }
    }

    #[test]
    fn pointer_format_go_1_15_matches_go_version_m() {
        let info = read_file("fixtures/elf/go/test.elf");
        assert_eq!(
            as_printed(&info),
            printed("binaries/expected/test.elf.go-version-m.txt")
        );
        assert_eq!(info.go_version, "go1.15.2");
        let main = info.main.as_ref().unwrap();
        assert_eq!(main.path, "github.com/aquasecurity/test");
        assert_eq!(main.version, "(devel)");
        assert_eq!(main.sum, None);
        assert_eq!(info.deps.len(), 3);
        assert!(info
            .deps
            .iter()
            .all(|d| d.sum.as_deref().is_some_and(|s| s.starts_with("h1:"))));
    }

    #[test]
    fn inline_format_fixtures_match_go_version_m() {
        for name in [
            "go-hello",
            "go-hello-stripped",
            "go-hello-noshdr",
            "third-party/age-keygen",
        ] {
            let info = read_file(&format!("binaries/{name}"));
            assert_eq!(
                as_printed(&info),
                printed(&format!("binaries/{name}.go-version-m.txt")),
                "{name}"
            );
        }
    }

    #[test]
    fn local_replacement_and_build_settings() {
        let info = read_file("binaries/go-hello");
        assert_eq!(info.deps.len(), 1);
        let greet = &info.deps[0];
        assert_eq!(
            (greet.path.as_str(), greet.version.as_str()),
            ("example.com/greet", "v0.1.0")
        );
        let rep = greet.replace.as_deref().unwrap();
        assert_eq!(
            (rep.path.as_str(), rep.version.as_str(), rep.sum.as_deref()),
            ("./greet", "(devel)", None)
        );
        assert_eq!(info.setting("CGO_ENABLED"), Some("0"));
        assert_eq!(info.setting("vcs"), Some("git"));
        assert_eq!(info.setting("vcs.modified"), Some("false"));

        let stripped = read_file("binaries/go-hello-stripped");
        assert_eq!(stripped.setting("-ldflags"), Some("-s -w"));
        assert_eq!(stripped.setting("-tags"), Some("fixture"));
    }

    #[test]
    fn section_headers_stripped_uses_load_segments() {
        let bytes = std::fs::read(testdata("binaries/go-hello-noshdr")).unwrap();
        let elf = goblin::elf::Elf::parse(&bytes).unwrap();
        assert!(elf.section_headers.is_empty());
        let info = read(&elf, &bytes).unwrap().unwrap();
        assert_eq!(info.deps, read_file("binaries/go-hello-stripped").deps);

        // The pointer format the same way: drop test.elf's section headers in memory.
        let mut old = std::fs::read(testdata("fixtures/elf/go/test.elf")).unwrap();
        old[0x28..0x30].fill(0); // e_shoff
        old[0x3c..0x40].fill(0); // e_shnum, e_shstrndx
        let info = read_bytes(&old).unwrap().unwrap();
        assert_eq!(info, read_file("fixtures/elf/go/test.elf"));
    }

    #[test]
    fn non_go_binaries_are_none() {
        for rel in [
            "fixtures/elf/rust/binary-with-audit-info",
            "fixtures/elf/package-notes/libudev.so.1.7.5",
            "binaries/rust-hello",
        ] {
            let bytes = std::fs::read(testdata(rel)).unwrap();
            assert_eq!(read_bytes(&bytes), Ok(None), "{rel}");
        }
    }

    /// File offset of the buildinfo header and the end of the strings it introduces.
    fn buildinfo_region(bytes: &[u8]) -> (usize, usize) {
        let off = find(bytes, MAGIC).unwrap();
        let (vlen, n1) = uvarint(&bytes[off + 32..]).unwrap();
        let after = off + 32 + n1 + vlen as usize;
        let (mlen, n2) = uvarint(&bytes[after..]).unwrap();
        (off, after + n2 + mlen as usize)
    }

    #[test]
    fn truncated_at_every_offset_never_panics() {
        for rel in ["binaries/go-hello-noshdr", "binaries/go-hello-stripped"] {
            let bytes = std::fs::read(testdata(rel)).unwrap();
            let (start, end) = buildinfo_region(&bytes);
            for cut in start..end {
                let result = read_bytes(&bytes[..cut]);
                assert!(
                    !matches!(result, Ok(Some(_))),
                    "{rel} cut at {cut}: {result:?}"
                );
            }
            if rel.ends_with("noshdr") {
                assert!(read_bytes(&bytes[..end]).unwrap().is_some());
            }
        }
    }

    #[test]
    fn corrupted_bytes_never_panic() {
        for rel in ["binaries/go-hello-noshdr", "fixtures/elf/go/test.elf"] {
            let bytes = std::fs::read(testdata(rel)).unwrap();
            let start = find(&bytes, MAGIC).unwrap();
            let end = if rel.ends_with("test.elf") {
                start + 32
            } else {
                buildinfo_region(&bytes).1
            };
            // The headers stay as parsed; only the buildinfo bytes change.
            let elf = goblin::elf::Elf::parse(&bytes).unwrap();
            let mut copy = bytes.clone();
            for i in start..end {
                for v in [0x00, 0x80, 0xff] {
                    let saved = copy[i];
                    copy[i] = v;
                    let _ = read(&elf, &copy);
                    copy[i] = saved;
                }
            }
        }
    }

    #[test]
    fn huge_varint_is_an_error() {
        let mut bytes = std::fs::read(testdata("binaries/go-hello-noshdr")).unwrap();
        let (start, _) = buildinfo_region(&bytes);
        // A ten-byte varint beyond 64 bits, then one claiming far more bytes than the file has.
        bytes[start + 32..start + 42].fill(0xff);
        assert!(read_bytes(&bytes).is_err());
        bytes[start + 32..start + 41].fill(0xff);
        bytes[start + 41] = 0x01;
        let err = read_bytes(&bytes).unwrap_err();
        assert!(err.contains("version"), "{err}");
    }

    #[test]
    fn pointers_out_of_range_are_errors() {
        let bytes = std::fs::read(testdata("fixtures/elf/go/test.elf")).unwrap();
        let start = find(&bytes, MAGIC).unwrap();
        for (at, value) in [(16, u64::MAX), (24, 0x10), (16, 0x59e000 + 0x17e80)] {
            let mut copy = bytes.clone();
            copy[start + at..start + at + 8].copy_from_slice(&value.to_le_bytes());
            let err = read_bytes(&copy).unwrap_err();
            assert!(err.contains("not in the file"), "{err}");
        }
        // A string header whose length runs past the segment.
        let info_ptr = u64::from_le_bytes(bytes[start + 24..start + 32].try_into().unwrap());
        let hdr = (info_ptr - 0x59e000 + 0x19e000) as usize; // the RW segment's mapping
        let mut copy = bytes.clone();
        copy[hdr + 8..hdr + 16].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
        let err = read_bytes(&copy).unwrap_err();
        assert!(err.contains("runs past"), "{err}");
        // A pointer size the format does not have.
        let mut copy = bytes.clone();
        copy[start + 14] = 3;
        assert!(read_bytes(&copy).unwrap_err().contains("pointer size"));
    }

    /// A minimal big-endian ELF32 whose one PT_LOAD segment holds a pointer-format buildinfo.
    fn elf32_be_pointer_format(version: &[u8], modinfo: &[u8]) -> Vec<u8> {
        const VADDR: u32 = 0x10000;
        let mut f = vec![0u8; 0x60];
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 1; // ELFCLASS32
        f[5] = 2; // big-endian
        f[6] = 1;
        f[16..18].copy_from_slice(&2u16.to_be_bytes()); // ET_EXEC
        f[18..20].copy_from_slice(&8u16.to_be_bytes()); // EM_MIPS
        f[20..24].copy_from_slice(&1u32.to_be_bytes());
        f[28..32].copy_from_slice(&52u32.to_be_bytes()); // e_phoff
        f[40..42].copy_from_slice(&52u16.to_be_bytes()); // e_ehsize
        f[42..44].copy_from_slice(&32u16.to_be_bytes()); // e_phentsize
        f[44..46].copy_from_slice(&1u16.to_be_bytes()); // e_phnum
        f[46..48].copy_from_slice(&40u16.to_be_bytes()); // e_shentsize
                                                         // Buildinfo header at 0x60, string headers at 0x80, string bytes from 0x90.
        let mut body = Vec::new();
        body.extend_from_slice(MAGIC);
        body.extend_from_slice(&[4, FLAG_BIG_ENDIAN]);
        body.extend_from_slice(&(VADDR + 0x80).to_be_bytes());
        body.extend_from_slice(&(VADDR + 0x88).to_be_bytes());
        body.resize(0x20, 0);
        let v_at = VADDR + 0x90;
        let m_at = v_at + version.len() as u32;
        for (at, len) in [(v_at, version.len()), (m_at, modinfo.len())] {
            body.extend_from_slice(&at.to_be_bytes());
            body.extend_from_slice(&(len as u32).to_be_bytes());
        }
        body.extend_from_slice(version);
        body.extend_from_slice(modinfo);
        f.extend_from_slice(&body);
        let size = f.len() as u32;
        let ph: [u32; 8] = [1, 0, VADDR, VADDR, size, size, 6, 0x1000]; // PT_LOAD, RW
        for (i, v) in ph.iter().enumerate() {
            f[52 + 4 * i..56 + 4 * i].copy_from_slice(&v.to_be_bytes());
        }
        f
    }

    fn framed(lines: &str) -> Vec<u8> {
        let mut m = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6".to_vec();
        m.extend_from_slice(lines.as_bytes());
        m.extend_from_slice(b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2");
        m
    }

    #[test]
    fn pointer_format_big_endian_32_bit() {
        let lines = "path\texample.com/x\nmod\texample.com/x\tv1.0.0\th1:abc=\n\
                     dep\texample.com/y\tv0.1.0\n=>\texample.com/z\tv0.2.0\th1:zzz=\n\
                     build\tGOARCH=mips\n";
        let f = elf32_be_pointer_format(b"go1.16.15", &framed(lines));
        let info = read_bytes(&f).unwrap().unwrap();
        assert_eq!(info.go_version, "go1.16.15");
        assert_eq!(info.main.as_ref().unwrap().sum.as_deref(), Some("h1:abc="));
        let rep = info.deps[0].replace.as_deref().unwrap();
        assert_eq!(
            (rep.path.as_str(), rep.sum.as_deref()),
            ("example.com/z", Some("h1:zzz="))
        );
        assert_eq!(info.setting("GOARCH"), Some("mips"));

        // Unframed module information is ignored, as Go does; an empty version is an error.
        let f = elf32_be_pointer_format(b"go1.16.15", lines.as_bytes());
        assert_eq!(read_bytes(&f).unwrap().unwrap().main, None);
        assert!(read_bytes(&elf32_be_pointer_format(b"", &framed(lines))).is_err());
    }

    #[test]
    fn modinfo_lines_follow_go() {
        let info = parse_modinfo(
            b"path\tp\nmod\tm\t(devel)\t\n=>\t../m\t\t\nbuild\t\"odd key\"=`raw\tvalue`\n\
              build\t-ldflags=\"-X \\\"main.v=1\\\" \\u00e9\\x41\\101\"\nbuild\tempty=\ntrailing\tno newline",
        )
        .unwrap();
        assert_eq!(
            info.main.as_ref().unwrap().replace.as_ref().unwrap().path,
            "../m"
        );
        assert_eq!(
            info.settings,
            vec![
                ("odd key".to_string(), "raw\tvalue".to_string()),
                ("-ldflags".to_string(), "-X \"main.v=1\" éAA".to_string()),
                ("empty".to_string(), String::new()),
            ]
        );
        for bad in [
            &b"mod\tonly-one\n"[..],
            b"dep\ta\tb\tc\td\n",
            b"=>\ta\tb\tc\n",
            b"mod\ta\tb\n=>\ta\tb\n",
            b"build\tnoequals\n",
            b"build\t=v\n",
            b"build\tk=\"unterminated\n",
            b"build\t\"k\"v\n",
            b"build\tk=\"bad \\q escape\"\n",
        ] {
            let err = parse_modinfo(bad).unwrap_err();
            assert!(
                err.starts_with("module information line 1") || err.contains("line 2"),
                "{err}"
            );
        }
    }
}
