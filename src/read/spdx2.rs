//! SPDX 2.2/2.3 JSON from any tool into the model.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde_json::Value;

use super::{kind_for, stated, Author, ComponentFacts, Read, Tool};
use crate::model::{
    Actor, Checksum, FileRecord, HashAlg, License, Package, Purpose, Relationship,
    RelationshipKind, Sbom, Subject, SubjectKind,
};
use crate::purl::PurlString;

/// Relationship types through which ntia-conformance-checker reaches components from what the
/// document describes (its `VALID_SPDX2_COMPOSITION_RELATIONSHIPS`).
const COMPOSITION: &[&str] = &[
    "DESCRIBES",
    "CONTAINS",
    "DEPENDS_ON",
    "DYNAMIC_LINK",
    "STATIC_LINK",
    "HAS_PREREQUISITE",
];

pub(crate) fn read(doc: &Value) -> Result<Read, String> {
    let mut out = Read::default();
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let doc_id = str_of(doc, "SPDXID").unwrap_or_default();
    out.info.name = str_of(doc, "name");
    out.info.uri = str_of(doc, "documentNamespace");
    let creation = doc.get("creationInfo");
    for c in creation
        .and_then(|c| c.get("creators"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if let Some(tool) = c.strip_prefix("Tool:") {
            out.info.tools.push(tool_of(tool.trim()));
        } else if let Some(who) = c
            .strip_prefix("Person:")
            .or_else(|| c.strip_prefix("Organization:"))
        {
            let (name, email) = split_actor(who);
            out.info.authors.push(Author {
                name: name.to_string(),
                email: email.map(str::to_string),
                url: None,
            });
        }
    }
    out.info.timestamp = creation.and_then(|c| str_of(c, "created"));
    // SPDX 2.3 §6.9: `YYYY-MM-DDThh:mm:ssZ`, no fraction, UTC.
    out.info.timestamp_well_formed = out.info.timestamp.as_deref().is_some_and(|t| {
        t.len() == 20
            && time::PrimitiveDateTime::parse(
                t,
                time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"),
            )
            .is_ok()
    });

    let mut sbom = Sbom {
        subject: Subject {
            kind: SubjectKind::Directory,
            name: out.info.name.clone().unwrap_or_else(|| "document".into()),
            ..Subject::default()
        },
        ..Sbom::default()
    };
    let mut ids_seen = BTreeSet::new();
    let mut known: BTreeSet<String> = BTreeSet::new();
    if doc_id != "SPDXRef-DOCUMENT" {
        out.info.identifier_errors.push(format!(
            "the document's SPDXID is `{doc_id}`, not SPDXRef-DOCUMENT"
        ));
    }
    let mut check_id = |id: &str, errors: &mut Vec<String>| {
        let well_formed = id.strip_prefix("SPDXRef-").is_some_and(|r| {
            !r.is_empty()
                && r.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        });
        if !well_formed {
            errors.push(format!(
                "`{id}` is not an SPDX id (SPDXRef- then letters, digits, `.`, `-`)"
            ));
        }
        if !ids_seen.insert(id.to_string()) {
            errors.push(format!("`{id}` names two elements"));
        }
    };
    for p in doc
        .get("packages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let id = str_of(p, "SPDXID").unwrap_or_default();
        check_id(&id, &mut out.info.identifier_errors);
        known.insert(id.clone());
        let (pkg, facts) = package(p, &id, &mut out.dropped);
        out.facts.insert(id, facts);
        sbom.packages.push(pkg);
    }
    for f in doc
        .get("files")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let id = str_of(f, "SPDXID").unwrap_or_default();
        check_id(&id, &mut out.info.identifier_errors);
        known.insert(id.clone());
        let mut rec = FileRecord {
            id,
            path: str_of(f, "fileName").unwrap_or_default(),
            ..FileRecord::default()
        };
        for c in checksums(f) {
            if c.alg == HashAlg::Sha256 {
                rec.sha256 = Some(c.value.to_ascii_lowercase());
            } else {
                rec.other_checksums.push(c);
            }
        }
        sbom.files.push(rec);
    }
    for s in doc
        .get("snippets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(id) = str_of(s, "SPDXID") {
            known.insert(id);
        }
        out.dropped.insert("snippets".into());
    }

    // Relationships: `documentDescribes` is the older spelling of DESCRIBES.
    let mut edges: Vec<(String, String, String)> = doc
        .get("documentDescribes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|to| (doc_id.clone(), "DESCRIBES".to_string(), to.to_string()))
        .collect();
    for r in doc
        .get("relationships")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(from), Some(ty), Some(to)) = (
            str_of(r, "spdxElementId"),
            str_of(r, "relationshipType"),
            str_of(r, "relatedSpdxElement"),
        ) else {
            continue;
        };
        edges.push((from, ty, to));
    }
    // The files of `hasFiles` are contained by their package.
    for p in doc
        .get("packages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let id = str_of(p, "SPDXID").unwrap_or_default();
        for f in p
            .get("hasFiles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            edges.push((id.clone(), "CONTAINS".into(), f.to_string()));
        }
    }
    let mut graph: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut roots = VecDeque::new();
    for (from, ty, to) in &edges {
        for end in [from, to] {
            let external = end.starts_with("DocumentRef-") || end == "NONE" || end == "NOASSERTION";
            if !external && *end != doc_id && !known.contains(end.as_str()) {
                out.info.identifier_errors.push(format!(
                    "a {ty} relationship names `{end}`, which is not in the document"
                ));
            }
        }
        if to == "NONE" || to == "NOASSERTION" {
            out.info.completeness_stated = true;
            out.info.unknowns_stated |= to == "NOASSERTION";
        }
        for end in [from, to] {
            if let Some(f) = out.facts.get_mut(end.as_str()) {
                f.in_relationship = true;
            }
        }
        if ty == "DESCRIBES" && *from == doc_id {
            roots.push_back(to.as_str());
        } else if ty == "DESCRIBED_BY" && *to == doc_id {
            roots.push_back(from.as_str());
        }
        if COMPOSITION.contains(&ty.as_str()) {
            graph.entry(from.as_str()).or_default().push(to.as_str());
        }
        let map = |e: &str| match e == doc_id {
            true => Relationship::SUBJECT.to_string(),
            false => e.to_string(),
        };
        let rel = match ty.as_str() {
            "DESCRIBES" | "CONTAINS" => Some((map(from), RelationshipKind::Contains, map(to))),
            "DESCRIBED_BY" | "CONTAINED_BY" => {
                Some((map(to), RelationshipKind::Contains, map(from)))
            }
            "DEPENDS_ON" | "DYNAMIC_LINK" | "STATIC_LINK" | "HAS_PREREQUISITE" => {
                Some((map(from), RelationshipKind::DependsOn, map(to)))
            }
            "DEPENDENCY_OF" | "RUNTIME_DEPENDENCY_OF" | "PREREQUISITE_FOR" => {
                Some((map(to), RelationshipKind::DependsOn, map(from)))
            }
            "OPTIONAL_DEPENDENCY_OF" => {
                Some((map(to), RelationshipKind::OptionalDependsOn, map(from)))
            }
            _ => None,
        };
        match rel {
            Some((f, kind, t)) => {
                let resolvable = |e: &str| e == Relationship::SUBJECT || known.contains(e);
                if resolvable(&f) && resolvable(&t) {
                    sbom.relationships.push(Relationship::new(f, kind, t));
                }
            }
            None => {
                out.dropped.insert(format!(
                    "relationships other than containment and dependency ({ty})"
                ));
            }
        }
    }
    let mut reachable: BTreeSet<String> = BTreeSet::new();
    while let Some(id) = roots.pop_front() {
        if reachable.insert(id.to_string()) {
            for next in graph.get(id).into_iter().flatten() {
                roots.push_back(next);
            }
        }
    }
    out.info.reachable = Some(reachable);
    if !out.info.authors.is_empty() || !out.info.tools.is_empty() {
        out.dropped
            .insert("the document's creators (authors and tools)".into());
    }
    for (key, what) in [
        ("annotations", "annotations"),
        ("hasExtractedLicensingInfos", "extracted license texts"),
        ("externalDocumentRefs", "references to other documents"),
    ] {
        let present = doc
            .get(key)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
            || doc
                .get("packages")
                .and_then(Value::as_array)
                .is_some_and(|ps| {
                    ps.iter().any(|p| {
                        p.get(key)
                            .and_then(Value::as_array)
                            .is_some_and(|a| !a.is_empty())
                    })
                });
        if present {
            out.dropped.insert(what.into());
        }
    }
    sbom.created = super::created(out.info.timestamp.as_deref());
    out.sbom = sbom;
    Ok(out)
}

