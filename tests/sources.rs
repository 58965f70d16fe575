//! Every input kind, built as real archives at test time and read through `sbomkit::source::open`.

use crate::support::image;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use image::{digest, named, BuiltLayer, Comp, DockerArchive, Image, Item, OciLayout};
use sbomkit::limits::Limits;
use sbomkit::model::{IdentityRole, SubjectKind};
use sbomkit::source::{
    self, Digests, Interest, NoProgress, NodeKind, Progress, Scanned, SourceError, SourceKind,
    SourceOptions, SourceSpec,
};
use sha2::{Digest, Sha256};

use crate::support::{keep_all, keep_none, write};

const REF_NAME: &str = "org.opencontainers.image.ref.name";

fn open_with(
    path: &Path,
    kind: Option<SourceKind>,
    opts: &SourceOptions,
) -> Result<Scanned, SourceError> {
    let spec = SourceSpec {
        kind,
        path: path.to_path_buf(),
    };
    source::open(
        &spec,
        opts,
        &Interest::new(&keep_all, Digests::All),
        &NoProgress,
    )
}

fn open(path: &Path) -> Result<Scanned, SourceError> {
    open_with(path, None, &SourceOptions::default())
}

/// Every path of the final filesystem, as strings, with a marker for the kind.
fn listing(s: &Scanned) -> Vec<String> {
    s.fs.iter()
        .map(|(p, n)| {
            let p = String::from_utf8_lossy(p).into_owned();
            match &n.kind {
                NodeKind::Dir => format!("{p}/"),
                NodeKind::Symlink(t) => format!("{p} -> {}", String::from_utf8_lossy(t)),
                NodeKind::File => p,
                NodeKind::Other => format!("{p}|"),
            }
        })
        .collect()
}

fn content(s: &Scanned, path: &str) -> Option<Vec<u8>> {
    s.fs.read(path.as_bytes()).map(|c| c.to_vec())
}

/// Three layers exercising whiteouts, opaque folders and history of a kept file.
fn layered_image(comp: Comp) -> Image {
    let l0 = BuiltLayer::new(
        &[
            Item::Dir("etc"),
            Item::File("etc/a", b"a0"),
            Item::File("etc/b", b"b0"),
            Item::Dir("d"),
            Item::File("d/x", b"x0"),
            Item::Dir("d/sub"),
            Item::File("d/sub/y", b"y0"),
            Item::Dir("var"),
            Item::File("var/db", b"v1"),
        ],
        comp,
    );
    let l1 = BuiltLayer::new(
        &[
            Item::Whiteout("etc/a"),
            // A new entry of this layer before the opaque marker: it must survive.
            Item::File("d/new", b"n1"),
            Item::Opaque("d"),
            Item::File("var/db", b"v2"),
        ],
        comp,
    );
    let l2 = BuiltLayer::new(
        &[
            Item::File("etc/a", b"a2"),
            Item::Whiteout("etc/b"),
            Item::File("var/other", b"o"),
        ],
        comp,
    );
    Image::new(vec![l0, l1, l2])
}

const LAYERED_FINAL: [&str; 8] = [
    "d/",
    "d/new",
    "etc/",
    "etc/a",
    "var/",
    "var/db",
    "var/other",
    "",
];

fn check_layered(s: &Scanned) {
    let want: Vec<String> = LAYERED_FINAL
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| p.to_string())
        .collect();
    assert_eq!(listing(s), want);
    assert_eq!(content(s, "etc/a").unwrap(), b"a2");
    assert_eq!(content(s, "d/new").unwrap(), b"n1");
    assert_eq!(s.fs.get(b"etc/a").unwrap().layer, 2);
    assert_eq!(s.fs.get(b"var/db").unwrap().layer, 1);
    let h = s.fs.history(b"var/db");
    assert_eq!(h.len(), 2);
    assert_eq!((h[0].layer, h[0].content.as_deref()), (0, Some(&b"v1"[..])));
    assert_eq!((h[1].layer, h[1].content.as_deref()), (1, Some(&b"v2"[..])));
    let ha = s.fs.history(b"etc/a");
    let states: Vec<(usize, Option<&[u8]>)> =
        ha.iter().map(|v| (v.layer, v.content.as_deref())).collect();
    assert_eq!(
        states,
        vec![(0, Some(&b"a0"[..])), (1, None), (2, Some(&b"a2"[..]))]
    );
    assert!(s
        .fs
        .iter()
        .all(|(p, _)| !p.windows(4).any(|w| w == b".wh.")));
    assert_eq!(s.subject.layers.len(), 3);
}

#[test]
fn docker_archive_applies_whiteouts_and_opaque_folders() {
    let t = tempfile::tempdir().unwrap();
    let img = layered_image(Comp::None);
    let mut a = DockerArchive::default();
    a.add(&img, &["example/layers:1.2"]);
    let p = write(t.path(), "img.tar", &a.files().to_tar());
    let s = open(&p).unwrap();
    check_layered(&s);
    assert_eq!(s.subject.kind, SubjectKind::Image);
    assert_eq!(s.subject.name, "example/layers:1.2");
    assert_eq!(s.subject.version.as_deref(), Some("1.2"));
    assert_eq!(s.subject.tags, vec!["example/layers:1.2".to_string()]);
    assert_eq!(s.subject.created.as_deref(), Some("2024-01-02T03:04:05Z"));
    // Legacy docker save records no manifest digest: only the config digest identifies it.
    assert_eq!(s.subject.identities.len(), 1);
    assert_eq!(s.subject.identities[0].role, IdentityRole::Config);
    assert_eq!(s.subject.identities[0].digest, digest(&img.config()));
    for (i, l) in s.subject.layers.iter().enumerate() {
        assert_eq!(l.index, i);
        assert_eq!(l.diff_id, img.layers[i].diff_id());
        assert_eq!(
            l.digest.as_deref(),
            Some(digest(&img.layers[i].stored).as_str())
        );
        assert_eq!(l.size, img.layers[i].stored.len() as u64);
    }
    let plat = s.subject.platform.unwrap();
    assert_eq!(
        (plat.os.as_str(), plat.architecture.as_str()),
        ("linux", "amd64")
    );
}

