//! Fixture provenance is exact: every row of a provenance table names a file that exists (with the
//! size and SHA-256 the row gives, if it gives them), and every file under `testdata/` and
//! `schemas/` has a row.
//!
//! A folder's provenance file is its `PROVENANCE.md`, or its `README.md` where it has none. A row
//! is a table line whose first cell holds only backticked paths, relative to the provenance file's
//! folder; a path ending in `/` is a folder and covers every file in it.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

const ROOTS: [&str; 2] = ["testdata", "schemas"];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `dir`, and the provenance files found on the way.
fn walk(dir: &Path, files: &mut Vec<PathBuf>, provenance: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    let own = ["PROVENANCE.md", "README.md"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file());
    provenance.extend(own);
    for p in entries {
        if p.is_dir() {
            walk(&p, files, provenance);
        } else if !matches!(
            p.file_name().and_then(|n| n.to_str()),
            Some("PROVENANCE.md" | "README.md")
        ) {
            files.push(p);
        }
    }
}

struct Row {
    line: usize,
    paths: Vec<String>,
    bytes: Option<u64>,
    sha256: Option<String>,
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_string()).collect()
}

/// The backticked paths of a first cell, or `None` when it holds anything else.
fn paths(cell: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = cell.trim();
    while let Some(r) = rest.strip_prefix('`') {
        let end = r.find('`')?;
        out.push(r[..end].to_string());
        rest = r[end + 1..].trim_start_matches([',', ' ']);
    }
    (rest.is_empty() && !out.is_empty()).then_some(out)
}

fn rows(text: &str) -> Vec<Row> {
    let mut out = Vec::new();
    let mut header: Option<Vec<String>> = None;
    for (i, line) in text.lines().enumerate() {
        if !line.trim_start().starts_with('|') {
            header = None;
            continue;
        }
        let c = cells(line);
        let Some(h) = &header else {
            header = Some(c.iter().map(|s| s.to_lowercase()).collect());
            continue;
        };
        let Some(paths) = paths(&c[0]) else {
            continue;
        };
        let column = |names: &[&str]| {
            h.iter()
                .position(|n| names.contains(&n.as_str()))
                .and_then(|k| c.get(k))
                .map(|v| v.trim_matches('`').to_string())
                .filter(|v| !v.is_empty())
        };
        out.push(Row {
            line: i + 1,
            paths,
            bytes: column(&["bytes", "size"]).map(|v| v.parse().unwrap()),
            sha256: column(&["sha256"]),
        });
    }
    out
}

#[test]
fn every_row_names_a_fixture_and_every_fixture_has_a_row() {
    let mut files = Vec::new();
    let mut provenance = Vec::new();
    for r in ROOTS {
        walk(&repo().join(r), &mut files, &mut provenance);
    }
    for known in [
        "testdata/fixtures/PROVENANCE.md",
        "testdata/fixtures/sigstore/PROVENANCE.md",
        "testdata/lang/README.md",
        "testdata/binaries/README.md",
        "schemas/PROVENANCE.md",
    ] {
        assert!(
            provenance.contains(&repo().join(known)),
            "{known} not found"
        );
    }

    let mut problems = Vec::new();
    let mut covered_files = BTreeSet::new();
    let mut covered_dirs = Vec::new();
    for p in &provenance {
        let text = fs::read_to_string(p).unwrap();
        let dir = p.parent().unwrap();
        let name = p.strip_prefix(repo()).unwrap().display().to_string();
        for row in rows(&text) {
            for rel in &row.paths {
                let at = format!("{name}:{}: `{rel}`", row.line);
                let Ok(path) = dir.join(rel).canonicalize() else {
                    problems.push(format!("{at} does not exist"));
                    continue;
                };
                if rel.ends_with('/') {
                    assert!(path.is_dir(), "{at} is not a folder");
                    covered_dirs.push(path);
                    continue;
                }
                let data = fs::read(&path).unwrap();
                if let (Some(want), [_]) = (row.bytes, row.paths.as_slice()) {
                    if want != data.len() as u64 {
                        problems.push(format!("{at} has {} bytes, not {want}", data.len()));
                    }
                }
                if let (Some(want), [_]) = (&row.sha256, row.paths.as_slice()) {
                    let got = hex::encode(Sha256::digest(&data));
                    if &got != want {
                        problems.push(format!("{at} has SHA-256 {got}, not {want}"));
                    }
                }
                covered_files.insert(path);
            }
        }
    }
    for f in &files {
        let f = f.canonicalize().unwrap();
        if !covered_files.contains(&f) && !covered_dirs.iter().any(|d| f.starts_with(d)) {
            let rel = f.strip_prefix(repo()).unwrap().display().to_string();
            problems.push(format!("{rel} has no provenance row"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_row_is_a_line_of_backticked_paths_with_its_columns() {
    let text = "\
| source | commit |
|---|---|
| `a/b` | 1 |

| file | bytes | sha256 | note |
| --- | ---: | --- | --- |
| `x`, `y/` | | | both |
| `z` | 12 | `ab` | one |
| plain words | 3 | `cd` | not a row |
";
    let r = rows(text);
    assert_eq!(r.len(), 3);
    assert_eq!(r[0].paths, ["a/b"]);
    assert_eq!(r[1].paths, ["x", "y/"]);
    assert_eq!((r[1].bytes, r[1].sha256.as_deref()), (None, None));
    assert_eq!((r[2].bytes, r[2].sha256.as_deref()), (Some(12), Some("ab")));
    assert_eq!(r[2].line, 8);
}
