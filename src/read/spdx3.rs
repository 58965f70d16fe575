//! SPDX 3.0.1 JSON-LD (the `@graph` serialization) from any tool into the model.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde_json::Value;

use super::spdx2::{hash_alg, license, tool_of};
use super::{kind_for, Author, ComponentFacts, Read};
use crate::model::{
    Actor, Checksum, FileRecord, HashAlg, Package, Purpose, Relationship, RelationshipKind,
    Subject, SubjectKind,
};
use crate::purl::PurlString;

/// ntia-conformance-checker's `VALID_SPDX3_COMPOSITION_RELATIONSHIPS`.
const COMPOSITION: &[&str] = &[
    "contains",
    "hasOptionalComponent",
    "packagedBy",
    "dependsOn",
    "hasDynamicLink",
    "hasStaticLink",
    "hasPrerequisite",
    "hasOptionalDependency",
    "hasProvidedDependency",
];

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn arr<'a>(v: &'a Value, k: &str) -> impl Iterator<Item = &'a Value> {
    v.get(k).and_then(Value::as_array).into_iter().flatten()
}

/// A reference: an IRI string, or an inline object with its `spdxId`/`@id`.
fn id_of(v: &Value) -> Option<&str> {
    v.as_str()
        .or_else(|| s(v, "spdxId"))
        .or_else(|| s(v, "@id"))
}

fn ty(v: &Value) -> &str {
    s(v, "type").or(s(v, "@type")).unwrap_or("")
}