/// `name-1.2.3` (how SPDX tools name themselves) into name and version; a name without a
/// version-looking suffix keeps its whole text.
pub(crate) fn tool_of(s: &str) -> Tool {
    match s.rsplit_once('-') {
        Some((name, version))
            if !name.is_empty()
                && version.starts_with(|c: char| c.is_ascii_digit() || c == 'v') =>
        {
            Tool {
                name: name.to_string(),
                version: Some(version.to_string()),
            }
        }
        _ => Tool {
            name: s.to_string(),
            version: None,
        },
    }
}

/// `Jane Doe (jane@example.org)` into name and email.
fn split_actor(s: &str) -> (&str, Option<&str>) {
    let s = s.trim();
    // SPDX writes `Name (email)`; some tools write `Name <email>` inside it.
    let (name, email) = match s.strip_suffix(')').and_then(|r| r.rsplit_once('(')) {
        Some((n, e)) => (n.trim(), Some(e.trim()).filter(|e| !e.is_empty())),
        None => (s, None),
    };
    match name.strip_suffix('>').and_then(|r| r.rsplit_once('<')) {
        Some((n, e)) if email.is_none() => (n.trim(), Some(e.trim()).filter(|e| !e.is_empty())),
        _ => (name, email),
    }
}

fn actor(v: Option<&Value>) -> Option<Actor> {
    let s = stated(v)?;
    if let Some(o) = s.strip_prefix("Organization:") {
        let (name, _) = split_actor(o);
        return Actor::organization(name);
    }
    let (name, email) = split_actor(s.strip_prefix("Person:").unwrap_or(s));
    Actor::person(name, email)
}

