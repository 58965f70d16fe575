//! `registry:` against a real registry (Distribution 2.8, see `support/registry.rs`): the SBOM equals
//! the docker-archive scan of the same image; OCI manifests, digests and indexes; TLS, logins from
//! every place they are kept; each bad case one line and exit 1, and no secret in any output.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::image::{named, BuiltLayer, Comp, Image, Item, OciLayout};
use crate::support::registry::{available, Answer, MiniServer, Registry};
use crate::support::{run, sbomkit, schema};

const ALPINE_GZ: &str = "testdata/fixtures/images/alpine-3.10-docker-save.tar.gz";
const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// The fixture archive, uncompressed (skopeo reads a docker-archive only as a plain tar).
fn alpine_tar(dir: &Path) -> PathBuf {
    use std::io::Read;
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(crate::support::root().join(ALPINE_GZ)).unwrap(),
    )
    .read_to_end(&mut raw)
    .unwrap();
    let p = dir.join("alpine.tar");
    std::fs::write(&p, raw).unwrap();
    p
}

/// `sbomkit generate -q SOURCE -o FORMAT ARGS` with no login lying around; stdout as JSON.
fn generate_json(source: &str, format: &str, args: &[&str], home: &Path) -> Value {
    let out = run(
        sbomkit()
            .env("DOCKER_CONFIG", home)
            .args(["generate", "-q", source, "-o", format])
            .args(args),
        0,
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    match format {
        "spdx-json" => schema::assert_valid_spdx(&doc),
        _ => schema::assert_valid_cyclonedx(&doc),
    }
    doc
}

/// An SPDX document's packages, files and relationships, the described root renamed `ROOT`.
fn spdx_core(doc: &Value) -> Value {
    let root = doc["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["relationshipType"] == "DESCRIBES")
        .unwrap()["relatedSpdxElement"]
        .as_str()
        .unwrap()
        .to_string();
    let packages: Vec<&Value> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["SPDXID"] != root.as_str())
        .collect();
    let rels: Vec<String> = doc["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.to_string().replace(&root, "ROOT"))
        .collect();
    serde_json::json!({"packages": packages, "files": doc["files"], "relationships": rels})
}

/// A CycloneDX document's components and dependencies, the subject's bom-ref renamed `ROOT`.
fn cdx_core(doc: &Value) -> Value {
    let root = doc["metadata"]["component"]["bom-ref"].as_str().unwrap();
    serde_json::json!({
        "components": doc["components"],
        "dependencies": doc["dependencies"].to_string().replace(root, "ROOT"),
    })
}

fn subject_purl(cdx: &Value) -> String {
    cdx["metadata"]["component"]["purl"]
        .as_str()
        .unwrap()
        .to_string()
}

fn property<'a>(component: &'a Value, name: &str) -> Option<&'a str> {
    component["properties"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)?["value"]
        .as_str()
}

/// Runs `sbomkit ARGS` expecting exit 1 and one `error:` line on stderr, nothing on stdout.
fn fails_in_one_line(cmd: &mut assert_cmd::Command) -> String {
    let out = run(cmd, 1);
    assert!(out.stdout.is_empty(), "stdout: {:?}", out.stdout);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    assert!(lines[0].starts_with("error: "), "{}", out.stderr);
    lines[0].to_string()
}

#[test]
fn the_sbom_equals_the_docker_archive_scan_of_the_same_image() {
    if !available("registry::the_sbom_equals_the_docker_archive_scan_of_the_same_image") {
        return;
    }
    let reg = Registry::plain();
    let t = crate::support::tempdir();
    let tar = alpine_tar(t.path());
    let archive = format!("docker-archive:{}", tar.display());
    reg.push(&archive, "library/alpine:3.10", &[]);
    let source = format!("registry:{}/library/alpine:3.10", reg.host);
    for files in [&[][..], &["--files"][..]] {
        let a = generate_json(&archive, "spdx-json", files, t.path());
        let r = generate_json(&source, "spdx-json", files, t.path());
        assert!(spdx_core(&a)["packages"].as_array().unwrap().len() > 10);
        assert_eq!(spdx_core(&a), spdx_core(&r), "SPDX differs ({files:?})");
        let a = generate_json(&archive, "cyclonedx-json", files, t.path());
        let r = generate_json(&source, "cyclonedx-json", files, t.path());
        assert_eq!(cdx_core(&a), cdx_core(&r), "CycloneDX differs ({files:?})");
    }
    // The subject: the manifest the registry serves, its repository and tag.
    let manifest = reg.get(
        "/v2/library/alpine/manifests/3.10",
        "application/vnd.docker.distribution.manifest.v2+json",
    );
    let digest = crate::support::image::digest(&manifest);
    let r = generate_json(&source, "cyclonedx-json", &[], t.path());
    assert_eq!(
        subject_purl(&r),
        format!(
            "pkg:oci/alpine@{}?arch=amd64&os=linux&repository_url={}/library/alpine&tag=3.10",
            digest, reg.host
        )
    );
    assert_eq!(
        property(&r["metadata"]["component"], "sbomkit:image:manifest-digest"),
        Some(digest.as_str())
    );
    // Every layer came through the blob API once, and nothing else was fetched twice.
    let log = reg.log();
    let layer_gets = log.matches("GET /v2/library/alpine/blobs/").count();
    assert!(layer_gets >= 2, "{log}");
}