#[test]
fn docker_archive_gzip_whole_and_gzip_layers_in_any_entry_order() {
    let t = tempfile::tempdir().unwrap();
    let img = layered_image(Comp::Gzip);
    let mut a = DockerArchive::default();
    a.add(&img, &["example/layers:1.2"]);
    // manifest.json first this time, and the whole archive gzip-compressed.
    let p = write(
        t.path(),
        "img.tar.gz",
        &image::gzip(&a.files().to_tar_reversed()),
    );
    let s = open(&p).unwrap();
    check_layered(&s);
    assert_eq!(
        s.subject.layers[0].digest.as_deref(),
        Some(digest(&img.layers[0].stored).as_str())
    );
    // The explicit prefix reads it the same way.
    let s2 = open_with(
        &p,
        Some(SourceKind::DockerArchive),
        &SourceOptions::default(),
    )
    .unwrap();
    assert_eq!(listing(&s2), listing(&s));
}

#[test]
fn oci_dir_and_archive_with_zstd_and_gzip_layers() {
    let t = tempfile::tempdir().unwrap();
    let mut img = layered_image(Comp::Zstd);
    img.layers[1] = BuiltLayer::new(
        &[
            Item::Whiteout("etc/a"),
            Item::File("d/new", b"n1"),
            Item::Opaque("d"),
            Item::File("var/db", b"v2"),
        ],
        Comp::Gzip,
    );
    let mut l = OciLayout::default();
    let (desc, manifest) = l.image(&img);
    l.index.push(named(desc, REF_NAME, "example.com/app:2.0"));
    let files = l.files();

    let dir = t.path().join("layout");
    files.write_dir(&dir);
    let tar = write(t.path(), "layout.tar", &files.to_tar());
    for (p, kind) in [(&dir, SourceKind::OciDir), (&tar, SourceKind::OciArchive)] {
        for prefix in [None, Some(kind)] {
            let s = open_with(p, prefix, &SourceOptions::default()).unwrap();
            check_layered(&s);
            assert_eq!(s.subject.name, "example.com/app:2.0");
            assert_eq!(s.subject.version.as_deref(), Some("2.0"));
            let ids: Vec<(IdentityRole, String)> = s
                .subject
                .identities
                .iter()
                .map(|i| (i.role, i.digest.clone()))
                .collect();
            assert_eq!(
                ids,
                vec![
                    (IdentityRole::Manifest, digest(&manifest)),
                    (IdentityRole::Config, digest(&img.config())),
                ]
            );
            let types: Vec<Option<&str>> = s
                .subject
                .layers
                .iter()
                .map(|l| l.media_type.as_deref())
                .collect();
            assert_eq!(
                types,
                vec![
                    Some("application/vnd.oci.image.layer.v1.tar+zstd"),
                    Some("application/vnd.oci.image.layer.v1.tar+gzip"),
                    Some("application/vnd.oci.image.layer.v1.tar+zstd"),
                ]
            );
        }
    }
}

/// A layout whose index points to a nested index with two platforms and an attestation.
fn multi_platform(t: &Path) -> (PathBuf, Vec<u8>, Vec<u8>) {
    let amd = Image::new(vec![BuiltLayer::new(
        &[Item::File("arch", b"amd64")],
        Comp::Gzip,
    )]);
    let arm = Image::new(vec![BuiltLayer::new(
        &[Item::File("arch", b"arm64")],
        Comp::Gzip,
    )])
    .platform("linux", "arm64", Some("v8"));
    let mut l = OciLayout::default();
    let (d_amd, m_amd) = l.platform_image(&amd);
    let (d_arm, m_arm) = l.platform_image(&arm);
    let att = l.attestation(d_amd["digest"].as_str().unwrap());
    let nested = l.nested_index(vec![d_amd, d_arm, att]);
    l.index.push(named(nested, REF_NAME, "example.com/multi:3"));
    let p = write(t, "multi.tar", &l.files().to_tar());
    (p, m_amd, m_arm)
}

#[test]
fn platform_choice_and_its_errors() {
    let t = tempfile::tempdir().unwrap();
    let (p, m_amd, m_arm) = multi_platform(t.path());
    // Without --platform: this machine's platform, or an error listing the platforms.
    let host = sbomkit::source::image::host_platform();
    match open(&p) {
        Ok(s) if matches!(host.architecture.as_str(), "amd64" | "arm64") => {
            assert_eq!(content(&s, "arch").unwrap(), host.architecture.as_bytes());
        }
        Err(e) if !matches!(host.architecture.as_str(), "amd64" | "arm64") => {
            let msg = e.to_string();
            assert!(msg.contains("linux/amd64, linux/arm64/v8"), "{msg}");
        }
        other => panic!("{host}: got {other:?}"),
    }
    for (wanted, arch, manifest) in [
        ("linux/arm64", "arm64", &m_arm),
        ("linux/arm64/v8", "arm64", &m_arm),
        ("linux/amd64", "amd64", &m_amd),
    ] {
        let opts = SourceOptions {
            platform: Some(wanted.into()),
            ..SourceOptions::default()
        };
        let s = open_with(&p, None, &opts).unwrap();
        assert_eq!(content(&s, "arch").unwrap(), arch.as_bytes());
        assert_eq!(s.subject.identities[0].digest, digest(manifest));
        assert_eq!(s.subject.platform.as_ref().unwrap().architecture, arch);
        assert_eq!(s.subject.name, "example.com/multi:3");
    }
    let opts = SourceOptions {
        platform: Some("linux/s390x".into()),
        ..SourceOptions::default()
    };
    match open_with(&p, None, &opts) {
        Err(e @ SourceError::NoSuchPlatform { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("multi.tar")
                    && msg.contains("linux/s390x")
                    && msg.contains("linux/arm64/v8"),
                "{msg}"
            );
        }
        other => panic!("expected no such platform, got {other:?}"),
    }
    let opts = SourceOptions {
        platform: Some("linux".into()),
        ..SourceOptions::default()
    };
    assert!(matches!(
        open_with(&p, None, &opts),
        Err(SourceError::Invalid { .. })
    ));
}

