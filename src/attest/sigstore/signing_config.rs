//! The sigstore SigningConfig (v0.2, as cosign 3 and the TUF repository distribute it): which
//! Fulcio, Rekor logs and timestamp authorities keyless signing uses.
//!
//! Choice, as sigstore-go makes it: a service is usable when its `validFor` window holds the
//! current time and its `majorApiVersion` is one sbomkit speaks (Fulcio 1, Rekor 1 or 2, TSA 1).
//! Among the usable ones only the highest API version is kept; the CA is the first of those, the
//! logs and timestamp authorities follow their selector: `ALL` every one, `ANY` the first (lists
//! run from newest to oldest), `EXACT` the first `count`, refused when fewer are usable. The OIDC
//! URLs are read for shape only: the identity token is given, never fetched.

use serde_json::Value;

use super::pki::show_time;
use super::trust::rfc3339;
use crate::attest::parse_json;

pub const MEDIA_TYPE: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";

/// A Rekor log to write to, with the API version that decides the entry kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    pub url: String,
    /// 1: `dsse` 0.0.1 with a signed entry timestamp; 2: `hashedrekord` 0.0.2 over the PAE,
    /// without an integrated time, so a timestamp authority is required.
    pub version: u32,
}

/// The services one signing uses, chosen from a SigningConfig or given as flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Services {
    pub fulcio: String,
    pub logs: Vec<Log>,
    /// Full URLs of timestamp endpoints.
    pub tsas: Vec<String>,
}