/// An SPDX (2 or 3) or CycloneDX algorithm name.
pub(crate) fn hash_alg(name: &str) -> Option<HashAlg> {
    let n: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase();
    Some(match n.as_str() {
        "MD5" => HashAlg::Md5,
        "SHA1" => HashAlg::Sha1,
        "SHA224" => HashAlg::Sha224,
        "SHA256" => HashAlg::Sha256,
        "SHA384" => HashAlg::Sha384,
        "SHA512" => HashAlg::Sha512,
        "SHA3256" => HashAlg::Sha3_256,
        "SHA3384" => HashAlg::Sha3_384,
        "SHA3512" => HashAlg::Sha3_512,
        "BLAKE2B256" => HashAlg::Blake2b256,
        "BLAKE2B384" => HashAlg::Blake2b384,
        "BLAKE2B512" => HashAlg::Blake2b512,
        "BLAKE3" => HashAlg::Blake3,
        _ => return None,
    })
}

fn checksums(v: &Value) -> Vec<Checksum> {
    v.get("checksums")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let alg = hash_alg(c.get("algorithm")?.as_str()?)?;
            let value = c.get("checksumValue")?.as_str()?;
            let c = Checksum::new(alg, value.to_ascii_lowercase());
            c.is_well_formed().then_some(c)
        })
        .collect()
}

/// A license text as the model keeps it: the canonical SPDX expression where it is one, as a scan
/// makes it. A `LicenseRef-` names a text of the source document the writers do not have: raw.
pub(crate) fn license(raw: &str) -> License {
    let mut l = crate::catalog::license::from_raw(raw);
    if l.spdx
        .as_deref()
        .is_some_and(|e| e.contains("LicenseRef-") || e.contains("DocumentRef-"))
    {
        l.spdx = None;
    }
    l
}

