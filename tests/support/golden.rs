//! Golden files in `tests/golden/`: a writer's output compared byte for byte with the stored one.
//! With `SBOMKIT_BLESS=1` the stored files are rewritten instead; review their diff like code.

use std::path::PathBuf;

pub fn path(name: &str) -> PathBuf {
    super::root().join("tests/golden").join(name)
}

/// Compares `actual` with `tests/golden/<name>`, or stores it when `SBOMKIT_BLESS` is set.
pub fn check(name: &str, actual: &[u8]) {
    let path = path(name);
    if std::env::var_os("SBOMKIT_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with SBOMKIT_BLESS=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "{} differs from the output (run with SBOMKIT_BLESS=1 to accept the output):\n{}",
            path.display(),
            first_difference(
                &String::from_utf8_lossy(&expected),
                &String::from_utf8_lossy(actual)
            )
        );
    }
}

/// The first differing line of two texts, with three lines of context before it.
fn first_difference(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let at = (0..e.len().max(a.len()))
        .find(|&i| e.get(i) != a.get(i))
        .unwrap_or(e.len().min(a.len()));
    let mut out = String::new();
    for (i, line) in e.iter().enumerate().take(at).skip(at.saturating_sub(3)) {
        out.push_str(&format!("  {:>5} {line}\n", i + 1));
    }
    for (sign, side) in [('-', &e), ('+', &a)] {
        for (i, line) in side.iter().enumerate().skip(at).take(3) {
            out.push_str(&format!("{sign} {:>5} {line}\n", i + 1));
        }
    }
    if e.len() == a.len() && at == e.len() {
        out.push_str("(only the line endings differ)\n");
    }
    out
}
