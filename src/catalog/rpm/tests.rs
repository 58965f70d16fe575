use super::*;
use crate::catalog::testutil::{by_name, file, fixture, put, run};
use crate::model::{Distro, RelationshipKind};

const MARINER: &str = "rpm/cbl-mariner-2.0.rpmdb.sqlite";
const LIBUUID: &str = "rpm/libuuid.Packages.bdb";

fn db_fs(path: &str, content: &[u8]) -> Vfs {
    let mut fs = Vfs::new();
    put(&mut fs, path, file(0, content));
    fs
}

/// The os-release of CBL-Mariner 2.0, the release of the database.
fn mariner() -> Distro {
    let text = fixture("os-release/mariner-2.0.os-release");
    let vars = crate::catalog::os_release::parse(&text);
    crate::catalog::os_release::distro_from(&vars, "/etc/os-release").unwrap()
}

fn edges(found: &Found, from: &str, kind: RelationshipKind) -> Vec<String> {
    found
        .relationships
        .iter()
        .filter(|r| r.from == from && r.kind == kind)
        .map(|r| r.to.clone())
        .collect()
}

#[test]
fn sqlite_database_of_mariner() {
    let fs = db_fs("var/lib/rpm/rpmdb.sqlite", &fixture(MARINER));
    let found = run(&RpmDb, &fs, Some(&mariner()));
    // `rpm --dbpath DIR -qa` lists 129, none of them a key.
    assert_eq!(found.packages.len(), 129);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);

    let curl = by_name(&found, "curl");
    assert_eq!(curl.id, "rpm:curl:x86_64@7.76.0-6.cm2");
    assert_eq!(curl.version, "7.76.0-6.cm2");
    assert_eq!(
        curl.purl.as_deref(),
        Some("pkg:rpm/cbl-mariner/curl@7.76.0-6.cm2?arch=x86_64&distro=mariner-2.0&upstream=curl-7.76.0-6.cm2.src.rpm")
    );
    assert_eq!(
        curl.cpes,
        ["cpe:2.3:a:mariner:curl:7.76.0-6.cm2:*:*:*:*:*:*:*"]
    );
    assert_eq!(curl.source_name.as_deref(), Some("curl"));
    assert_eq!(curl.source_version.as_deref(), Some("7.76.0-6.cm2"));
    assert_eq!(curl.licenses[0].raw, "MIT");
    assert_eq!(curl.licenses[0].spdx.as_deref(), Some("MIT"));
    assert_eq!(curl.properties["sbomkit:rpm:size"], "326023");
    assert_eq!(
        curl.properties["sbomkit:rpm:vendor"],
        "Microsoft Corporation"
    );
    assert_eq!(curl.evidence, ["/var/lib/rpm/rpmdb.sqlite"]);
    assert_eq!(
        curl.supplier.as_ref().map(|a| a.name()),
        Some("Common Base Linux Mariner")
    );

    // Files as go-rpmdb's curl_files.json lists them; the folder /usr/share/licenses/curl is not
    // a file of its own.
    let owned: Vec<(String, Vec<String>)> = found
        .owned
        .iter()
        .filter(|o| o.package == curl.id)
        .map(|o| {
            (
                String::from_utf8_lossy(&o.path).into_owned(),
                o.checksums.iter().map(|c| c.value.clone()).collect(),
            )
        })
        .collect();
    let paths: Vec<&str> = owned.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "usr/bin/curl",
            "usr/bin/curl-config",
            "usr/share/licenses/curl/COPYING",
            "usr/share/man/man1/curl-config.1.gz",
            "usr/share/man/man1/curl.1.gz",
        ]
    );
    assert_eq!(
        owned[0].1,
        ["7ef6b3fd854d4ed189dd0aab2ffcf5e6bd58018ff69b97e1b86e1df7b86f3df0"]
    );
    assert_eq!(found.owned[0].checksums[0].alg, HashAlg::Sha256);

    // Requires: a package by name with a version (`curl-libs = 7.76.0-6.cm2`), a soname through
    // its provider, a file (`/bin/sh`) through its owner; `rpmlib(...)` names none.
    let deps = edges(&found, &curl.id, RelationshipKind::DependsOn);
    for want in [
        "rpm:curl-libs:x86_64@7.76.0-6.cm2",
        "rpm:bash:x86_64@5.1.8-1.cm2",
        "rpm:glibc:x86_64@2.34-2.cm2",
        "rpm:krb5:x86_64@1.18-2.cm2",
    ] {
        assert!(deps.iter().any(|d| d == want), "{want} not in {deps:?}");
    }
    // The OS contains each package.
    assert!(found
        .relationships
        .iter()
        .any(|r| r.kind == RelationshipKind::Contains && r.to == curl.id));

    // An epoch: in the version and id, a qualifier in the purl.
    let ca = by_name(&found, "ca-certificates-base");
    assert_eq!(ca.version, "1:2.0.0-1.cm2");
    assert_eq!(
        ca.purl.as_deref(),
        Some("pkg:rpm/cbl-mariner/ca-certificates-base@2.0.0-1.cm2?arch=noarch&distro=mariner-2.0&epoch=1&upstream=ca-certificates-2.0.0-1.cm2.src.rpm")
    );
    // The source package has the binary's epoch, as `trivy rootfs` reports it (SrcEpoch 1).
    assert_eq!(
        (ca.source_name.as_deref(), ca.source_version.as_deref()),
        (Some("ca-certificates"), Some("1:2.0.0-1.cm2"))
    );
}

