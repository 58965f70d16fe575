//! The registry's HTTP API (OCI distribution spec) over one blocking client: token and basic auth
//! from the registry's challenge, redirects followed by hand (the Authorization header stays with
//! the registry's host), retries with backoff on 429 and 5xx, timeouts, bounded JSON bodies, and
//! blobs handed out as streams. No message built here holds a credential or a token.

use std::collections::BTreeMap;
use std::io::Read;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use sha2::{Digest, Sha256};
use ureq::http::{self, Response};
use ureq::Body;
use zeroize::Zeroizing;

use super::auth::{parse_challenge, Challenge, Credential, CredentialSources};

/// Redirects followed for one request before it is called a loop.
const MAX_REDIRECTS: u32 = 5;
/// Attempts for a request answered 429 or 5xx, or whose connection failed.
const ATTEMPTS: u32 = 4;
/// The largest error body or token reply read.
const SMALL_BODY: u64 = 1 << 20;

/// How to reach registries.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// `--registry-ca FILE`: extra trusted roots (PEM), beside the system's.
    pub ca_files: Vec<PathBuf>,
    /// `--insecure-registry HOST[:PORT]`: hosts that may be spoken to over plain HTTP.
    pub insecure: Vec<String>,
    /// Connecting, waiting for an answer, and each read or write of a body.
    pub timeout: Duration,
    pub credentials: CredentialSources,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            ca_files: Vec::new(),
            insecure: Vec::new(),
            timeout: Duration::from_secs(60),
            credentials: CredentialSources::default(),
        }
    }
}

/// A failure talking to the registry, as one line for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(pub String);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn fail(msg: impl Into<String>) -> Failure {
    Failure(msg.into())
}

/// A request to the registry: method, path under the host (`/v2/...`) or absolute URL (an upload
/// location), the access it needs, headers and body.
pub struct Req<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// `repository:NAME:pull` or `repository:NAME:pull,push`.
    pub scope: &'a str,
    pub accept: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub body: Option<&'a [u8]>,
}

#[derive(Default)]
struct AuthState {
    challenge: Option<Challenge>,
    /// Bearer tokens by scope.
    tokens: BTreeMap<String, Zeroizing<String>>,
}

/// One registry host.
pub struct Client {
    /// `host[:port]` as the API is reached.
    host: String,
    /// `https://host[:port]` or `http://host[:port]`.
    base: String,
    agent: ureq::Agent,
    opts: ClientOptions,
    credential: OnceLock<Result<Option<Credential>, String>>,
    state: Mutex<AuthState>,
}

/// The host part of an authority (`host`, `host:port`, `[v6]:port`).
fn bare_host(authority: &str) -> &str {
    if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or(v6)
    } else {
        authority.split(':').next().unwrap_or(authority)
    }
}

/// Loopback addresses, where plain HTTP cannot be overheard.
pub fn is_loopback(authority: &str) -> bool {
    let host = bare_host(authority);
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Scheme and authority of an absolute URL.
fn split_url(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    Some((scheme, rest.split(['/', '?', '#']).next().unwrap_or(rest)))
}

/// The system's trusted roots (the distribution's bundle, or `SSL_CERT_FILE`) plus `extra`.
fn root_certs(extra: &[PathBuf]) -> Result<ureq::tls::RootCerts, Failure> {
    use ureq::tls::{parse_pem, PemItem};
    let mut certs = Vec::new();
    let mut pem_certs = |bytes: &[u8]| {
        let before = certs.len();
        for item in parse_pem(bytes).flatten() {
            if let PemItem::Certificate(c) = item {
                certs.push(c);
            }
        }
        certs.len() - before
    };
    let system = std::env::var_os("SSL_CERT_FILE")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            [
                "/etc/ssl/certs/ca-certificates.crt",
                "/etc/pki/tls/certs/ca-bundle.crt",
                "/etc/ssl/ca-bundle.pem",
                "/etc/ssl/cert.pem",
            ]
            .map(PathBuf::from),
        )
        .find(|p| p.is_file());
    let found_system = match &system {
        Some(p) => std::fs::read(p).map(|b| pem_certs(&b) > 0).unwrap_or(false),
        None => false,
    };
    for f in extra {
        let bytes = std::fs::read(f).map_err(|e| {
            fail(format!(
                "{}: cannot read the CA certificate: {e}",
                f.display()
            ))
        })?;
        if pem_certs(&bytes) == 0 {
            return Err(fail(format!(
                "{}: no PEM certificate in it (--registry-ca takes PEM)",
                f.display()
            )));
        }
    }
    if !found_system && extra.is_empty() {
        // No system bundle: Mozilla's roots, built in.
        return Ok(ureq::tls::RootCerts::WebPki);
    }
    Ok(ureq::tls::RootCerts::new_with_certs(&certs))
}

