//! The command line's options for what a scan leaves out and how the binary is set up: `--exclude`,
//! the config file and `SBOMKIT_*` variables, shell completions and the man page, and the fields of
//! the JSON reports.

use std::fs;

use serde_json::Value;

use crate::support::{run, sbomkit, schema, tempdir};

const ALPINE: &str = "testdata/fixtures/images/alpine-3.10-docker-save.tar.gz";

/// Runs `generate` with `args` and returns the CycloneDX and SPDX documents, both validated.
fn documents(source: &str, args: &[&str]) -> (Value, Value, String) {
    documents_named(source, args, None)
}

/// [`documents`], also saved for the outside validators as `NAME.cdx.json` and `NAME.spdx.json`.
fn documents_named(source: &str, args: &[&str], name: Option<&str>) -> (Value, Value, String) {
    let t = tempdir();
    let cdx = t.path().join("out.cdx.json");
    let spdx = t.path().join("out.spdx.json");
    let out = run(
        sbomkit()
            .args(["generate", source])
            .args(args)
            .arg("-o")
            .arg(format!("cyclonedx-json={}", cdx.display()))
            .arg("-o")
            .arg(format!("spdx-json={}", spdx.display())),
        0,
    );
    let bom: Value = serde_json::from_slice(&fs::read(&cdx).unwrap()).unwrap();
    let doc: Value = serde_json::from_slice(&fs::read(&spdx).unwrap()).unwrap();
    schema::assert_valid_cyclonedx(&bom);
    schema::assert_valid_spdx(&doc);
    if let Some(name) = name {
        schema::sample(&format!("{name}.cdx.json"), &fs::read(&cdx).unwrap());
        schema::sample(&format!("{name}.spdx.json"), &fs::read(&spdx).unwrap());
    }
    (bom, doc, out.stderr)
}

fn component_names(bom: &Value, kind: &str) -> Vec<String> {
    crate::support::all_components(bom)
        .into_iter()
        .filter(|c| {
            c["purl"]
                .as_str()
                .is_some_and(|p| p.starts_with(&format!("pkg:{kind}/")))
        })
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

/// Whether a CycloneDX document says its subject's assembly is incomplete (the other compositions
/// are the packages' dependencies).
fn subject_incomplete(bom: &Value) -> bool {
    let subject = &bom["metadata"]["component"]["bom-ref"];
    bom["compositions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| {
            c["aggregate"] == "incomplete"
                && c["assemblies"]
                    .as_array()
                    .is_some_and(|a| a.contains(subject))
        })
}

/// Excluding the APK database folder of a real image: its packages disappear, and both documents
/// say that they are incomplete and which pattern made them so.
#[test]
fn an_excluded_database_folder_takes_its_packages_and_the_document_says_so() {
    let (bom, _, _) = documents(ALPINE, &[]);
    assert_eq!(component_names(&bom, "apk").len(), 14);
    assert!(!subject_incomplete(&bom));

    let (bom, doc, stderr) = documents_named(
        ALPINE,
        &["--exclude", "/lib/apk/db/**"],
        Some("alpine-excluded"),
    );
    assert!(component_names(&bom, "apk").is_empty(), "{bom:#}");
    assert!(subject_incomplete(&bom), "{bom:#}");
    let unknown = "/lib/apk/db/**: excluded from the scan on request: 4 paths left out: the \
                   packages and files there are missing from this document";
    assert_eq!(
        bom["metadata"]["properties"],
        serde_json::json!([{"name": "sbomkit:unknown", "value": unknown}])
    );
    let comment = doc["comment"].as_str().unwrap();
    assert_eq!(
        comment,
        format!(
            "This document is incomplete: the paths named below were excluded from the scan.\n\
             SBOM author: unknown (not given with --author).\n\
             unknown: {unknown}"
        )
    );
    assert!(!stderr.contains("warning"), "{stderr}");
    assert!(!doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "apk-tools"));
}

/// `/P`, `./P` and `P` are the same pattern (as Syft users write them): the same bytes.
#[test]
fn the_three_spellings_of_a_pattern_give_the_same_document() {
    let docs: Vec<Vec<u8>> = ["/lib/apk/db/**", "./lib/apk/db/**", "lib/apk/db/**"]
        .iter()
        .map(|p| crate::support::generate(ALPINE, &["--exclude", p, "-o", "cyclonedx-json"]))
        .collect();
    assert_eq!(docs[0], docs[1]);
    assert_eq!(docs[0], docs[2]);
}