#[test]
fn berkeley_db_of_rhel_8() {
    let fs = db_fs("var/lib/rpm/Packages", &fixture(LIBUUID));
    let rhel = Distro {
        id: "rhel".into(),
        version_id: Some("8.8".into()),
        name: Some("Red Hat Enterprise Linux".into()),
        ..Distro::default()
    };
    let found = run(&RpmDb, &fs, Some(&rhel));
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    assert_eq!(found.packages.len(), 1);
    let p = &found.packages[0];
    // `rpm --dbpath DIR -qa --qf ...` on the same file.
    assert_eq!(p.name, "libuuid");
    assert_eq!(p.version, "2.32.1-42.el8_8");
    assert_eq!(p.licenses[0].raw, "BSD");
    assert_eq!(p.properties["sbomkit:rpm:size"], "35104");
    assert_eq!(p.properties["sbomkit:rpm:vendor"], "Red Hat, Inc.");
    // Syft's namespace for Red Hat.
    assert_eq!(
        p.purl.as_deref(),
        Some("pkg:rpm/redhat/libuuid@2.32.1-42.el8_8?arch=x86_64&distro=rhel-8.8&upstream=util-linux-2.32.1-42.el8_8.src.rpm")
    );
    assert_eq!(p.source_name.as_deref(), Some("util-linux"));
    assert!(found
        .owned
        .iter()
        .any(|o| o.path == b"usr/lib64/libuuid.so.1.3.0"));
}

#[test]
fn ndb_holds_the_same_packages_as_the_sqlite_it_was_written_from() {
    let sqlite = fixture(MARINER);
    let (rows, _) = sqlite::packages(&sqlite).unwrap();
    let blobs: Vec<&[u8]> = rows.iter().map(|(_, b)| b.as_slice()).collect();
    let ndb = ndb::tests::write(&blobs);
    let from_sqlite = run(&RpmDb, &db_fs("var/lib/rpm/rpmdb.sqlite", &sqlite), None);
    let from_ndb = run(
        &RpmDb,
        &db_fs("usr/lib/sysimage/rpm/Packages.db", &ndb),
        None,
    );
    let ids = |f: &Found| -> Vec<String> { f.packages.iter().map(|p| p.id.clone()).collect() };
    assert_eq!(ids(&from_ndb), ids(&from_sqlite));
    // Without os-release the namespace comes from the vendor.
    assert_eq!(
        by_name(&from_ndb, "curl").purl.as_deref(),
        Some(
            "pkg:rpm/cbl-mariner/curl@7.76.0-6.cm2?arch=x86_64&upstream=curl-7.76.0-6.cm2.src.rpm"
        )
    );
    assert_eq!(
        from_ndb.warnings,
        ["/usr/lib/sysimage/rpm/Packages.db: no os-release; purl namespace `cbl-mariner` inferred from the packages"]
    );
}

#[test]
fn one_backend_per_folder_and_a_leftover_is_a_warning() {
    let mut fs = db_fs("var/lib/rpm/rpmdb.sqlite", &fixture(MARINER));
    put(&mut fs, "var/lib/rpm/Packages", file(0, &fixture(LIBUUID)));
    let found = run(&RpmDb, &fs, Some(&mariner()));
    assert_eq!(found.packages.len(), 129);
    assert!(found.packages.iter().all(|p| p.name != "libuuid"));
    assert_eq!(
        found.warnings,
        ["/var/lib/rpm/Packages: not read: /var/lib/rpm/rpmdb.sqlite beside it is the database rpm uses"]
    );
}

