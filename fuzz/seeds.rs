//! Seed inputs made from the fixtures a target names: most take a fixture as it is; the others
//! cut it down (the fuzzer mutates small inputs faster) or frame it the way their target reads it.

use std::io::Read;
use std::path::Path;

use serde_json::{Map, Value};

pub struct Fixture {
    /// Relative to the repository root.
    pub path: String,
    pub data: Vec<u8>,
}

/// Reads the fixture `rel` (a file, or every file under a folder, in name order).
pub fn read_fixtures(root: &Path, rel: &str, out: &mut Vec<Fixture>) -> std::io::Result<()> {
    let path = root.join(rel);
    if path.is_dir() {
        let mut names: Vec<String> = std::fs::read_dir(&path)?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<Result<_, _>>()?;
        names.sort();
        for name in names {
            read_fixtures(root, &format!("{rel}/{name}"), out)?;
        }
    } else {
        out.push(Fixture {
            path: rel.to_string(),
            data: std::fs::read(&path)?,
        });
    }
    Ok(())
}

const HEAD: usize = 64 << 10;

pub fn as_is(fixtures: &[Fixture]) -> Vec<Vec<u8>> {
    fixtures.iter().map(|f| f.data.clone()).collect()
}

/// The first 64 KiB of each.
pub fn heads(fixtures: &[Fixture]) -> Vec<Vec<u8>> {
    fixtures
        .iter()
        .map(|f| f.data[..f.data.len().min(HEAD)].to_vec())
        .collect()
}

/// The members of a gzip'd tar (a `docker save` archive), by name.
fn members(gz: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(gz));
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        out.push((name, data));
    }
    out
}

fn is_archive(f: &Fixture) -> bool {
    f.path.ends_with(".tar.gz")
}

/// Layer tars: the head of the real layer in each `docker save` archive, one tar of the other
/// fixtures at their paths, and a tar of links, hard links and whiteouts.
pub fn layer_tars(fixtures: &[Fixture]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for f in fixtures.iter().filter(|f| is_archive(f)) {
        for (name, data) in members(&f.data) {
            if name.ends_with("/layer.tar") {
                out.push(data[..data.len().min(HEAD)].to_vec());
            }
        }
    }
    let mut dbs = tar::Builder::new(Vec::new());
    for f in fixtures.iter().filter(|f| !is_archive(f)) {
        let name = super::in_fixtures(&f.path).unwrap_or(&f.path);
        let mut h = tar::Header::new_gnu();
        h.set_size(f.data.len() as u64);
        h.set_mode(0o644);
        dbs.append_data(&mut h, name, f.data.as_slice()).unwrap();
    }
    out.push(dbs.into_inner().unwrap());
    out.push(links_tar());
    out
}

fn links_tar() -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut entry = |name: &str, kind: tar::EntryType, link: Option<&str>, data: &[u8]| {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(kind);
        h.set_mode(if kind.is_dir() { 0o755 } else { 0o644 });
        h.set_size(data.len() as u64);
        if let Some(l) = link {
            h.set_link_name(l).unwrap();
        }
        b.append_data(&mut h, name, data).unwrap();
    };
    use tar::EntryType::{Directory, Link, Regular, Symlink};
    entry("etc/", Directory, None, b"");
    entry("usr/lib/", Directory, None, b"");
    entry("usr/lib/os-release", Regular, None, b"ID=alpine\n");
    entry(
        "etc/os-release",
        Symlink,
        Some("../usr/lib/os-release"),
        b"",
    );
    entry("hard", Link, Some("usr/lib/os-release"), b"");
    entry("etc/.wh.gone", Regular, None, b"");
    entry("usr/.wh..wh..opq", Regular, None, b"");
    b.into_inner().unwrap()
}

/// The layer tars compressed, framed as `layer_decode` reads them: a selector byte (0 gzip,
/// 1 zstd), then the stream without its magic.
pub fn compressed_layers(fixtures: &[Fixture]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for t in layer_tars(fixtures) {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gz, &t).unwrap();
        let gz = gz.finish().unwrap();
        out.push([&[0u8][..], &gz[2..]].concat());
        let zst = zstd::encode_all(t.as_slice(), 3).unwrap();
        out.push([&[1u8][..], &zst[4..]].concat());
    }
    out
}

const DOCKER_TEMPLATE: &str = r#"[{"Config":"@CONFIG.json","RepoTags":["alpine:3.18"],"Layers":["@LAYER/layer.tar"]}]
--
{"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z","rootfs":{"type":"layers","diff_ids":["sha256:@LAYER"]}}"#;