#[test]
fn single_platform_with_attestation_needs_no_choice() {
    let t = tempfile::tempdir().unwrap();
    let img = Image::new(vec![BuiltLayer::new(&[Item::File("f", b"1")], Comp::None)]);
    let mut l = OciLayout::default();
    let (d, _) = l.platform_image(&img);
    let att = l.attestation(d["digest"].as_str().unwrap());
    let nested = l.nested_index(vec![d, att]);
    l.index.push(nested);
    let dir = t.path().join("oci");
    l.files().write_dir(&dir);
    let s = open(&dir).unwrap();
    assert_eq!(content(&s, "f").unwrap(), b"1");
    // No name anywhere: the folder name.
    assert_eq!(s.subject.name, "oci");
    assert_eq!(s.subject.version, None);
}

#[test]
fn image_choice_and_its_errors() {
    let t = tempfile::tempdir().unwrap();
    let one = Image::new(vec![BuiltLayer::new(
        &[Item::File("which", b"one")],
        Comp::None,
    )]);
    let two = Image::new(vec![BuiltLayer::new(
        &[Item::File("which", b"two")],
        Comp::Gzip,
    )]);
    let mut a = DockerArchive::default();
    a.add(&one, &["example/one:1"])
        .add(&two, &["example/two:2", "example/two:latest"]);
    let p = write(t.path(), "two.tar", &a.files().to_tar());
    match open(&p) {
        Err(SourceError::AmbiguousImage { choices, path }) => {
            assert!(path.ends_with("two.tar"));
            assert_eq!(
                choices,
                vec!["example/one:1", "example/two:2", "example/two:latest"]
            );
        }
        other => panic!("expected ambiguous image, got {other:?}"),
    }
    for (wanted, which, name) in [
        ("example/two:2", "two", "example/two:2"),
        ("example/two", "two", "example/two:latest"),
        ("docker.io/example/one:1", "one", "example/one:1"),
    ] {
        let opts = SourceOptions {
            image: Some(wanted.into()),
            ..SourceOptions::default()
        };
        let s = open_with(&p, None, &opts).unwrap();
        assert_eq!(content(&s, "which").unwrap(), which.as_bytes(), "{wanted}");
        assert_eq!(s.subject.name, name);
    }
    let opts = SourceOptions {
        image: Some("example/three:3".into()),
        ..SourceOptions::default()
    };
    match open_with(&p, None, &opts) {
        Err(SourceError::NoSuchImage {
            wanted, choices, ..
        }) => {
            assert_eq!(wanted, "example/three:3");
            assert_eq!(choices.len(), 3);
        }
        other => panic!("expected no such image, got {other:?}"),
    }
}

#[test]
fn newer_docker_save_layout_is_read_as_oci_and_named_by_repo_tags() {
    // `docker save` since 25 writes an OCI layout plus manifest.json in one tar.
    let t = tempfile::tempdir().unwrap();
    let one = Image::new(vec![BuiltLayer::new(
        &[Item::File("which", b"one")],
        Comp::None,
    )]);
    let two = Image::new(vec![BuiltLayer::new(
        &[Item::File("which", b"two")],
        Comp::None,
    )]);
    let mut l = OciLayout::default();
    let mut manifest_json = Vec::new();
    let mut manifests = Vec::new();
    for (img, tag) in [(&one, "example/one:1"), (&two, "example/two:2")] {
        let (d, m) = l.image(img);
        l.index.push(named(
            d,
            "io.containerd.image.name",
            &format!("docker.io/{tag}"),
        ));
        manifests.push(m);
        manifest_json.push(serde_json::json!({
            "Config": format!("blobs/sha256/{}", image::sha256_hex(&img.config())),
            "RepoTags": [tag],
            "Layers": img.layers.iter().map(|x| format!("blobs/sha256/{}", image::sha256_hex(&x.stored))).collect::<Vec<_>>(),
        }));
    }
    let mut files = l.files();
    files.0.insert(
        "manifest.json".into(),
        serde_json::to_vec(&manifest_json).unwrap(),
    );
    let p = write(t.path(), "new.tar", &files.to_tar());
    assert!(matches!(open(&p), Err(SourceError::AmbiguousImage { .. })));
    let opts = SourceOptions {
        image: Some("example/two:2".into()),
        ..SourceOptions::default()
    };
    let s = open_with(&p, None, &opts).unwrap();
    assert_eq!(content(&s, "which").unwrap(), b"two");
    assert_eq!(s.subject.identities[0].role, IdentityRole::Manifest);
    assert_eq!(s.subject.identities[0].digest, digest(&manifests[1]));
    assert!(s.subject.tags.contains(&"example/two:2".to_string()));
    // Forced through manifest.json, the same image has no manifest digest.
    let s = open_with(&p, Some(SourceKind::DockerArchive), &opts).unwrap();
    assert_eq!(content(&s, "which").unwrap(), b"two");
    assert_eq!(s.subject.identities.len(), 1);
    assert_eq!(s.subject.identities[0].digest, digest(&two.config()));
}

#[test]
fn blob_digest_mismatch_names_the_layer() {
    let t = tempfile::tempdir().unwrap();
    let img = Image::new(vec![
        BuiltLayer::new(&[Item::File("a", b"1")], Comp::None),
        BuiltLayer::new(&[Item::File("b", b"2")], Comp::Gzip),
    ]);
    let mut l = OciLayout::default();
    let (d, _) = l.image(&img);
    l.index.push(d);
    let mut files = l.files();
    // Replace the second layer's blob by another valid layer under the same name.
    let name = format!("blobs/sha256/{}", image::sha256_hex(&img.layers[1].stored));
    let other = BuiltLayer::new(&[Item::File("b", b"3")], Comp::Gzip);
    files.0.insert(name.clone(), other.stored.clone());
    let p = write(t.path(), "bad.tar", &files.to_tar());
    match open(&p) {
        Err(e @ SourceError::DigestMismatch { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("bad.tar")
                    && msg.contains("layer 1")
                    && msg.contains(&digest(&other.stored)),
                "{msg}"
            );
        }
        other => panic!("expected a digest mismatch, got {other:?}"),
    }
}

