//! .NET applications: the `NAME.deps.json` the SDK writes beside a deployed application. The
//! runtime target (`runtimeTarget.name`) lists what the application loads, each `Name/Version`
//! typed in `libraries`: `package` (a NuGet package, with the SHA-512 of the `.nupkg`),
//! `runtimepack` (the runtime of a self-contained application, also a NuGet package) and
//! `project` (the application itself, named as the file, and the projects it references).

use base64::Engine;
use serde_json::{Map, Value};

use super::{ListCataloger, Listed, Listing, Manifest, MAX_LISTED};
use crate::model::{Checksum, HashAlg, PackageKind, Purpose, Technique};
use crate::purl::{Purl, PurlType};

/// A .NET library or application from a `deps.json`.
pub const KIND: PackageKind = PackageKind {
    name: "dotnet",
    purl_type: Some("nuget"),
    purpose: Purpose::Library,
    technique: Some(Technique::ManifestAnalysis),
    purl_is_evidence: true,
    file: None,
};

/// .NET packages from `*.deps.json`.
pub const CATALOGER: ListCataloger = ListCataloger {
    name: "dotnet-deps",
    kind: KIND,
    is_manifest,
    parse,
};

const SUFFIX: &[u8] = b".deps.json";

/// The file name (after the last `/`).
fn file_name(path: &[u8]) -> &[u8] {
    path.rsplit(|&b| b == b'/').next().unwrap_or(path)
}

pub fn is_manifest(path: &[u8]) -> bool {
    let name = file_name(path);
    name.len() > SUFFIX.len() && name.ends_with(SUFFIX)
}

/// `sha512-BASE64` as hex; none when empty or not a SHA-512.
fn sha512(v: Option<&Value>) -> Option<Checksum> {
    let b64 = v?.as_str()?.strip_prefix("sha512-")?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    let c = Checksum::new(HashAlg::Sha512, hex::encode(bytes));
    c.is_well_formed().then_some(c)
}

pub fn parse(path: &[u8], content: &[u8]) -> Listed {
    let doc: Value =
        serde_json::from_slice(content).map_err(|e| format!("not a .NET deps.json: {e}"))?;
    let target_name = doc
        .pointer("/runtimeTarget/name")
        .and_then(Value::as_str)
        .ok_or("not a .NET deps.json: no runtimeTarget name")?;
    let empty = Map::new();
    let target = doc
        .get("targets")
        .and_then(|t| t.get(target_name))
        .and_then(Value::as_object)
        .ok_or_else(|| format!("not a .NET deps.json: no target {target_name:?}"))?;
    let libraries = doc
        .get("libraries")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    if target.len() > MAX_LISTED {
        return Err(format!(
            "{} entries: more than the {MAX_LISTED} read from one list",
            target.len()
        ));
    }
    let app = file_name(path)
        .strip_suffix(SUFFIX)
        .and_then(|n| std::str::from_utf8(n).ok());
    let mut application = None;
    let mut packages = Vec::new();
    for key in target.keys() {
        let Some((name, version)) = key.split_once('/') else {
            continue;
        };
        let (name, version) = (name.trim(), version.trim());
        if name.is_empty() || version.is_empty() {
            continue;
        }
        let lib = libraries.get(key);
        let ty = lib.and_then(|l| l.get("type")).and_then(Value::as_str);
        let mut m = Manifest {
            name: name.to_string(),
            version: version.to_string(),
            ..Manifest::default()
        };
        match ty {
            Some("package" | "runtimepack") => {
                m.purl = Some(
                    Purl::new(PurlType::NUGET, name)
                        .with_version(version)
                        .into(),
                );
                m.checksums
                    .extend(sha512(lib.and_then(|l| l.get("sha512"))));
            }
            // A project is built with the application, not fetched: no NuGet identity.
            Some("project") => {}
            _ => continue,
        }
        m.properties
            .insert("sbomkit:dotnet:type".into(), ty.unwrap_or("").into());
        if ty == Some("project") && Some(name) == app && application.is_none() {
            application = Some(m);
        } else {
            packages.push(m);
        }
    }
    let first_holds_rest = application.is_some();
    packages.splice(0..0, application);
    Ok(Listing {
        first_holds_rest,
        packages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> Vec<u8> {
        std::fs::read(crate::catalog::testutil::testdata(
            "lang/Python.Runtime.deps.json",
        ))
        .unwrap()
    }

    /// pythonnet's `Python.Runtime.deps.json`: the project named as the file first, holding the
    /// nine NuGet packages of its runtime target.
    #[test]
    fn the_application_and_its_packages() {
        let path = b"usr/lib/python3/dist-packages/pythonnet/runtime/Python.Runtime.deps.json";
        let l = parse(path, &fixture()).unwrap();
        assert!(l.first_holds_rest);
        assert_eq!(l.packages.len(), 10);
        let app = &l.packages[0];
        assert_eq!(
            (app.name.as_str(), app.version.as_str()),
            ("Python.Runtime", "3.2.1")
        );
        assert_eq!(app.purl, None);
        assert!(app.checksums.is_empty());
        let csharp = l
            .packages
            .iter()
            .find(|m| m.name == "Microsoft.CSharp")
            .unwrap();
        assert_eq!(
            csharp.purl.as_deref(),
            Some("pkg:nuget/Microsoft.CSharp@4.7.0")
        );
        assert_eq!(csharp.checksums.len(), 1);
        assert_eq!(csharp.checksums[0].alg, HashAlg::Sha512);
        assert!(csharp.checksums[0]
            .value
            .starts_with("a538fe0f7b895b237733"));
        // Under another file name the project is one entry among the others.
        let l = parse(b"opt/other.deps.json", &fixture()).unwrap();
        assert!(!l.first_holds_rest);
        assert_eq!(l.packages.len(), 10);
    }

    #[test]
    fn broken_or_odd_files() {
        assert!(parse(b"a.deps.json", b"{").is_err());
        assert!(parse(b"a.deps.json", b"{}").is_err());
        assert!(parse(
            b"a.deps.json",
            br#"{"runtimeTarget":{"name":"x"},"targets":{}}"#
        )
        .is_err());
        let l = parse(
            b"a.deps.json",
            br#"{"runtimeTarget":{"name":"t"},"targets":{"t":{"noslash":{},"R/1":{},"P/2":{},"/3":{}}},
               "libraries":{"R/1":{"type":"reference"},"P/2":{"type":"package","sha512":"sha512-!!"}}}"#,
        )
        .unwrap();
        let names: Vec<&str> = l.packages.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["P"]);
        assert!(l.packages[0].checksums.is_empty());
    }

    #[test]
    fn deps_json_files() {
        assert!(is_manifest(b"app/MyApp.deps.json"));
        assert!(!is_manifest(b"app/.deps.json"));
        assert!(!is_manifest(b"app/MyApp.runtimeconfig.json"));
    }
}
