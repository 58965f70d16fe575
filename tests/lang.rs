//! Language packages end to end: real npm, Python and Java manifests from a Debian image, in a root
//! folder whose dpkg database owns some of them, through the `sbomkit` binary.
//! With `SBOMKIT_WRITE_SAMPLES=DIR` the documents are also saved in DIR, for the outside validators.

use crate::support::schema;

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::support::{all_components, component, generate, run, sbomkit, write};

const STATUS: &str = "Package: node-acorn\nStatus: install ok installed\nVersion: 8.8.1+ds+~cs25.17.7-2\nArchitecture: all\n\nPackage: python3-pip\nStatus: install ok installed\nVersion: 23.0.1+dfsg-1\nArchitecture: all\n\n";

fn fixture(name: &str) -> Vec<u8> {
    fs::read(Path::new("testdata/lang").join(name)).unwrap()
}

/// A Debian root folder with language packages, some owned by dpkg packages.
fn rootfs() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    write(r, "etc/os-release", b"ID=debian\nVERSION_ID=12\n");
    write(r, "var/lib/dpkg/status", STATUS.as_bytes());
    write(
        r,
        "var/lib/dpkg/info/node-acorn.list",
        b"/usr/share/nodejs/acorn\n/usr/share/nodejs/acorn/package.json\n",
    );
    write(
        r,
        "var/lib/dpkg/info/python3-pip.list",
        b"/usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA\n",
    );
    write(
        r,
        "usr/share/nodejs/acorn/package.json",
        &fixture("acorn.package.json"),
    );
    write(
        r,
        "usr/share/nodejs/@types/node/package.json",
        &fixture("types-node.package.json"),
    );
    write(
        r,
        "usr/share/nodejs/path-parse/package.json",
        &fixture("path-parse.package.json"),
    );
    write(
        r,
        "usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA",
        &fixture("pip-23.0.1.METADATA"),
    );
    write(
        r,
        "usr/lib/python3/dist-packages/wheel-0.38.4.egg-info/PKG-INFO",
        &fixture("wheel-0.38.4.PKG-INFO"),
    );
    write(
        r,
        "usr/lib/jvm/java-17-openjdk-amd64/lib/jrt-fs.jar",
        &fixture("jrt-fs.jar"),
    );
    write(
        r,
        "usr/share/ca-certificates-java/ca-certificates-java.jar",
        &fixture("ca-certificates-java.jar"),
    );
    // Not packages: no version; not a manifest name.
    write(
        r,
        "srv/app/package.json",
        br#"{"name":"app","private":true}"#,
    );
    write(
        r,
        "srv/app/notpackage.json",
        br#"{"name":"x","version":"1"}"#,
    );
    t
}