/// Excluded files are not listed either (`--files`), nor catalogued as binaries; what is not
/// excluded stays.
#[test]
fn excluded_files_are_neither_listed_nor_catalogued() {
    let (bom, doc, _) = documents(
        ALPINE,
        &[
            "--files",
            "--exclude",
            "/bin/**",
            "--exclude",
            "usr/lib/engines-1.1",
        ],
    );
    let paths: Vec<&str> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fileName"].as_str().unwrap())
        .collect();
    assert!(paths.iter().any(|p| p.starts_with("./sbin/")), "{paths:?}");
    for p in &paths {
        assert!(
            !p.starts_with("./bin/") && !p.starts_with("./usr/lib/engines-1.1/"),
            "{p}"
        );
    }
    // The packages themselves stay: only their files there are left out.
    assert_eq!(component_names(&bom, "apk").len(), 14);
    let unknowns: Vec<&str> = bom["metadata"]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert_eq!(unknowns.len(), 2, "{unknowns:?}");
    assert!(unknowns[0].starts_with("/bin/**: excluded from the scan on request: "));
    assert!(unknowns[1].starts_with("/usr/lib/engines-1.1: excluded from the scan on request: "));
}

/// A pattern that matches nothing leaves the document complete, with a warning; a bad pattern is a
/// usage error before anything is read or written.
#[test]
fn a_pattern_that_matches_nothing_warns_and_a_bad_one_is_refused() {
    let (bom, doc, stderr) = documents(ALPINE, &["--exclude", "/opt/**"]);
    assert!(!subject_incomplete(&bom));
    assert!(
        stderr.contains("warning: --exclude /opt/**: matched nothing in the image"),
        "{stderr}"
    );
    assert!(doc["comment"].as_str().unwrap().contains("matched nothing"));

    let t = tempdir();
    let out_file = t.path().join("x.json");
    for cmd in ["generate", "scan"] {
        let out = run(
            sbomkit()
                .args([cmd, ALPINE, "--exclude", "usr/[lib"])
                .arg("-o")
                .arg(format!("spdx-json={}", out_file.display())),
            2,
        );
        assert!(
            out.stderr.contains("--exclude `usr/[lib`"),
            "{}",
            out.stderr
        );
        assert!(!out_file.exists());
        assert_eq!(fs::read_dir(t.path()).unwrap().count(), 0);
    }
    let out = run(
        sbomkit().args(["attest", ALPINE, "--key", "none.key", "--exclude", "/"]),
        2,
    );
    assert!(out.stderr.contains("--exclude `/`"), "{}", out.stderr);
    // With --predicate nothing is scanned: an --exclude there is a mistake.
    let out = run(
        sbomkit().args([
            "attest",
            ALPINE,
            "--key",
            "k",
            "--predicate",
            "p.json",
            "--exclude",
            "/a",
        ]),
        2,
    );
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
}

fn alpine() -> String {
    crate::support::root().join(ALPINE).display().to_string()
}

fn spec_version(path: &std::path::Path) -> String {
    let bom: Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    schema::assert_valid_cyclonedx(&bom);
    bom["specVersion"].as_str().unwrap().to_string()
}

