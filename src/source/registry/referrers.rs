//! Attestations as OCI 1.1 referrers of an image manifest: a sigstore bundle pushed as an image
//! manifest with `artifactType`, `subject` and cosign's annotations, found through the referrers
//! API where the registry has it, else through the referrers tag schema (`sha256-<hex>`, an index
//! the writer keeps up to date itself).

use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};

use super::client::{Client, Failure};

pub const BUNDLE_ARTIFACT_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
const EMPTY: &[u8] = b"{}";
/// Writes of the referrers tag before giving up on an index that keeps losing entries.
const TAG_WRITES: u32 = 8;

/// A manifest as a descriptor points to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
}

impl Descriptor {
    fn to_json(&self) -> Value {
        json!({"mediaType": self.media_type, "digest": self.digest, "size": self.size})
    }
}

/// Where a referrer was put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// The registry indexed it from the manifest's `subject` (it answered `OCI-Subject`).
    ReferrersApi,
    /// The registry has no referrers API: listed in the index tagged `sha256-<hex>`.
    ReferrersTag(String),
}

/// What [`attach_bundle`] did.
#[derive(Debug, Clone)]
pub struct Attached {
    /// The referrer manifest.
    pub manifest: Descriptor,
    pub subject: Descriptor,
    pub placement: Placement,
}

/// The tag of the referrers tag schema for `digest`: `sha256-<hex>`.
pub fn referrers_tag(digest: &str) -> String {
    digest.replacen(':', "-", 1)
}

/// The predicate type and first subject digest of the Statement inside a sigstore bundle.
fn statement_of(bundle: &Value) -> Result<(String, String), Failure> {
    let bad = || Failure("the bundle holds no in-toto Statement with a sha256 subject".into());
    let payload = bundle
        .pointer("/dsseEnvelope/payload")
        .and_then(Value::as_str)
        .ok_or_else(bad)?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .map_err(|_| bad())?;
    let st: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    let predicate_type = st["predicateType"].as_str().ok_or_else(bad)?.to_string();
    let digest = st
        .pointer("/subject/0/digest/sha256")
        .and_then(Value::as_str)
        .ok_or_else(bad)?;
    Ok((predicate_type, format!("sha256:{digest}")))
}

/// The referrer manifest of a bundle: deterministic, with a creation time only when one is given.
pub fn referrer_manifest(
    subject: &Descriptor,
    bundle: &Descriptor,
    predicate_type: &str,
    created: Option<&str>,
) -> Vec<u8> {
    let mut annotations = serde_json::Map::new();
    annotations.insert("dev.sigstore.bundle.content".into(), json!("dsse-envelope"));
    annotations.insert(
        "dev.sigstore.bundle.predicateType".into(),
        json!(predicate_type),
    );
    if let Some(t) = created {
        annotations.insert("org.opencontainers.image.created".into(), json!(t));
    }
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": BUNDLE_ARTIFACT_TYPE,
        "config": {
            "mediaType": EMPTY_MEDIA_TYPE,
            "digest": format!("sha256:{}", hex::encode(<sha2::Sha256 as sha2::Digest>::digest(EMPTY))),
            "size": EMPTY.len(),
        },
        "layers": [{"mediaType": BUNDLE_ARTIFACT_TYPE, "digest": bundle.digest, "size": bundle.size}],
        "subject": subject.to_json(),
        "annotations": annotations,
    });
    serde_json::to_vec(&manifest).unwrap_or_default()
}