#[test]
fn diff_id_mismatch_and_inconsistent_manifest() {
    let t = tempfile::tempdir().unwrap();
    let mut img = Image::new(vec![BuiltLayer::new(&[Item::File("a", b"1")], Comp::Gzip)]);
    img.diff_ids = Some(vec![digest(b"something else")]);
    let mut a = DockerArchive::default();
    a.add(&img, &["x:1"]);
    let p = write(t.path(), "diff.tar", &a.files().to_tar());
    match open(&p) {
        Err(SourceError::DigestMismatch { layer, actual, .. }) => {
            assert!(
                layer.starts_with("0 ") && layer.contains("diff_id"),
                "{layer}"
            );
            assert_eq!(actual, img.layers[0].diff_id());
        }
        other => panic!("expected a diff_id mismatch, got {other:?}"),
    }
    img.diff_ids = Some(vec![]);
    let mut a = DockerArchive::default();
    a.add(&img, &["x:1"]);
    let p = write(t.path(), "count.tar", &a.files().to_tar());
    let e = open(&p).unwrap_err().to_string();
    assert!(
        e.contains("count.tar") && e.contains("0 diff_ids") && e.contains("1 layers"),
        "{e}"
    );
}

#[test]
fn missing_blob_and_unknown_media_type() {
    let t = tempfile::tempdir().unwrap();
    let img = Image::new(vec![BuiltLayer::new(&[Item::File("a", b"1")], Comp::None)]);
    let mut l = OciLayout::default();
    let (d, _) = l.image(&img);
    l.index.push(d);
    let mut files = l.files();
    files.0.remove(&format!(
        "blobs/sha256/{}",
        image::sha256_hex(&img.layers[0].stored)
    ));
    let p = write(t.path(), "missing.tar", &files.to_tar());
    let e = open(&p).unwrap_err().to_string();
    assert!(
        e.contains("missing.tar") && e.contains("layer 0") && e.contains("missing blob"),
        "{e}"
    );

    let mut img = img;
    img.media_type = Some("application/vnd.example.layer.v1.tar+lz4");
    let mut l = OciLayout::default();
    let (d, _) = l.image(&img);
    l.index.push(d);
    let dir = t.path().join("unknown");
    l.files().write_dir(&dir);
    let e = open(&dir).unwrap_err().to_string();
    assert!(
        e.contains("unknown")
            && e.contains("application/vnd.example.layer.v1.tar+lz4")
            && e.contains("layer 0"),
        "{e}"
    );
}

fn simple_docker() -> Vec<u8> {
    let big: &'static [u8] = Box::leak(vec![7u8; 200_000].into_boxed_slice());
    let img = Image::new(vec![BuiltLayer::new(
        &[Item::File("big", big), Item::File("small", b"s")],
        Comp::Gzip,
    )]);
    let mut a = DockerArchive::default();
    a.add(&img, &["x:1"]);
    a.files().to_tar()
}

#[test]
fn truncated_archives_fail_with_the_file_named() {
    let t = tempfile::tempdir().unwrap();
    let full = simple_docker();
    for cut in [full.len() / 3, full.len() / 2, full.len() - 700] {
        let p = write(t.path(), "cut.tar", &full[..cut]);
        let e = open(&p).expect_err("a truncated archive must fail");
        let msg = e.to_string();
        assert!(msg.contains("cut.tar"), "{msg}");
    }
    let gz = image::gzip(&full);
    let p = write(t.path(), "cut.tar.gz", &gz[..gz.len() / 2]);
    let msg = open(&p).unwrap_err().to_string();
    assert!(msg.contains("cut.tar.gz") && msg.contains("byte"), "{msg}");
}

#[test]
fn corrupt_gzip_layer_names_the_layer() {
    let t = tempfile::tempdir().unwrap();
    let mut layer = BuiltLayer::new(&[Item::File("f", &[b'q'; 5000])], Comp::Gzip);
    let n = layer.stored.len();
    for b in &mut layer.stored[20..n - 10] {
        *b ^= 0x5a;
    }
    let img = Image::new(vec![layer]);
    let mut a = DockerArchive::default();
    a.add(&img, &["x:1"]);
    let p = write(t.path(), "corrupt.tar", &a.files().to_tar());
    let msg = open(&p).unwrap_err().to_string();
    assert!(
        msg.contains("corrupt.tar") && msg.contains("layer 0") && msg.contains("layer.tar"),
        "{msg}"
    );

    // A whole archive that is not gzip after all.
    let mut gz = image::gzip(&simple_docker());
    let n = gz.len();
    for b in &mut gz[100..n - 100] {
        *b = !*b;
    }
    let p = write(t.path(), "corrupt.tar.gz", &gz);
    let msg = open(&p).unwrap_err().to_string();
    assert!(msg.contains("corrupt.tar.gz"), "{msg}");
}

#[test]
fn paths_stay_inside_the_root() {
    let t = tempfile::tempdir().unwrap();
    let layer = BuiltLayer::new(
        &[
            Item::RawFile(b"../../../../escape".to_vec(), b"e".to_vec()),
            Item::RawFile(b"/abs/file".to_vec(), b"a".to_vec()),
            Item::RawFile(b"./x/../y/./z".to_vec(), b"z".to_vec()),
            Item::RawFile(b"bin/\xffname".to_vec(), b"n".to_vec()),
            Item::Symlink("link", "../../../../abs/file"),
            Item::File(
                "long/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/file",
                b"long",
            ),
        ],
        Comp::None,
    );
    let img = Image::new(vec![layer]);
    let mut a = DockerArchive::default();
    a.add(&img, &["x:1"]);
    let p = write(t.path(), "trav.tar", &a.files().to_tar());
    let s = open(&p).unwrap();
    assert_eq!(content(&s, "escape").unwrap(), b"e");
    assert_eq!(content(&s, "abs/file").unwrap(), b"a");
    assert_eq!(content(&s, "y/z").unwrap(), b"z");
    assert_eq!(s.fs.get(b"bin/\xffname").unwrap().size, 1);
    // The symlink keeps its target as stored and resolves inside the image.
    assert_eq!(
        s.fs.get(b"link").unwrap().kind,
        NodeKind::Symlink(b"../../../../abs/file".to_vec())
    );
    assert_eq!(content(&s, "link").unwrap(), b"a");
    assert!(content(&s, "long/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/file").is_some());
    // Implicit parent folders exist so that lookups work.
    assert!(s.fs.get(b"abs").unwrap().is_dir());
    assert!(!t.path().parent().unwrap().join("escape").exists());
}

