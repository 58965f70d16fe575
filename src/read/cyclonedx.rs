//! CycloneDX 1.4–1.7 JSON from any tool into the model.

use std::collections::BTreeSet;

use serde_json::Value;

use super::spdx2::{hash_alg, license};
use super::{kind_for, Author, ComponentFacts, Read, Tool};
use crate::model::{
    Actor, Checksum, HashAlg, Package, Purpose, Relationship, RelationshipKind, Subject,
    SubjectKind,
};
use crate::purl::PurlString;

/// Nesting of `components` followed: the strict parser bounds depth already; this keeps the walk
/// iterative-safe for any caller.
const MAX_NESTING: usize = 32;

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn arr<'a>(v: &'a Value, k: &str) -> impl Iterator<Item = &'a Value> {
    v.get(k).and_then(Value::as_array).into_iter().flatten()
}

/// Whether an organizational entity (`supplier`, `manufacturer`) has a URL or contact email.
fn entity_contact(e: &Value) -> bool {
    arr(e, "url").any(|u| u.as_str().is_some_and(|u| !u.trim().is_empty()))
        || arr(e, "contact").any(|c| s(c, "email").is_some())
}

fn hashes(v: &Value) -> Vec<Checksum> {
    arr(v, "hashes")
        .filter_map(|h| {
            let c = Checksum::new(
                hash_alg(s(h, "alg")?)?,
                s(h, "content")?.to_ascii_lowercase(),
            );
            c.is_well_formed().then_some(c)
        })
        .collect()
}