#[test]
fn npm_python_and_java_packages_with_their_owners() {
    let t = rootfs();
    let bytes = generate(
        &format!("dir:{}", t.path().display()),
        &["-o", "cyclonedx-json"],
    );
    schema::sample("lang.cdx.json", &bytes);
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    schema::assert_valid_cyclonedx(&doc);
    let comps = all_components(&doc);
    let by_name = |n: &str| -> &Value {
        comps
            .iter()
            .find(|c| c["name"] == n)
            .unwrap_or_else(|| panic!("{n} missing"))
    };
    for (name, version, purl) in [
        ("acorn", "8.8.1", Some("pkg:npm/acorn@8.8.1")),
        (
            "@types/node",
            "18.18.14",
            Some("pkg:npm/%40types/node@18.18.14"),
        ),
        ("path-parse", "1.0.7", Some("pkg:npm/path-parse@1.0.7")),
        ("pip", "23.0.1", Some("pkg:pypi/pip@23.0.1")),
        ("wheel", "0.38.4", Some("pkg:pypi/wheel@0.38.4")),
        // No group id anywhere in these archives: no purl is invented.
        ("jrt-fs", "17.0.19", None),
        ("ca-certificates-java", "", None),
    ] {
        let c = by_name(name);
        assert_eq!(c["version"].as_str().unwrap_or(""), version, "{name}");
        assert_eq!(c["purl"].as_str(), purl, "{name}");
    }
    assert!(!comps.iter().any(|c| c["name"] == "app" || c["name"] == "x"));
    assert_eq!(by_name("acorn")["licenses"][0]["expression"], "MIT");
    // `"Javier Blanco <http://jbgutierrez.info>"`: a URL is not an email (the schema's idn-email).
    assert_eq!(
        by_name("path-parse")["authors"],
        serde_json::json!([{"name": "Javier Blanco"}])
    );
    // A jar is its own deployable form: hashed as it lies in the image, named, an archive.
    let jar = by_name("jrt-fs");
    let hashes: Vec<(&str, &str)> = jar["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["alg"].as_str().unwrap(), h["content"].as_str().unwrap()))
        .collect();
    use sha2::Digest;
    let bytes = fixture("jrt-fs.jar");
    let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
    let sha512 = hex::encode(sha2::Sha512::digest(&bytes));
    assert_eq!(
        hashes,
        [("SHA-256", sha256.as_str()), ("SHA-512", sha512.as_str())]
    );
    let prop = |c: &Value, k: &str| -> String {
        c["properties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == k)
            .map(|p| p["value"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert_eq!(
        prop(jar, "sbomkit:hashes"),
        "the file /usr/lib/jvm/java-17-openjdk-amd64/lib/jrt-fs.jar as shipped in the image"
    );
    assert_eq!(prop(jar, "bsi:component:filename"), "jrt-fs.jar");
    assert_eq!(prop(jar, "bsi:component:archive"), "archive");
    // A Python package is many files: no file name, and its deployable form is unknown.
    assert_eq!(prop(by_name("pip"), "bsi:component:filename"), "");
    assert_eq!(
        prop(by_name("pip"), "sbomkit:hashes"),
        "unknown: its deployable form is not in the image"
    );
    let ev = &by_name("pip")["evidence"];
    assert_eq!(
        ev["identity"]["methods"][0]["technique"],
        "manifest-analysis"
    );
    assert_eq!(
        ev["occurrences"][0]["location"],
        "/usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA"
    );

    // The OS package that installs a manifest contains its package; the rest hang under the image.
    let spdx_bytes = generate(&format!("dir:{}", t.path().display()), &["-o", "spdx-json"]);
    schema::sample("lang.spdx.json", &spdx_bytes);
    let spdx: Value = serde_json::from_slice(&spdx_bytes).unwrap();
    schema::assert_valid_spdx(&spdx);
    let id_of = |name: &str| -> String {
        spdx["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing"))["SPDXID"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let contains = |from: &str, to: &str| {
        spdx["relationships"].as_array().unwrap().iter().any(|r| {
            r["spdxElementId"] == from
                && r["relatedSpdxElement"] == to
                && r["relationshipType"] == "CONTAINS"
        })
    };
    assert!(contains(&id_of("node-acorn"), &id_of("acorn")));
    assert!(contains(&id_of("python3-pip"), &id_of("pip")));
    assert!(!contains(&id_of("node-acorn"), &id_of("wheel")));
    let purpose = |name: &str| {
        spdx["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()["primaryPackagePurpose"]
            .clone()
    };
    assert_eq!(purpose("pip"), "LIBRARY");
}

/// CycloneDX containment on the real Debian manifests: from 1.6 the Python and npm packages a dpkg
/// package installs are nested in its component (the dpkg packages stay top-level, where the OS
/// lists them); in 1.5 everything is top-level and the dpkg package marks them `sbomkit:contains`.
/// Either way the dpkg package's `dependsOn` lists them and each has its `dependencies` entry.
#[test]
fn language_packages_nest_in_their_debian_package_from_cyclonedx_1_6() {
    fn names(list: &Value) -> Vec<&str> {
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str())
            .collect()
    }
    fn named<'a>(list: &'a Value, name: &str) -> &'a Value {
        list.as_array()
            .into_iter()
            .flatten()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no top-level {name}"))
    }
    fn strs(v: &Value) -> Vec<&str> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect()
    }
    fn contains_props(c: &Value) -> Vec<&str> {
        c["properties"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["name"] == "sbomkit:contains")
            .filter_map(|p| p["value"].as_str())
            .collect()
    }
    let t = rootfs();
    let src = format!("dir:{}", t.path().display());
    for v in ["1.5", "1.6", "1.7"] {
        let bytes = generate(&src, &["-o", &format!("cyclonedx-json@{v}")]);
        schema::sample(
            &format!("lang-nested.cdx{}.json", v.replace('.', "")),
            &bytes,
        );
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        schema::assert_valid_cyclonedx(&doc);
        let top = &doc["components"];
        let os = top
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == "operating-system")
            .expect("the OS, top-level");
        assert!(
            os.get("components").is_none(),
            "{v}: nothing nested in the OS"
        );
        // Not installed by any package: top-level in every version.
        for n in [
            "python3-pip",
            "node-acorn",
            "wheel",
            "path-parse",
            "@types/node",
        ] {
            assert!(names(top).contains(&n), "{v}: {n} top-level");
        }
        let (deb, pip) = (named(top, "python3-pip"), component(&doc, "pip"));
        let (deb_ref, pip_ref) = (
            deb["bom-ref"].as_str().unwrap(),
            pip["bom-ref"].as_str().unwrap(),
        );
        if v == "1.5" {
            assert!(names(top).contains(&"pip") && names(top).contains(&"acorn"));
            assert!(all_components(&doc)
                .iter()
                .all(|c| c.get("components").is_none()));
            assert_eq!(contains_props(deb), [pip_ref]);
        } else {
            assert_eq!(names(&deb["components"]), ["pip"], "{v}");
            assert_eq!(
                names(&named(top, "node-acorn")["components"]),
                ["acorn"],
                "{v}"
            );
            assert!(!names(top).contains(&"pip") && !names(top).contains(&"acorn"));
            assert!(contains_props(deb).is_empty(), "{v}: nesting says it");
        }
        let deps = doc["dependencies"].as_array().unwrap();
        let depends_on = |r: &str| -> Vec<&str> {
            deps.iter()
                .find(|d| d["ref"] == r)
                .map(|d| strs(&d["dependsOn"]))
                .unwrap_or_default()
        };
        assert!(depends_on(deb_ref).contains(&pip_ref), "{v}");
        assert!(deps.iter().any(|d| d["ref"] == pip_ref), "{v}");
    }
}

#[test]
fn a_broken_manifest_is_a_warning_naming_it() {
    let t = rootfs();
    write(
        t.path(),
        "opt/broken/package.json",
        b"{\"name\": \"x\", \"version\": ",
    );
    write(
        t.path(),
        "opt/lib/broken.jar",
        b"PK\x03\x04 not really a zip",
    );
    write(
        t.path(),
        "var/lib/gems/3.1.0/specifications/broken-1.0.gemspec",
        b"\xff\xfe garbage",
    );
    let out = run(
        sbomkit().args([
            "generate",
            &format!("dir:{}", t.path().display()),
            "-o",
            "table",
        ]),
        0,
    );
    let stderr = out.stderr;
    assert!(
        stderr.contains("/opt/broken/package.json: not a package.json"),
        "{stderr}"
    );
    assert!(
        stderr.contains("/opt/lib/broken.jar: not a readable Java archive"),
        "{stderr}"
    );
    assert!(
        stderr.contains("/var/lib/gems/3.1.0/specifications/broken-1.0.gemspec: not a gemspec"),
        "{stderr}"
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("acorn"), "{table}");
}

/// Debian's jrt-fs.jar and ca-certificates-java.jar carried by a WAR (deflated, `WEB-INF/lib/`)
/// and by a Spring Boot jar (stored, `BOOT-INF/lib/`), built here with the `zip` crate: each
/// carried jar is a package that the outer archive's package contains.
#[test]
fn jars_inside_war_and_spring_boot_archives_are_read() {
    use std::io::Write as _;
    fn archive(method: zip::CompressionMethod, files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in files {
            let o = zip::write::SimpleFileOptions::default().compression_method(method);
            w.start_file(*name, o).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }
    let (jrt, cacerts) = (fixture("jrt-fs.jar"), fixture("ca-certificates-java.jar"));
    let war = archive(
        zip::CompressionMethod::Deflated,
        &[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\n\r\n"),
            ("WEB-INF/web.xml", b"<web-app/>"),
            ("WEB-INF/lib/jrt-fs.jar", &jrt),
            ("WEB-INF/lib/ca-certificates-java.jar", &cacerts),
        ],
    );
    let boot = archive(
        zip::CompressionMethod::Stored,
        &[
            (
                "META-INF/MANIFEST.MF",
                b"Manifest-Version: 1.0\r\nMain-Class: org.springframework.boot.loader.launch.JarLauncher\r\nImplementation-Version: 2.4.1\r\n\r\n",
            ),
            ("BOOT-INF/classes/app/Main.class", b"\xca\xfe\xba\xbe"),
            ("BOOT-INF/lib/jrt-fs.jar", &jrt),
        ],
    );
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "srv/shop-1.2.war", &war);
    write(t.path(), "opt/app/service.jar", &boot);
    let spdx_bytes = generate(&format!("dir:{}", t.path().display()), &["-o", "spdx-json"]);
    let spdx: Value = serde_json::from_slice(&spdx_bytes).unwrap();
    schema::assert_valid_spdx(&spdx);
    let cdx: Value = serde_json::from_slice(&generate(
        &format!("dir:{}", t.path().display()),
        &["-o", "cyclonedx-json"],
    ))
    .unwrap();
    schema::assert_valid_cyclonedx(&cdx);
    let packages = spdx["packages"].as_array().unwrap();
    let ids = |name: &str, version: &str| -> Vec<String> {
        packages
            .iter()
            .filter(|p| p["name"] == name && p["versionInfo"].as_str().unwrap_or("") == version)
            .map(|p| p["SPDXID"].as_str().unwrap().to_string())
            .collect()
    };
    let contains = |from: &str, to: &str| {
        spdx["relationships"].as_array().unwrap().iter().any(|r| {
            r["spdxElementId"] == from
                && r["relatedSpdxElement"] == to
                && r["relationshipType"] == "CONTAINS"
        })
    };
    let (shop, service) = (ids("shop", "1.2"), ids("service", "2.4.1"));
    assert_eq!((shop.len(), service.len()), (1, 1), "{packages:#?}");
    let jrt_ids = ids("jrt-fs", "17.0.19");
    assert_eq!(jrt_ids.len(), 2, "one per carrying archive");
    assert!(jrt_ids.iter().any(|j| contains(&shop[0], j)));
    assert!(jrt_ids.iter().any(|j| contains(&service[0], j)));
    let ca = ids("ca-certificates-java", "");
    assert_eq!(ca.len(), 1);
    assert!(contains(&shop[0], &ca[0]));
    // In CycloneDX (1.7) the jars are nested in the archive that carries them.
    let nested = |outer: &str| -> Vec<&str> {
        let mut v: Vec<&str> = component(&cdx, outer)["components"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str())
            .collect();
        v.sort();
        v
    };
    assert_eq!(nested("shop"), ["ca-certificates-java", "jrt-fs"]);
    assert_eq!(nested("service"), ["jrt-fs"]);
}

/// A Debian root with a gem dpkg installs (ruby-rack) and one installed by `gem install`
/// (rack-test, in a gem home no package owns), through `-v` and both documents.
#[test]
fn ruby_gems_with_their_owner() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    let rack = "usr/share/rubygems-integration/all/specifications/rack-2.2.22.gemspec";
    write(r, "etc/os-release", b"ID=debian\nVERSION_ID=12\n");
    write(
        r,
        "var/lib/dpkg/status",
        b"Package: ruby-rack\nStatus: install ok installed\nVersion: 2.2.22-0+deb12u2\nArchitecture: all\n\n",
    );
    write(
        r,
        "var/lib/dpkg/info/ruby-rack.list",
        format!("/{rack}\n").as_bytes(),
    );
    write(r, rack, &fixture("rack-2.2.22.gemspec"));
    write(
        r,
        "usr/local/lib/ruby/gems/3.1.0/specifications/rack-test-2.0.2.gemspec",
        &fixture("rack-test-2.0.2.gemspec"),
    );
    // Not an installed gemspec: a project's own, outside `specifications/`.
    write(r, "srv/app/app.gemspec", &fixture("rack-2.2.22.gemspec"));
    let src = format!("dir:{}", r.display());
    let out = run(sbomkit().args(["generate", "-v", &src, "-o", "table"]), 0);
    assert!(
        out.stderr.contains("ruby-gemspec: 2 packages"),
        "{}",
        out.stderr
    );
    let cdx_bytes = generate(&src, &["-o", "cyclonedx-json"]);
    schema::sample("lang-gem.cdx.json", &cdx_bytes);
    let cdx: Value = serde_json::from_slice(&cdx_bytes).unwrap();
    schema::assert_valid_cyclonedx(&cdx);
    let comp = |purl: &str| -> Value {
        all_components(&cdx)
            .into_iter()
            .find(|c| c["purl"] == purl)
            .unwrap_or_else(|| panic!("{purl} missing"))
            .clone()
    };
    let rack_c = comp("pkg:gem/rack@2.2.22");
    assert_eq!(rack_c["licenses"][0]["expression"], "MIT");
    assert_eq!(
        rack_c["authors"],
        serde_json::json!([{"name": "Leah Neukirchen", "email": "leah@vuxu.org"}])
    );
    assert_eq!(
        rack_c["evidence"]["occurrences"][0]["location"],
        format!("/{rack}")
    );
    comp("pkg:gem/rack-test@2.0.2");

    let spdx_bytes = generate(&src, &["-o", "spdx-json"]);
    schema::sample("lang-gem.spdx.json", &spdx_bytes);
    let spdx: Value = serde_json::from_slice(&spdx_bytes).unwrap();
    schema::assert_valid_spdx(&spdx);
    let id_of = |name: &str| spdx_id(&spdx, name);
    assert!(spdx_contains(&spdx, &id_of("ruby-rack"), &id_of("rack")));
    assert!(!spdx_contains(
        &spdx,
        &id_of("ruby-rack"),
        &id_of("rack-test")
    ));
}

fn spdx_id(spdx: &Value, name: &str) -> String {
    spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} missing"))["SPDXID"]
        .as_str()
        .unwrap()
        .to_string()
}