#[test]
fn a_broken_database_is_a_warning_naming_it_and_an_unknown() {
    let mut db = fixture(MARINER);
    db.truncate(8192);
    let fs = db_fs("usr/lib/sysimage/rpm/rpmdb.sqlite", &db);
    let found = run(&RpmDb, &fs, Some(&mariner()));
    assert!(found.packages.is_empty());
    assert_eq!(found.warnings.len(), 1);
    assert!(
        found.warnings[0].starts_with("/usr/lib/sysimage/rpm/rpmdb.sqlite: SQLite page"),
        "{:?}",
        found.warnings
    );
    assert!(found.warnings[0].ends_with("its packages are not catalogued"));
    assert_eq!(found.unknowns.len(), 1);
    assert_eq!(
        found.unknowns[0].location,
        "/usr/lib/sysimage/rpm/rpmdb.sqlite"
    );

    // A header that does not parse: that package is a warning, the others are read.
    let (rows, _) = sqlite::packages(&fixture(MARINER)).unwrap();
    let mut blobs: Vec<Vec<u8>> = rows.into_iter().map(|(_, b)| b).collect();
    blobs[0][0..4].copy_from_slice(&u32::MAX.to_be_bytes());
    let refs: Vec<&[u8]> = blobs.iter().map(|b| b.as_slice()).collect();
    let fs = db_fs("var/lib/rpm/Packages.db", &ndb::tests::write(&refs));
    let found = run(&RpmDb, &fs, Some(&mariner()));
    assert_eq!(found.packages.len(), 128);
    assert_eq!(
        found.warnings,
        ["/var/lib/rpm/Packages.db: package header 1: header with 4294967295 tags"]
    );
}

#[test]
fn version_order_is_rpms() {
    use Ordering::*;
    for (a, b, want) in [
        ("1.0", "1.0", Equal),
        ("1.0", "2.0", Less),
        ("2.0.1", "2.0", Greater),
        ("1.0a", "1.0", Greater),
        ("1.0~rc1", "1.0", Less),
        ("1.0^git1", "1.0", Greater),
        ("1.0^git1", "1.0.1", Less),
        ("010", "9", Greater),
        ("a", "1", Less),
        ("1.el8", "1.el8_8", Less),
        ("fc4", "fc.4", Equal),
    ] {
        assert_eq!(rpmvercmp(a, b), want, "{a} vs {b}");
        assert_eq!(rpmvercmp(b, a), want.reverse(), "{b} vs {a}");
    }
    assert_eq!(evr_cmp("1:1.0-1", "2.0-1"), Greater);
    assert_eq!(evr_cmp("2.0-5", "2.0"), Equal);
    assert!(RpmDb.satisfies("7.76.0-6.cm2", "=", "7.76.0-6.cm2"));
    assert!(RpmDb.satisfies("7.76.0-6.cm2", ">=", "7.7"));
    assert!(!RpmDb.satisfies("7.76.0-6.cm2", "<", "7.76.0"));
}

