//! What a file that is not a source looks like, for the error that refuses it.

/// A short description of the file from its first bytes (`a PNG image`, `an ELF binary`).
pub fn what(head: &[u8]) -> String {
    const MAGIC: [(&[u8], &str); 12] = [
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"%PDF-", "a PDF document"),
        (b"\x7fELF", "an ELF binary"),
        (b"PK\x03\x04", "a zip archive (or jar)"),
        (b"SQLite format 3\0", "an SQLite database"),
        (b"BZh", "a bzip2 file (not read: use gzip or zstd)"),
        (b"\xfd7zXZ\0", "an xz file (not read: use gzip or zstd)"),
        (b"!<arch>\n", "an ar archive (a .deb?)"),
        (b"\xed\xab\xee\xdb", "an RPM package"),
        (b"#!", "a script"),
    ];
    if head.is_empty() {
        return "an empty file".to_string();
    }
    if let Some((_, name)) = MAGIC.iter().find(|(m, _)| head.starts_with(m)) {
        return name.to_string();
    }
    match head.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | Some(b'[') => "a JSON document".to_string(),
        _ if std::str::from_utf8(head).is_ok() => "a text file".to_string(),
        _ => "an unrecognised binary file".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::what;

    #[test]
    fn names_common_files() {
        assert_eq!(what(b""), "an empty file");
        assert_eq!(what(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "a PNG image");
        assert_eq!(what(b"\x7fELF\x02\x01\x01"), "an ELF binary");
        assert_eq!(what(b"  {\"spdxVersion\": 1}"), "a JSON document");
        assert_eq!(what(b"hello\n"), "a text file");
        assert_eq!(what(b"\x00\x01\xfe"), "an unrecognised binary file");
    }
}