pub(crate) fn read(doc: &Value) -> Result<Read, String> {
    let mut out = Read::default();
    let meta = doc.get("metadata").cloned().unwrap_or(Value::Null);
    out.info.uri = s(doc, "serialNumber").map(str::to_string);
    out.info.timestamp = s(&meta, "timestamp").map(str::to_string);
    out.info.timestamp_well_formed = out.info.timestamp.as_deref().is_some_and(|t| {
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).is_ok()
    });
    // 1.4 lists tools in an array; 1.5 and later in `tools.components` (and `services`).
    let tools = match meta.get("tools") {
        Some(Value::Array(a)) => a.iter().collect::<Vec<_>>(),
        Some(t) => arr(t, "components").chain(arr(t, "services")).collect(),
        None => Vec::new(),
    };
    out.info.tools = tools
        .iter()
        .filter_map(|t| {
            Some(Tool {
                name: s(t, "name")?.to_string(),
                version: s(t, "version").map(str::to_string),
            })
        })
        .collect();
    for a in arr(&meta, "authors") {
        if let Some(name) = s(a, "name").or(s(a, "email")) {
            out.info.authors.push(Author {
                name: name.to_string(),
                email: s(a, "email").map(str::to_string),
                url: None,
            });
        }
    }
    // `manufacture` (1.5) was renamed `manufacturer` (1.6): the organization that made the BOM's
    // subject and, for BSI, the creator of the SBOM.
    for key in ["manufacturer", "manufacture", "supplier"] {
        if let Some(m) = meta.get(key) {
            let contact_email = arr(m, "contact").find_map(|c| s(c, "email"));
            let url = arr(m, "url").find_map(Value::as_str);
            if let Some(name) = s(m, "name").or(url) {
                out.info.authors.push(Author {
                    name: name.to_string(),
                    email: contact_email.map(str::to_string),
                    url: url.map(str::to_string),
                });
            }
        }
    }
    out.info.lifecycles = arr(&meta, "lifecycles")
        .filter_map(|l| s(l, "phase").or(s(l, "name")).map(str::to_string))
        .collect();
    let compositions: Vec<&Value> = arr(doc, "compositions").collect();
    out.info.completeness_stated = !compositions.is_empty();
    out.info.unknowns_stated = compositions
        .iter()
        .any(|c| s(c, "aggregate").is_some_and(|a| a.starts_with("incomplete") || a == "unknown"));

    let root = meta.get("component");
    let root_ref = root.and_then(|r| s(r, "bom-ref")).map(str::to_string);
    out.sbom.subject = match root {
        Some(r) => Subject {
            kind: match s(r, "type") {
                Some("file") => SubjectKind::File,
                _ => SubjectKind::Directory,
            },
            name: s(r, "name").unwrap_or("document").to_string(),
            version: s(r, "version").map(str::to_string),
            ..Subject::default()
        },
        None => Subject {
            kind: SubjectKind::Directory,
            name: out.info.uri.clone().unwrap_or_else(|| "document".into()),
            ..Subject::default()
        },
    };
    out.info.name = Some(out.sbom.subject.name.clone());
    if root.is_some_and(|r| r.get("components").is_some()) {
        out.dropped
            .insert("components nested in metadata.component".into());
    }

    let mut n = 0usize;
    let mut stack: Vec<(&Value, Option<String>, usize)> =
        arr(doc, "components").map(|c| (c, None, 0)).collect();
    stack.reverse();
    while let Some((c, parent, depth)) = stack.pop() {
        n += 1;
        let id = s(c, "bom-ref")
            .map(str::to_string)
            .unwrap_or_else(|| format!("component-{n}"));
        let (pkg, facts) = component(c, &id, &mut out.dropped);
        let from = parent.unwrap_or_else(|| Relationship::SUBJECT.to_string());
        out.sbom.relationships.push(Relationship::new(
            from,
            RelationshipKind::Contains,
            id.clone(),
        ));
        out.facts.insert(id.clone(), facts);
        out.sbom.packages.push(pkg);
        if depth < MAX_NESTING {
            let children: Vec<_> = arr(c, "components").collect();
            for child in children.into_iter().rev() {
                stack.push((child, Some(id.clone()), depth + 1));
            }
        }
    }
    let known: BTreeSet<String> = out.sbom.packages.iter().map(|p| p.id.clone()).collect();
    let map = |r: &str| match Some(r) == root_ref.as_deref() {
        true => Some(Relationship::SUBJECT.to_string()),
        false => known.contains(r).then(|| r.to_string()),
    };
    for d in arr(doc, "dependencies") {
        let Some(from) = s(d, "ref") else { continue };
        let targets: Vec<&str> = arr(d, "dependsOn").filter_map(Value::as_str).collect();
        for end in std::iter::once(from).chain(targets.iter().copied()) {
            if let Some(f) = out.facts.get_mut(end) {
                f.in_relationship = true;
            }
            if map(end).is_none() {
                out.info.identifier_errors.push(format!(
                    "dependencies name `{end}`, which is no component's bom-ref"
                ));
            }
        }
        let Some(f) = map(from) else { continue };
        for t in targets.into_iter().filter_map(map) {
            // The root depends on what it holds: containment, as the model says it.
            let kind = match f == Relationship::SUBJECT {
                true => RelationshipKind::Contains,
                false => RelationshipKind::DependsOn,
            };
            out.sbom.relationships.push(Relationship::new(&f, kind, t));
        }
    }
    let mut refs = BTreeSet::new();
    for p in &out.sbom.packages {
        if !refs.insert(p.id.as_str()) || Some(p.id.as_str()) == root_ref.as_deref() {
            out.info
                .identifier_errors
                .push(format!("the bom-ref `{}` names two components", p.id));
        }
    }
    if !out.info.authors.is_empty() || !out.info.tools.is_empty() {
        out.dropped
            .insert("the document's authors and tools".into());
    }
    for (key, what) in [
        ("services", "services"),
        ("vulnerabilities", "vulnerabilities"),
        ("annotations", "annotations"),
        ("formulation", "formulation"),
        ("externalReferences", "the document's external references"),
    ] {
        if doc
            .get(key)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
        {
            out.dropped.insert(what.into());
        }
    }
    if !compositions.is_empty() {
        out.dropped.insert("compositions".into());
    }
    out.sbom.created = super::created(out.info.timestamp.as_deref());
    Ok(out)
}