/// Pushes `bundle` (a sigstore bundle v0.3, JSON) as a referrer of the image manifest its
/// Statement names, in `repo`. `created` (`SOURCE_DATE_EPOCH`) goes into the annotations when given.
pub fn attach_bundle(
    client: &Client,
    repo: &str,
    bundle: &[u8],
    created: Option<i64>,
    max_json: u64,
) -> Result<Attached, Failure> {
    let host = client.host().to_string();
    let created = created
        .map(crate::format::rfc3339)
        .transpose()
        .map_err(|e| Failure(format!("SOURCE_DATE_EPOCH: {e}")))?;
    let v: Value = serde_json::from_slice(bundle)
        .map_err(|_| Failure("the bundle to attach is not JSON".into()))?;
    let (predicate_type, subject_digest) = statement_of(&v)?;
    let subject = client
        .manifest_opt(repo, &subject_digest, super::ACCEPT, max_json)?
        .ok_or_else(|| {
            Failure(format!(
                "{host}/{repo}: the attestation's subject {subject_digest} is not a manifest there"
            ))
        })?;
    let subject = Descriptor {
        media_type: subject.media_type,
        digest: subject.digest,
        size: subject.bytes.len() as u64,
    };
    let bundle_digest = client.upload_blob(repo, bundle)?;
    client.upload_blob(repo, EMPTY)?;
    let bundle_desc = Descriptor {
        media_type: BUNDLE_ARTIFACT_TYPE.into(),
        digest: bundle_digest,
        size: bundle.len() as u64,
    };
    let manifest = referrer_manifest(&subject, &bundle_desc, &predicate_type, created.as_deref());
    let manifest_desc = Descriptor {
        media_type: OCI_MANIFEST.into(),
        digest: format!(
            "sha256:{}",
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&manifest))
        ),
        size: manifest.len() as u64,
    };
    let indexed = client.put_manifest(repo, &manifest_desc.digest, OCI_MANIFEST, &manifest)?;
    let placement = if indexed {
        Placement::ReferrersApi
    } else {
        let mut entry = manifest_desc.to_json();
        entry["artifactType"] = json!(BUNDLE_ARTIFACT_TYPE);
        entry["annotations"] = serde_json::from_slice::<Value>(&manifest)
            .map(|m| m["annotations"].clone())
            .unwrap_or(Value::Null);
        let tag = referrers_tag(&subject.digest);
        update_tag_index(client, repo, &tag, entry, max_json)?;
        Placement::ReferrersTag(tag)
    };
    Ok(Attached {
        manifest: manifest_desc,
        subject,
        placement,
    })
}

/// cosign's media types and annotations for its `sha256-<hex>.att` attestation images.
const DSSE_MEDIA_TYPE: &str = "application/vnd.dsse.envelope.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const COSIGN_SIGNATURE: &str = "dev.cosignproject.cosign/signature";
const COSIGN_CERTIFICATE: &str = "dev.sigstore.cosign/certificate";
const COSIGN_CHAIN: &str = "dev.sigstore.cosign/chain";
const COSIGN_BUNDLE: &str = "dev.sigstore.cosign/bundle";

/// The layer descriptor cosign writes for one attestation: the DSSE envelope, an empty signature
/// annotation, the predicate type, and where keyless, the certificate, its chain and the Rekor
/// entry in cosign's own bundle shape (signed entry timestamp and entry).
fn cosign_layer(bundle: &Value, envelope: &Descriptor, predicate_type: &str) -> Value {
    let mut annotations = serde_json::Map::new();
    annotations.insert(COSIGN_SIGNATURE.into(), json!(""));
    annotations.insert("predicateType".into(), json!(predicate_type));
    let b64 = |v: &Value| {
        v.as_str()
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
    };
    let vm = &bundle["verificationMaterial"];
    let certs: Vec<Vec<u8>> = match vm.pointer("/certificate/rawBytes") {
        Some(leaf) => b64(leaf).into_iter().collect(),
        None => vm
            .pointer("/x509CertificateChain/certificates")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| b64(&c["rawBytes"]))
            .collect(),
    };
    let pem = |der: &[Vec<u8>]| -> String {
        der.iter()
            .map(|d| crate::attest::keys::pem_encode("CERTIFICATE", d))
            .collect()
    };
    if let Some((leaf, chain)) = certs.split_first() {
        annotations.insert(
            COSIGN_CERTIFICATE.into(),
            json!(pem(std::slice::from_ref(leaf))),
        );
        if !chain.is_empty() {
            annotations.insert(COSIGN_CHAIN.into(), json!(pem(chain)));
        }
    }
    let tlog = &vm["tlogEntries"][0];
    let number = |v: &Value| v.as_str().and_then(|s| s.parse::<i64>().ok());
    if let (Some(set), Some(body), Some(time), Some(index), Some(log_id)) = (
        tlog.pointer("/inclusionPromise/signedEntryTimestamp"),
        tlog.get("canonicalizedBody"),
        number(&tlog["integratedTime"]),
        number(&tlog["logIndex"]),
        b64(&tlog["logId"]["keyId"]),
    ) {
        let rekor = json!({
            "SignedEntryTimestamp": set,
            "Payload": {
                "body": body,
                "integratedTime": time,
                "logIndex": index,
                "logID": hex::encode(log_id),
            },
        });
        annotations.insert(COSIGN_BUNDLE.into(), json!(rekor.to_string()));
    }
    let mut layer = envelope.to_json();
    layer["annotations"] = Value::Object(annotations);
    layer
}