impl Services {
    /// Refuses a choice that cannot give a verifiable bundle: no log, or a Rekor v2 log (which
    /// gives no signing time) without a timestamp authority.
    pub fn check(&self) -> Result<(), String> {
        if self.logs.is_empty() {
            return Err("no Rekor log to write to".into());
        }
        if self.tsas.is_empty() {
            if let Some(l) = self.logs.iter().find(|l| l.version == 2) {
                return Err(format!(
                    "the Rekor v2 log {} gives no signing time: a timestamp authority is required \
                     (a `tsaUrls` entry in the signing config)",
                    l.url
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Selector {
    All,
    Any,
    Exact(usize),
}

#[derive(Debug, Clone)]
struct Service {
    url: String,
    version: u32,
    start: i64,
    end: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct SigningConfig {
    ca: Vec<Service>,
    rekor: Vec<Service>,
    rekor_selector: Selector,
    tsa: Vec<Service>,
    tsa_selector: Selector,
}

fn services(v: &Value, name: &str) -> Result<Vec<Service>, String> {
    let list = match v.get(name) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(format!("`{name}` is not an array")),
    };
    list.iter()
        .enumerate()
        .map(|(i, s)| {
            let at = format!("{name}[{i}]");
            let url = s
                .get("url")
                .and_then(Value::as_str)
                .filter(|u| !u.is_empty())
                .ok_or_else(|| format!("{at} has no `url`"))?;
            let version = s
                .get("majorApiVersion")
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| format!("{at} has no integer `majorApiVersion`"))?;
            let start = s
                .pointer("/validFor/start")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{at} has no `validFor.start`"))
                .and_then(|t| rfc3339(t).map_err(|e| format!("{at}: {e}")))?;
            let end = match s.pointer("/validFor/end") {
                None | Some(Value::Null) => None,
                Some(e) => Some(
                    e.as_str()
                        .ok_or_else(|| format!("{at}: `validFor.end` is not a string"))
                        .and_then(|t| rfc3339(t).map_err(|e| format!("{at}: {e}")))?,
                ),
            };
            Ok(Service {
                url: url.to_string(),
                version,
                start,
                end,
            })
        })
        .collect()
}

fn selector(v: &Value, name: &str) -> Result<Selector, String> {
    let Some(c) = v.get(name).filter(|c| !c.is_null()) else {
        // Without a config, one service is enough (sigstore-go defaults to ANY).
        return Ok(Selector::Any);
    };
    match c.get("selector").and_then(Value::as_str) {
        Some("ALL") => Ok(Selector::All),
        Some("ANY") => Ok(Selector::Any),
        Some("EXACT") => {
            let n = c
                .get("count")
                .and_then(Value::as_u64)
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("`{name}`: EXACT needs a positive `count`"))?;
            Ok(Selector::Exact(usize::try_from(n).unwrap_or(usize::MAX)))
        }
        Some(other) => Err(format!(
            "`{name}`: unknown selector `{other}` (ALL, ANY or EXACT)"
        )),
        None => Err(format!("`{name}` has no `selector`")),
    }
}

impl SigningConfig {
    pub fn parse(bytes: &[u8]) -> Result<SigningConfig, String> {
        let v = parse_json(bytes).map_err(|e| format!("not JSON: {e}"))?;
        match v.get("mediaType").and_then(Value::as_str) {
            Some(MEDIA_TYPE) => {}
            Some(mt) => {
                return Err(format!(
                    "signing config media type `{mt}` is not {MEDIA_TYPE}"
                ))
            }
            None => return Err("no `mediaType`: not a sigstore SigningConfig".into()),
        }
        // Read for shape, as the other lists.
        services(&v, "oidcUrls")?;
        Ok(SigningConfig {
            ca: services(&v, "caUrls")?,
            rekor: services(&v, "rekorTlogUrls")?,
            rekor_selector: selector(&v, "rekorTlogConfig")?,
            tsa: services(&v, "tsaUrls")?,
            tsa_selector: selector(&v, "tsaConfig")?,
        })
    }

    /// The services to use at `now` (Unix seconds).
    pub fn choose(&self, now: i64) -> Result<Services, String> {
        let fulcio = pick(
            &self.ca,
            "certificate authority (`caUrls`)",
            &[1],
            Selector::Any,
            now,
        )?
        .into_iter()
        .next()
        .map(|s| s.url)
        .ok_or("no certificate authority (`caUrls`)")?;
        let logs = pick(
            &self.rekor,
            "Rekor log (`rekorTlogUrls`)",
            &[1, 2],
            self.rekor_selector,
            now,
        )?
        .into_iter()
        .map(|s| Log {
            url: s.url,
            version: s.version,
        })
        .collect();
        // Timestamp authorities are optional unless a Rekor v2 log is chosen (`Services::check`).
        let tsas = if self.tsa.is_empty() {
            Vec::new()
        } else {
            pick(
                &self.tsa,
                "timestamp authority (`tsaUrls`)",
                &[1],
                self.tsa_selector,
                now,
            )?
            .into_iter()
            .map(|s| s.url)
            .collect()
        };
        let chosen = Services { fulcio, logs, tsas };
        chosen.check()?;
        Ok(chosen)
    }
}

/// The usable services of one list, by the selector; an error says why none (or too few) are.
fn pick(
    list: &[Service],
    what: &str,
    supported: &[u32],
    sel: Selector,
    now: i64,
) -> Result<Vec<Service>, String> {
    if list.is_empty() {
        return Err(format!("the signing config names no {what}"));
    }
    let usable: Vec<&Service> = list
        .iter()
        .filter(|s| supported.contains(&s.version))
        .filter(|s| s.start <= now && s.end.is_none_or(|e| now < e))
        .collect();
    let Some(top) = usable.iter().map(|s| s.version).max() else {
        let why: Vec<String> = list
            .iter()
            .map(|s| {
                if !supported.contains(&s.version) {
                    format!(
                        "{} speaks API v{}, not {}",
                        s.url,
                        s.version,
                        supported
                            .iter()
                            .map(|v| format!("v{v}"))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    )
                } else if s.start > now {
                    format!("{} is valid only from {}", s.url, show_time(s.start))
                } else {
                    format!(
                        "{} was valid until {}",
                        s.url,
                        show_time(s.end.unwrap_or_default())
                    )
                }
            })
            .collect();
        return Err(format!(
            "no {what} of the signing config is usable at {}: {}",
            show_time(now),
            why.join("; ")
        ));
    };
    let best: Vec<Service> = usable
        .into_iter()
        .filter(|s| s.version == top)
        .cloned()
        .collect();
    match sel {
        Selector::All => Ok(best),
        Selector::Any => Ok(best.into_iter().take(1).collect()),
        Selector::Exact(n) if best.len() >= n => Ok(best.into_iter().take(n).collect()),
        Selector::Exact(n) => Err(format!(
            "the signing config asks for EXACT {n} {what}, but only {} {} usable at {}",
            best.len(),
            if best.len() == 1 { "is" } else { "are" },
            show_time(now)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_764_547_200; // 2025-12-01T00:00:00Z

    fn svc(url: &str, v: u32, start: &str, end: Option<&str>) -> Value {
        let mut s = json!({"url": url, "majorApiVersion": v, "validFor": {"start": start}});
        if let Some(e) = end {
            s["validFor"]["end"] = json!(e);
        }
        s
    }

    fn config(rekor: Value, rekor_cfg: Value, tsa: Value) -> Value {
        json!({
            "mediaType": MEDIA_TYPE,
            "caUrls": [svc("https://fulcio.example", 1, "2022-01-01T00:00:00Z", None)],
            "oidcUrls": [svc("https://oauth2.example/auth", 1, "2022-01-01T00:00:00Z", None)],
            "rekorTlogUrls": rekor,
            "rekorTlogConfig": rekor_cfg,
            "tsaUrls": tsa,
            "tsaConfig": {"selector": "ANY"},
        })
    }

    fn choose(v: &Value) -> Result<Services, String> {
        SigningConfig::parse(&serde_json::to_vec(v).unwrap())?.choose(NOW)
    }

    #[test]
    fn the_highest_usable_api_version_wins_and_selectors_apply() {
        let tsa = json!([svc(
            "https://tsa.example/api/v1/timestamp",
            1,
            "2022-01-01T00:00:00Z",
            None
        )]);
        let rekor = json!([
            svc("https://log2026.example", 2, "2026-06-01T00:00:00Z", None),
            svc("https://log2025b.example", 2, "2025-06-01T00:00:00Z", None),
            svc(
                "https://log2025a.example",
                2,
                "2025-01-01T00:00:00Z",
                Some("2025-06-01T00:00:00Z")
            ),
            svc("https://rekor.example", 1, "2021-01-01T00:00:00Z", None),
            svc("https://rekor3.example", 3, "2021-01-01T00:00:00Z", None),
        ]);
        let s = choose(&config(
            rekor.clone(),
            json!({"selector": "ANY"}),
            tsa.clone(),
        ))
        .unwrap();
        assert_eq!(s.fulcio, "https://fulcio.example");
        assert_eq!(
            s.logs,
            [Log {
                url: "https://log2025b.example".into(),
                version: 2
            }]
        );
        assert_eq!(s.tsas, ["https://tsa.example/api/v1/timestamp"]);
        // ALL keeps every usable log of the highest version, never mixing in v1.
        let s = choose(&config(
            rekor.clone(),
            json!({"selector": "ALL"}),
            tsa.clone(),
        ))
        .unwrap();
        assert_eq!(s.logs.len(), 1);
        let e = choose(&config(
            rekor,
            json!({"selector": "EXACT", "count": 2}),
            tsa,
        ))
        .unwrap_err();
        assert!(
            e.contains("EXACT 2") && e.contains("only 1 is usable"),
            "{e}"
        );
    }

    #[test]
    fn a_v2_log_needs_a_timestamp_authority() {
        let rekor = json!([svc("https://log.example", 2, "2025-01-01T00:00:00Z", None)]);
        let e = choose(&config(rekor, json!({"selector": "ANY"}), json!([]))).unwrap_err();
        assert!(e.contains("gives no signing time"), "{e}");
        let rekor = json!([svc(
            "https://rekor.example",
            1,
            "2021-01-01T00:00:00Z",
            None
        )]);
        let s = choose(&config(rekor, Value::Null, json!([]))).unwrap();
        assert!(s.tsas.is_empty() && s.logs[0].version == 1);
    }

    #[test]
    fn unusable_and_malformed_configs_are_refused_with_the_reason() {
        let tsa = json!([]);
        let expired = json!([svc(
            "https://old.example",
            1,
            "2021-01-01T00:00:00Z",
            Some("2024-01-01T00:00:00Z")
        )]);
        let e = choose(&config(expired, Value::Null, tsa.clone())).unwrap_err();
        assert!(
            e.contains("https://old.example was valid until 2024-01-01"),
            "{e}"
        );
        let future = json!([svc("https://new.example", 1, "2027-01-01T00:00:00Z", None)]);
        let e = choose(&config(future, Value::Null, tsa.clone())).unwrap_err();
        assert!(e.contains("valid only from 2027-01-01"), "{e}");
        let v3 = json!([svc("https://v3.example", 3, "2021-01-01T00:00:00Z", None)]);
        let e = choose(&config(v3, Value::Null, tsa.clone())).unwrap_err();
        assert!(e.contains("speaks API v3, not v1 or v2"), "{e}");
        let e = choose(&config(json!([]), Value::Null, tsa.clone())).unwrap_err();
        assert!(e.contains("names no Rekor log"), "{e}");
        let ok = json!([svc(
            "https://rekor.example",
            1,
            "2021-01-01T00:00:00Z",
            None
        )]);
        let e = choose(&config(
            ok.clone(),
            json!({"selector": "SOME"}),
            tsa.clone(),
        ))
        .unwrap_err();
        assert!(e.contains("unknown selector `SOME`"), "{e}");
        let mut c = config(ok.clone(), Value::Null, tsa.clone());
        c["mediaType"] = json!("application/vnd.dev.sigstore.signingconfig.v0.1+json");
        assert!(choose(&c)
            .unwrap_err()
            .contains("is not application/vnd.dev.sigstore.signingconfig.v0.2+json"));
        let mut c = config(ok, Value::Null, tsa);
        c["caUrls"][0]["validFor"] = json!({});
        assert!(choose(&c)
            .unwrap_err()
            .contains("caUrls[0] has no `validFor.start`"));
    }
}