#[test]
fn hard_links_resolve_inside_the_image() {
    let t = tempfile::tempdir().unwrap();
    let img = Image::new(vec![
        BuiltLayer::new(
            &[
                Item::File("bin/busybox", b"BB"),
                Item::HardLink("bin/sh", "bin/busybox"),
            ],
            Comp::None,
        ),
        BuiltLayer::new(
            &[
                Item::HardLink("usr/bin/ls", "/bin/busybox"),
                Item::HardLink("bin/dangling", "nowhere"),
            ],
            Comp::None,
        ),
    ]);
    let mut a = DockerArchive::default();
    a.add(&img, &["x:1"]);
    let p = write(t.path(), "links.tar", &a.files().to_tar());
    let s = open(&p).unwrap();
    assert_eq!(content(&s, "bin/sh").unwrap(), b"BB");
    assert_eq!(content(&s, "usr/bin/ls").unwrap(), b"BB");
    let want: [u8; 32] = Sha256::digest(b"BB").into();
    assert_eq!(s.fs.get(b"usr/bin/ls").unwrap().sha256, Some(want));
    assert_eq!(s.fs.get(b"usr/bin/ls").unwrap().layer, 1);
    assert!(s.fs.get(b"bin/dangling").is_none());
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    let w = &s.warnings[0];
    assert!(
        w.contains("links.tar") && w.contains("layer 1") && w.contains("/bin/dangling"),
        "{w}"
    );
}

#[test]
fn limits_are_enforced_and_name_their_flag() {
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), "img.tar", &simple_docker());
    let with = |limits: Limits| SourceOptions {
        limits,
        ..SourceOptions::default()
    };
    let cases = [
        (
            Limits {
                max_entries: 3,
                ..Limits::default()
            },
            "--max-entries",
        ),
        (
            Limits {
                max_decompressed_bytes: 100_000,
                ..Limits::default()
            },
            "--max-decompressed-bytes",
        ),
        (
            Limits {
                max_json_size: 50,
                ..Limits::default()
            },
            "--max-json-size",
        ),
    ];
    for (limits, flag) in cases {
        match open_with(&p, None, &with(limits)) {
            Err(e @ SourceError::Limit { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains(flag) && msg.contains("img.tar"), "{msg}");
            }
            other => panic!("expected a limit error for {flag}, got {other:?}"),
        }
    }
    // A file to parse larger than the limit is an error naming the file and the flag.
    match open_with(
        &p,
        None,
        &with(Limits {
            max_file_size: 1000,
            ..Limits::default()
        }),
    ) {
        Err(e @ SourceError::Limit { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("--max-file-size")
                    && msg.contains("/big (200000 bytes")
                    && msg.contains("img.tar"),
                "{msg}"
            );
        }
        other => panic!("expected a file size error, got {other:?}"),
    }
    // The same file within the limit is kept.
    let s = open_with(
        &p,
        None,
        &with(Limits {
            max_file_size: 200_000,
            ..Limits::default()
        }),
    )
    .unwrap();
    assert_eq!(content(&s, "big").unwrap().len(), 200_000);
    assert_eq!(content(&s, "small").unwrap(), b"s");
    // A gzip bomb as a whole archive trips the decompressed-bytes limit too.
    let gz = write(t.path(), "img.tar.gz", &image::gzip(&simple_docker()));
    assert!(matches!(
        open_with(
            &gz,
            None,
            &with(Limits {
                max_decompressed_bytes: 10_000,
                ..Limits::default()
            })
        ),
        Err(SourceError::Limit { .. })
    ));
}

#[test]
fn keep_sees_normalised_paths_and_first_bytes_and_sha1_on_request() {
    let t = tempfile::tempdir().unwrap();
    let img = Image::new(vec![BuiltLayer::new(
        &[
            Item::File("./etc/os-release", b"ID=test\n"),
            Item::File("etc/other", b"xx"),
        ],
        Comp::None,
    )]);
    let mut a = DockerArchive::default();
    a.add(&img, &["x:1"]);
    let p = write(t.path(), "k.tar", &a.files().to_tar());
    let seen = std::sync::Mutex::new(Vec::new());
    let keep = |path: &[u8], head: &[u8]| -> Option<u64> {
        seen.lock().unwrap().push((path.to_vec(), head.to_vec()));
        (path == b"etc/os-release").then_some(100)
    };
    let spec = SourceSpec::parse(&format!("docker-archive:{}", p.display()));
    let interest = Interest::new(&keep, Digests::AllWithSha1);
    let s = source::open(&spec, &SourceOptions::default(), &interest, &NoProgress).unwrap();
    let seen = seen.into_inner().unwrap();
    assert_eq!(
        seen,
        vec![
            (b"etc/os-release".to_vec(), b"ID=test\n".to_vec()),
            (b"etc/other".to_vec(), b"xx".to_vec())
        ]
    );
    assert_eq!(content(&s, "etc/os-release").unwrap(), b"ID=test\n");
    assert!(s.fs.get(b"etc/other").unwrap().content.is_none());
    let sha1: [u8; 20] = sha1::Sha1::digest(b"xx").into();
    assert_eq!(s.fs.get(b"etc/other").unwrap().sha1, Some(sha1));
    // Without the flag no SHA-1 is computed.
    let s = open(&p).unwrap();
    assert_eq!(s.fs.get(b"etc/other").unwrap().sha1, None);
}