/// `.sbomkit.yaml` in the working folder sets what `generate` writes; `-v` names the file; a
/// variable wins over the file, a flag over both.
#[test]
fn the_config_file_sets_options_below_variables_and_flags() {
    let t = tempdir();
    let d = t.path();
    fs::write(
        d.join(".sbomkit.yaml"),
        "# options set once\noutput: [cyclonedx-json=a.cdx.json, spdx-json=a.spdx.json]\n\
         cyclonedx-version: 1.5\nexclude: /lib/apk/db/**\n",
    )
    .unwrap();
    let out = run(
        crate::support::sbomkit_in(d).args(["generate", "-v", &alpine()]),
        0,
    );
    let shown = d.join(".sbomkit.yaml");
    assert!(
        out.stderr
            .contains(&format!("config: {}\n", shown.display())),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
    assert_eq!(spec_version(&d.join("a.cdx.json")), "1.5");
    let bom: Value = serde_json::from_slice(&fs::read(d.join("a.cdx.json")).unwrap()).unwrap();
    assert!(
        component_names(&bom, "apk").is_empty(),
        "exclude from the file"
    );
    assert!(d.join("a.spdx.json").is_file());

    // The variable wins over the file...
    run(
        crate::support::sbomkit_in(d)
            .args(["generate", "-q", &alpine()])
            .env("SBOMKIT_CYCLONEDX_VERSION", "1.6")
            .env("SBOMKIT_EXCLUDE", "/opt/** /srv/**"),
        0,
    );
    assert_eq!(spec_version(&d.join("a.cdx.json")), "1.6");
    let bom: Value = serde_json::from_slice(&fs::read(d.join("a.cdx.json")).unwrap()).unwrap();
    assert_eq!(
        component_names(&bom, "apk").len(),
        14,
        "exclude from the variable"
    );
    // ...and the flag over both.
    run(
        crate::support::sbomkit_in(d)
            .args(["generate", "-q", &alpine(), "--cyclonedx-version", "1.5"])
            .args(["-o", "cyclonedx-json=b.cdx.json"])
            .env("SBOMKIT_CYCLONEDX_VERSION", "1.6"),
        0,
    );
    assert_eq!(spec_version(&d.join("b.cdx.json")), "1.5");

    // quiet from the file: no summary line; from a variable it can be turned off again.
    fs::write(
        d.join(".sbomkit.yaml"),
        "quiet: true\noutput: spdx-json=c.json\n",
    )
    .unwrap();
    let out = run(
        crate::support::sbomkit_in(d).args(["generate", &alpine()]),
        0,
    );
    assert_eq!(out.stderr, "");
    let out = run(
        crate::support::sbomkit_in(d)
            .args(["generate", &alpine()])
            .env("SBOMKIT_QUIET", "false"),
        0,
    );
    assert!(out.stderr.contains("wrote c.json"), "{}", out.stderr);
}

/// Without a file in the working folder the user's config folder is read (XDG_CONFIG_HOME, else
/// ~/.config); `--config FILE` names one explicitly; `-v` says none was read.
#[test]
fn the_config_file_is_found_where_users_keep_it() {
    let t = tempdir();
    let d = t.path().join("work");
    let home = t.path().join("home");
    let xdg = t.path().join("xdg");
    fs::create_dir_all(&d).unwrap();
    let cfg_home = crate::support::write(
        &home,
        ".config/sbomkit/config.yaml",
        b"output: table=home.txt\n",
    );
    let cfg_xdg = crate::support::write(&xdg, "sbomkit/config.yaml", b"output: table=xdg.txt\n");
    let explicit = crate::support::write(t.path(), "ci.yaml", b"output: table=explicit.txt\n");
    let generate = |envs: &[(&str, &std::path::Path)], extra: &[&str]| {
        let mut c = crate::support::sbomkit_in(&d);
        c.args(["generate", "-v", &alpine()]).args(extra);
        for (k, v) in envs {
            c.env(k, v);
        }
        run(&mut c, 0).stderr
    };
    let err = generate(&[("HOME", &home)], &[]);
    assert!(
        err.contains(&format!("config: {}", cfg_home.display())),
        "{err}"
    );
    assert!(d.join("home.txt").is_file());
    let err = generate(&[("HOME", &home), ("XDG_CONFIG_HOME", &xdg)], &[]);
    assert!(
        err.contains(&format!("config: {}", cfg_xdg.display())),
        "{err}"
    );
    assert!(d.join("xdg.txt").is_file());
    let ex = explicit.display().to_string();
    let err = generate(&[("XDG_CONFIG_HOME", &xdg)], &["--config", &ex]);
    assert!(err.contains(&format!("config: {ex}")), "{err}");
    let err = generate(&[("SBOMKIT_CONFIG", &explicit)], &[]);
    assert!(err.contains(&format!("config: {ex}")), "{err}");
    assert!(d.join("explicit.txt").is_file());
    let err = generate(&[], &["-o", "table=none.txt"]);
    assert!(err.contains("config: none\n"), "{err}");
}

/// An unknown key or a bad value is an error naming the file and the line, before anything is read
/// or written; so is a `--config` file that does not exist.
#[test]
fn a_bad_config_file_is_an_error_naming_file_and_line() {
    let t = tempdir();
    let d = t.path();
    let cfg = d.join(".sbomkit.yaml");
    let cases: [(&str, &str); 5] = [
        (
            "quiet: true\noutpt: table\n",
            "line 2: unknown field `outpt`",
        ),
        (
            "output: xml\n",
            "line 1: output: unknown output format `xml`",
        ),
        (
            "platform: linux/amd64\ncyclonedx-version: 1.4\n",
            "line 2: cyclonedx-version: `1.4`: choose 1.5, 1.6 or 1.7",
        ),
        (
            "exclude:\n  - /usr/**\nquiet: maybe\n",
            "line 3: quiet: invalid type",
        ),
        (
            "\nexclude: ['usr/[a']\n",
            "line 2: exclude: --exclude `usr/[a`",
        ),
    ];
    for (text, want) in cases {
        fs::write(&cfg, text).unwrap();
        let out = run(
            crate::support::sbomkit_in(d).args(["generate", &alpine(), "-o", "spdx-json=x.json"]),
            2,
        );
        let want = format!("error: {}: {want}", cfg.display());
        assert!(out.stderr.starts_with(&want), "{text:?}:\n{}", out.stderr);
        assert!(!d.join("x.json").exists());
    }
    // Help, completions and the man page still answer.
    for args in [
        &["--help"][..],
        &["generate", "-h"],
        &["completions", "bash"],
        &["man"],
    ] {
        run(crate::support::sbomkit_in(d).args(args), 0);
    }
    fs::remove_file(&cfg).unwrap();
    let out = run(
        crate::support::sbomkit_in(d).args(["generate", &alpine(), "--config", "nope.yaml"]),
        2,
    );
    assert!(
        out.stderr.starts_with("error: nope.yaml: config file: "),
        "{}",
        out.stderr
    );
}

/// Key paths set once: `key` for attest (relative to the config file), `public-key` for verify;
/// `--keyless` and identity flags still win over a configured key.
#[test]
fn key_paths_from_the_config_file_sign_and_verify() {
    let t = tempdir();
    let d = t.path();
    fs::create_dir(d.join("keys")).unwrap();
    run(
        crate::support::sbomkit_in(d)
            .args(["keygen", "--algorithm", "ed25519", "--prefix", "keys/k"])
            .env("SBOMKIT_PASSWORD", "pw"),
        0,
    );
    let cfg = crate::support::write(
        d,
        "conf/sbomkit.yaml",
        b"key: ../keys/k.key\npublic-key: ../keys/k.pub\n",
    );
    let with_config = |args: &[&str]| {
        let mut c = crate::support::sbomkit_in(d);
        c.args(args)
            .env("SBOMKIT_CONFIG", &cfg)
            .env("SBOMKIT_PASSWORD", "pw");
        c
    };
    run(
        &mut with_config(&["attest", &alpine(), "--output-file", "a.intoto.json"]),
        0,
    );
    let out = run(
        &mut with_config(&["verify", "a.intoto.json", "--image", &alpine()]),
        0,
    );
    assert!(out.text().contains("signature"), "{}", out.text());
    // --keyless is not refused as a conflict with the configured key: it asks for its token.
    let out = run(&mut with_config(&["attest", &alpine(), "--keyless"]), 2);
    assert!(out.stderr.contains("identity token"), "{}", out.stderr);
}

/// The subcommands as `sbomkit --help` lists them: the real definition, so a new command is
/// checked too.
fn subcommands() -> Vec<String> {
    let help = run(sbomkit().arg("--help"), 0).stdout;
    let help = String::from_utf8(help).unwrap();
    let names: Vec<String> = help
        .lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .filter(|n| n != "help")
        .collect();
    assert!(names.len() >= 7, "{names:?}");
    names
}

/// Shell completions: bash accepts the script (`bash -n`), and every shell's script names every
/// subcommand and the new flags.
#[test]
fn completion_scripts_are_valid_and_complete() {
    let commands = subcommands();
    for shell in ["bash", "zsh", "fish"] {
        let script = run(sbomkit().args(["completions", shell]), 0).stdout;
        let text = String::from_utf8(script.clone()).unwrap();
        for c in &commands {
            assert!(text.contains(c.as_str()), "{shell}: no {c}");
        }
        assert!(
            text.contains("exclude") && text.contains("config"),
            "{shell}"
        );
        if shell == "bash" {
            let t = tempdir();
            let p = crate::support::write(t.path(), "sbomkit.bash", &script);
            let ok = std::process::Command::new("bash")
                .arg("-n")
                .arg(&p)
                .status()
                .unwrap();
            assert!(ok.success(), "bash -n refused the completion script");
        }
    }
    run(sbomkit().args(["completions", "tcsh"]), 2);
}

/// `groff` (where installed) reads `page` without a warning.
fn assert_roff_clean(page: &[u8], name: &str) {
    use std::io::Write;
    let Ok(mut child) = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    else {
        // No groff: the content checks still run. CI installs it (scripts/test.sh).
        assert!(std::env::var_os("CI").is_none(), "groff is needed in CI");
        return;
    };
    child.stdin.take().unwrap().write_all(page).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The man page: on stdout the top page, listing every subcommand; with `--dir`, one page per
/// command with its own options. Each is read by groff without a warning.
#[test]
fn man_pages_cover_every_command() {
    let commands = subcommands();
    let page = run(sbomkit().arg("man"), 0).stdout;
    assert_roff_clean(&page, "sbomkit.1");
    let text = String::from_utf8(page).unwrap();
    assert!(text.starts_with(".ie \\n(.g .ds Aq"), "not roff");
    assert!(text.contains(".TH sbomkit 1"));
    for c in &commands {
        assert!(
            text.contains(&c.replace('-', "\\-")),
            "sbomkit.1 names no {c}"
        );
    }

    let t = tempdir();
    let out = run(sbomkit().args(["man", "--dir"]).arg(t.path()), 0);
    assert!(out.stderr.starts_with("wrote "), "{}", out.stderr);
    let mut files: Vec<String> = fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let mut expected: Vec<String> = commands.iter().map(|c| format!("sbomkit-{c}.1")).collect();
    expected.push("sbomkit.1".into());
    expected.sort();
    assert_eq!(files, expected);
    for f in &files {
        assert_roff_clean(&fs::read(t.path().join(f)).unwrap(), f);
    }
    let generate = fs::read_to_string(t.path().join("sbomkit-generate.1")).unwrap();
    for flag in ["exclude", "cyclonedx\\-version", "SBOMKIT_PLATFORM"] {
        assert!(generate.contains(flag), "sbomkit-generate.1 lacks {flag}");
    }
}

/// The documented fields of each table under `heading` in docs/reports.md (tables split by a
/// non-table line), with the fields typed `map` whose keys are data.
pub(crate) fn documented(heading: &str) -> Vec<(std::collections::BTreeSet<String>, Vec<String>)> {
    let doc = fs::read_to_string(crate::support::root().join("docs/reports.md")).unwrap();
    let section: Vec<&str> = doc
        .lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .collect();
    let mut tables = Vec::new();
    let mut current: Option<(std::collections::BTreeSet<String>, Vec<String>)> = None;
    for line in section {
        match line.strip_prefix("| `") {
            Some(rest) => {
                let (field, rest) = rest.split_once('`').unwrap();
                let kind = rest.split('|').nth(1).unwrap().trim();
                let t = current.get_or_insert_with(Default::default);
                assert!(t.0.insert(field.to_string()), "{field} listed twice");
                if kind == "map" {
                    t.1.push(field.to_string());
                }
            }
            None => {
                if let Some(t) = current.take() {
                    tables.push(t);
                }
            }
        }
    }
    tables.extend(current);
    tables
}

/// Every field path of a report: `a.b` for an object's field, `a[].b` for a field of the objects
/// in an array; a map's keys are data, not fields.
pub(crate) fn field_paths(
    v: &Value,
    prefix: &str,
    maps: &[String],
    out: &mut std::collections::BTreeSet<String>,
) {
    match v {
        Value::Object(o) => {
            for (k, val) in o {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(p.clone());
                if !maps.contains(&p) {
                    field_paths(val, &p, maps, out);
                }
            }
        }
        Value::Array(items) => {
            for item in items.iter().filter(|i| i.is_object()) {
                field_paths(item, &format!("{prefix}[]"), maps, out);
            }
        }
        _ => {}
    }
}

/// The JSON reports hold exactly the fields docs/reports.md lists, on real runs that pass and
/// fail: a renamed, removed or undocumented field fails here.
#[test]
fn json_reports_hold_exactly_the_documented_fields() {
    let t = tempdir();
    let d = t.path();
    let cosign = crate::support::root()
        .join("testdata/fixtures/sigstore/cosign-oci-attestation.sigstore.json")
        .display()
        .to_string();
    let subject = "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4";
    let github = "https://github.com/login/oauth";
    let with_password = |args: &[&str]| {
        let mut c = crate::support::sbomkit_in(d);
        c.args(args).env("SBOMKIT_PASSWORD", "pw");
        c
    };
    run(&mut with_password(&["keygen", "--algorithm", "ed25519"]), 0);
    run(
        &mut with_password(&[
            "attest",
            "-q",
            &alpine(),
            "--key",
            "sbomkit.key",
            "--output-file",
            "a.json",
        ]),
        0,
    );
    let report = |args: &[&str], code: i32| -> Value {
        let out = run(with_password(args).args(["--output", "json"]), code);
        assert!(out.stdout.ends_with(b"}\n"));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["exitCode"], code);
        v
    };

    let verify = documented("## verify");
    assert_eq!(verify.len(), 1);
    let (fields, maps) = &verify[0];
    let mut seen = std::collections::BTreeSet::new();
    for v in [
        report(
            &[
                "verify",
                "a.json",
                "--key",
                "sbomkit.pub",
                "--image",
                &alpine(),
            ],
            0,
        ),
        report(
            &[
                "verify",
                &cosign,
                "--certificate-identity",
                "x@y",
                "--certificate-oidc-issuer",
                github,
            ],
            14,
        ),
    ] {
        let mut paths = std::collections::BTreeSet::new();
        field_paths(&v, "", maps, &mut paths);
        let undocumented: Vec<_> = paths.difference(fields).collect();
        assert!(
            undocumented.is_empty(),
            "verify: not in docs/reports.md: {undocumented:?}"
        );
        seen.extend(paths);
    }
    let missing: Vec<_> = fields.difference(&seen).collect();
    assert!(
        missing.is_empty(),
        "verify: documented but never written: {missing:?}"
    );

    let bundle = documented("## verify-bundle");
    assert_eq!(
        bundle.len(),
        2,
        "a table for a bundle that verifies, one for one that does not"
    );
    let runs = [
        report(
            &[
                "verify-bundle",
                "--bundle",
                &cosign,
                "--certificate-identity",
                "cody@soyland.com",
                "--certificate-oidc-issuer",
                github,
                subject,
            ],
            0,
        ),
        report(
            &[
                "verify-bundle",
                "--bundle",
                &cosign,
                "--certificate-identity",
                "x@y",
                "--certificate-oidc-issuer",
                github,
                subject,
            ],
            14,
        ),
    ];
    for (v, (fields, maps)) in runs.iter().zip(&bundle) {
        let mut paths = std::collections::BTreeSet::new();
        field_paths(v, "", maps, &mut paths);
        assert_eq!(
            &paths, fields,
            "verify-bundle fields differ from docs/reports.md"
        );
    }
}

/// `bytes` as a `'static` slice, for the image builder's items.
fn leak(bytes: Vec<u8>) -> &'static [u8] {
    Box::leak(bytes.into_boxed_slice())
}