impl Client {
    /// Reaches `host` (`host[:port]`): HTTPS, or plain HTTP where allowed (a loopback address or an
    /// `--insecure-registry` host) and the host does not speak TLS. Asks `/v2/` once to learn how
    /// the registry wants to be authenticated.
    pub fn connect(host: &str, opts: &ClientOptions) -> Result<Client, Failure> {
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(root_certs(&opts.ca_files)?)
            .build();
        let t = Some(opts.timeout);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .tls_config(tls)
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_connect(t)
            .timeout_send_request(t)
            .timeout_recv_response(t)
            .timeout_per_read(t)
            .timeout_per_write(t)
            .user_agent(concat!("sbomkit/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let plain_ok = is_loopback(host)
            || opts
                .insecure
                .iter()
                .any(|h| h.eq_ignore_ascii_case(host) || h.eq_ignore_ascii_case(bare_host(host)));
        let mut client = Client {
            host: host.to_string(),
            base: format!("https://{host}"),
            agent,
            opts: opts.clone(),
            credential: OnceLock::new(),
            state: Mutex::new(AuthState::default()),
        };
        let ping =
            |c: &Client| c.exchange("GET", &format!("{}/v2/", c.base), None, None, None, None);
        let tls_failure = |c: &Client, e: &ureq::Error| {
            // The host answered, but the TLS handshake failed (rustls errors also arrive wrapped
            // in io errors): an unknown CA, or a server without TLS.
            let text = c.transport(e);
            let answered = !matches!(
                e,
                ureq::Error::Timeout(_) | ureq::Error::ConnectionFailed | ureq::Error::HostNotFound
            ) && !matches!(e, ureq::Error::Io(io) if matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::TimedOut
            ));
            let hint = if answered {
                "; a registry with its own CA needs --registry-ca FILE, one without TLS \
                 --insecure-registry HOST"
            } else {
                ""
            };
            fail(format!("{host}: cannot reach the registry: {text}{hint}"))
        };
        let resp = match ping(&client) {
            Ok(r) => r,
            Err(e) if plain_ok && !matches!(e, ureq::Error::Timeout(_)) => {
                client.base = format!("http://{host}");
                match ping(&client) {
                    // 400 to plain HTTP: the server speaks TLS, and its certificate failed.
                    Ok(r) if r.status().as_u16() == 400 => return Err(tls_failure(&client, &e)),
                    Ok(r) => r,
                    Err(e2) => {
                        return Err(fail(format!(
                            "{host}: cannot reach the registry over https ({}) nor http ({})",
                            client.transport(&e),
                            client.transport(&e2)
                        )))
                    }
                }
            }
            Err(e) => return Err(tls_failure(&client, &e)),
        };
        if resp.status().as_u16() == 401 {
            let challenge = challenge_of(&resp);
            client.lock().challenge = challenge;
        }
        Ok(client)
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, AuthState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn credential(&self) -> Result<Option<&Credential>, Failure> {
        match self
            .credential
            .get_or_init(|| self.opts.credentials.lookup(&self.host))
        {
            Ok(c) => Ok(c.as_ref()),
            Err(e) => Err(fail(e.clone())),
        }
    }

    /// A transport error in words, with the timeout named as the flag that sets it.
    fn transport(&self, e: &ureq::Error) -> String {
        match e {
            ureq::Error::Timeout(_) => format!(
                "no answer within {} s (--registry-timeout)",
                self.opts.timeout.as_secs_f64()
            ),
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => format!(
                "no answer within {} s (--registry-timeout)",
                self.opts.timeout.as_secs_f64()
            ),
            other => other.to_string(),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.contains("://") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    /// One HTTP exchange, nothing followed or retried.
    fn exchange(
        &self,
        method: &str,
        url: &str,
        auth: Option<&str>,
        accept: Option<&str>,
        content_type: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<Response<Body>, ureq::Error> {
        let mut b = http::Request::builder().method(method).uri(url);
        if let Some(a) = auth {
            b = b.header("Authorization", a);
        }
        if let Some(a) = accept {
            b = b.header("Accept", a);
        }
        if let Some(c) = content_type {
            b = b.header("Content-Type", c);
        }
        match body {
            Some(bytes) => self.agent.run(b.body(bytes.to_vec())?),
            None if matches!(method, "PUT" | "POST" | "PATCH") => {
                self.agent.run(b.body(Vec::new())?)
            }
            None => self.agent.run(b.body(())?),
        }
    }

    /// Is `url` on this registry (same scheme and authority)? Only then is Authorization sent.
    fn is_own(&self, url: &str) -> bool {
        match (split_url(url), split_url(&self.base)) {
            (Some((s, a)), Some((bs, ba))) => {
                s.eq_ignore_ascii_case(bs) && a.eq_ignore_ascii_case(ba)
            }
            _ => false,
        }
    }

    fn plain_ok(&self, authority: &str) -> bool {
        is_loopback(authority)
            || self.opts.insecure.iter().any(|h| {
                h.eq_ignore_ascii_case(authority) || h.eq_ignore_ascii_case(bare_host(authority))
            })
    }

    /// The Authorization value for `scope` as the registry last asked for it.
    fn auth_header(&self, scope: &str) -> Result<Option<Zeroizing<String>>, Failure> {
        let challenge = self.lock().challenge.clone();
        match challenge {
            None => Ok(None),
            Some(Challenge::Basic) => Ok(self.credential()?.and_then(Credential::basic_header)),
            Some(Challenge::Bearer { .. }) => Ok(self
                .lock()
                .tokens
                .get(scope)
                .map(|t| Zeroizing::new(format!("Bearer {}", t.as_str())))),
        }
    }

    /// Answers a 401: learns the challenge and, for Bearer, fetches a token for `scope`.
    fn authenticate(&self, challenge: Option<Challenge>, scope: &str) -> Result<(), Failure> {
        let host = &self.host;
        let Some(challenge) = challenge else {
            return Err(fail(format!(
                "{host}: the registry answered 401 without a WWW-Authenticate challenge"
            )));
        };
        self.lock().challenge = Some(challenge.clone());
        match challenge {
            Challenge::Basic => {
                if self
                    .credential()?
                    .and_then(Credential::basic_header)
                    .is_none()
                {
                    return Err(fail(format!(
                        "{host}: the registry asks for a login and none is configured for it \
                         (log in with `docker login {host}` or `skopeo login {host}`, or give \
                         --registry-auth-file)"
                    )));
                }
                Ok(())
            }
            Challenge::Bearer { realm, service, .. } => {
                let token = self.fetch_token(&realm, service.as_deref(), scope)?;
                self.lock().tokens.insert(scope.to_string(), token);
                Ok(())
            }
        }
    }

    /// A Bearer token from the registry's token service, anonymous or with the login.
    fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<Zeroizing<String>, Failure> {
        let host = &self.host;
        let (scheme, authority) = split_url(realm)
            .ok_or_else(|| fail(format!("{host}: token service `{realm}` is not a URL")))?;
        match scheme.to_ascii_lowercase().as_str() {
            "https" => {}
            "http" if self.plain_ok(authority) => {}
            _ => {
                return Err(fail(format!(
                    "{host}: token service `{realm}` is not https; refused"
                )))
            }
        }
        let enc = |s: &str| percent_encode(s);
        let mut query = vec![format!("scope={}", enc(scope))];
        if let Some(s) = service {
            query.push(format!("service={}", enc(s)));
        }
        let credential = self.credential()?;
        let resp = match credential {
            Some(Credential::IdentityToken(t)) => {
                let mut form = query.clone();
                form.push("grant_type=refresh_token".into());
                form.push("client_id=sbomkit".into());
                form.push(format!("refresh_token={}", enc(t)));
                let body = Zeroizing::new(form.join("&"));
                self.exchange(
                    "POST",
                    realm,
                    None,
                    Some("application/json"),
                    Some("application/x-www-form-urlencoded"),
                    Some(body.as_bytes()),
                )
            }
            other => {
                let sep = if realm.contains('?') { '&' } else { '?' };
                let url = format!("{realm}{sep}{}", query.join("&"));
                let basic = other.and_then(Credential::basic_header);
                self.exchange(
                    "GET",
                    &url,
                    basic.as_deref().map(String::as_str),
                    Some("application/json"),
                    None,
                    None,
                )
            }
        }
        .map_err(|e| {
            fail(format!(
                "{host}: cannot reach the token service {realm}: {}",
                self.transport(&e)
            ))
        })?;
        let status = resp.status().as_u16();
        if status == 401 || status == 403 {
            return Err(self.login_refused(status));
        }
        if status != 200 {
            return Err(fail(format!(
                "{host}: the token service {realm} answered HTTP {status}"
            )));
        }
        #[derive(serde::Deserialize)]
        struct TokenReply {
            #[serde(default)]
            token: Option<String>,
            #[serde(default)]
            access_token: Option<String>,
        }
        let mut resp = resp;
        let body = Zeroizing::new(
            resp.body_mut()
                .with_config()
                .limit(SMALL_BODY)
                .read_to_vec()
                .map_err(|e| {
                    fail(format!(
                        "{host}: reading the token reply: {}",
                        self.transport(&e)
                    ))
                })?,
        );
        let reply: TokenReply = serde_json::from_slice(&body).map_err(|_| {
            fail(format!(
                "{host}: the token service's reply is not JSON with a token"
            ))
        })?;
        reply
            .token
            .filter(|t| !t.is_empty())
            .or(reply.access_token)
            .filter(|t| !t.is_empty())
            .map(Zeroizing::new)
            .ok_or_else(|| fail(format!("{host}: the token service's reply holds no token")))
    }

    /// The error for credentials the registry did not accept, naming the user, never the secret.
    fn login_refused(&self, status: u16) -> Failure {
        let host = &self.host;
        match self.credential() {
            Ok(Some(Credential::Basic { username, .. })) => fail(format!(
                "{host}: the registry refused the login of user `{username}` (HTTP {status}); \
                 check the password or token"
            )),
            Ok(Some(Credential::IdentityToken(_))) => fail(format!(
                "{host}: the registry refused the stored identity token (HTTP {status}); log in again"
            )),
            Ok(None) => fail(format!(
                "{host}: the registry asks for a login (HTTP {status}) and none is configured for \
                 it (log in with `docker login {host}` or `skopeo login {host}`, or give \
                 --registry-auth-file)"
            )),
            Err(e) => e,
        }
    }

    /// Sends `req`, authenticating, following redirects and retrying as needed; returns the final
    /// answer whatever its status (401 after authenticating is turned into an error here).
    pub fn send(&self, req: &Req<'_>) -> Result<Response<Body>, Failure> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let wait = match self.send_once(req) {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    if (status == 429 || (500..600).contains(&status)) && attempt < ATTEMPTS {
                        retry_after(&resp).unwrap_or_else(|| backoff(attempt))
                    } else if status == 401 {
                        return Err(self.login_refused(status));
                    } else {
                        return Ok(resp);
                    }
                }
                Err(Retry::Transient(_)) if attempt < ATTEMPTS => backoff(attempt),
                Err(Retry::Transient(f) | Retry::Final(f)) => return Err(f),
            };
            std::thread::sleep(wait);
        }
    }

    fn send_once(&self, req: &Req<'_>) -> Result<Response<Body>, Retry> {
        let first = self.url(req.path);
        let mut url = first.clone();
        let mut authenticated = false;
        let mut hops = 0;
        let mut method = req.method;
        let mut body = req.body;
        loop {
            let own = self.is_own(&url);
            let auth = if own {
                self.auth_header(req.scope).map_err(Retry::Final)?
            } else {
                None
            };
            let resp = self
                .exchange(
                    method,
                    &url,
                    auth.as_deref().map(String::as_str),
                    req.accept,
                    req.content_type,
                    body,
                )
                .map_err(|e| {
                    let f = fail(format!("{}: {} {}: {}", self.host, method, strip_query(&url), self.transport(&e)));
                    match e {
                        ureq::Error::ConnectionFailed | ureq::Error::Io(_)
                            if !matches!(&e, ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut) =>
                        {
                            Retry::Transient(f)
                        }
                        _ => Retry::Final(f),
                    }
                })?;
            let status = resp.status().as_u16();
            if status == 401 && own && !authenticated {
                authenticated = true;
                self.authenticate(challenge_of(&resp), req.scope)
                    .map_err(Retry::Final)?;
                continue;
            }
            if matches!(status, 301 | 302 | 303 | 307 | 308) {
                hops += 1;
                if hops > MAX_REDIRECTS {
                    return Err(Retry::Final(fail(format!(
                        "{}: more than {MAX_REDIRECTS} redirects from {} (a redirect loop)",
                        self.host,
                        strip_query(&first)
                    ))));
                }
                let location = resp
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| {
                        Retry::Final(fail(format!(
                            "{}: a redirect without a Location from {}",
                            self.host,
                            strip_query(&url)
                        )))
                    })?;
                let next = resolve(&url, location).ok_or_else(|| {
                    Retry::Final(fail(format!(
                        "{}: a redirect to an unusable location from {}",
                        self.host,
                        strip_query(&url)
                    )))
                })?;
                let (scheme, authority) = split_url(&next).unwrap_or(("", ""));
                let allowed = scheme.eq_ignore_ascii_case("https")
                    || (scheme.eq_ignore_ascii_case("http") && self.plain_ok(authority));
                if !allowed {
                    return Err(Retry::Final(fail(format!(
                        "{}: a redirect to `{}` refused (only https, or http to a loopback or \
                         --insecure-registry host)",
                        self.host,
                        strip_query(&next)
                    ))));
                }
                if status == 303 {
                    method = "GET";
                    body = None;
                }
                url = next;
                continue;
            }
            return Ok(resp);
        }
    }

