//! Micro-benchmarks of the parsers on the test fixtures: `cargo bench`. Whole-image figures against
//! Syft come from `scripts/bench-vs-syft.sh`.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use sbomkit::catalog::binary::{elf, go, rust};
use sbomkit::catalog::lang::{java, npm, python};
use sbomkit::catalog::{apk, dpkg, Catalogers};
use sbomkit::limits::{Budget, Limits};
use sbomkit::source::layer::{read_layer, ReadCx};
use sbomkit::source::{Digests, Interest, Wants};

fn fixture(path: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn package_databases(c: &mut Criterion) {
    let mut g = c.benchmark_group("package-db");
    for name in ["alpine-3.16-base", "wolfi-base"] {
        let text = fixture(&format!("testdata/fixtures/apk/installed/{name}.installed"));
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(format!("apk/{name}"), |b| {
            b.iter(|| apk::parse(black_box(&text), "lib/apk/db/installed"))
        });
    }
    let status = fixture("testdata/fixtures/dpkg/ubuntu-18.04-full/var/lib/dpkg/status");
    g.throughput(Throughput::Bytes(status.len() as u64));
    g.bench_function("dpkg/ubuntu-18.04-full", |b| {
        b.iter(|| dpkg::parse(black_box(&status), "var/lib/dpkg/status"))
    });
    g.finish();
}

fn language_manifests(c: &mut Criterion) {
    let mut g = c.benchmark_group("lang");
    let npm_json = fixture("testdata/lang/types-node.package.json");
    g.throughput(Throughput::Bytes(npm_json.len() as u64));
    g.bench_function("npm/types-node", |b| {
        b.iter(|| npm::parse(black_box(&npm_json)))
    });
    let metadata = fixture("testdata/lang/pip-23.0.1.METADATA");
    g.throughput(Throughput::Bytes(metadata.len() as u64));
    g.bench_function("python/pip", |b| {
        b.iter(|| python::parse(black_box(&metadata)))
    });
    let jar = fixture("testdata/lang/jrt-fs.jar");
    g.throughput(Throughput::Bytes(jar.len() as u64));
    g.bench_function("java/jrt-fs", |b| {
        b.iter(|| java::parse(b"lib/jrt-fs.jar", black_box(&jar)))
    });
    g.finish();
}

fn binaries(c: &mut Criterion) {
    let mut g = c.benchmark_group("binary");
    for name in [
        "c/hardened",
        "c/noted",
        "c/plain",
        "go-hello",
        "rust-hello",
        "third-party/age-keygen",
    ] {
        let bytes = fixture(&format!("testdata/binaries/{name}"));
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(format!("elf-inspect/{name}"), |b| {
            b.iter(|| elf::inspect(black_box(&bytes)))
        });
    }
    g.finish();
    // Only the metadata is read, not the whole file: no throughput.
    let mut g = c.benchmark_group("binary-metadata");
    for (name, which) in [
        ("go-hello", "go"),
        ("third-party/age-keygen", "go"),
        ("rust-hello", "rust"),
    ] {
        let bytes = fixture(&format!("testdata/binaries/{name}"));
        let parsed = goblin::elf::Elf::parse(&bytes).expect("test binary parses");
        g.bench_function(format!("{which}/{name}"), |b| {
            b.iter(|| {
                if which == "go" {
                    black_box(go::read(&parsed, black_box(&bytes)).is_ok())
                } else {
                    black_box(rust::read(&parsed, black_box(&bytes)).is_ok())
                }
            })
        });
    }
    g.finish();
}

/// A layer tar of the fixtures: package databases, binaries, and many small files.
fn layer_tar() -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |path: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o755);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        b.append_data(&mut h, path, data).expect("in-memory tar");
    };
    add(
        "var/lib/dpkg/status",
        &fixture("testdata/fixtures/dpkg/ubuntu-18.04-full/var/lib/dpkg/status"),
    );
    add(
        "lib/apk/db/installed",
        &fixture("testdata/fixtures/apk/installed/alpine-3.16-base.installed"),
    );
    for name in [
        "c/hardened",
        "go-hello",
        "rust-hello",
        "third-party/age-keygen",
    ] {
        add(
            &format!("usr/bin/{}", name.rsplit('/').next().unwrap_or(name)),
            &fixture(&format!("testdata/binaries/{name}")),
        );
    }
    let text = vec![b'x'; 10_000];
    for i in 0..2000 {
        add(&format!("usr/share/doc/pkg{}/file{i}", i % 50), &text);
    }
    b.into_inner().expect("in-memory tar")
}

fn layers(c: &mut Criterion) {
    let tar = layer_tar();
    let catalogers = Catalogers::registered();
    // The same files kept, none inspected.
    let keep = |path: &[u8], head: &[u8]| -> Option<u64> { catalogers.keep(path, head) };
    let budget_limits = Limits::default();
    let mut g = c.benchmark_group("layer");
    g.throughput(Throughput::Bytes(tar.len() as u64));
    g.sample_size(20);
    for (label, inspect) in [("read", false), ("read+inspect", true)] {
        g.bench_function(label, |b| {
            b.iter(|| {
                let budget = Budget::new(budget_limits);
                let cx = ReadCx {
                    interest: match inspect {
                        true => Interest::new(&catalogers, Digests::All),
                        false => Interest::new(&keep, Digests::All),
                    },
                    budget: &budget,
                };
                read_layer(black_box(tar.as_slice()), &cx, "bench.tar", "0")
                    .map(|r| r.entries.len())
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    package_databases,
    language_manifests,
    binaries,
    layers
);
criterion_main!(benches);