/// A Wolfi image as an OCI layout folder from `layers` (each a list of items), written under `dir`;
/// returns the layout path and the layers' diff_ids.
fn wolfi_layout(dir: &std::path::Path, layers: Vec<Vec<image::Item>>) -> (String, Vec<String>) {
    use image::{BuiltLayer, Comp, Image, OciLayout};
    let built: Vec<BuiltLayer> = layers
        .iter()
        .map(|items| BuiltLayer::new(items, Comp::Gzip))
        .collect();
    let diff_ids = built.iter().map(|l| l.diff_id()).collect();
    let mut layout = OciLayout::default();
    let (desc, _) = layout.image(&Image::new(built));
    layout.index.push(image::named(
        desc,
        "org.opencontainers.image.ref.name",
        "cgr.example/wolfi-base:latest",
    ));
    let root = dir.join("layout");
    layout.files().write_dir(&root);
    (format!("oci-dir:{}", root.display()), diff_ids)
}

use crate::support::image;

fn wolfi_stanzas() -> Vec<String> {
    let db = fs::read_to_string(
        crate::support::root().join("testdata/fixtures/apk/installed/wolfi-base.installed"),
    )
    .unwrap();
    let stanzas: Vec<String> = db
        .split("\n\n")
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(stanzas.len(), 15);
    stanzas
}