fn component(c: &Value, id: &str, dropped: &mut BTreeSet<String>) -> (Package, ComponentFacts) {
    let purl = s(c, "purl").and_then(PurlString::read);
    let purpose = match s(c, "type") {
        Some("operating-system") => Purpose::OperatingSystem,
        Some("application" | "container" | "firmware" | "device" | "platform") => {
            Purpose::Application
        }
        _ => Purpose::Library,
    };
    let mut p = Package::new(id, kind_for(purl.as_ref().map(|p| p.purl_type()), purpose));
    p.name = s(c, "name").unwrap_or("").to_string();
    p.version = s(c, "version").unwrap_or("").to_string();
    p.purl = purl;
    p.cpes = s(c, "cpe").map(|c| vec![c.to_string()]).unwrap_or_default();
    p.description = s(c, "description").map(str::to_string);
    p.checksums = hashes(c);
    p.found_by = "cyclonedx-document".into();
    p.supplier = c
        .get("supplier")
        .and_then(|e| s(e, "name"))
        .and_then(Actor::organization)
        .or_else(|| {
            c.get("manufacturer")
                .and_then(|e| s(e, "name"))
                .and_then(Actor::organization)
        })
        .or_else(|| s(c, "publisher").and_then(Actor::organization));
    p.originator = arr(c, "authors")
        .find_map(|a| Actor::person(s(a, "name")?, s(a, "email")))
        .or_else(|| s(c, "author").and_then(|a| Actor::person(a, None)));
    for l in arr(c, "licenses") {
        if let Some(e) = s(l, "expression") {
            p.licenses.push(license(e));
        } else if let Some(lic) = l.get("license") {
            if let Some(id) = s(lic, "id") {
                p.licenses.push(license(id));
            } else if let Some(name) = s(lic, "name") {
                p.licenses.push(crate::model::License {
                    raw: name.to_string(),
                    spdx: None,
                });
            }
        }
    }
    let mut deployable_sha512 = p.checksums.iter().any(|c| c.alg == HashAlg::Sha512);
    for r in arr(c, "externalReferences") {
        match s(r, "type") {
            Some("website") if p.homepage.is_none() => p.homepage = s(r, "url").map(str::to_string),
            Some("distribution" | "distribution-intake") => {
                deployable_sha512 |= hashes(r).iter().any(|h| h.alg == HashAlg::Sha512);
                dropped.insert("distribution references".into());
            }
            _ => {
                dropped.insert("external references other than the website".into());
            }
        }
    }
    for prop in arr(c, "properties") {
        if let (Some(k), Some(v)) = (s(prop, "name"), prop.get("value").and_then(Value::as_str)) {
            p.properties.insert(k.to_string(), v.to_string());
        }
    }
    if c.get("evidence").is_some() {
        dropped.insert("component evidence".into());
    }
    let other_identifiers = ["swid", "omniborId", "swhid"]
        .iter()
        .filter(|k| c.get(**k).is_some_and(|v| !v.is_null()))
        .count();
    let creator_contact = ["manufacturer", "supplier"]
        .iter()
        .any(|k| c.get(*k).is_some_and(entity_contact))
        || arr(c, "authors").any(|a| s(a, "email").is_some());
    (
        p,
        ComponentFacts {
            creator_contact,
            deployable_sha512,
            other_identifiers,
            in_relationship: false,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CycloneDX 1.4 lists tools in an array and the component author as a string; 1.5 on put
    /// tools in `tools.components`.
    #[test]
    fn tools_are_read_in_both_shapes() {
        let v14 = serde_json::json!({
            "bomFormat": "CycloneDX", "specVersion": "1.4",
            "metadata": {"tools": [{"vendor": "aquasecurity", "name": "trivy", "version": "0.50.0"}]},
            "components": [{"type": "library", "bom-ref": "a", "name": "a", "version": "1",
                            "author": "Jane Doe", "purl": "pkg:npm/a@1"}]
        });
        let r = read(&v14).unwrap();
        assert_eq!(
            r.info.tools,
            [Tool {
                name: "trivy".into(),
                version: Some("0.50.0".into())
            }]
        );
        let a = &r.sbom.packages[0];
        assert_eq!(a.originator.as_ref().map(|o| o.name()), Some("Jane Doe"));
        assert_eq!(a.purl.as_deref(), Some("pkg:npm/a@1"));
        let v15 = serde_json::json!({
            "bomFormat": "CycloneDX", "specVersion": "1.5",
            "metadata": {"tools": {"components": [{"type": "application", "name": "syft", "version": "1.0.0"}]}}
        });
        assert_eq!(read(&v15).unwrap().info.tools[0].name, "syft");
    }

    #[test]
    fn nested_components_are_contained_by_their_parent() {
        let doc = serde_json::json!({
            "bomFormat": "CycloneDX", "specVersion": "1.6",
            "metadata": {"component": {"type": "container", "bom-ref": "root", "name": "img"}},
            "components": [{"type": "application", "bom-ref": "app", "name": "app",
                            "components": [{"type": "library", "name": "lib"}]}],
            "dependencies": [{"ref": "root", "dependsOn": ["app"]}, {"ref": "app", "dependsOn": ["missing"]}]
        });
        let r = read(&doc).unwrap();
        let rels: Vec<(&str, RelationshipKind, &str)> = r
            .sbom
            .relationships
            .iter()
            .map(|x| (x.from.as_str(), x.kind, x.to.as_str()))
            .collect();
        assert!(rels.contains(&("app", RelationshipKind::Contains, "component-2")));
        assert!(rels.contains(&("subject", RelationshipKind::Contains, "app")));
        assert_eq!(
            r.info.identifier_errors,
            ["dependencies name `missing`, which is no component's bom-ref"]
        );
    }
}
