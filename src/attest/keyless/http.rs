//! The one HTTP client of keyless signing: blocking, rustls, no redirects, bounded responses, and
//! plain http only to the loopback interface.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

/// Largest response body read from a service (certificate chains and log entries are a few KiB).
const MAX_RESPONSE_BYTES: u64 = 4 << 20;
const TIMEOUT: Duration = Duration::from_secs(60);

/// A service endpoint: its name for error messages and its base URL, checked.
#[derive(Debug, Clone)]
pub struct Service {
    pub name: &'static str,
    base: String,
}

/// A response read whole: status and body (whatever the status).
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Service {
    /// Checks the URL: `https://HOST[...]`, or `http://` to a loopback address only (a local
    /// test instance). Credentials in the URL, other schemes and missing hosts are refused.
    pub fn new(name: &'static str, url: &str) -> Result<Service, String> {
        let bad = |why: &str| format!("{name} URL `{url}`: {why}");
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("not an absolute URL"))?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err(bad("credentials in the URL are not accepted"));
        }
        let host = host_of(authority).ok_or_else(|| bad("no host"))?;
        match scheme.to_ascii_lowercase().as_str() {
            "https" => {}
            "http" if is_loopback(host) => {}
            "http" => {
                return Err(bad(
                    "plain http is refused except to a loopback address; use https",
                ))
            }
            _ => return Err(bad("only https URLs are accepted")),
        }
        if rest.contains(['?', '#']) {
            return Err(bad("a base URL takes no query or fragment"));
        }
        Ok(Service {
            name,
            base: url.trim_end_matches('/').to_string(),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POSTs `body` to `path` and returns the reply; only transport failures are errors here.
    pub fn post(
        &self,
        path: &str,
        content_type: &str,
        accept: &str,
        body: &[u8],
    ) -> Result<Reply, String> {
        let url = self.url(path);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("sbomkit/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let mut resp = agent
            .post(&url)
            .header("Content-Type", content_type)
            .header("Accept", accept)
            .send(body)
            .map_err(|e| format!("{}: cannot reach {url}: {e}", self.name))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(|e| format!("{}: reading the response from {url}: {e}", self.name))?;
        Ok(Reply { status, body })
    }

    /// The error for a reply with an unexpected status: the service, the status and what the
    /// service said (its `message` field when the body is JSON, else the start of the body).
    pub fn status_error(&self, path: &str, reply: &Reply) -> String {
        let said = serde_json::from_slice::<serde_json::Value>(&reply.body)
            .ok()
            .and_then(|v| {
                v.get("message")
                    .or_else(|| v.get("error"))
                    .and_then(|m| m.as_str().map(str::to_string))
            })
            .unwrap_or_else(|| {
                String::from_utf8_lossy(&reply.body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            });
        let said = said.trim();
        format!(
            "{} refused the request: HTTP {} from {}{}",
            self.name,
            reply.status,
            self.url(path),
            if said.is_empty() {
                String::new()
            } else {
                format!(": {said}")
            }
        )
    }
}

/// The host of an authority (`host`, `host:port`, `[v6]:port`), without brackets.
fn host_of(authority: &str) -> Option<&str> {
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        authority.split(':').next()?
    };
    (!host.is_empty()).then_some(host)
}

fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        for ok in [
            "https://fulcio.sigstore.dev",
            "https://rekor.sigstore.dev/",
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://localhost:3000/",
            "http://[::1]:9000",
        ] {
            assert!(Service::new("Fulcio", ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("http://fulcio.sigstore.dev", "plain http is refused"),
            ("http://10.0.0.1", "plain http is refused"),
            ("http://127.0.0.1.example.com", "plain http is refused"),
            ("http://127.0.0.1@evil.example", "credentials"),
            ("ftp://127.0.0.1", "only https"),
            ("fulcio.sigstore.dev", "not an absolute URL"),
            ("https://", "no host"),
            ("https://x.example/?a=b", "no query"),
        ] {
            let e = Service::new("Fulcio", bad).unwrap_err();
            assert!(e.contains(why) && e.starts_with("Fulcio URL"), "{bad}: {e}");
        }
        assert_eq!(
            Service::new("Rekor", "https://r.example/")
                .unwrap()
                .url("/api/v1/log/entries"),
            "https://r.example/api/v1/log/entries"
        );
    }
}