fn apk_db(stanzas: &[String]) -> &'static [u8] {
    leak(format!("{}\n\n", stanzas.join("\n\n")).into_bytes())
}

fn stanza_name(s: &str) -> &str {
    s.lines().find_map(|l| l.strip_prefix("P:")).unwrap()
}

fn property<'a>(c: &'a Value, name: &str) -> Option<&'a str> {
    c["properties"]
        .as_array()?
        .iter()
        .find_map(|p| (p["name"] == name).then(|| p["value"].as_str().unwrap()))
}

/// `--scope all-layers` on a real three-layer image: layer 0 installs 13 Wolfi packages, layer 1
/// adds two and upgrades wolfi-baselayout, layer 2 removes busybox. The packages removed or
/// replaced are listed as not in the final image (CycloneDX `scope: excluded`, the layer that
/// removed them; SPDX an annotation, and nothing contains them); the default is the final image,
/// byte for byte as `--scope squashed`.
#[test]
fn all_layers_lists_removed_packages_as_not_in_the_final_image() {
    let stanzas = wolfi_stanzas();
    assert_eq!(stanza_name(&stanzas[0]), "wolfi-baselayout");
    let upgraded: Vec<String> = stanzas
        .iter()
        .map(|s| s.replace("V:20230201-r23", "V:20230201-r24"))
        .collect();
    assert_ne!(upgraded[0], stanzas[0]);
    let without_busybox: Vec<String> = upgraded
        .iter()
        .filter(|s| stanza_name(s) != "busybox")
        .cloned()
        .collect();
    let os_release = leak(
        fs::read(crate::support::root().join("testdata/fixtures/os-release/wolfi.os-release"))
            .unwrap(),
    );
    use image::Item;
    let t = tempdir();
    let (source, diff_ids) = wolfi_layout(
        t.path(),
        vec![
            vec![
                Item::Dir("etc"),
                Item::File("etc/os-release", os_release),
                Item::Dir("lib"),
                Item::Dir("lib/apk"),
                Item::Dir("lib/apk/db"),
                Item::File("lib/apk/db/installed", apk_db(&stanzas[..13])),
                Item::Dir("bin"),
                Item::File("bin/busybox", b"\x7fELF not really"),
            ],
            vec![Item::File("lib/apk/db/installed", apk_db(&upgraded))],
            vec![
                Item::File("lib/apk/db/installed", apk_db(&without_busybox)),
                Item::Whiteout("bin/busybox"),
            ],
        ],
    );

    let default = crate::support::generate(&source, &["-o", "cyclonedx-json"]);
    let squashed =
        crate::support::generate(&source, &["--scope", "squashed", "-o", "cyclonedx-json"]);
    assert_eq!(default, squashed);
    let (squashed, _, _) = documents(&source, &[]);
    let (bom, doc, _) = documents_named(&source, &["--scope", "all-layers"], Some("all-layers"));

    let apk = |bom: &Value| -> Vec<Value> {
        bom["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| {
                c["purl"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("pkg:apk/"))
            })
            .cloned()
            .collect()
    };
    assert_eq!(apk(&squashed).len(), 14);
    assert!(apk(&squashed).iter().all(|c| c.get("scope").is_none()));
    let all = apk(&bom);
    assert_eq!(all.len(), 16);
    let removed: Vec<(&str, &str, &str, &str)> = all
        .iter()
        .filter(|c| c["scope"] == "excluded")
        .map(|c| {
            (
                c["name"].as_str().unwrap(),
                c["version"].as_str().unwrap(),
                property(c, "sbomkit:layer").unwrap(),
                property(c, "sbomkit:layer:removed").unwrap(),
            )
        })
        .collect();
    let busybox_version = stanzas
        .iter()
        .find(|s| stanza_name(s) == "busybox")
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("V:")))
        .unwrap();
    assert_eq!(
        removed,
        [
            (
                "busybox",
                busybox_version,
                diff_ids[0].as_str(),
                diff_ids[2].as_str()
            ),
            (
                "wolfi-baselayout",
                "20230201-r23",
                diff_ids[0].as_str(),
                diff_ids[1].as_str()
            ),
        ]
    );
    // What is in the final image is described the same in both scopes.
    let kept: Vec<&Value> = all.iter().filter(|c| c.get("scope").is_none()).collect();
    assert_eq!(kept.len(), 14);
    for c in &kept {
        assert!(apk(&squashed).contains(c), "{}", c["name"]);
    }
    // Nothing contains a removed package: not the image, not the OS.
    let removed_refs: Vec<&Value> = all
        .iter()
        .filter(|c| c["scope"] == "excluded")
        .map(|c| &c["bom-ref"])
        .collect();
    for d in bom["dependencies"].as_array().unwrap() {
        for r in d["dependsOn"].as_array().into_iter().flatten() {
            assert!(!removed_refs.contains(&r), "{} depends on {r}", d["ref"]);
        }
    }

    // SPDX: the package with its annotation, and no relationship to it.
    let busybox = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "busybox")
        .unwrap();
    let id = busybox["SPDXID"].as_str().unwrap();
    let notes: Vec<&str> = busybox["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["comment"].as_str().unwrap())
        .collect();
    assert!(
        notes.contains(
            &format!(
                "sbomkit:layer:removed: 2 {}: not in the final image",
                diff_ids[2]
            )
            .as_str()
        ),
        "{notes:?}"
    );
    assert!(!doc["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["relatedSpdxElement"] == id || r["spdxElementId"] == id));

    // The table says it in the layer column; CycloneDX 1.5 holds the same.
    let table = String::from_utf8(crate::support::generate(
        &source,
        &["--scope", "all-layers", "-o", "table"],
    ))
    .unwrap();
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("busybox") && l.contains(", removed in 2")),
        "{table}"
    );
    let bom15: Value = serde_json::from_slice(&crate::support::generate(
        &source,
        &["--scope", "all-layers", "-o", "cyclonedx-json@1.5"],
    ))
    .unwrap();
    schema::assert_valid_cyclonedx(&bom15);
    assert_eq!(
        apk(&bom15)
            .iter()
            .filter(|c| c["scope"] == "excluded")
            .count(),
        2
    );
}

