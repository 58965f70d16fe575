//! What the targets share: small limits (so that a valid but huge input is a clean refusal rather
//! than a timeout) and archive building for the image targets.
#![allow(dead_code)]

use std::io::Write;

use sbomkit::limits::{Budget, Limits};
use sbomkit::source::layer::ReadCx;
use sbomkit::source::{Digests, Interest, NoProgress, SourceKind, SourceOptions, SourceSpec};

pub fn limits() -> Limits {
    Limits {
        max_entries: 20_000,
        max_decompressed_bytes: 64 << 20,
        max_file_size: 4 << 20,
        max_json_size: 1 << 20,
    }
}

/// Keeps every file up to 1 MiB, so that the content path of the reader runs too.
pub fn keep_all(_path: &[u8], _head: &[u8]) -> Option<u64> {
    Some(1 << 20)
}

pub fn with_cx<T>(f: impl FnOnce(&ReadCx<'_>) -> T) -> T {
    let budget = Budget::new(limits());
    let cx = ReadCx {
        interest: Interest::new(&keep_all, Digests::AllWithSha1),
        budget: &budget,
    };
    f(&cx)
}

pub fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

/// Splits the input at `\n--\n` into at most `n` parts (missing parts are empty).
pub fn parts(data: &[u8], n: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = data;
    while out.len() + 1 < n {
        match rest.windows(4).position(|w| w == b"\n--\n") {
            Some(i) => {
                out.push(rest[..i].to_vec());
                rest = &rest[i + 4..];
            }
            None => break,
        }
    }
    out.push(rest.to_vec());
    out.resize(n, Vec::new());
    out
}

/// Replaces each `(placeholder, value)` in a JSON text, so that the fuzzer can name blobs by digest.
pub fn fill(text: &[u8], subs: &[(&str, &str)]) -> Vec<u8> {
    let mut s = text.to_vec();
    for (k, v) in subs {
        let mut out = Vec::with_capacity(s.len());
        let mut i = 0;
        while i < s.len() {
            if s[i..].starts_with(k.as_bytes()) {
                out.extend_from_slice(v.as_bytes());
                i += k.len();
            } else {
                out.push(s[i]);
                i += 1;
            }
        }
        s = out;
    }
    s
}

/// A tar archive of the given entries.
pub fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

/// Writes `archive` to a temp file and runs the whole source reading on it.
pub fn open_archive(archive: &[u8], kind: SourceKind) {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(archive).unwrap();
    f.flush().unwrap();
    let spec = SourceSpec {
        kind: Some(kind),
        path: f.path().to_path_buf(),
    };
    let opts = SourceOptions {
        limits: limits(),
        ..SourceOptions::default()
    };
    let interest = Interest::new(&keep_all, Digests::AllWithSha1);
    if let Ok(scanned) = sbomkit::source::open(&spec, &opts, &interest, &NoProgress) {
        for (path, _) in scanned.fs.iter() {
            let _ = scanned.fs.lookup(path);
        }
    }
}

/// A small real layer: a folder, a file, a link, a whiteout.
pub fn small_layer() -> Vec<u8> {
    tar_of(&[
        ("etc/os-release", b"ID=alpine\nVERSION_ID=3.18.0\n".as_slice()),
        ("usr/bin/x", b"#!/bin/sh\n".as_slice()),
    ])
}