fn spdx_contains(spdx: &Value, from: &str, to: &str) -> bool {
    spdx["relationships"].as_array().unwrap().iter().any(|r| {
        r["spdxElementId"] == from
            && r["relatedSpdxElement"] == to
            && r["relationshipType"] == "CONTAINS"
    })
}

/// Debian's mediawiki with the 67 Composer packages it bundles (its real `installed.json`,
/// owned by the dpkg package), and a hostile `installed.json` elsewhere: a warning naming it.
#[test]
fn composer_packages_with_their_owner() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    let installed = "usr/share/mediawiki/vendor/composer/installed.json";
    write(r, "etc/os-release", b"ID=debian\nVERSION_ID=12\n");
    write(
        r,
        "var/lib/dpkg/status",
        b"Package: mediawiki\nStatus: install ok installed\nVersion: 1:1.39.17-1+deb12u2\nArchitecture: all\n\n",
    );
    write(
        r,
        "var/lib/dpkg/info/mediawiki.list",
        format!("/{installed}\n").as_bytes(),
    );
    write(r, installed, &fixture("mediawiki.installed.json"));
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    write(r, "srv/app/vendor/composer/installed.json", deep.as_bytes());
    let src = format!("dir:{}", r.display());
    let out = run(sbomkit().args(["generate", "-v", &src, "-o", "table"]), 0);
    assert!(
        out.stderr.contains("php-composer-installed: 67 packages"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("/srv/app/vendor/composer/installed.json: not a Composer installed.json"),
        "{}",
        out.stderr
    );
    let cdx_bytes = generate(&src, &["-o", "cyclonedx-json"]);
    schema::sample("lang-composer.cdx.json", &cdx_bytes);
    let cdx: Value = serde_json::from_slice(&cdx_bytes).unwrap();
    schema::assert_valid_cyclonedx(&cdx);
    let guzzle = all_components(&cdx)
        .into_iter()
        .find(|c| c["purl"] == "pkg:composer/guzzlehttp/guzzle@7.4.5")
        .expect("guzzle");
    assert_eq!(guzzle["name"], "guzzlehttp/guzzle");
    assert_eq!(guzzle["licenses"][0]["expression"], "MIT");
    assert!(guzzle["properties"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "sbomkit:composer:reference"
            && p["value"] == "1dd98b0564cb3f6bd16ce683cb755f94c10fbd82"));

    let spdx_bytes = generate(&src, &["-o", "spdx-json"]);
    schema::sample("lang-composer.spdx.json", &spdx_bytes);
    let spdx: Value = serde_json::from_slice(&spdx_bytes).unwrap();
    schema::assert_valid_spdx(&spdx);
    let mediawiki = spdx_id(&spdx, "mediawiki");
    for name in ["guzzlehttp/guzzle", "wikimedia/parsoid", "pear/net_socket"] {
        assert!(
            spdx_contains(&spdx, &mediawiki, &spdx_id(&spdx, name)),
            "{name}"
        );
    }
    let composer = spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["externalRefs"].as_array().is_some_and(|r| {
                r.iter().any(|x| {
                    x["referenceLocator"]
                        .as_str()
                        .is_some_and(|l| l.starts_with("pkg:composer/"))
                })
            })
        })
        .count();
    assert_eq!(composer, 67);
}