/// A database file a later layer deletes: the final image lists none of its packages, all layers
/// list every one as removed by that layer.
#[test]
fn all_layers_reads_a_database_file_a_later_layer_deleted() {
    use image::Item;
    let stanzas = wolfi_stanzas();
    let t = tempdir();
    let (source, diff_ids) = wolfi_layout(
        t.path(),
        vec![
            vec![
                Item::Dir("lib"),
                Item::Dir("lib/apk"),
                Item::Dir("lib/apk/db"),
                Item::File("lib/apk/db/installed", apk_db(&stanzas)),
            ],
            vec![Item::Whiteout("lib/apk/db/installed")],
        ],
    );
    let (squashed, _, _) = documents(&source, &[]);
    assert!(component_names(&squashed, "apk").is_empty());
    let (bom, _, _) = documents(&source, &["--scope", "all-layers"]);
    let apk: Vec<&Value> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["purl"]
                .as_str()
                .is_some_and(|p| p.starts_with("pkg:apk/"))
        })
        .collect();
    assert_eq!(apk.len(), 15);
    for c in apk {
        assert_eq!(c["scope"], "excluded");
        assert_eq!(
            property(c, "sbomkit:layer:removed"),
            Some(diff_ids[1].as_str())
        );
        assert_eq!(property(c, "sbomkit:layer:removed-index"), Some("1"));
    }
    // From the config file and the environment too.
    let out = run(
        crate::support::sbomkit()
            .args(["generate", "-q", &source, "-o", "cyclonedx-json"])
            .env("SBOMKIT_SCOPE", "all-layers"),
        0,
    );
    let from_env: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(from_env, bom);
}

