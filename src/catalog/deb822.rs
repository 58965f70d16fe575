//! The paragraph format of dpkg's `status` file and of Debian copyright files (deb822, RFC 822
//! style): `Name: value` fields, continuation lines starting with a space or tab, paragraphs
//! separated by blank lines. Parsing never fails: a line that fits nowhere is reported by number and
//! skipped.

/// One paragraph and where it starts (1-based line number).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Paragraph {
    pub line: usize,
    /// Fields in file order; continuation lines are joined to their field with `\n`.
    pub fields: Vec<(String, String)>,
}

impl Paragraph {
    /// The value of the first field called `name` (field names are case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Like [`Paragraph::get`], trimmed, and `None` when empty.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }
}

/// A line that could not be placed: its number and why.
pub type LineProblem = (usize, &'static str);

/// Most problem lines listed per file: garbage would otherwise give one entry per line, a list (and
/// warnings) many times the size of the file. The rest are counted in one last entry.
pub const MAX_PROBLEMS: usize = 50;

/// Splits `text` into paragraphs.
pub fn parse(text: &[u8]) -> (Vec<Paragraph>, Vec<LineProblem>) {
    let mut paragraphs = Vec::new();
    let mut problems = Vec::new();
    let mut current: Option<Paragraph> = None;
    let mut unlisted = 0usize;
    let mut note = |problems: &mut Vec<LineProblem>, p: LineProblem| {
        if problems.len() < MAX_PROBLEMS {
            problems.push(p);
        } else {
            unlisted += 1;
        }
    };
    for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
        let number = i + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let line = String::from_utf8_lossy(raw);
        if line.trim().is_empty() {
            if let Some(p) = current.take() {
                paragraphs.push(p);
            }
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            match current.as_mut().and_then(|p| p.fields.last_mut()) {
                Some((_, value)) => {
                    value.push('\n');
                    value.push_str(line.trim());
                }
                None => note(&mut problems, (number, "continuation line outside a field")),
            }
            continue;
        }
        if line.starts_with('#') {
            continue; // comments are allowed in copyright files and ignored elsewhere
        }
        let Some((name, value)) = line.split_once(':') else {
            note(
                &mut problems,
                (number, "line is neither `Name: value` nor a continuation"),
            );
            continue;
        };
        if name.is_empty() || name.contains(char::is_whitespace) {
            note(&mut problems, (number, "field name is empty or has spaces"));
            continue;
        }
        current
            .get_or_insert_with(|| Paragraph {
                line: number,
                fields: Vec::new(),
            })
            .fields
            .push((name.to_string(), value.trim().to_string()));
    }
    if let Some(p) = current {
        paragraphs.push(p);
    }
    if unlisted > 0 {
        let last = problems.last().map_or(0, |p| p.0);
        problems.push((last, "more bad lines after this one are not listed"));
    }
    (paragraphs, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_continuations_and_problems() {
        let text = b"Package: a\nDescription: short\n long one\n .\n more\n\n\n bad\nPackage: b\nnonsense\n: x\r\nVersion: 1\n";
        let (ps, problems) = parse(text);
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].line, 1);
        assert_eq!(ps[0].get("description"), Some("short\nlong one\n.\nmore"));
        assert_eq!(ps[1].line, 9);
        assert_eq!(ps[1].value("Version"), Some("1"));
        assert_eq!(
            problems.iter().map(|p| p.0).collect::<Vec<_>>(),
            vec![8, 10, 11]
        );
    }

    #[test]
    fn garbage_never_panics() {
        let mut junk = Vec::new();
        for i in 0..4096u32 {
            junk.push((i.wrapping_mul(2654435761) >> 13) as u8);
        }
        let _ = parse(&junk);
        let _ = parse(b"");
        let _ = parse(b":\n \n\t\n");
    }
}