/// `name epoch version-release arch` of each package, as `rpm -qa --qf` prints them.
fn listing(found: &Found) -> Vec<String> {
    let mut rows: Vec<String> = found
        .packages
        .iter()
        .map(|p| {
            let (epoch, vr) = match p.version.split_once(':') {
                Some((e, vr)) => (e, vr),
                None => ("0", p.version.as_str()),
            };
            format!(
                "{} {epoch} {vr} {}",
                p.name,
                p.arch.as_deref().unwrap_or("")
            )
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn built_databases_in_each_backend_list_what_rpm_lists() {
    let expected = String::from_utf8(fixture("rpm/built/expected.txt")).unwrap();
    let expected: Vec<&str> = expected.lines().collect();
    assert_eq!(expected.len(), 3);
    for (path, rel) in [
        (
            "usr/lib/sysimage/rpm/rpmdb.sqlite",
            "rpm/built/sqlite/rpmdb.sqlite",
        ),
        ("var/lib/rpm/Packages", "rpm/built/bdb/Packages"),
        (
            "usr/lib/sysimage/rpm/Packages.db",
            "rpm/built/ndb/Packages.db",
        ),
    ] {
        let found = run(&RpmDb, &db_fs(path, &fixture(rel)), Some(&mariner()));
        assert_eq!(listing(&found), expected, "{rel}");
        assert!(found.warnings.is_empty(), "{rel}: {:?}", found.warnings);

        let lib = by_name(&found, "sbk-lib");
        assert_eq!(lib.id, "rpm:sbk-lib:x86_64@2:3.1~rc1-4.fc40");
        assert_eq!(
            lib.purl.as_deref(),
            Some("pkg:rpm/cbl-mariner/sbk-lib@3.1~rc1-4.fc40?arch=x86_64&distro=mariner-2.0&epoch=2&upstream=sbk-lib-3.1~rc1-4.fc40.src.rpm")
        );
        assert_eq!(
            lib.licenses[0].spdx.as_deref(),
            Some("Apache-2.0 OR GPL-2.0-or-later")
        );
        let data = by_name(&found, "sbk-data");
        assert_eq!(data.licenses[0].raw, "GPLv2+");
        assert_eq!(data.arch.as_deref(), Some("noarch"));
        let base = "rpm:sbk-base:x86_64@1.0-1";
        // `sbk-abi >= 1.0` (a provided name at an exact version) and `/usr/bin/sbk-tool` (a
        // file) both lead to sbk-base; a recommendation is optional.
        assert_eq!(edges(&found, &lib.id, RelationshipKind::DependsOn), [base]);
        assert_eq!(edges(&found, &data.id, RelationshipKind::DependsOn), [base]);
        assert_eq!(
            edges(&found, &data.id, RelationshipKind::OptionalDependsOn),
            [lib.id.as_str()]
        );
        // Files without the folder sbk-base owns.
        let owned: Vec<&[u8]> = found
            .owned
            .iter()
            .filter(|o| o.package == base)
            .map(|o| o.path.as_slice())
            .collect();
        assert_eq!(
            owned,
            [&b"usr/bin/sbk-tool"[..], b"usr/share/sbk-base/README"],
            "{rel}"
        );
    }
}

/// Corrupted copies of each backend's database (bytes overwritten, files cut) give warnings or
/// nothing, never a panic; a deterministic stand-in for the fuzz targets in the ordinary tests.
#[test]
fn corrupted_databases_never_panic() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for rel in [
        "rpm/built/sqlite/rpmdb.sqlite",
        "rpm/built/bdb/Packages",
        "rpm/built/ndb/Packages.db",
        LIBUUID,
    ] {
        let db = fixture(rel);
        for round in 0..200 {
            let mut bad = db.clone();
            for _ in 0..1 + next() % 8 {
                let at = (next() % bad.len() as u64) as usize;
                bad[at] = next() as u8;
            }
            if round % 10 == 0 {
                bad.truncate((next() % bad.len() as u64) as usize);
            }
            let (records, _) = parse(&bad, rel);
            assert!(records.len() <= 3.max(db.len() / 16), "{rel}");
        }
    }
}

/// Fedora links `var/lib/rpm` to `usr/lib/sysimage/rpm`: one database, read once, no warning.
#[test]
fn a_linked_folder_is_one_database() {
    let mut fs = db_fs(
        "usr/lib/sysimage/rpm/rpmdb.sqlite",
        &fixture("rpm/built/sqlite/rpmdb.sqlite"),
    );
    put(&mut fs, "var/lib/placeholder", file(0, b""));
    fs.insert(
        b"var/lib/rpm".to_vec(),
        crate::catalog::testutil::link(0, "../../usr/lib/sysimage/rpm"),
    );
    let found = run(&RpmDb, &fs, Some(&mariner()));
    assert_eq!(found.packages.len(), 3);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    assert!(found
        .packages
        .iter()
        .all(|p| p.evidence == ["/usr/lib/sysimage/rpm/rpmdb.sqlite"]));
}

/// Kernels are installed side by side in several versions: each is a package.
#[test]
fn several_versions_of_one_name_are_each_a_package() {
    use header::tests::blob;
    let kernel = |release: &[u8]| {
        blob(&[
            (header::NAME, 6, 1, b"kernel-core\0".to_vec()),
            (header::VERSION, 6, 1, b"5.14.0\0".to_vec()),
            (header::RELEASE, 6, 1, [release, b"\0"].concat()),
            (header::ARCH, 6, 1, b"x86_64\0".to_vec()),
        ])
    };
    let (a, b) = (kernel(b"70.el9"), kernel(b"162.el9"));
    let fs = db_fs("var/lib/rpm/Packages.db", &ndb::tests::write(&[&a, &b, &a]));
    let found = run(&RpmDb, &fs, Some(&mariner()));
    let ids: Vec<&str> = found.packages.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "rpm:kernel-core:x86_64@5.14.0-70.el9",
            "rpm:kernel-core:x86_64@5.14.0-162.el9"
        ]
    );
    // The same header twice is still listed once.
    assert_eq!(
        found.warnings,
        ["/var/lib/rpm/Packages.db:3: package kernel-core listed again, kept once"]
    );
}