/// `manifest.json` and the config of each `docker save` archive, and a template whose
/// placeholders `image_docker` fills in.
pub fn docker_documents(fixtures: &[Fixture]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for f in fixtures {
        let m = members(&f.data);
        let manifest = m.iter().find(|(n, _)| n == "manifest.json");
        let config = m
            .iter()
            .find(|(n, _)| n.ends_with(".json") && !n.contains('/') && n != "manifest.json");
        if let (Some((_, manifest)), Some((_, config))) = (manifest, config) {
            out.push([manifest.as_slice(), b"\n--\n", config].concat());
        }
    }
    out.push(DOCKER_TEMPLATE.as_bytes().to_vec());
    out
}

const OCI_TEMPLATES: [&str; 2] = [
    r#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:@MANIFEST","size":@SIZE_MANIFEST,"platform":{"os":"linux","architecture":"amd64"},"annotations":{"org.opencontainers.image.ref.name":"3.18"}}]}
--
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:@CONFIG","size":@SIZE_CONFIG},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:@LAYER","size":@SIZE_LAYER}]}
--
{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:@LAYER"]}}"#,
    r#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:@MANIFEST","size":@SIZE_MANIFEST}]}
--
{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:@CONFIG","size":1}]}
--
{}"#,
];

/// Templates of an index, a manifest and a config whose placeholders `image_oci` fills in: one
/// image, and an index nested in an index.
pub fn oci_documents(_: &[Fixture]) -> Vec<Vec<u8>> {
    OCI_TEMPLATES
        .iter()
        .map(|t| t.as_bytes().to_vec())
        .collect()
}

/// The note sections of each ELF file, after the selector byte 0 (little-endian, 4-byte aligned).
pub fn note_sections(fixtures: &[Fixture]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for f in fixtures {
        let Ok(elf) = goblin::elf::Elf::parse(&f.data) else {
            continue;
        };
        for sh in &elf.section_headers {
            let name = elf.shdr_strtab.get_at(sh.sh_name).unwrap_or("");
            if [".note.package", ".note.dlopen", ".note.gnu.build-id"].contains(&name) {
                let range = sh.file_range().unwrap_or_default();
                if let Some(bytes) = f.data.get(range).filter(|b| !b.is_empty()) {
                    out.push([&[0u8][..], bytes].concat());
                }
            }
        }
    }
    out
}

/// `go version -m` listings as the module information Go embeds: without the first line (the
/// file name and Go version) and the tab that starts each other line.
pub fn modinfo(fixtures: &[Fixture]) -> Vec<Vec<u8>> {
    fixtures
        .iter()
        .map(|f| {
            let text = String::from_utf8_lossy(&f.data);
            let mut s = String::new();
            for line in text.lines().skip(1) {
                s.push_str(line.strip_prefix('\t').unwrap_or(line));
                s.push('\n');
            }
            s.into_bytes()
        })
        .collect()
}

fn json(f: &Fixture) -> Value {
    serde_json::from_slice(&f.data).unwrap()
}

/// Each bundle, and the DSSE envelope in it.
pub fn bundles_and_envelopes(fixtures: &[Fixture]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for f in fixtures {
        out.push(f.data.clone());
        out.push(serde_json::to_vec(&json(f)["dsseEnvelope"]).unwrap());
    }
    out
}

/// The Statement of each bundle, its predicate cut to a few keys and at most three packages or
/// components (a seed of a few KiB mutates faster).
pub fn statements(fixtures: &[Fixture]) -> Vec<Vec<u8>> {
    const KEEP: [&str; 8] = [
        "spdxVersion",
        "bomFormat",
        "specVersion",
        "SPDXID",
        "documentNamespace",
        "packages",
        "components",
        "metadata",
    ];
    let mut out = Vec::new();
    for f in fixtures {
        let payload = json(f)["dsseEnvelope"]["payload"]
            .as_str()
            .and_then(sbomkit::attest::dsse::decode_base64)
            .unwrap();
        let mut st: Value = serde_json::from_slice(&payload).unwrap();
        if let Some(p) = st.get_mut("predicate").and_then(Value::as_object_mut) {
            let mut small: Map<String, Value> = p
                .iter()
                .filter(|(k, _)| KEEP.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            for list in ["packages", "components"] {
                if let Some(a) = small.get_mut(list).and_then(Value::as_array_mut) {
                    a.truncate(3);
                }
            }
            *p = small;
        }
        out.push(serde_json::to_vec(&st).unwrap());
    }
    out
}

/// The Statements after a selector byte: 0 checks them against an image, 2 without one (both
/// signed into an envelope).
pub fn signed_payloads(fixtures: &[Fixture]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for st in statements(fixtures) {
        out.push([&[0u8][..], &st].concat());
        out.push([&[2u8][..], &st].concat());
    }
    out
}

/// The header blobs of each RPM database.
pub fn rpm_headers(fixtures: &[Fixture]) -> Vec<Vec<u8>> {
    fixtures
        .iter()
        .filter_map(|f| sbomkit::catalog::rpm::blobs(&f.data).ok())
        .flat_map(|(blobs, _)| blobs.into_iter().map(|(_, b)| b))
        .collect()
}