#[derive(Default)]
struct Recorder {
    total: AtomicU64,
    advanced: AtomicU64,
    finished: AtomicBool,
}
impl Progress for Recorder {
    fn start(&self, total: u64) {
        self.total.store(total, Ordering::SeqCst);
        self.advanced.store(0, Ordering::SeqCst);
    }
    fn advance(&self, n: u64) {
        self.advanced.fetch_add(n, Ordering::SeqCst);
    }
    fn finish(&self) {
        self.finished.store(true, Ordering::SeqCst);
    }
}

#[test]
fn progress_counts_stored_bytes() {
    let t = tempfile::tempdir().unwrap();
    let bytes = image::gzip(&simple_docker());
    let p = write(t.path(), "img.tar.gz", &bytes);
    let r = Recorder::default();
    source::open(
        &SourceSpec::parse(p.to_str().unwrap()),
        &SourceOptions::default(),
        &Interest::new(&keep_none, Digests::All),
        &r,
    )
    .unwrap();
    assert_eq!(r.total.load(Ordering::SeqCst), bytes.len() as u64);
    assert_eq!(r.advanced.load(Ordering::SeqCst), bytes.len() as u64);
    assert!(r.finished.load(Ordering::SeqCst));

    // A plain tar is sniffed, then read by seeking: the sniffed head (here the whole file) is not
    // counted twice; the entries' contents are counted, the skipped tar headers are not.
    let bytes = simple_docker();
    let p = write(t.path(), "img.tar", &bytes);
    let r = Recorder::default();
    source::open(
        &SourceSpec::parse(p.to_str().unwrap()),
        &SourceOptions::default(),
        &Interest::new(&keep_none, Digests::All),
        &r,
    )
    .unwrap();
    assert_eq!(r.total.load(Ordering::SeqCst), bytes.len() as u64);
    let advanced = r.advanced.load(Ordering::SeqCst);
    let mut contents = 0;
    for e in tar::Archive::new(&bytes[..]).entries().unwrap() {
        contents += e.unwrap().header().size().unwrap();
    }
    assert_eq!(advanced, contents);
    assert!(r.finished.load(Ordering::SeqCst));
}

#[test]
fn dir_source_records_links_without_following_them() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("rootfs");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("usr/lib")).unwrap();
    std::fs::write(root.join("usr/lib/os-release"), b"ID=dir\n").unwrap();
    std::os::unix::fs::symlink("../usr/lib/os-release", root.join("etc/os-release")).unwrap();
    std::os::unix::fs::symlink("/", root.join("etc/rootlink")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("hostpasswd")).unwrap();
    let s = open(&root).unwrap();
    assert_eq!(s.subject.kind, SubjectKind::Directory);
    assert_eq!(s.subject.name, "rootfs");
    assert!(s.subject.layers.is_empty());
    assert_eq!(
        listing(&s),
        vec![
            "etc/",
            "etc/os-release -> ../usr/lib/os-release",
            "etc/rootlink -> /",
            "hostpasswd -> /etc/passwd",
            "usr/",
            "usr/lib/",
            "usr/lib/os-release",
        ]
    );
    assert_eq!(content(&s, "etc/os-release").unwrap(), b"ID=dir\n");
    // An absolute link points into the scanned root, never at the host's file.
    assert!(s.fs.read(b"hostpasswd").is_none());
    let want: [u8; 32] = Sha256::digest(b"ID=dir\n").into();
    assert_eq!(s.fs.get(b"usr/lib/os-release").unwrap().sha256, Some(want));
    // A folder holding an OCI layout is detected as one; `dir:` forces a plain walk.
    assert!(matches!(
        open_with(&root, Some(SourceKind::OciDir), &SourceOptions::default()),
        Err(SourceError::Invalid { .. })
    ));
}

#[test]
fn file_source_places_databases_by_content() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures");
    let apk = fixtures.join("apk/installed/alpine-3.16-base.installed");
    let s = open(&apk).unwrap();
    let bytes = std::fs::read(&apk).unwrap();
    assert_eq!(s.subject.kind, SubjectKind::File);
    assert_eq!(s.subject.name, "alpine-3.16-base.installed");
    assert_eq!(s.subject.identities[0].role, IdentityRole::File);
    assert_eq!(s.subject.identities[0].digest, digest(&bytes));
    assert_eq!(content(&s, "lib/apk/db/installed").unwrap(), bytes);

    let dpkg = fixtures.join("dpkg/debian-10-postgresql.status");
    let s = open_with(&dpkg, Some(SourceKind::File), &SourceOptions::default()).unwrap();
    assert_eq!(
        content(&s, "var/lib/dpkg/status").unwrap(),
        std::fs::read(&dpkg).unwrap()
    );

    // Any other file is described only when asked for with `file:`.
    let t = tempfile::tempdir().unwrap();
    let other = write(t.path(), "tool", b"\x7fELF not really");
    let s = open_with(&other, Some(SourceKind::File), &SourceOptions::default()).unwrap();
    assert_eq!(listing(&s), vec!["tool"]);
}

/// Without a scheme, what is not an image, a layout, a folder or a package database is refused,
/// naming the file and what it looks like, never described as an empty root.
#[test]
fn unrecognised_inputs_fail_closed() {
    let t = tempfile::tempdir().unwrap();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01".to_vec();
    let elf =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/binaries/c/plain"))
            .unwrap();
    let end_of_archive = vec![0u8; 1024];
    let cases: [(&str, Vec<u8>, &str); 7] = [
        ("pic.tar", png, "a PNG image"),
        ("empty.tar", Vec::new(), "an empty file"),
        ("tool", elf, "an ELF binary"),
        (
            "sbom.json",
            b"{\"spdxVersion\": \"SPDX-2.3\"}".to_vec(),
            "a JSON document",
        ),
        ("eoa.tar", end_of_archive.clone(), "an empty tar archive"),
        (
            "eoa.tgz",
            image::gzip(&end_of_archive),
            "an empty tar archive",
        ),
        (
            "plain.tar",
            image::layer_tar(&[Item::File("notes.txt", b"y")]),
            "neither an image",
        ),
    ];
    for (name, bytes, looks) in cases {
        let p = write(t.path(), name, &bytes);
        let e = open(&p).expect_err(name).to_string();
        assert!(e.starts_with(&p.display().to_string()), "{name}: {e}");
        assert!(e.contains(looks), "{name}: {e}");
        if !name.contains(".t") {
            assert!(e.contains(&format!("file:{}", p.display())), "{name}: {e}");
        }
    }
    // An empty tar is refused as a root filesystem too.
    let p = write(t.path(), "eoa2.tar", &end_of_archive);
    let e = open_with(
        &p,
        Some(SourceKind::RootfsArchive),
        &SourceOptions::default(),
    );
    assert!(e.unwrap_err().to_string().contains("empty tar archive"));
}