#[test]
fn oci_manifests_digest_references_and_indexes() {
    if !available("registry::oci_manifests_digest_references_and_indexes") {
        return;
    }
    let reg = Registry::plain();
    let t = crate::support::tempdir();
    let tar = alpine_tar(t.path());
    let archive = format!("docker-archive:{}", tar.display());
    reg.push(&archive, "oci/alpine:1", &["--format", "oci"]);
    let manifest = reg.get(
        "/v2/oci/alpine/manifests/1",
        "application/vnd.oci.image.manifest.v1+json",
    );
    let m: Value = serde_json::from_slice(&manifest).unwrap();
    assert_eq!(m["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    let digest = crate::support::image::digest(&manifest);
    let by_tag = generate_json(
        &format!("registry:{}/oci/alpine:1", reg.host),
        "spdx-json",
        &[],
        t.path(),
    );
    let by_digest = generate_json(
        &format!("registry:{}/oci/alpine@{digest}", reg.host),
        "cyclonedx-json",
        &[],
        t.path(),
    );
    let a = generate_json(&archive, "spdx-json", &[], t.path());
    assert_eq!(spdx_core(&a), spdx_core(&by_tag));
    // A digest reference names no tag.
    assert_eq!(
        subject_purl(&by_digest),
        format!(
            "pkg:oci/alpine@{digest}?arch=amd64&os=linux&repository_url={}/oci/alpine",
            reg.host
        )
    );

    // An index of two platforms and a BuildKit attestation, pushed whole.
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
    let (d_amd, _) = l.platform_image(&amd);
    let (d_arm, _) = l.platform_image(&arm);
    let att = l.attestation(d_amd["digest"].as_str().unwrap());
    let index = l.nested_index(vec![d_amd, d_arm.clone(), att]);
    l.index.push(named(index.clone(), REF_NAME, "2"));
    let layout = t.path().join("layout");
    l.files().write_dir(&layout);
    reg.push(
        &format!("oci:{}:2", layout.display()),
        "multi:2",
        &["--all"],
    );
    let source = format!("registry:{}/multi:2", reg.host);
    // Without --platform: this machine's platform, said on stderr with the others.
    let host = sbomkit::source::image::host_platform();
    if host.architecture == "amd64" {
        let out = run(sbomkit().args(["generate", &source, "-o", "table"]), 0);
        assert!(
            out.stderr.contains("described platform linux/amd64 (this machine's); the index also has linux/arm64/v8"),
            "{}",
            out.stderr
        );
    }
    // --platform all: a document per platform, each naming its own manifest, and the index's.
    let all = t.path().join("all");
    std::fs::create_dir(&all).unwrap();
    let template = format!("cyclonedx-json={}/c-{{platform}}.json", all.display());
    run(
        sbomkit().args([
            "generate",
            "-q",
            &source,
            "--platform",
            "all",
            "-o",
            &template,
        ]),
        0,
    );
    let read = |name: &str| -> Value {
        let doc = serde_json::from_slice(&std::fs::read(all.join(name)).unwrap()).unwrap();
        schema::assert_valid_cyclonedx(&doc);
        doc
    };
    let arm_all = read("c-linux-arm64-v8.json");
    assert_eq!(
        property(
            &arm_all["metadata"]["component"],
            "sbomkit:image:manifest-digest"
        ),
        d_arm["digest"].as_str()
    );
    let index_doc = read("c-index.json");
    assert_eq!(
        index_doc["metadata"]["component"]["hashes"][0]["content"].as_str(),
        index["digest"]
            .as_str()
            .and_then(|d| d.strip_prefix("sha256:"))
    );
    assert_eq!(index_doc["components"].as_array().unwrap().len(), 2);
    let arm_doc = generate_json(
        &source,
        "cyclonedx-json",
        &["--platform", "linux/arm64"],
        t.path(),
    );
    let subject = &arm_doc["metadata"]["component"];
    assert_eq!(
        property(subject, "sbomkit:image:manifest-digest"),
        d_arm["digest"].as_str()
    );
    assert_eq!(
        property(subject, "sbomkit:image:index-digest"),
        index["digest"].as_str()
    );
    assert!(subject_purl(&arm_doc).starts_with(&format!(
        "pkg:oci/multi@{}?arch=arm64&os=linux&repository_url={}/multi&tag=2&variant=v8",
        d_arm["digest"].as_str().unwrap(),
        reg.host
    )));
    let line =
        fails_in_one_line(sbomkit().args(["generate", &source, "--platform", "linux/s390x"]));
    assert!(
        line.contains("no manifest for platform `linux/s390x`"),
        "{line}"
    );
}

#[test]
fn bad_cases_are_one_line_and_exit_1() {
    if !available("registry::bad_cases_are_one_line_and_exit_1") {
        return;
    }
    let reg = Registry::plain();
    let t = crate::support::tempdir();
    let tar = alpine_tar(t.path());
    reg.push(
        &format!("docker-archive:{}", tar.display()),
        "alpine:3.10",
        &[],
    );
    let h = &reg.host;
    for (source, args, expected) in [
        (
            format!("registry:{h}/nothing-here:1"),
            vec![],
            format!("{h}/nothing-here:1: no such repository or tag (HTTP 404"),
        ),
        (
            format!("registry:{h}/alpine:9.99"),
            vec![],
            format!("{h}/alpine:9.99: no such repository or tag (HTTP 404"),
        ),
        (
            format!("registry:{h}/alpine:3.10"),
            vec!["--max-json-size", "200"],
            format!(
                "{h}: manifest alpine:3.10 is 428 bytes, over the limit of 200 for JSON (raise it with --max-json-size)"
            ),
        ),
        (
            format!("registry:{h}/Alpine"),
            vec![],
            "is not an image reference".to_string(),
        ),
    ] {
        let line = fails_in_one_line(sbomkit().args(["generate", &source]).args(&args));
        assert!(line.contains(&expected), "{source}: {line}");
    }

    // A layer whose bytes are not those of its digest (still a valid gzip of a valid tar, one
    // byte of a file changed): the registry serves what it has, the digest check refuses it.
    let manifest: Value = serde_json::from_slice(&reg.get(
        "/v2/alpine/manifests/3.10",
        "application/vnd.docker.distribution.manifest.v2+json",
    ))
    .unwrap();
    let layer = manifest["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let file = reg.blob_file(&layer);
    let mut tar = Vec::new();
    {
        use std::io::Read;
        flate2::read::GzDecoder::new(std::fs::File::open(&file).unwrap())
            .read_to_end(&mut tar)
            .unwrap();
    }
    tar[20000] ^= 1;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    let gz = gz.finish().unwrap();
    // Not longer than the manifest says: that is refused sooner, as more bytes than announced.
    assert!(gz.len() as u64 <= manifest["layers"][0]["size"].as_u64().unwrap());
    std::fs::write(&file, gz).unwrap();
    let line =
        fails_in_one_line(sbomkit().args(["generate", &format!("registry:{h}/alpine:3.10")]));
    assert!(
        line.contains(&format!(
            "layer 0 (blobs/sha256/{}) blob: digest mismatch: expected {layer}, got sha256:",
            &layer[7..]
        )),
        "{line}"
    );
}

#[test]
fn tls_and_logins_from_every_place_they_are_kept() {
    if !available("registry::tls_and_logins_from_every_place_they_are_kept") {
        return;
    }
    let password = "s3cret-Pa55word";
    let reg = Registry::tls_with_login("alice", password);
    let t = crate::support::tempdir();
    let tar = alpine_tar(t.path());
    reg.push(&format!("docker-archive:{}", tar.display()), "app:1", &[]);
    let source = format!("registry:{}/app:1", reg.host);
    let ca = reg.ca.clone().unwrap();
    let auth = |user: &str, pw: &str| {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"));
        serde_json::json!({"auths": {reg.host.clone(): {"auth": b64}}}).to_string()
    };
    let empty = t.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();

    // podman/skopeo's auth file, by flag and by REGISTRY_AUTH_FILE.
    let auth_file =
        crate::support::write(t.path(), "auth.json", auth("alice", password).as_bytes());
    let by_flag = run(
        sbomkit()
            .env("DOCKER_CONFIG", &empty)
            .args([
                "generate",
                "-q",
                &source,
                "-o",
                "spdx-json",
                "--registry-ca",
            ])
            .arg(&ca)
            .arg("--registry-auth-file")
            .arg(&auth_file),
        0,
    );
    schema::assert_valid_spdx(&serde_json::from_slice(&by_flag.stdout).unwrap());
    let by_env = run(
        sbomkit()
            .env("DOCKER_CONFIG", &empty)
            .env("REGISTRY_AUTH_FILE", &auth_file)
            .args([
                "generate",
                "-q",
                &source,
                "-o",
                "spdx-json",
                "--registry-ca",
            ])
            .arg(&ca),
        0,
    );
    assert_eq!(by_flag.stdout, by_env.stdout);

    // Docker's config.json: auths, then a credential helper.
    let docker = t.path().join("docker");
    crate::support::write(&docker, "config.json", auth("alice", password).as_bytes());
    let out = run(
        sbomkit()
            .env("DOCKER_CONFIG", &docker)
            .args([
                "generate",
                "-q",
                &source,
                "-o",
                "spdx-json",
                "--registry-ca",
            ])
            .arg(&ca),
        0,
    );
    assert_eq!(out.stdout, by_flag.stdout);
    let helpers = t.path().join("bin");
    let helper = crate::support::write(
        &helpers,
        "docker-credential-sbomkittest",
        format!(
            "#!/bin/sh\nread server\n[ \"$1\" = get ] && [ \"$server\" = \"{}\" ] || exit 1\n\
             printf '{{\"ServerURL\":\"%s\",\"Username\":\"alice\",\"Secret\":\"{password}\"}}' \"$server\"\n",
            reg.host
        )
        .as_bytes(),
    );
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        helpers.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for config in [
        serde_json::json!({"credHelpers": {reg.host.clone(): "sbomkittest"}}),
        serde_json::json!({"credsStore": "sbomkittest"}),
    ] {
        crate::support::write(&docker, "config.json", config.to_string().as_bytes());
        let out = run(
            sbomkit()
                .env("DOCKER_CONFIG", &docker)
                .env("PATH", &path)
                .args([
                    "generate",
                    "-q",
                    &source,
                    "-o",
                    "spdx-json",
                    "--registry-ca",
                ])
                .arg(&ca),
            0,
        );
        assert_eq!(out.stdout, by_flag.stdout, "{config}");
    }

    // A wrong password: the user is named, no password is printed.
    let wrong = crate::support::write(
        t.path(),
        "wrong.json",
        auth("alice", "not-the-Pa55word").as_bytes(),
    );
    let cmd = || {
        let mut c = sbomkit();
        c.env("DOCKER_CONFIG", &empty)
            .args(["generate", &source, "--registry-ca"])
            .arg(&ca);
        c
    };
    let line = fails_in_one_line(cmd().arg("--registry-auth-file").arg(&wrong));
    assert!(
        line.contains("refused the login of user `alice` (HTTP 401)"),
        "{line}"
    );
    assert!(
        !line.contains("not-the-Pa55word") && !line.contains(password),
        "{line}"
    );
    // No login at all.
    let line = fails_in_one_line(&mut cmd());
    assert!(
        line.contains("asks for a login and none is configured"),
        "{line}"
    );
    // Without the CA the certificate is not trusted.
    let line = fails_in_one_line(
        sbomkit()
            .env("DOCKER_CONFIG", &docker)
            .env("PATH", &path)
            .args(["generate", &source]),
    );
    assert!(line.contains("--registry-ca"), "{line}");
    assert!(!line.contains(password), "{line}");
}

/// An image served by the in-test server: its manifest and blobs by digest.
fn mini_image() -> (Vec<u8>, std::collections::BTreeMap<String, Vec<u8>>) {
    let root = crate::support::root();
    let db =
        std::fs::read(root.join("testdata/fixtures/apk/installed/alpine-base.installed")).unwrap();
    let os =
        std::fs::read(root.join("testdata/fixtures/os-release/alpine-3.18.os-release")).unwrap();
    let img = Image::new(vec![
        BuiltLayer::new(&[Item::RawFile(b"etc/os-release".to_vec(), os)], Comp::Gzip),
        BuiltLayer::new(
            &[Item::RawFile(b"lib/apk/db/installed".to_vec(), db)],
            Comp::Zstd,
        ),
    ]);
    let mut l = OciLayout::default();
    let (_, manifest) = l.image(&img);
    let blobs = l
        .files
        .0
        .iter()
        .filter_map(|(k, v)| {
            Some((
                format!("sha256:{}", k.strip_prefix("blobs/sha256/")?),
                v.clone(),
            ))
        })
        .collect();
    (manifest, blobs)
}

fn reply(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    Answer::Reply(
        status,
        headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body.to_vec(),
    )
}

/// A registry that wants Bearer tokens from its token service (Basic login `bob`/`hunter2-pw`
/// when `login`), redirects blobs to another host name (`localhost`) that must get no
/// Authorization, and answers each blob's first request 429.
fn token_registry(login: bool) -> (MiniServer, String) {
    let (manifest, blobs) = mini_image();
    let token = "tok-3f9a-secret";
    let basic = {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("bob:hunter2-pw")
        )
    };
    let throttled = std::sync::Mutex::new(std::collections::BTreeSet::new());
    let server = MiniServer::start(move |req, host| {
        let challenge = format!(r#"Bearer realm="http://{host}/token",service="mini""#);
        let bearer = req.authorization.as_deref() == Some(&format!("Bearer {token}"));
        let path = req.path.as_str();
        if path.starts_with("/token?") {
            if !path.contains("scope=repository%3Aapp%3Apull") || !path.contains("service=mini") {
                return reply(400, &[], b"bad scope");
            }
            if login && req.authorization.as_deref() != Some(basic.as_str()) {
                return reply(401, &[], br#"{"details":"bad login"}"#);
            }
            return reply(
                200,
                &[("Content-Type", "application/json")],
                format!(r#"{{"token":"{token}"}}"#).as_bytes(),
            );
        }
        if let Some(d) = path.strip_prefix("/storage/") {
            if req.authorization.is_some() {
                return reply(400, &[], b"Authorization forwarded to the storage host");
            }
            if throttled.lock().unwrap().insert(d.to_string()) {
                return reply(429, &[("Retry-After", "0")], b"slow down");
            }
            return match blobs.get(d) {
                Some(b) => reply(200, &[], b),
                None => reply(404, &[], b""),
            };
        }
        if !bearer {
            return reply(
                401,
                &[("WWW-Authenticate", challenge.as_str())],
                br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
            );
        }
        match path {
            "/v2/" => reply(200, &[], b"{}"),
            "/v2/app/manifests/1" => reply(
                200,
                &[("Content-Type", "application/vnd.oci.image.manifest.v1+json")],
                &manifest,
            ),
            _ => match path.strip_prefix("/v2/app/blobs/") {
                Some(d) if d.starts_with("sha256:") && d.len() > 40 && !d.contains("config") => {
                    let port = host.rsplit(':').next().unwrap();
                    let to = format!("http://localhost:{port}/storage/{d}");
                    reply(307, &[("Location", to.as_str())], b"")
                }
                _ => reply(404, &[], br#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}"#),
            },
        }
    });
    (server, token.to_string())
}

#[test]
fn bearer_tokens_redirects_without_authorization_and_retries() {
    for login in [false, true] {
        let (server, token) = token_registry(login);
        let t = crate::support::tempdir();
        let auth = crate::support::write(
            t.path(),
            "auth.json",
            serde_json::json!({"auths": {server.host.clone(): {"username": "bob", "password": "hunter2-pw"}}})
                .to_string()
                .as_bytes(),
        );
        let mut cmd = sbomkit();
        cmd.env("DOCKER_CONFIG", t.path()).args([
            "generate",
            &format!("registry:{}/app:1", server.host),
            "-o",
            "cyclonedx-json",
        ]);
        if login {
            cmd.arg("--registry-auth-file").arg(&auth);
        }
        let out = run(&mut cmd, 0);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        schema::assert_valid_cyclonedx(&doc);
        // The OS of the first layer, the package of the second.
        let names: Vec<&str> = doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["alpine-baselayout", "alpine"], "{doc}");
        let text = out.text();
        assert!(
            !text.contains(&token) && !text.contains("hunter2"),
            "{text}"
        );
        let seen = server.seen();
        let storage: Vec<_> = seen
            .iter()
            .filter(|s| s.path.starts_with("/storage/"))
            .collect();
        // The config and two layers, each asked twice (429, then the bytes), never with
        // Authorization.
        assert_eq!(storage.len(), 6, "{seen:?}");
        assert!(
            storage
                .iter()
                .all(|s| s.authorization.is_none() && s.method == "GET"),
            "{seen:?}"
        );
        let token_requests: Vec<_> = seen
            .iter()
            .filter(|s| s.path.starts_with("/token"))
            .collect();
        assert_eq!(
            token_requests.len(),
            1,
            "one token for the pull scope: {seen:?}"
        );
        assert_eq!(token_requests[0].authorization.is_some(), login, "{seen:?}");
    }
    // A wrong login: the token service refuses it; the user is named, nothing secret printed.
    let (server, token) = token_registry(true);
    let t = crate::support::tempdir();
    let auth = crate::support::write(
        t.path(),
        "auth.json",
        serde_json::json!({"auths": {server.host.clone(): {"username": "bob", "password": "wrong-pw-123"}}})
            .to_string()
            .as_bytes(),
    );
    let line = fails_in_one_line(
        sbomkit()
            .env("DOCKER_CONFIG", t.path())
            .args(["generate", &format!("registry:{}/app:1", server.host)])
            .arg("--registry-auth-file")
            .arg(&auth),
    );
    assert!(
        line.contains("refused the login of user `bob` (HTTP 401)"),
        "{line}"
    );
    assert!(
        !line.contains("wrong-pw-123") && !line.contains(&token),
        "{line}"
    );
}

#[test]
fn a_registry_that_stops_answering_and_a_redirect_loop() {
    let server = MiniServer::start(|req, _| match req.path.as_str() {
        "/v2/" => reply(200, &[], b"{}"),
        "/v2/loop/manifests/1" => reply(302, &[("Location", "/v2/loop/manifests/2")], b""),
        "/v2/loop/manifests/2" => reply(302, &[("Location", "/v2/loop/manifests/1")], b""),
        _ => Answer::Silence,
    });
    let h = &server.host;
    let started = std::time::Instant::now();
    let line = fails_in_one_line(sbomkit().args([
        "generate",
        &format!("registry:{h}/stuck:1"),
        "--registry-timeout",
        "1",
    ]));
    assert!(
        line.contains(&format!(
            "GET http://{h}/v2/stuck/manifests/1: no answer within 1 s (--registry-timeout)"
        )),
        "{line}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let line = fails_in_one_line(sbomkit().args(["generate", &format!("registry:{h}/loop:1")]));
    assert!(
        line.contains(&format!(
            "more than 5 redirects from http://{h}/v2/loop/manifests/1 (a redirect loop)"
        )),
        "{line}"
    );
    // A server that never answers even the TLS hello.
    let silent = MiniServer::start(|_, _| Answer::Silence);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mute = listener.local_addr().unwrap().to_string();
    let line = fails_in_one_line(sbomkit().args([
        "generate",
        &format!("registry:{mute}/x:1"),
        "--registry-timeout",
        "1",
    ]));
    assert!(
        line.contains("no answer within 1 s (--registry-timeout)"),
        "{line}"
    );
    drop((listener, silent));
}

/// A key pair `k.key`/`k.pub` (password `pw`) in `dir`.
fn keys(dir: &Path) {
    run(
        sbomkit()
            .current_dir(dir)
            .env("SBOMKIT_PASSWORD", "pw")
            .args(["keygen", "--prefix", "k"]),
        0,
    );
}

/// `sbomkit attest SOURCE --key k.key --attach ARGS` in `dir`; returns stderr.
fn attach(dir: &Path, source: &str, args: &[&str], epoch: Option<&str>) -> String {
    let mut cmd = sbomkit();
    cmd.current_dir(dir)
        .env("SBOMKIT_PASSWORD", "pw")
        .env("DOCKER_CONFIG", dir)
        .args(["attest", source, "--key", "k.key", "--attach"])
        .args(args);
    if let Some(e) = epoch {
        cmd.env("SOURCE_DATE_EPOCH", e);
    }
    let out = run(&mut cmd, 0);
    assert!(
        out.stdout.is_empty(),
        "the bundle goes to the registry only"
    );
    out.stderr
}

#[test]
fn attach_keeps_every_referrer_in_the_tag_index() {
    if !available("registry::attach_keeps_every_referrer_in_the_tag_index") {
        return;
    }
    let reg = Registry::plain();
    let t = crate::support::tempdir();
    let d = t.path();
    keys(d);
    let tar = alpine_tar(d);
    reg.push(
        &format!("docker-archive:{}", tar.display()),
        "alpine:3.10",
        &[],
    );
    let manifest = reg.get(
        "/v2/alpine/manifests/3.10",
        "application/vnd.docker.distribution.manifest.v2+json",
    );
    let subject = crate::support::image::digest(&manifest);
    let tag = subject.replace(':', "-");
    let source = format!("registry:{}/alpine:3.10", reg.host);
    let first = attach(d, &source, &[], None);
    let referrer = first
        .strip_prefix("attached ")
        .and_then(|s| s.split(' ').next())
        .unwrap()
        .to_string();
    assert_eq!(
        first.trim_end(),
        format!(
            "attached {referrer} to {}/alpine@{subject} (listed in the referrers tag {tag})",
            reg.host
        )
    );
    // The same attestation again: the same manifest, listed once.
    assert_eq!(attach(d, &source, &[], None), first);
    let index = || -> Vec<Value> {
        let v: Value = serde_json::from_slice(&reg.get(
            &format!("/v2/alpine/manifests/{tag}"),
            "application/vnd.oci.image.index.v1+json",
        ))
        .unwrap();
        v["manifests"].as_array().unwrap().clone()
    };
    assert_eq!(index().len(), 1);

    // Three attaches at once: none loses another's entry.
    std::thread::scope(|s| {
        for (args, epoch) in [
            (&["-o", "cyclonedx-json"][..], None),
            (&["-o", "cyclonedx-json@1.5"][..], None),
            (&[][..], Some("1700000000")),
        ] {
            let source = &source;
            s.spawn(move || attach(d, source, args, epoch));
        }
    });
    let entries = index();
    assert_eq!(entries.len(), 4, "{entries:?}");
    let mut types: Vec<&str> = entries
        .iter()
        .map(|e| {
            assert_eq!(
                e["artifactType"],
                "application/vnd.dev.sigstore.bundle.v0.3+json"
            );
            assert_eq!(e["mediaType"], "application/vnd.oci.image.manifest.v1+json");
            assert_eq!(
                e["annotations"]["dev.sigstore.bundle.content"],
                "dsse-envelope"
            );
            e["annotations"]["dev.sigstore.bundle.predicateType"]
                .as_str()
                .unwrap()
        })
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            "https://cyclonedx.org/bom",
            "https://cyclonedx.org/bom",
            "https://spdx.dev/Document",
            "https://spdx.dev/Document"
        ]
    );
    // A time only from SOURCE_DATE_EPOCH.
    let dated: Vec<&Value> = entries
        .iter()
        .filter(|e| {
            e["annotations"]
                .get("org.opencontainers.image.created")
                .is_some()
        })
        .collect();
    assert_eq!(dated.len(), 1);
    assert_eq!(
        dated[0]["annotations"]["org.opencontainers.image.created"],
        "2023-11-14T22:13:20Z"
    );

    // The referrer manifest names the image; its layer is a bundle `verify` accepts for the image.
    let m: Value = serde_json::from_slice(&reg.get(
        &format!("/v2/alpine/manifests/{referrer}"),
        "application/vnd.oci.image.manifest.v1+json",
    ))
    .unwrap();
    assert_eq!(m["subject"]["digest"], subject.as_str());
    assert_eq!(m["subject"]["size"], manifest.len());
    assert_eq!(
        m["config"]["mediaType"],
        "application/vnd.oci.empty.v1+json"
    );
    let bundle = reg.get(
        &format!(
            "/v2/alpine/blobs/{}",
            m["layers"][0]["digest"].as_str().unwrap()
        ),
        "*/*",
    );
    std::fs::write(d.join("bundle.json"), &bundle).unwrap();
    let out = run(
        sbomkit().current_dir(d).args([
            "verify",
            "bundle.json",
            "--key",
            "k.pub",
            "--type",
            "spdx",
            "--image",
            &source,
        ]),
        0,
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("verified"),
        "{}",
        out.text()
    );

    // --attach needs a registry.
    let out = run(
        sbomkit()
            .current_dir(d)
            .env("SBOMKIT_PASSWORD", "pw")
            .args([
                "attest",
                &format!("docker-archive:{}", tar.display()),
                "--key",
                "k.key",
                "--attach",
            ]),
        2,
    );
    assert!(
        out.stderr.contains("--attach pushes to a registry"),
        "{}",
        out.stderr
    );
}

/// A registry with the referrers API: keeps what is pushed, answers `OCI-Subject` to a manifest
/// with a subject, and serves the referrers of a digest.
fn referrers_api_registry() -> MiniServer {
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    let (manifest, blobs) = mini_image();
    let store: Mutex<BTreeMap<String, (String, Vec<u8>)>> = Mutex::new(BTreeMap::new());
    let blobs = Mutex::new(blobs);
    let oci = "application/vnd.oci.image.manifest.v1+json".to_string();
    store
        .lock()
        .unwrap()
        .insert("1".into(), (oci.clone(), manifest.clone()));
    store
        .lock()
        .unwrap()
        .insert(crate::support::image::digest(&manifest), (oci, manifest));
    let uploads = Mutex::new(0u32);
    MiniServer::start(move |req, _| {
        let path = req.path.as_str();
        let (method, rest) = (req.method.as_str(), path.strip_prefix("/v2/app/"));
        match (method, rest) {
            ("GET", None) if path == "/v2/" => reply(200, &[], b"{}"),
            ("GET" | "HEAD", Some(r)) if r.starts_with("manifests/") => {
                match store.lock().unwrap().get(&r["manifests/".len()..]) {
                    Some((mt, b)) => reply(200, &[("Content-Type", mt.as_str())], b),
                    None => reply(404, &[], b""),
                }
            }
            ("PUT", Some(r)) if r.starts_with("manifests/") => {
                let body = req.body.clone();
                let v: Value = serde_json::from_slice(&body).unwrap();
                let mt = v["mediaType"].as_str().unwrap().to_string();
                store
                    .lock()
                    .unwrap()
                    .insert(r["manifests/".len()..].to_string(), (mt, body));
                let subject = v["subject"]["digest"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                if subject.is_empty() {
                    reply(201, &[], b"")
                } else {
                    reply(201, &[("OCI-Subject", subject.as_str())], b"")
                }
            }
            ("GET" | "HEAD", Some(r)) if r.starts_with("blobs/") => {
                match blobs.lock().unwrap().get(&r["blobs/".len()..]) {
                    Some(b) => reply(200, &[], b),
                    None => reply(404, &[], b""),
                }
            }
            ("POST", Some("blobs/uploads/")) => {
                let mut n = uploads.lock().unwrap();
                *n += 1;
                let to = format!("/v2/app/blobs/uploads/{n}");
                reply(202, &[("Location", to.as_str())], b"")
            }
            ("PUT", Some(r)) if r.starts_with("blobs/uploads/") => {
                let digest = r.split("digest=").nth(1).unwrap().replace("%3A", ":");
                assert_eq!(digest, crate::support::image::digest(&req.body));
                blobs.lock().unwrap().insert(digest, req.body.clone());
                reply(201, &[], b"")
            }
            ("GET", Some(r)) if r.starts_with("referrers/") => {
                let subject = &r["referrers/".len()..];
                let manifests: Vec<Value> = store
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|(k, _)| k.starts_with("sha256:"))
                    .filter_map(|(k, (mt, b))| {
                        let v: Value = serde_json::from_slice(b).ok()?;
                        (v["subject"]["digest"] == subject).then(|| {
                            serde_json::json!({"mediaType": mt, "digest": k, "size": b.len(),
                                "artifactType": v["artifactType"], "annotations": v["annotations"]})
                        })
                    })
                    .collect();
                let index = serde_json::json!({"schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests});
                reply(
                    200,
                    &[("Content-Type", "application/vnd.oci.image.index.v1+json")],
                    index.to_string().as_bytes(),
                )
            }
            _ => reply(404, &[], b""),
        }
    })
}

#[test]
fn attach_through_the_referrers_api() {
    let server = referrers_api_registry();
    let t = crate::support::tempdir();
    keys(t.path());
    let source = format!("registry:{}/app:1", server.host);
    let said = attach(t.path(), &source, &[], None);
    assert!(said.contains("(through the referrers API)"), "{said}");
    let seen = server.seen();
    // No referrers tag written: the registry indexes the subject itself.
    assert!(
        !seen
            .iter()
            .any(|s| s.method == "PUT" && s.path.contains("/manifests/sha256-")),
        "{seen:?}"
    );
    assert!(seen
        .iter()
        .any(|s| s.method == "PUT" && s.path.starts_with("/v2/app/manifests/sha256:")));
    // verify finds it through the same API.
    let text = verify_registry(t.path(), &source, &["--key", "k.pub", "--type", "spdx"], 0);
    assert!(
        text.contains("  referrers API: sha256:")
            && text.contains(" https://spdx.dev/Document: verified"),
        "{text}"
    );
    assert!(text.contains("note: no referrers tag sha256-"), "{text}");
}

/// `sbomkit verify registry:… ARGS` in `dir`, expecting `code`; stdout as text.
fn verify_registry(dir: &Path, source: &str, args: &[&str], code: i32) -> String {
    let out = run(
        sbomkit()
            .current_dir(dir)
            .env("DOCKER_CONFIG", dir)
            .args(["verify", source])
            .args(args),
        code,
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn verify_finds_and_judges_every_attestation_beside_the_image() {
    if !available("registry::verify_finds_and_judges_every_attestation_beside_the_image") {
        return;
    }
    let reg = Registry::plain();
    let t = crate::support::tempdir();
    let d = t.path();
    keys(d);
    run(
        sbomkit()
            .current_dir(d)
            .env("SBOMKIT_PASSWORD", "pw")
            .args(["keygen", "--prefix", "other"]),
        0,
    );
    let tar = alpine_tar(d);
    let archive = format!("docker-archive:{}", tar.display());
    reg.push(&archive, "alpine:3.10", &[]);
    let alpine = format!("registry:{}/alpine:3.10", reg.host);
    let alpine_digest = crate::support::image::digest(&reg.get(
        "/v2/alpine/manifests/3.10",
        "application/vnd.docker.distribution.manifest.v2+json",
    ));

    // Nothing attached: fail closed.
    let text = verify_registry(d, &alpine, &["--key", "k.pub"], 10);
    assert!(
        text.contains("FAILED (exit 10): no signed attestation found for this manifest"),
        "{text}"
    );
    assert!(
        text.contains("note: the registry has no referrers API"),
        "{text}"
    );

    attach(d, &alpine, &[], None);
    let text = verify_registry(d, &alpine, &["--key", "k.pub"], 0);
    assert!(
        text.contains("  referrers tag: sha256:")
            && text.contains(" https://spdx.dev/Document: verified"),
        "{text}"
    );
    let json: Value = serde_json::from_str(&verify_registry(
        d,
        &alpine,
        &["--key", "k.pub", "--output", "json"],
        0,
    ))
    .unwrap();
    assert_eq!(json["verified"], true);
    assert_eq!(json["manifestDigest"], alpine_digest.as_str());
    assert_eq!(json["attestations"][0]["foundIn"], "referrers tag");
    assert_eq!(json["attestations"][0]["verdict"], "verified");
    // Another key, another type: refused.
    let text = verify_registry(d, &alpine, &["--key", "other.pub"], 10);
    assert!(
        text.contains("https://spdx.dev/Document: failed (signature:"),
        "{text}"
    );
    verify_registry(d, &alpine, &["--key", "k.pub", "--type", "cyclonedx"], 12);
    // The SBOM of the one that verified, and only of it.
    let mut cmd_args = vec![
        "--key",
        "k.pub",
        "--type",
        "spdx",
        "--predicate-out",
        "sbom.json",
    ];
    verify_registry(d, &alpine, &cmd_args, 0);
    let sbom: Value = serde_json::from_slice(&std::fs::read(d.join("sbom.json")).unwrap()).unwrap();
    schema::assert_valid_spdx(&sbom);
    assert!(
        sbom["name"].as_str().unwrap().contains("alpine"),
        "{}",
        sbom["name"]
    );
    std::fs::remove_file(d.join("sbom.json")).unwrap();
    cmd_args[1] = "other.pub";
    verify_registry(d, &alpine, &cmd_args, 10);
    assert!(
        !d.join("sbom.json").exists(),
        "nothing written when none verified"
    );

    // cosign's legacy `.att` tag: DSSE envelopes as layers.
    reg.push(&archive, "legacy:1", &["--format", "oci"]);
    let legacy = format!("registry:{}/legacy:1", reg.host);
    let legacy_manifest = reg.get(
        "/v2/legacy/manifests/1",
        "application/vnd.oci.image.manifest.v1+json",
    );
    let legacy_digest = crate::support::image::digest(&legacy_manifest);
    let envelope = run(
        sbomkit()
            .current_dir(d)
            .env("SBOMKIT_PASSWORD", "pw")
            .args(["attest", &legacy, "--key", "k.key"]),
        0,
    )
    .stdout;
    let env_digest = reg.put_blob("legacy", &envelope);
    let config =
        br#"{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#;
    let config_digest = reg.put_blob("legacy", config);
    let att = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.dsse.envelope.v1+json", "digest": env_digest, "size": envelope.len(),
                    "annotations": {"predicateType": "https://spdx.dev/Document"}}],
    });
    reg.put_manifest(
        "legacy",
        &format!("{}.att", legacy_digest.replace(':', "-")),
        "application/vnd.oci.image.manifest.v1+json",
        att.to_string().as_bytes(),
    );
    let text = verify_registry(d, &legacy, &["--key", "k.pub", "--type", "spdx"], 0);
    assert!(
        text.contains("  cosign .att tag: sha256:") && text.contains(": verified"),
        "{text}"
    );

    // A referrers index that lists an attestation of another digest: refused, never counted.
    let alpine_index = reg.get(
        &format!("/v2/alpine/manifests/{}", alpine_digest.replace(':', "-")),
        "application/vnd.oci.image.index.v1+json",
    );
    let foreign: Value = serde_json::from_slice(&alpine_index).unwrap();
    let referrer = foreign["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    // The referrer manifest and its blobs, copied into this repository as they are.
    let m = reg.get(
        &format!("/v2/alpine/manifests/{referrer}"),
        "application/vnd.oci.image.manifest.v1+json",
    );
    let mv: Value = serde_json::from_slice(&m).unwrap();
    for blob in [&mv["config"], &mv["layers"][0]] {
        let b = reg.get(
            &format!("/v2/alpine/blobs/{}", blob["digest"].as_str().unwrap()),
            "*/*",
        );
        reg.put_blob("legacy", &b);
    }
    reg.put_manifest(
        "legacy",
        &referrer,
        "application/vnd.oci.image.manifest.v1+json",
        &m,
    );
    reg.put_manifest(
        "legacy",
        &legacy_digest.replace(':', "-"),
        "application/vnd.oci.image.index.v1+json",
        &alpine_index,
    );
    let text = verify_registry(d, &legacy, &["--key", "k.pub", "--type", "spdx"], 0);
    assert!(
        text.contains(&format!(
            "  referrers tag: {referrer} https://spdx.dev/Document: failed (the referrer is about {alpine_digest}, not this manifest)"
        )),
        "{text}"
    );
    // Without the `.att` tag's attestation, only the foreign one is left: exit 11.
    reg.push(&archive, "lonely:1", &["--format", "oci"]);
    for blob in [&mv["config"], &mv["layers"][0]] {
        let b = reg.get(
            &format!("/v2/alpine/blobs/{}", blob["digest"].as_str().unwrap()),
            "*/*",
        );
        reg.put_blob("lonely", &b);
    }
    reg.put_manifest(
        "lonely",
        &referrer,
        "application/vnd.oci.image.manifest.v1+json",
        &m,
    );
    reg.put_manifest(
        "lonely",
        &legacy_digest.replace(':', "-"),
        "application/vnd.oci.image.index.v1+json",
        &alpine_index,
    );
    verify_registry(
        d,
        &format!("registry:{}/lonely:1", reg.host),
        &["--key", "k.pub"],
        11,
    );

    // BuildKit's attestation manifests in an index: listed as unsigned, never counted.
    let amd = Image::new(vec![BuiltLayer::new(
        &[Item::File("arch", b"amd64")],
        Comp::Gzip,
    )]);
    let mut l = OciLayout::default();
    let (d_amd, _) = l.platform_image(&amd);
    let att = l.attestation(d_amd["digest"].as_str().unwrap());
    let index = l.nested_index(vec![d_amd, att]);
    l.index.push(named(index, REF_NAME, "1"));
    let layout = d.join("layout");
    l.files().write_dir(&layout);
    reg.push(
        &format!("oci:{}:1", layout.display()),
        "buildkit:1",
        &["--all"],
    );
    let text = verify_registry(
        d,
        &format!("registry:{}/buildkit:1", reg.host),
        &["--key", "k.pub"],
        10,
    );
    assert!(
        text.contains("  BuildKit attestation manifest in the index: sha256:")
            && text.contains(": unsigned (an unsigned in-toto statement"),
        "{text}"
    );
    assert!(
        text.contains("FAILED (exit 10): no signed attestation found"),
        "{text}"
    );
}

#[test]
fn plain_http_only_to_loopback_or_an_insecure_registry() {
    let Some(ip) = crate::support::registry::non_loopback_ip() else {
        panic!("this machine has no address besides loopback to test the plain-HTTP policy with");
    };
    let server = MiniServer::start_on(&ip, |req, _| {
        match req.path.as_str() {
        "/v2/" => reply(200, &[], b"{}"),
        _ => reply(
            404,
            &[],
            br#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}"#,
        ),
    }
    });
    let source = format!("registry:{}/app:1", server.host);
    // The server speaks no TLS, and it is not loopback: refused, with the flag to use.
    let line = fails_in_one_line(sbomkit().args(["generate", &source, "--registry-timeout", "5"]));
    assert!(
        line.contains(&format!("{}: cannot reach the registry", server.host))
            && line.contains("--insecure-registry HOST"),
        "{line}"
    );
    assert!(
        server.seen().is_empty(),
        "nothing was asked over plain HTTP"
    );
    // Named as insecure: plain HTTP is used.
    let line = fails_in_one_line(sbomkit().args([
        "generate",
        &source,
        "--insecure-registry",
        &server.host,
    ]));
    assert!(
        line.contains("/app:1: no such repository or tag (HTTP 404, NAME_UNKNOWN"),
        "{line}"
    );
    assert!(server.seen().iter().any(|s| s.path == "/v2/"));
}

#[test]
fn attest_all_attaches_each_attestation_to_its_own_manifest() {
    if !available("registry::attest_all_attaches_each_attestation_to_its_own_manifest") {
        return;
    }
    let reg = Registry::plain();
    let t = crate::support::tempdir();
    let d = t.path();
    keys(d);
    // The real two-platform layout, under a ref name skopeo can address.
    let fixture = crate::support::root().join("testdata/multiarch/debian-libs");
    let layout = d.join("layout");
    fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
    for e in fs::read_dir(fixture.join("blobs/sha256")).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), layout.join("blobs/sha256").join(e.file_name())).unwrap();
    }
    fs::copy(fixture.join("oci-layout"), layout.join("oci-layout")).unwrap();
    let index = fs::read_to_string(fixture.join("index.json"))
        .unwrap()
        .replace("example.org/debian-libs:12", "12");
    fs::write(layout.join("index.json"), index).unwrap();
    reg.push(
        &format!("oci:{}:12", layout.display()),
        "libs:12",
        &["--all"],
    );
    let source = format!("registry:{}/libs:12", reg.host);
    let index_digest = "sha256:d0e7c2badbed0fb3b3f49c080dd587b5fe6c541ce50c4518a4e722d7b89f1b60";
    let amd = "sha256:217cf1869aea58e78c42fed41fe7ac3b56414905af0cc230d49a8f1e2c720f90";
    let arm = "sha256:3637b8dd035108898ed05d522b07a2f4dbd4475d5389314b659d25595d1eabb8";

    // Every platform in one run: the layer both share is fetched once.
    let shared = "sha256:86bda1579f008bcc8658d97d6263ddb33299d0e0e2ee9b5cfd5672cadfa72293";
    let fetches = |log: &str| {
        log.lines()
            .filter(|l| l.contains(&format!("GET /v2/libs/blobs/{shared}")))
            .count()
    };
    let before = fetches(&reg.log());
    let out = d.join("docs");
    fs::create_dir(&out).unwrap();
    run(
        sbomkit().args([
            "generate",
            "-q",
            &source,
            "--platform",
            "all",
            "-o",
            &format!("spdx-json={}/{{platform}}.json", out.display()),
        ]),
        0,
    );
    assert_eq!(fetches(&reg.log()) - before, 1, "{}", reg.log());
    for n in ["index.json", "linux-amd64.json", "linux-arm64-v8.json"] {
        schema::assert_valid_spdx(
            &serde_json::from_slice(&fs::read(out.join(n)).unwrap()).unwrap(),
        );
    }

    let said = attach(d, &source, &["--platform", "all"], Some("0"));
    let subjects: Vec<&str> = said
        .lines()
        .filter_map(|l| l.strip_prefix("attached "))
        .filter_map(|l| l.split('@').nth(1))
        .filter_map(|l| l.split(' ').next())
        .collect();
    assert_eq!(subjects, [amd, arm, index_digest], "{said}");

    // Each platform's manifest has its own attestation, about it alone.
    for (platform, manifest) in [("linux/amd64", amd), ("linux/arm64", arm)] {
        let json: Value = serde_json::from_str(&verify_registry(
            d,
            &source,
            &["--key", "k.pub", "--platform", platform, "--output", "json"],
            0,
        ))
        .unwrap();
        assert_eq!(json["verified"], true);
        assert_eq!(json["manifestDigest"], manifest);
        assert_eq!(json["attestations"].as_array().unwrap().len(), 1, "{json}");
    }
    // --platform index: the index's own attestation, about the index digest.
    let json: Value = serde_json::from_str(&verify_registry(
        d,
        &source,
        &["--key", "k.pub", "--platform", "index", "--output", "json"],
        0,
    ))
    .unwrap();
    assert_eq!(json["verified"], true);
    assert_eq!(json["manifestDigest"], index_digest);
    assert_eq!(json["attestations"].as_array().unwrap().len(), 1, "{json}");
    // The index's referrers hold the index attestation only, never a platform's SBOM.
    let referrers: Value = serde_json::from_slice(&reg.get(
        &format!("/v2/libs/manifests/{}", index_digest.replace(':', "-")),
        "application/vnd.oci.image.index.v1+json",
    ))
    .unwrap();
    assert_eq!(
        referrers["manifests"].as_array().unwrap().len(),
        1,
        "{referrers}"
    );
}

/// The `.att` image of `digest` in `repo`: its manifest and config.
fn att_image(reg: &Registry, repo: &str, digest: &str) -> (Value, Value) {
    let m: Value = serde_json::from_slice(&reg.get(
        &format!("/v2/{repo}/manifests/{}.att", digest.replace(':', "-")),
        "application/vnd.oci.image.manifest.v1+json",
    ))
    .unwrap();
    let c: Value = serde_json::from_slice(&reg.get(
        &format!(
            "/v2/{repo}/blobs/{}",
            m["config"]["digest"].as_str().unwrap()
        ),
        "*/*",
    ))
    .unwrap();
    (m, c)
}

#[test]
fn attach_cosign_legacy_appends_to_the_att_image_and_verify_reads_it() {
    if !available("registry::attach_cosign_legacy_appends_to_the_att_image_and_verify_reads_it") {
        return;
    }
    let reg = Registry::plain();
    let t = crate::support::tempdir();
    let d = t.path();
    keys(d);
    let tar = alpine_tar(d);
    reg.push(
        &format!("docker-archive:{}", tar.display()),
        "app:1",
        &["--format", "oci"],
    );
    let source = format!("registry:{}/app:1", reg.host);
    let subject = crate::support::image::digest(&reg.get(
        "/v2/app/manifests/1",
        "application/vnd.oci.image.manifest.v1+json",
    ));
    // An attestation already there, as older cosign left it: kept.
    let earlier = br#"{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"","sig":"AA=="}]}"#;
    let earlier_digest = reg.put_blob("app", earlier);
    let config =
        br#"{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#;
    let config_digest = reg.put_blob("app", config);
    let att = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.dsse.envelope.v1+json", "digest": earlier_digest,
                    "size": earlier.len(), "annotations": {"predicateType": "https://example.org/old"}}],
    });
    reg.put_manifest(
        "app",
        &format!("{}.att", subject.replace(':', "-")),
        "application/vnd.oci.image.manifest.v1+json",
        att.to_string().as_bytes(),
    );
    let legacy = |kind: &str| {
        let out = run(
            sbomkit()
                .current_dir(d)
                .env("SBOMKIT_PASSWORD", "pw")
                .args(["attest", &source, "--key", "k.key", "--type", kind])
                .arg("--attach=cosign-legacy"),
            0,
        );
        assert!(out.stdout.is_empty());
        out.stderr
    };
    let said = legacy("spdx");
    assert!(
        said.contains("(listed in the referrers tag ")
            && said.contains(&format!(
                "and appended it to cosign's {}/app:{}.att",
                reg.host,
                subject.replace(':', "-")
            )),
        "{said}"
    );
    legacy("cyclonedx");
    legacy("cyclonedx"); // the same attestation again: one layer
    let (m, c) = att_image(&reg, "app", &subject);
    assert_eq!(m["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    assert_eq!(
        m["config"]["mediaType"],
        "application/vnd.oci.image.config.v1+json"
    );
    let layers = m["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 3, "{m}");
    assert_eq!(layers[0]["digest"], earlier_digest.as_str());
    let digests: Vec<&Value> = layers.iter().map(|l| &l["digest"]).collect();
    assert_eq!(
        c["rootfs"]["diff_ids"]
            .as_array()
            .unwrap()
            .iter()
            .collect::<Vec<_>>(),
        digests
    );
    for (layer, predicate) in layers[1..]
        .iter()
        .zip(["https://spdx.dev/Document", "https://cyclonedx.org/bom"])
    {
        assert_eq!(layer["mediaType"], "application/vnd.dsse.envelope.v1+json");
        assert_eq!(
            layer["annotations"],
            serde_json::json!({"dev.cosignproject.cosign/signature": "", "predicateType": predicate})
        );
        let envelope: Value = serde_json::from_slice(&reg.get(
            &format!("/v2/app/blobs/{}", layer["digest"].as_str().unwrap()),
            "*/*",
        ))
        .unwrap();
        assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json");
    }
    // verify finds both in the .att image (the older one does not verify and never counts).
    let text = verify_registry(d, &source, &["--key", "k.pub", "--type", "cyclonedx"], 0);
    assert!(
        text.contains("  cosign .att tag: sha256:")
            && text.contains("https://cyclonedx.org/bom: verified"),
        "{text}"
    );
}

#[test]
fn keyless_attach_and_verify_against_the_registry() {
    use crate::support::sigstore_standin::{Standin, OIDC_ISSUER};
    if !available("registry::keyless_attach_and_verify_against_the_registry") {
        return;
    }
    let reg = Registry::plain();
    let t = crate::support::tempdir();
    let d = t.path();
    let tar = alpine_tar(d);
    reg.push(&format!("docker-archive:{}", tar.display()), "app:1", &[]);
    let source = format!("registry:{}/app:1", reg.host);
    let subject = crate::support::image::digest(&reg.get(
        "/v2/app/manifests/1",
        "application/vnd.docker.distribution.manifest.v2+json",
    ));
    let s = Standin::start(16);
    let email = "release@example.org";
    let out = run(
        sbomkit()
            .current_dir(d)
            .args(["attest", &source, "--keyless", "--attach=cosign-legacy"])
            .args(["--identity-token", &s.email_token(email)])
            .args([
                "--fulcio-url",
                &s.fulcio_url(),
                "--rekor-url",
                &s.rekor_url(),
            ]),
        0,
    );
    assert!(
        out.stderr.contains("(listed in the referrers tag "),
        "{}",
        out.stderr
    );
    std::fs::write(
        d.join("root.json"),
        serde_json::to_vec_pretty(&s.trusted_root()).unwrap(),
    )
    .unwrap();
    drop(s); // verification is offline
             // cosign's layer carries the certificate and the Rekor entry.
    let (m, _) = att_image(&reg, "app", &subject);
    let a = &m["layers"][0]["annotations"];
    assert!(a["dev.sigstore.cosign/certificate"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----\n"));
    let rekor: Value =
        serde_json::from_str(a["dev.sigstore.cosign/bundle"].as_str().unwrap()).unwrap();
    assert!(rekor["SignedEntryTimestamp"].is_string(), "{rekor}");
    assert!(rekor["Payload"]["logIndex"].is_i64() && rekor["Payload"]["body"].is_string());
    assert_eq!(rekor["Payload"]["logID"].as_str().unwrap().len(), 64);

    let keyless = |identity: &str, issuer: &str, code: i32| {
        verify_registry(
            d,
            &source,
            &[
                "--certificate-identity",
                identity,
                "--certificate-oidc-issuer",
                issuer,
                "--trusted-root",
                "root.json",
                "--type",
                "spdx",
            ],
            code,
        )
    };
    let text = keyless(email, OIDC_ISSUER, 0);
    assert!(
        text.contains("  referrers tag: sha256:")
            && text.contains("https://spdx.dev/Document: verified"),
        "{text}"
    );
    let text = keyless("someone@example.org", OIDC_ISSUER, 14);
    assert!(
        text.contains("identity mismatch") && !text.contains(": verified"),
        "{text}"
    );
    let text = keyless(email, "https://accounts.example.org", 14);
    assert!(!text.contains(": verified"), "{text}");
}