pub(crate) fn read(doc: &Value) -> Result<Read, String> {
    let graph = doc
        .get("@graph")
        .and_then(Value::as_array)
        .ok_or("an SPDX 3 document without a @graph array")?;
    let mut out = Read::default();
    let mut by_id: BTreeMap<&str, &Value> = BTreeMap::new();
    let mut creation: BTreeMap<&str, &Value> = BTreeMap::new();
    for e in graph {
        if ty(e) == "CreationInfo" {
            if let Some(id) = s(e, "@id") {
                creation.insert(id, e);
            }
            continue;
        }
        if let Some(id) = id_of(e) {
            if by_id.insert(id, e).is_some() {
                out.info
                    .identifier_errors
                    .push(format!("`{id}` names two elements"));
            }
        }
    }
    let document = graph.iter().find(|e| ty(e) == "SpdxDocument");
    let sbom_el = graph.iter().find(|e| ty(e) == "software_Sbom");
    out.info.name = document
        .or(sbom_el)
        .and_then(|d| s(d, "name"))
        .map(str::to_string);
    out.info.uri = sbom_el.or(document).and_then(id_of).map(str::to_string);
    out.info.lifecycles = sbom_el
        .map(|e| {
            arr(e, "software_sbomType")
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    // The document's creation info: inline or a blank node.
    let info = document.and_then(|d| match d.get("creationInfo") {
        Some(Value::String(r)) => creation.get(r.as_str()).copied(),
        Some(o @ Value::Object(_)) => Some(o),
        _ => creation.values().next().copied(),
    });
    if let Some(ci) = info {
        out.info.timestamp = s(ci, "created").map(str::to_string);
        for agent in arr(ci, "createdBy").filter_map(id_of) {
            let Some(a) = by_id.get(agent) else { continue };
            // A SoftwareAgent is a program: the tool, not an author.
            if ty(a) == "SoftwareAgent" {
                out.info.tools.push(tool_of(s(a, "name").unwrap_or(agent)));
                continue;
            }
            let (email, url) = contacts(a);
            out.info.authors.push(Author {
                name: s(a, "name").unwrap_or(agent).to_string(),
                email,
                url,
            });
        }
        for tool in arr(ci, "createdUsing").filter_map(id_of) {
            if let Some(name) = by_id.get(tool).and_then(|t| s(t, "name")) {
                out.info.tools.push(tool_of(name));
            }
        }
    }
    // SPDX 3 `DateTime`: `YYYY-MM-DDThh:mm:ssZ`, UTC without fraction.
    out.info.timestamp_well_formed = out.info.timestamp.as_deref().is_some_and(|t| {
        t.len() == 20
            && time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .is_ok()
    });

    let root_ids: Vec<&str> = sbom_el
        .or(document)
        .map(|e| arr(e, "rootElement").filter_map(id_of).collect())
        .unwrap_or_default();
    out.sbom.subject = Subject {
        kind: SubjectKind::Directory,
        name: out.info.name.clone().unwrap_or_else(|| "document".into()),
        ..Subject::default()
    };

    // Licenses reach packages through relationships.
    let mut licenses: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut edges: Vec<(&str, &str, Vec<&str>, Option<&str>)> = Vec::new();
    for e in graph.iter().filter(|e| ty(e).ends_with("Relationship")) {
        let (Some(from), Some(rt)) = (e.get("from").and_then(id_of), s(e, "relationshipType"))
        else {
            continue;
        };
        let to: Vec<&str> = arr(e, "to").filter_map(id_of).collect();
        edges.push((from, rt, to, s(e, "completeness")));
    }
    for (from, rt, to, _) in &edges {
        if matches!(*rt, "hasDeclaredLicense" | "hasConcludedLicense") {
            for t in to {
                if let Some(l) = by_id
                    .get(t)
                    .and_then(|l| s(l, "simplelicensing_licenseExpression").or(s(l, "name")))
                {
                    licenses.entry(*from).or_default().push(l);
                }
            }
            if *rt == "hasConcludedLicense" {
                out.dropped.insert("concluded licenses".into());
            }
        }
    }

    let mut packages = BTreeSet::new();
    for e in graph {
        let Some(id) = id_of(e) else { continue };
        match ty(e) {
            "software_Package" => {
                packages.insert(id.to_string());
                let (mut p, facts) = package(e, id, &by_id);
                for l in licenses.get(id).into_iter().flatten() {
                    p.licenses.push(license(l));
                }
                out.facts.insert(id.to_string(), facts);
                out.sbom.packages.push(p);
            }
            "software_File" => {
                let mut rec = FileRecord {
                    id: id.to_string(),
                    path: s(e, "name").unwrap_or("").to_string(),
                    ..FileRecord::default()
                };
                for c in hashes(e) {
                    if c.alg == HashAlg::Sha256 {
                        rec.sha256 = Some(c.value);
                    } else {
                        rec.other_checksums.push(c);
                    }
                }
                out.sbom.files.push(rec);
            }
            "software_Snippet" => {
                out.dropped.insert("snippets".into());
            }
            t if t.starts_with("security_")
                || t.starts_with("ai_")
                || t.starts_with("dataset_")
                || t.starts_with("build_") =>
            {
                out.dropped.insert(format!("{t} elements"));
            }
            _ => {}
        }
    }
    let files: BTreeSet<&str> = out.sbom.files.iter().map(|f| f.id.as_str()).collect();
    let known = |id: &str| packages.contains(id) || files.contains(id);
    let mut graph_map: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let doc_id = document.and_then(id_of);
    let mut queue: VecDeque<&str> = root_ids.iter().copied().collect();
    for (from, rt, to, completeness) in &edges {
        if completeness.is_some() {
            out.info.completeness_stated = true;
        }
        if matches!(*completeness, Some("incomplete" | "noAssertion")) {
            out.info.unknowns_stated = true;
        }
        for end in std::iter::once(from).chain(to.iter()) {
            // The model's individuals, as the context compacts them (`NoneElement`: nothing more).
            let individual = matches!(
                *end,
                "NoneElement"
                    | "NoAssertionElement"
                    | "expandedlicensing_NoneLicense"
                    | "expandedlicensing_NoAssertionLicense"
            );
            if !by_id.contains_key(end) && !individual && !end.starts_with("https://spdx.org/") {
                out.info.identifier_errors.push(format!(
                    "a {rt} relationship names `{end}`, which is not in the document"
                ));
            }
            if let Some(f) = out.facts.get_mut(*end) {
                if !matches!(*rt, "hasDeclaredLicense" | "hasConcludedLicense") {
                    f.in_relationship = true;
                }
            }
        }
        if Some(*from) == doc_id {
            queue.extend(to.iter().copied());
        } else if COMPOSITION.contains(rt) {
            graph_map
                .entry(from)
                .or_default()
                .extend(to.iter().copied());
        }
        let kind = match *rt {
            "contains" | "hasOptionalComponent" => Some(RelationshipKind::Contains),
            "dependsOn"
            | "hasDynamicLink"
            | "hasStaticLink"
            | "hasPrerequisite"
            | "hasProvidedDependency" => Some(RelationshipKind::DependsOn),
            "hasOptionalDependency" => Some(RelationshipKind::OptionalDependsOn),
            "hasDeclaredLicense" | "hasConcludedLicense" | "describes" => None,
            other => {
                out.dropped.insert(format!(
                    "relationships other than containment and dependency ({other})"
                ));
                None
            }
        };
        let Some(kind) = kind else { continue };
        for t in to {
            if known(from) && known(t) {
                out.sbom
                    .relationships
                    .push(Relationship::new(*from, kind, *t));
            }
        }
    }
    // The roots hang under the subject, as a scan's top-level packages do.
    for r in &root_ids {
        if known(r) {
            out.sbom.relationships.push(Relationship::new(
                Relationship::SUBJECT,
                RelationshipKind::Contains,
                *r,
            ));
        }
    }
    // ntia-conformance-checker walks from the roots, and a collection reaches its own roots.
    let mut reachable = BTreeSet::new();
    for e in graph
        .iter()
        .filter(|e| ty(e) == "software_Sbom" || ty(e) == "Bundle")
    {
        if let Some(id) = id_of(e) {
            graph_map
                .entry(id)
                .or_default()
                .extend(arr(e, "rootElement").filter_map(id_of));
        }
    }
    while let Some(id) = queue.pop_front() {
        if reachable.insert(id.to_string()) {
            for n in graph_map.get(id).into_iter().flatten() {
                queue.push_back(n);
            }
        }
    }
    out.info.reachable = Some(reachable);
    if !out.info.authors.is_empty() || !out.info.tools.is_empty() {
        out.dropped
            .insert("the document's creators (agents and tools)".into());
    }
    out.sbom.created = super::created(out.info.timestamp.as_deref());
    Ok(out)
}

/// An agent's email and URL, from its external identifiers (`email`, `urlScheme`) and refs.
fn contacts(a: &Value) -> (Option<String>, Option<String>) {
    let mut email = None;
    let mut url = None;
    for x in arr(a, "externalIdentifier") {
        match s(x, "externalIdentifierType") {
            Some("email") => email = email.or(s(x, "identifier").map(str::to_string)),
            Some("urlScheme") => url = url.or(s(x, "identifier").map(str::to_string)),
            _ => {}
        }
    }
    for r in arr(a, "externalRef") {
        if let Some(loc) = arr(r, "locator").find_map(Value::as_str) {
            url = url.or(Some(loc.to_string()));
        }
    }
    (email, url)
}

fn hashes(e: &Value) -> Vec<Checksum> {
    arr(e, "verifiedUsing")
        .filter(|h| ty(h) == "Hash")
        .filter_map(|h| {
            let c = Checksum::new(
                hash_alg(s(h, "algorithm")?)?,
                s(h, "hashValue")?.to_ascii_lowercase(),
            );
            c.is_well_formed().then_some(c)
        })
        .collect()
}

fn agent(by_id: &BTreeMap<&str, &Value>, v: Option<&Value>) -> (Option<Actor>, bool) {
    let Some(a) = v.and_then(id_of).and_then(|id| by_id.get(id)) else {
        return (None, false);
    };
    let name = s(a, "name").unwrap_or("");
    let (email, url) = contacts(a);
    let actor = match ty(a) {
        "Person" => Actor::person(name, email.as_deref()),
        _ => Actor::organization(name),
    };
    (actor, email.is_some() || url.is_some())
}

fn package(e: &Value, id: &str, by_id: &BTreeMap<&str, &Value>) -> (Package, ComponentFacts) {
    let mut purl = s(e, "software_packageUrl").and_then(PurlString::read);
    let mut cpes = Vec::new();
    let mut other = 0;
    for x in arr(e, "externalIdentifier") {
        let v = s(x, "identifier").unwrap_or("");
        match s(x, "externalIdentifierType") {
            Some("packageUrl") if purl.is_none() => purl = PurlString::read(v),
            Some("packageUrl") => {}
            Some("cpe23" | "cpe22") => cpes.push(v.to_string()),
            Some(_) if !v.is_empty() => other += 1,
            _ => {}
        }
    }
    let purpose = match s(e, "software_primaryPurpose") {
        Some("operatingSystem") => Purpose::OperatingSystem,
        Some("application" | "container" | "firmware" | "device" | "executable") => {
            Purpose::Application
        }
        _ => Purpose::Library,
    };
    let mut p = Package::new(id, kind_for(purl.as_ref().map(|p| p.purl_type()), purpose));
    p.name = s(e, "name").unwrap_or("").to_string();
    p.version = s(e, "software_packageVersion").unwrap_or("").to_string();
    p.purl = purl;
    p.cpes = cpes;
    p.description = s(e, "description").or(s(e, "summary")).map(str::to_string);
    p.homepage = s(e, "software_homePage").map(str::to_string);
    p.checksums = hashes(e);
    p.found_by = "spdx3-document".into();
    let (supplier, supplier_contact) = agent(by_id, e.get("suppliedBy"));
    let originators: Vec<&Value> = arr(e, "originatedBy").collect();
    let (originator, originator_contact) = agent(by_id, originators.first().copied());
    p.supplier = supplier;
    p.originator = originator;
    let facts = ComponentFacts {
        creator_contact: supplier_contact || originator_contact,
        deployable_sha512: p.checksums.iter().any(|c| c.alg == HashAlg::Sha512),
        other_identifiers: other,
        in_relationship: false,
    };
    (p, facts)
}