    /// GETs a manifest (or index) by tag or digest: its bytes (at most `limit`), media type and digest.
    pub fn manifest(
        &self,
        repo: &str,
        reference: &str,
        accept: &str,
        limit: u64,
    ) -> Result<Fetched, Failure> {
        let found = self.manifest_if_any(repo, reference, accept, limit, false)?;
        found.ok_or_else(|| {
            fail(format!(
                "{}/{repo}:{reference}: no such manifest",
                self.host
            ))
        })
    }

    /// [`Client::manifest`], or None when the registry answers 404 (a referrers tag not written yet).
    pub fn manifest_opt(
        &self,
        repo: &str,
        reference: &str,
        accept: &str,
        limit: u64,
    ) -> Result<Option<Fetched>, Failure> {
        self.manifest_if_any(repo, reference, accept, limit, true)
    }

    fn manifest_if_any(
        &self,
        repo: &str,
        reference: &str,
        accept: &str,
        limit: u64,
        missing_ok: bool,
    ) -> Result<Option<Fetched>, Failure> {
        let path = format!("/v2/{repo}/manifests/{reference}");
        let scope = pull_scope(repo);
        let mut resp = self.send(&Req {
            method: "GET",
            path: &path,
            scope: &scope,
            accept: Some(accept),
            content_type: None,
            body: None,
        })?;
        if missing_ok && resp.status().as_u16() == 404 {
            return Ok(None);
        }
        let (what, kind) = if reference.starts_with("sha256:") {
            (format!("{repo}@{reference}"), "manifest")
        } else {
            (format!("{repo}:{reference}"), "repository or tag")
        };
        self.expect_ok(&mut resp, &what, kind)?;
        let media_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(';').next().unwrap_or(s).trim().to_string())
            .unwrap_or_default();
        let bytes = self.read_limited(resp, limit, &format!("manifest {repo}:{reference}"))?;
        let digest = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
        Ok(Some(Fetched {
            bytes,
            media_type,
            digest,
        }))
    }

    /// `GET /v2/REPO/referrers/DIGEST`: the referrers index, or None when the registry has no
    /// referrers API (404).
    pub fn referrers(
        &self,
        repo: &str,
        digest: &str,
        limit: u64,
    ) -> Result<Option<Vec<u8>>, Failure> {
        let path = format!("/v2/{repo}/referrers/{digest}");
        let scope = pull_scope(repo);
        let mut resp = self.send(&Req {
            method: "GET",
            path: &path,
            scope: &scope,
            accept: Some("application/vnd.oci.image.index.v1+json"),
            content_type: None,
            body: None,
        })?;
        if resp.status().as_u16() == 404 {
            return Ok(None);
        }
        self.expect_ok(
            &mut resp,
            &format!("{repo}/referrers/{digest}"),
            "referrers",
        )?;
        self.read_limited(resp, limit, &format!("the referrers of {digest}"))
            .map(Some)
    }

    /// Uploads `bytes` as a blob of `repo` (POST, then PUT with the digest), unless it is there.
    pub fn upload_blob(&self, repo: &str, bytes: &[u8]) -> Result<String, Failure> {
        let digest = format!("sha256:{}", hex::encode(Sha256::digest(bytes)));
        let scope = push_scope(repo);
        let head = self.send(&Req {
            method: "HEAD",
            path: &format!("/v2/{repo}/blobs/{digest}"),
            scope: &scope,
            accept: None,
            content_type: None,
            body: None,
        })?;
        if head.status().as_u16() == 200 {
            return Ok(digest);
        }
        let mut start = self.send(&Req {
            method: "POST",
            path: &format!("/v2/{repo}/blobs/uploads/"),
            scope: &scope,
            accept: None,
            content_type: None,
            body: None,
        })?;
        let status = start.status().as_u16();
        if status != 202 {
            let said = registry_said(&mut start);
            return Err(fail(format!(
                "{}/{repo}: starting a blob upload: HTTP {status}{said}",
                self.host
            )));
        }
        let location = start
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| fail(format!("{}/{repo}: the upload has no Location", self.host)))?;
        let location = resolve(&format!("{}/v2/{repo}/blobs/uploads/", self.base), location)
            .ok_or_else(|| fail(format!("{}/{repo}: unusable upload Location", self.host)))?;
        let sep = if location.contains('?') { '&' } else { '?' };
        let put = format!("{location}{sep}digest={}", percent_encode(&digest));
        let mut done = self.send(&Req {
            method: "PUT",
            path: &put,
            scope: &scope,
            accept: None,
            content_type: Some("application/octet-stream"),
            body: Some(bytes),
        })?;
        let status = done.status().as_u16();
        if status != 201 {
            let said = registry_said(&mut done);
            return Err(fail(format!(
                "{}/{repo}: uploading blob {digest}: HTTP {status}{said}",
                self.host
            )));
        }
        Ok(digest)
    }

    /// PUTs a manifest or index under `reference` (a tag or its digest). Returns whether the registry
    /// answered `OCI-Subject` (it has the referrers API and indexed the subject).
    pub fn put_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<bool, Failure> {
        let mut resp = self.send(&Req {
            method: "PUT",
            path: &format!("/v2/{repo}/manifests/{reference}"),
            scope: &push_scope(repo),
            accept: None,
            content_type: Some(media_type),
            body: Some(bytes),
        })?;
        let status = resp.status().as_u16();
        if status != 201 && status != 200 {
            let said = registry_said(&mut resp);
            return Err(fail(format!(
                "{}/{repo}:{reference}: writing the manifest: HTTP {status}{said}",
                self.host
            )));
        }
        Ok(resp.headers().get("oci-subject").is_some())
    }

    /// GETs a blob whole (a config), at most `limit` bytes.
    pub fn blob_bytes(&self, repo: &str, digest: &str, limit: u64) -> Result<Vec<u8>, Failure> {
        let resp = self.blob_response(repo, digest)?;
        self.read_limited(resp, limit, &format!("blob {digest}"))
    }

    /// GETs a blob as a stream of at most `size` bytes (its descriptor's size).
    pub fn blob_reader(
        &self,
        repo: &str,
        digest: &str,
        size: u64,
    ) -> Result<impl Read + Send + 'static, Failure> {
        let resp = self.blob_response(repo, digest)?;
        Ok(resp.into_body().into_with_config().limit(size).reader())
    }

    fn blob_response(&self, repo: &str, digest: &str) -> Result<Response<Body>, Failure> {
        let path = format!("/v2/{repo}/blobs/{digest}");
        let scope = pull_scope(repo);
        let mut resp = self.send(&Req {
            method: "GET",
            path: &path,
            scope: &scope,
            accept: None,
            content_type: None,
            body: None,
        })?;
        self.expect_ok(&mut resp, &format!("{repo}@{digest}"), "blob")?;
        Ok(resp)
    }

    /// Reads a body of at most `limit` bytes; over it is [`Failure`] naming the JSON limit.
    fn read_limited(
        &self,
        resp: Response<Body>,
        limit: u64,
        what: &str,
    ) -> Result<Vec<u8>, Failure> {
        let declared = resp.body().content_length();
        if let Some(n) = declared.filter(|n| *n > limit) {
            return Err(over_json_limit(&self.host, what, n, limit));
        }
        let mut buf = Vec::new();
        resp.into_body()
            .into_reader()
            .take(limit.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(|e| {
                let why = if e.kind() == std::io::ErrorKind::TimedOut {
                    format!(
                        "no answer within {} s (--registry-timeout)",
                        self.opts.timeout.as_secs_f64()
                    )
                } else {
                    e.to_string()
                };
                fail(format!("{}: reading {what}: {why}", self.host))
            })?;
        if buf.len() as u64 > limit {
            return Err(over_json_limit(&self.host, what, buf.len() as u64, limit));
        }
        Ok(buf)
    }

    /// Turns a status other than 200 into the error a user can act on.
    pub fn expect_ok(
        &self,
        resp: &mut Response<Body>,
        what: &str,
        kind: &str,
    ) -> Result<(), Failure> {
        let status = resp.status().as_u16();
        if status == 200 {
            return Ok(());
        }
        let said = registry_said(resp);
        let host = &self.host;
        Err(fail(match status {
            404 => format!("{host}/{what}: no such {kind} (HTTP 404{said})"),
            403 => format!("{host}/{what}: access denied (HTTP 403{said})"),
            _ => format!("{host}/{what}: the registry answered HTTP {status}{said}"),
        }))
    }
}