/// `--author` (or `SBOMKIT_AUTHOR`, or `author:` in the config file) names the SBOM author on the real
/// Alpine image; a value that is not `NAME [<EMAIL>]` is a usage error naming it, before anything is
/// written.
#[test]
fn the_sbom_author_comes_from_the_flag_the_variable_or_the_config_file() {
    let t = tempdir();
    let d = t.path();
    let authors = |file: &str| -> (Value, Value) {
        let bom: Value = serde_json::from_slice(&fs::read(d.join(file)).unwrap()).unwrap();
        let spdx: Value =
            serde_json::from_slice(&fs::read(d.join(format!("{file}.spdx"))).unwrap()).unwrap();
        (
            bom["metadata"]["authors"].clone(),
            spdx["creationInfo"]["creators"][1].clone(),
        )
    };
    let generate = |file: &str| {
        let mut cmd = crate::support::sbomkit_in(d);
        cmd.args(["generate", "-q", &alpine()])
            .args(["-o", &format!("cyclonedx-json={file}")])
            .args(["-o", &format!("spdx-json={file}.spdx")]);
        cmd
    };
    run(
        generate("flag.json").args(["--author", "Jane Doe <jane@example.org>"]),
        0,
    );
    assert_eq!(
        authors("flag.json"),
        (
            serde_json::json!([{"name": "Jane Doe", "email": "jane@example.org"}]),
            serde_json::json!("Person: Jane Doe (jane@example.org)")
        )
    );
    run(
        generate("var.json").env("SBOMKIT_AUTHOR", "Organization: ACME <sbom@acme.example>"),
        0,
    );
    assert_eq!(
        authors("var.json").1,
        serde_json::json!("Organization: ACME (sbom@acme.example)")
    );
    fs::write(d.join(".sbomkit.yaml"), "author: Build Team\n").unwrap();
    run(&mut generate("file.json"), 0);
    assert_eq!(
        authors("file.json"),
        (
            serde_json::json!([{"name": "Build Team"}]),
            serde_json::json!("Person: Build Team")
        )
    );
    fs::remove_file(d.join(".sbomkit.yaml")).unwrap();
    // Unknown without one: the SPDX comment says so, CycloneDX leaves it out.
    run(&mut generate("none.json"), 0);
    let (bom_authors, creator) = authors("none.json");
    assert!(bom_authors.is_null() && creator.is_null());
    let out = run(
        generate("bad.json").args(["--author", "Jane <not an address>"]),
        2,
    );
    assert!(
        out.stderr
            .contains("`not an address` is not an email address"),
        "{}",
        out.stderr
    );
    assert!(!d.join("bad.json").exists());
}