/// The `.att` image: cosign's layout, an OCI image manifest whose config lists its layers.
fn cosign_image(layers: &[Value]) -> (Vec<u8>, Value) {
    let diff_ids: Vec<&str> = layers.iter().map(digest_of).collect();
    let config = json!({
        "architecture": "",
        "os": "",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    });
    let bytes = serde_json::to_vec(&config).unwrap_or_default();
    let desc = json!({
        "mediaType": OCI_CONFIG,
        "digest": format!("sha256:{}", hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes))),
        "size": bytes.len(),
    });
    (bytes, desc)
}

/// Also writes the bundle's attestation in cosign's legacy layout, `sha256-<hex>.att` beside the
/// subject (`attach_bundle`'s [`Attached::subject`]), so that `cosign verify-attestation` before
/// OCI 1.1 finds it: the DSSE envelope as a layer, appended to the attestations already there
/// (the tag is re-read and re-written until it holds them all and this one). Returns the tag.
pub fn attach_cosign_legacy(
    client: &Client,
    repo: &str,
    bundle: &[u8],
    subject: &Descriptor,
    max_json: u64,
) -> Result<String, Failure> {
    let v: Value = serde_json::from_slice(bundle)
        .map_err(|_| Failure("the bundle to attach is not JSON".into()))?;
    let (predicate_type, _) = statement_of(&v)?;
    let envelope = serde_json::to_vec(&v["dsseEnvelope"]).unwrap_or_default();
    let envelope_desc = Descriptor {
        media_type: DSSE_MEDIA_TYPE.into(),
        digest: client.upload_blob(repo, &envelope)?,
        size: envelope.len() as u64,
    };
    let ours = cosign_layer(&v, &envelope_desc, &predicate_type);
    let tag = format!("{}.att", referrers_tag(&subject.digest));
    let layers_of = |bytes: &[u8]| -> Vec<Value> {
        serde_json::from_slice::<Value>(bytes)
            .ok()
            .and_then(|m| m["layers"].as_array().cloned())
            .unwrap_or_default()
    };
    let mut seen: Vec<Value> = Vec::new();
    for attempt in 0..=TAG_WRITES {
        let current = client
            .manifest_opt(repo, &tag, OCI_MANIFEST, max_json)?
            .map(|f| layers_of(&f.bytes))
            .unwrap_or_default();
        for l in &current {
            if !seen.iter().any(|s| digest_of(s) == digest_of(l)) {
                seen.push(l.clone());
            }
        }
        let holds = |d: &str| current.iter().any(|c| digest_of(c) == d);
        if holds(digest_of(&ours)) && seen.iter().all(|s| holds(digest_of(s))) {
            return Ok(tag);
        }
        if attempt == TAG_WRITES {
            break;
        }
        let mut layers = current.clone();
        for l in seen.iter().chain(std::iter::once(&ours)) {
            if !layers.iter().any(|m| digest_of(m) == digest_of(l)) {
                layers.push(l.clone());
            }
        }
        let (config, config_desc) = cosign_image(&layers);
        client.upload_blob(repo, &config)?;
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": config_desc,
            "layers": layers,
        });
        let bytes = serde_json::to_vec(&manifest).unwrap_or_default();
        client.put_manifest(repo, &tag, OCI_MANIFEST, &bytes)?;
        std::thread::sleep(Duration::from_millis(100 + 50 * u64::from(attempt)));
    }
    Err(Failure(format!(
        "{}/{repo}:{tag}: the attestation image kept losing layers after {TAG_WRITES} writes",
        client.host()
    )))
}