/// The root of `tar czf rootfs.tgz -C root .` with a Wolfi APK database and os-release.
fn wolfi_root(dir: &Path) -> PathBuf {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures");
    let root = dir.join("root");
    for (rel, fixture) in [
        ("lib/apk/db/installed", "apk/installed/wolfi-base.installed"),
        ("etc/os-release", "os-release/wolfi.os-release"),
    ] {
        write(&root, rel, &std::fs::read(fixtures.join(fixture)).unwrap());
    }
    root
}

fn packages_of(source: &str) -> (sbomkit::model::Sbom, Vec<(String, String, String)>) {
    let spec = SourceSpec::parse(source);
    let (sbom, _) =
        sbomkit::scan::scan(&spec, &sbomkit::scan::ScanOptions::default(), &NoProgress).unwrap();
    let list = sbom
        .packages
        .iter()
        .map(|p| {
            let purl = p.purl.as_ref().map(|u| u.to_string()).unwrap_or_default();
            (p.name.clone(), p.version.clone(), purl)
        })
        .collect();
    (sbom, list)
}

#[test]
fn rootfs_archive_lists_what_the_folder_lists() {
    let t = tempfile::tempdir().unwrap();
    let root = wolfi_root(t.path());
    let (_, from_dir) = packages_of(&format!("dir:{}", root.display()));
    assert_eq!(from_dir.len(), 16, "{from_dir:?}"); // 15 APK packages and the OS

    // As users make it: `tar czf rootfs.tgz -C root .` (entries under `./`), and as plain tar
    // and zstd built here (entries without `./`).
    let tgz = t.path().join("rootfs.tgz");
    let status = std::process::Command::new("tar")
        .arg("czf")
        .arg(&tgz)
        .arg("-C")
        .arg(&root)
        .arg(".")
        .status()
        .unwrap();
    assert!(status.success());
    let items = [
        Item::Dir("etc"),
        Item::RawFile(
            b"etc/os-release".to_vec(),
            std::fs::read(root.join("etc/os-release")).unwrap(),
        ),
        Item::Dir("lib"),
        Item::RawFile(
            b"lib/apk/db/installed".to_vec(),
            std::fs::read(root.join("lib/apk/db/installed")).unwrap(),
        ),
    ];
    let tar = image::layer_tar(&items);
    let plain = write(t.path(), "rootfs.tar", &tar);
    let zst = write(
        t.path(),
        "rootfs.tar.zst",
        &image::compress(&tar, Comp::Zstd),
    );
    for archive in [&tgz, &plain, &zst] {
        for scheme in ["", "rootfs-archive:"] {
            let (sbom, from_archive) = packages_of(&format!("{scheme}{}", archive.display()));
            assert_eq!(from_archive, from_dir, "{}", archive.display());
            let subject = &sbom.subject;
            assert_eq!(subject.kind, SubjectKind::Directory);
            assert_eq!(subject.name, archive.file_name().unwrap().to_str().unwrap());
            assert_eq!(subject.identities.len(), 1);
            assert_eq!(subject.identities[0].role, IdentityRole::File);
            assert_eq!(
                subject.identities[0].digest,
                digest(&std::fs::read(archive).unwrap())
            );
            assert!(subject.layers.is_empty() && subject.platform.is_none());
        }
    }
}

/// `--platform` on a source with one platform (or none) is checked, not ignored.
#[test]
fn platform_on_a_single_platform_source_must_match() {
    let t = tempfile::tempdir().unwrap();
    let mut a = DockerArchive::default();
    a.add(
        &Image::new(vec![BuiltLayer::new(&[Item::File("f", b"1")], Comp::None)]),
        &["x:1"],
    );
    let docker = write(t.path(), "amd64.tar", &a.files().to_tar());
    let on = |p: &str| SourceOptions {
        platform: Some(p.into()),
        ..SourceOptions::default()
    };
    let s = open_with(&docker, None, &on("linux/amd64")).unwrap();
    assert_eq!(s.subject.platform.unwrap().architecture, "amd64");
    for kind in [None, Some(SourceKind::DockerArchive)] {
        match open_with(&docker, kind, &on("linux/arm64")) {
            Err(SourceError::PlatformMismatch {
                path,
                wanted,
                actual,
            }) => {
                assert!(path.ends_with("amd64.tar"));
                assert_eq!(
                    (wanted.as_str(), actual.as_str()),
                    ("linux/arm64", "linux/amd64")
                );
            }
            other => panic!("expected a platform mismatch, got {other:?}"),
        }
    }
    let root = wolfi_root(t.path());
    let rootfs = write(
        t.path(),
        "rootfs.tar",
        &image::layer_tar(&[Item::File("etc/os-release", b"ID=wolfi\n")]),
    );
    let file = root.join("lib/apk/db/installed");
    let cases: [(&Path, Option<SourceKind>, SourceKind); 5] = [
        (&root, None, SourceKind::Dir),
        (&root, Some(SourceKind::Dir), SourceKind::Dir),
        (&file, None, SourceKind::File),
        (&rootfs, None, SourceKind::RootfsArchive),
        (
            &rootfs,
            Some(SourceKind::RootfsArchive),
            SourceKind::RootfsArchive,
        ),
    ];
    for (p, kind, named) in cases {
        let e = open_with(p, kind, &on("linux/amd64")).expect_err("no platform");
        assert!(
            matches!(&e, SourceError::NoPlatform { kind, .. } if *kind == named),
            "{e:?}"
        );
        let msg = e.to_string();
        assert!(msg.starts_with(&p.display().to_string()), "{msg}");
        assert!(
            msg.contains(&format!("a {named}: source has no platform")),
            "{msg}"
        );
    }
}