/// What a manifest request returned.
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub media_type: String,
    /// `sha256:<hex>` of the bytes.
    pub digest: String,
}

enum Retry {
    Transient(Failure),
    Final(Failure),
}

pub fn pull_scope(repo: &str) -> String {
    format!("repository:{repo}:pull")
}

pub fn push_scope(repo: &str) -> String {
    format!("repository:{repo}:pull,push")
}

fn over_json_limit(host: &str, what: &str, size: u64, limit: u64) -> Failure {
    fail(format!(
        "{host}: {what} is {size} bytes, over the limit of {limit} for JSON (raise it with --max-json-size)"
    ))
}

fn challenge_of(resp: &Response<Body>) -> Option<Challenge> {
    resp.headers()
        .get_all("www-authenticate")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(parse_challenge)
        // Bearer over Basic when both are offered.
        .max_by_key(|c| matches!(c, Challenge::Bearer { .. }))
}

/// `: CODE: message` from an OCI error body, when there is one.
fn registry_said(resp: &mut Response<Body>) -> String {
    let Ok(body) = resp
        .body_mut()
        .with_config()
        .limit(SMALL_BODY)
        .read_to_vec()
    else {
        return String::new();
    };
    let v: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return String::new(),
    };
    let Some(e) = v.get("errors").and_then(|e| e.get(0)) else {
        return String::new();
    };
    let code = e.get("code").and_then(|c| c.as_str()).unwrap_or_default();
    let message = e
        .get("message")
        .and_then(|c| c.as_str())
        .unwrap_or_default();
    let text: String = format!("{code}: {message}")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    format!(", {text}")
}