/// The descriptors an index lists (none when it is not an index).
pub fn index_entries(bytes: &[u8]) -> Vec<Value> {
    serde_json::from_slice::<Value>(bytes)
        .ok()
        .and_then(|v| v.get("manifests").and_then(Value::as_array).cloned())
        .unwrap_or_default()
}

fn digest_of(v: &Value) -> &str {
    v["digest"].as_str().unwrap_or_default()
}

/// Adds `entry` to the index tagged `tag` without losing what is there. The registry has no
/// conditional writes, so another writer may overwrite ours between our read and our write: write,
/// wait, read again, and write again until the index holds this entry and every one seen before.
fn update_tag_index(
    client: &Client,
    repo: &str,
    tag: &str,
    entry: Value,
    max_json: u64,
) -> Result<(), Failure> {
    let mut seen: Vec<Value> = Vec::new();
    for attempt in 0..=TAG_WRITES {
        let current = client
            .manifest_opt(repo, tag, OCI_INDEX, max_json)?
            .map(|f| index_entries(&f.bytes))
            .unwrap_or_default();
        for e in &current {
            if !seen.iter().any(|s| digest_of(s) == digest_of(e)) {
                seen.push(e.clone());
            }
        }
        let holds = |d: &str| current.iter().any(|c| digest_of(c) == d);
        if holds(digest_of(&entry)) && seen.iter().all(|s| holds(digest_of(s))) {
            return Ok(());
        }
        if attempt == TAG_WRITES {
            break;
        }
        let mut merged = current.clone();
        for e in seen.iter().chain(std::iter::once(&entry)) {
            if !merged.iter().any(|m| digest_of(m) == digest_of(e)) {
                merged.push(e.clone());
            }
        }
        let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": merged});
        let bytes = serde_json::to_vec(&index).unwrap_or_default();
        client.put_manifest(repo, tag, OCI_INDEX, &bytes)?;
        // Let a concurrent writer's write land before reading back.
        std::thread::sleep(Duration::from_millis(100 + 50 * u64::from(attempt)));
    }
    Err(Failure(format!(
        "{}/{repo}:{tag}: the referrers index kept losing entries after {TAG_WRITES} writes",
        client.host()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_referrer_manifest_is_deterministic_and_names_its_subject() {
        let subject = Descriptor {
            media_type: "application/vnd.docker.distribution.manifest.v2+json".into(),
            digest: format!("sha256:{}", "a".repeat(64)),
            size: 428,
        };
        let bundle = Descriptor {
            media_type: BUNDLE_ARTIFACT_TYPE.into(),
            digest: format!("sha256:{}", "b".repeat(64)),
            size: 1000,
        };
        let m = referrer_manifest(&subject, &bundle, "https://spdx.dev/Document", None);
        assert_eq!(
            m,
            referrer_manifest(&subject, &bundle, "https://spdx.dev/Document", None)
        );
        let v: Value = serde_json::from_slice(&m).unwrap();
        assert_eq!(v["artifactType"], BUNDLE_ARTIFACT_TYPE);
        assert_eq!(v["subject"]["digest"], subject.digest);
        assert_eq!(v["subject"]["size"], 428);
        assert_eq!(
            v["config"]["digest"],
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        assert_eq!(v["layers"][0]["digest"], bundle.digest);
        assert_eq!(
            v["annotations"],
            json!({"dev.sigstore.bundle.content": "dsse-envelope",
                   "dev.sigstore.bundle.predicateType": "https://spdx.dev/Document"})
        );
        let dated = referrer_manifest(&subject, &bundle, "x", Some("2024-01-02T03:04:05Z"));
        let v: Value = serde_json::from_slice(&dated).unwrap();
        assert_eq!(
            v["annotations"]["org.opencontainers.image.created"],
            "2024-01-02T03:04:05Z"
        );
        assert_eq!(
            referrers_tag(&subject.digest),
            format!("sha256-{}", "a".repeat(64))
        );
    }
}

/// Where an attestation was found, and what it is.
#[derive(Debug, Clone)]
pub struct Found {
    /// `referrers API`, `referrers tag`, `cosign .att tag`, `BuildKit attestation manifest in the
    /// index`.
    pub location: String,
    /// The manifest that carries it.
    pub manifest: String,
    /// The predicate type the listing announces (`dev.sigstore.bundle.predicateType`): shown, never
    /// trusted.
    pub announced_type: Option<String>,
    pub content: Content,
}

#[derive(Debug, Clone)]
pub enum Content {
    /// A sigstore bundle, or DSSE envelopes as JSON Lines: to verify.
    Signed(Vec<u8>),
    /// Unsigned in-toto statements (BuildKit): listed, never counted. Their predicate types.
    Unsigned(Vec<String>),
    /// A referrer whose `subject` is another manifest: refused.
    OtherSubject(String),
    /// A referrer that could not be read (named, with why).
    Unreadable(String),
}

/// Everything that says it attests `r`'s manifest: the referrers API, the referrers tag, cosign's
/// legacy `.att` tag and BuildKit's attestation manifests in the index. `notes` says where nothing
/// was (no referrers API, no tag).
pub fn discover(r: &super::Resolved, max: u64) -> Result<(Vec<Found>, Vec<String>), Failure> {
    let (client, repo) = (&r.client, r.reference.repository.as_str());
    let subject = &r.manifest.digest;
    let mut found: Vec<Found> = Vec::new();
    let mut notes = Vec::new();
    let mut listed: Vec<(String, Value)> = Vec::new();
    match client.referrers(repo, subject, max)? {
        Some(bytes) => listed.extend(
            index_entries(&bytes)
                .into_iter()
                .map(|e| ("referrers API".to_string(), e)),
        ),
        None => notes.push("the registry has no referrers API".to_string()),
    }
    let tag = referrers_tag(subject);
    match client.manifest_opt(repo, &tag, OCI_INDEX, max)? {
        Some(f) => listed.extend(
            index_entries(&f.bytes)
                .into_iter()
                .map(|e| ("referrers tag".to_string(), e)),
        ),
        None => notes.push(format!("no referrers tag {tag}")),
    }
    for (location, entry) in listed {
        let digest = digest_of(&entry).to_string();
        if found.iter().any(|f| f.manifest == digest) {
            continue;
        }
        let content = referrer_content(client, repo, subject, &digest, max);
        // Other artifacts (signatures of other kinds, SBOM files) are not attestations.
        if let Some(c) = content {
            found.push(Found {
                location,
                manifest: digest,
                announced_type: entry["annotations"]["dev.sigstore.bundle.predicateType"]
                    .as_str()
                    .map(str::to_string),
                content: c,
            });
        }
    }
    let att = format!("{tag}.att");
    if let Some(f) = client.manifest_opt(repo, &att, super::ACCEPT, max)? {
        let m: Value = serde_json::from_slice(&f.bytes).unwrap_or(Value::Null);
        let mut lines = Vec::new();
        let mut problem = None;
        for layer in m["layers"].as_array().into_iter().flatten() {
            if layer["mediaType"] != "application/vnd.dsse.envelope.v1+json" {
                continue;
            }
            match checked_blob(client, repo, digest_of(layer), max) {
                Ok(mut b) => {
                    b.retain(|c| *c != b'\n');
                    lines.extend_from_slice(&b);
                    lines.push(b'\n');
                }
                Err(e) => problem = Some(e.0),
            }
        }
        found.push(Found {
            location: "cosign .att tag".into(),
            manifest: f.digest,
            announced_type: None,
            content: match problem {
                Some(p) => Content::Unreadable(p),
                None if lines.is_empty() => Content::Unreadable("no DSSE envelope layer".into()),
                None => Content::Signed(lines),
            },
        });
    }
    if let Some(index) = &r.index {
        for d in index_entries(&index.bytes) {
            let a = &d["annotations"];
            if a["vnd.docker.reference.type"] != "attestation-manifest"
                || a["vnd.docker.reference.digest"] != subject.as_str()
            {
                continue;
            }
            let digest = digest_of(&d).to_string();
            let types = client
                .manifest_opt(repo, &digest, super::ACCEPT, max)?
                .and_then(|f| serde_json::from_slice::<Value>(&f.bytes).ok())
                .map(|m| {
                    m["layers"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|l| l["annotations"]["in-toto.io/predicate-type"].as_str())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            found.push(Found {
                location: "BuildKit attestation manifest in the index".into(),
                manifest: digest,
                announced_type: None,
                content: Content::Unsigned(types),
            });
        }
    }
    Ok((found, notes))
}

/// A listed referrer: its bundle, or why it is refused; None when it is no sigstore bundle.
fn referrer_content(
    client: &Client,
    repo: &str,
    subject: &str,
    digest: &str,
    max: u64,
) -> Option<Content> {
    let m = match client.manifest_opt(repo, digest, super::ACCEPT, max) {
        Ok(Some(f)) => f,
        Ok(None) => {
            return Some(Content::Unreadable(
                "listed, but the registry does not have it".into(),
            ))
        }
        Err(e) => return Some(Content::Unreadable(e.0)),
    };
    if m.digest != digest {
        return Some(Content::Unreadable(
            "the registry served other bytes than the digest".into(),
        ));
    }
    let v: Value = match serde_json::from_slice(&m.bytes) {
        Ok(v) => v,
        Err(e) => return Some(Content::Unreadable(format!("not JSON: {e}"))),
    };
    let layer = v["layers"].as_array().into_iter().flatten().find(|l| {
        l["mediaType"]
            .as_str()
            .is_some_and(|t| t.starts_with("application/vnd.dev.sigstore.bundle"))
    });
    let is_bundle = v["artifactType"]
        .as_str()
        .is_some_and(|t| t.starts_with("application/vnd.dev.sigstore.bundle"));
    let layer = match (layer, is_bundle) {
        (Some(l), _) => l,
        (None, true) => {
            return Some(Content::Unreadable(
                "a bundle artifact without a bundle layer".into(),
            ))
        }
        (None, false) => return None,
    };
    let about = v["subject"]["digest"].as_str().unwrap_or_default();
    if about != subject {
        return Some(Content::OtherSubject(if about.is_empty() {
            "no subject".into()
        } else {
            about.to_string()
        }));
    }
    match checked_blob(client, repo, digest_of(layer), max) {
        Ok(b) => Some(Content::Signed(b)),
        Err(e) => Some(Content::Unreadable(e.0)),
    }
}

/// A blob whose bytes are checked against its digest.
fn checked_blob(client: &Client, repo: &str, digest: &str, max: u64) -> Result<Vec<u8>, Failure> {
    let b = client.blob_bytes(repo, digest, max)?;
    let actual = format!(
        "sha256:{}",
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&b))
    );
    if actual != digest {
        return Err(Failure(format!(
            "blob {digest}: the registry served bytes of {actual}"
        )));
    }
    Ok(b)
}