/// pythonnet's real `Python.Runtime.deps.json` (from its PyPI wheel), installed by an OS package
/// (Debian has none for pythonnet: the dpkg entry is arranged here, the file is real): the
/// package contains the application, which holds its NuGet packages.
#[test]
fn dotnet_deps_json_application_and_packages() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    let deps = "usr/lib/python3/dist-packages/pythonnet/runtime/Python.Runtime.deps.json";
    write(r, "etc/os-release", b"ID=debian\nVERSION_ID=12\n");
    write(
        r,
        "var/lib/dpkg/status",
        b"Package: python3-pythonnet\nStatus: install ok installed\nVersion: 3.2.1-1\nArchitecture: all\n\n",
    );
    write(
        r,
        "var/lib/dpkg/info/python3-pythonnet.list",
        format!("/{deps}\n").as_bytes(),
    );
    write(r, deps, &fixture("Python.Runtime.deps.json"));
    write(r, "opt/app/Broken.deps.json", b"{\"runtimeTarget\": 5}");
    let src = format!("dir:{}", r.display());
    let out = run(sbomkit().args(["generate", "-v", &src, "-o", "table"]), 0);
    assert!(
        out.stderr.contains("dotnet-deps: 10 packages"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("/opt/app/Broken.deps.json: not a .NET deps.json: no runtimeTarget name"),
        "{}",
        out.stderr
    );
    let cdx_bytes = generate(&src, &["-o", "cyclonedx-json"]);
    schema::sample("lang-dotnet.cdx.json", &cdx_bytes);
    let cdx: Value = serde_json::from_slice(&cdx_bytes).unwrap();
    schema::assert_valid_cyclonedx(&cdx);
    let all: Vec<&Value> = all_components(&cdx);
    let csharp = all
        .iter()
        .find(|c| c["purl"] == "pkg:nuget/Microsoft.CSharp@4.7.0")
        .expect("Microsoft.CSharp");
    assert_eq!(csharp["hashes"][0]["alg"], "SHA-512");
    assert!(csharp["hashes"][0]["content"]
        .as_str()
        .unwrap()
        .starts_with("a538fe0f7b895b2377332ef48b61eaa3"));

    let spdx_bytes = generate(&src, &["-o", "spdx-json"]);
    schema::sample("lang-dotnet.spdx.json", &spdx_bytes);
    let spdx: Value = serde_json::from_slice(&spdx_bytes).unwrap();
    schema::assert_valid_spdx(&spdx);
    let app = spdx_id(&spdx, "Python.Runtime");
    assert!(spdx_contains(
        &spdx,
        &spdx_id(&spdx, "python3-pythonnet"),
        &app
    ));
    for name in ["Microsoft.CSharp", "System.Memory", "System.IO.Hashing"] {
        assert!(spdx_contains(&spdx, &app, &spdx_id(&spdx, name)), "{name}");
    }
}