fn package(p: &Value, id: &str, dropped: &mut BTreeSet<String>) -> (Package, ComponentFacts) {
    let mut purl = None;
    let mut cpes = Vec::new();
    let mut other = 0;
    for r in p
        .get("externalRefs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let ty = r.get("referenceType").and_then(Value::as_str).unwrap_or("");
        let loc = r
            .get("referenceLocator")
            .and_then(Value::as_str)
            .unwrap_or("");
        match ty {
            "purl" if purl.is_none() => purl = PurlString::read(loc),
            "cpe23Type" | "cpe22Type" => cpes.push(loc.to_string()),
            _ if !loc.is_empty() => other += 1,
            _ => {}
        }
    }
    let purpose = match p.get("primaryPackagePurpose").and_then(Value::as_str) {
        // The schema's spelling; the hyphen is the specification text's.
        Some("OPERATING_SYSTEM" | "OPERATING-SYSTEM") => Purpose::OperatingSystem,
        Some("APPLICATION" | "CONTAINER" | "FIRMWARE" | "DEVICE") => Purpose::Application,
        _ => Purpose::Library,
    };
    let mut pkg = Package::new(id, kind_for(purl.as_ref().map(|p| p.purl_type()), purpose));
    pkg.name = p
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    pkg.version = stated(p.get("versionInfo")).unwrap_or("").to_string();
    pkg.purl = purl;
    pkg.cpes = cpes;
    pkg.supplier = actor(p.get("supplier"));
    pkg.originator = actor(p.get("originator"));
    pkg.description = stated(p.get("description")).map(str::to_string);
    pkg.homepage = stated(p.get("homepage")).map(str::to_string);
    pkg.checksums = checksums(p);
    pkg.found_by = "spdx-document".into();
    if let Some(l) = stated(p.get("licenseDeclared")) {
        pkg.licenses.push(license(l));
    } else if let Some(l) = stated(p.get("licenseConcluded")) {
        pkg.licenses.push(license(l));
    }
    if stated(p.get("licenseConcluded")).is_some() {
        dropped.insert("concluded licenses".into());
    }
    if stated(p.get("copyrightText")).is_some() {
        dropped.insert("copyright texts".into());
    }
    if let Some(f) = stated(p.get("packageFileName")) {
        pkg.properties
            .insert("sbomkit:package:file-name".into(), f.to_string());
    }
    let contact = |v: Option<&Value>| stated(v).is_some_and(|s| split_actor(s).1.is_some());
    let facts = ComponentFacts {
        creator_contact: contact(p.get("supplier")) || contact(p.get("originator")),
        deployable_sha512: pkg.checksums.iter().any(|c| c.alg == HashAlg::Sha512),
        other_identifiers: other,
        in_relationship: false,
    };
    (pkg, facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_and_actors_are_split() {
        assert_eq!(
            tool_of("syft-0.105.0"),
            Tool {
                name: "syft".into(),
                version: Some("0.105.0".into())
            }
        );
        assert_eq!(tool_of("apko").version, None);
        assert_eq!(split_actor(" Jane (j@x.org) "), ("Jane", Some("j@x.org")));
        assert_eq!(split_actor("Wolfi"), ("Wolfi", None));
        assert_eq!(
            split_actor("Natanael Copa <ncopa@alpinelinux.org>"),
            ("Natanael Copa", Some("ncopa@alpinelinux.org"))
        );
        assert_eq!(hash_alg("SHA-512"), Some(HashAlg::Sha512));
        assert_eq!(hash_alg("sha3_256"), Some(HashAlg::Sha3_256));
        assert_eq!(hash_alg("ADLER32"), None);
        // Trivy writes what RPM says; only a certain SPDX expression is kept as one.
        assert_eq!(license("GPLv3+").spdx, None);
        assert_eq!(
            license("GPL-2.0+").spdx.as_deref(),
            Some("GPL-2.0-or-later")
        );
        assert_eq!(license("LicenseRef-custom").spdx, None);
    }
}