fn retry_after(resp: &Response<Body>) -> Option<Duration> {
    let secs: u64 = resp
        .headers()
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs.min(10)))
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250u64 << attempt.min(5))
}

/// A URL without its query: presigned blob URLs carry signatures there.
fn strip_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// Resolves a Location against the URL it came from.
fn resolve(base: &str, location: &str) -> Option<String> {
    if location.contains("://") {
        return Some(location.to_string());
    }
    let (scheme, authority) = split_url(base)?;
    if let Some(rest) = location.strip_prefix("//") {
        return Some(format!("{scheme}://{rest}"));
    }
    if location.starts_with('/') {
        return Some(format!("{scheme}://{authority}{location}"));
    }
    let path_end = strip_query(base);
    let dir = path_end.rsplit_once('/').map_or(path_end, |(d, _)| d);
    Some(format!("{dir}/{location}"))
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_resolve_against_the_request() {
        let base = "https://r.example:5000/v2/a/blobs/sha256:aa?x=1";
        assert_eq!(
            resolve(base, "https://s3.example/b?sig=1").unwrap(),
            "https://s3.example/b?sig=1"
        );
        assert_eq!(
            resolve(base, "/v2/a/blobs/x").unwrap(),
            "https://r.example:5000/v2/a/blobs/x"
        );
        assert_eq!(
            resolve(base, "//cdn.example/x").unwrap(),
            "https://cdn.example/x"
        );
        assert_eq!(
            resolve(base, "y").unwrap(),
            "https://r.example:5000/v2/a/blobs/y"
        );
        assert_eq!(
            strip_query("https://s3.example/b?X-Amz-Signature=s"),
            "https://s3.example/b"
        );
    }

    #[test]
    fn loopback_and_scopes() {
        for h in ["127.0.0.1:5000", "localhost", "[::1]:443", "127.9.9.9"] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["10.0.0.1:5000", "example.com", "127.0.0.1.nip.io"] {
            assert!(!is_loopback(h), "{h}");
        }
        assert_eq!(
            pull_scope("library/alpine"),
            "repository:library/alpine:pull"
        );
        assert_eq!(
            percent_encode("repository:a/b:pull,push"),
            "repository%3Aa%2Fb%3Apull%2Cpush"
        );
        assert_eq!(backoff(1), Duration::from_millis(500));
    }
}