#[test]
fn a_prefix_that_does_not_fit_names_the_file() {
    let t = tempfile::tempdir().unwrap();
    let mut a = DockerArchive::default();
    a.add(
        &Image::new(vec![BuiltLayer::new(&[Item::File("f", b"1")], Comp::None)]),
        &["x:1"],
    );
    let docker = write(t.path(), "legacy.tar", &a.files().to_tar());
    let text = write(t.path(), "notes.txt", b"hello");
    let cases: [(&Path, SourceKind); 5] = [
        (&docker, SourceKind::OciArchive),
        (&text, SourceKind::DockerArchive),
        (&text, SourceKind::Dir),
        (t.path(), SourceKind::File),
        (&text, SourceKind::OciDir),
    ];
    for (p, kind) in cases {
        let e = open_with(p, Some(kind), &SourceOptions::default()).expect_err("mismatched prefix");
        let msg = e.to_string();
        let name = p.file_name().unwrap().to_str().unwrap();
        assert!(msg.contains(name), "{kind}: {msg}");
    }
    let missing = open(&t.path().join("nope.tar")).unwrap_err().to_string();
    assert!(missing.contains("nope.tar"), "{missing}");
}

#[test]
fn bundled_alpine_image() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/fixtures/images/alpine-3.10-docker-save.tar.gz");
    // The config digest, recomputed independently from the archive.
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(
        std::fs::File::open(&p).unwrap(),
    ));
    let mut config_digest = None;
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".json") && !name.contains('/') && name != "manifest.json" {
            let mut b = Vec::new();
            e.read_to_end(&mut b).unwrap();
            config_digest = Some(digest(&b));
        }
    }
    let keep = |path: &[u8], _: &[u8]| (path == b"lib/apk/db/installed").then_some(1 << 20);
    let s = source::open(
        &SourceSpec::parse(p.to_str().unwrap()),
        &SourceOptions::default(),
        &Interest::new(&keep, Digests::All),
        &NoProgress,
    )
    .unwrap();
    assert_eq!(s.subject.name, "alpine:3.10");
    assert_eq!(s.subject.version.as_deref(), Some("3.10"));
    assert_eq!(s.subject.tags, vec!["alpine:3.10".to_string()]);
    assert_eq!(s.subject.identities.len(), 1);
    assert_eq!(s.subject.identities[0].role, IdentityRole::Config);
    assert_eq!(Some(s.subject.identities[0].digest.clone()), config_digest);
    assert_eq!(s.subject.layers.len(), 1);
    let plat = s.subject.platform.clone().unwrap();
    assert_eq!(
        (plat.os.as_str(), plat.architecture.as_str()),
        ("linux", "amd64")
    );
    let db = content(&s, "lib/apk/db/installed").expect("the APK database is kept");
    assert!(db.starts_with(b"C:Q1"));
    assert!(db.windows(10).any(|w| w == b"\nP:musl\nV:"));
    assert!(s.fs.get(b"etc/os-release").is_some());
    assert!(s.fs.get(b"bin/busybox").unwrap().sha256.is_some());
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn damaged_archives_never_panic() {
    let t = tempfile::tempdir().unwrap();
    let mut l = OciLayout::default();
    let img = layered_image(Comp::Gzip);
    let (d, _) = l.image(&img);
    l.index.push(d);
    let oci = l.files().to_tar();
    let mut a = DockerArchive::default();
    a.add(&layered_image(Comp::Zstd), &["x:1"]);
    let docker = a.files().to_tar();
    // Deterministic pseudo-random damage: flipped bytes, cut tails.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut failures = 0;
    for base in [&oci, &docker] {
        for round in 0..40 {
            let mut bytes = base.clone();
            for _ in 0..(1 + round % 4) {
                let i = (next() % bytes.len() as u64) as usize;
                bytes[i] ^= (next() % 255 + 1) as u8;
            }
            if round % 5 == 0 {
                let cut = (next() % bytes.len() as u64) as usize;
                bytes.truncate(cut);
            }
            let p = write(t.path(), "damaged.tar", &bytes);
            if open_with(&p, None, &SourceOptions::default()).is_err() {
                failures += 1;
            }
        }
    }
    // Most damage is caught (digests, tar checksums); none of it panics.
    assert!(
        failures > 40,
        "only {failures} of 80 damaged archives were refused"
    );
}

/// An OCI archive whose only ref is a tag (`3.10`, as `skopeo copy … oci-archive:F:3.10` writes it)
/// names no repository: the purl's name is not the file name. The `v8` of arm64 is kept.
#[test]
fn a_tag_only_oci_archive_on_arm64_v8_has_a_purl_without_a_file_name() {
    let t = tempfile::tempdir().unwrap();
    let img = Image::new(vec![BuiltLayer::new(
        &[Item::File(
            "etc/os-release",
            b"ID=alpine\nVERSION_ID=3.10.9\n",
        )],
        Comp::Gzip,
    )])
    .platform("linux", "arm64", Some("v8"));
    let mut l = OciLayout::default();
    let (desc, manifest) = l.platform_image(&img);
    l.index.push(named(desc, REF_NAME, "3.10"));
    let tar = write(t.path(), "alpine-3.10-oci.tar", &l.files().to_tar());
    let bytes = crate::support::generate(
        &format!("oci-archive:{}", tar.display()),
        &["-o", "cyclonedx-json"],
    );
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    crate::support::schema::assert_valid_cyclonedx(&doc);
    let want = format!(
        "pkg:oci/image@{}?arch=arm64&os=linux&tag=3.10&variant=v8",
        digest(&manifest)
    );
    assert_eq!(doc["metadata"]["component"]["purl"], want.as_str());
}
