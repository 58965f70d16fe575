//! Registry credentials and challenges: where a user's login is found (podman/skopeo auth file,
//! Docker's config.json with `auths`, `credsStore`, `credHelpers`) and what a registry asks for
//! (`WWW-Authenticate`). Secrets never reach a message: [`Credential`] prints redacted.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use serde::Deserialize;
use zeroize::Zeroizing;

/// A login for one registry.
#[derive(Clone)]
pub enum Credential {
    /// User name and password (or personal access token).
    Basic {
        username: String,
        password: Zeroizing<String>,
    },
    /// An OAuth2 refresh token (`identitytoken`, or a helper's `<token>` user).
    IdentityToken(Zeroizing<String>),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Basic { username, .. } => write!(f, "Basic({username}, <redacted>)"),
            Credential::IdentityToken(_) => f.write_str("IdentityToken(<redacted>)"),
        }
    }
}

impl Credential {
    /// The `Authorization: Basic` value.
    pub fn basic_header(&self) -> Option<Zeroizing<String>> {
        match self {
            Credential::Basic { username, password } => {
                let raw = Zeroizing::new(format!("{username}:{}", password.as_str()));
                Some(Zeroizing::new(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw.as_bytes())
                )))
            }
            Credential::IdentityToken(_) => None,
        }
    }
}

/// Where credentials are looked for, in order: the auth file, then Docker's config folder.
#[derive(Debug, Clone, Default)]
pub struct CredentialSources {
    /// `--registry-auth-file` / `REGISTRY_AUTH_FILE` (containers-auth.json, as podman and skopeo use it).
    pub auth_file: Option<PathBuf>,
    /// `$DOCKER_CONFIG`, else `~/.docker`: its `config.json`.
    pub docker_config_dir: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// The key a config file uses for `host`, as Docker normalises it: scheme and path dropped; Docker
/// Hub's many names are one.
fn config_key(key: &str) -> String {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let k = k.split('/').next().unwrap_or(k).to_ascii_lowercase();
    match k.as_str() {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "index.docker.io".to_string()
        }
        _ => k,
    }
}

/// The name Docker's credential helpers and `auths` use for Docker Hub.
fn helper_server(host: &str) -> String {
    if config_key(host) == "index.docker.io" {
        "https://index.docker.io/v1/".to_string()
    } else {
        host.to_string()
    }
}

impl CredentialSources {
    /// The login for `host`, if any source has one. A source that exists but cannot be read is an
    /// error naming the file (never its content).
    pub fn lookup(&self, host: &str) -> Result<Option<Credential>, String> {
        if let Some(f) = &self.auth_file {
            let cfg = read_config(f)?;
            if let Some(c) = from_config(&cfg, host, f)? {
                return Ok(Some(c));
            }
        }
        if let Some(dir) = &self.docker_config_dir {
            let f = dir.join("config.json");
            if f.is_file() {
                let cfg = read_config(&f)?;
                return from_config(&cfg, host, &f);
            }
        }
        Ok(None)
    }
}

fn read_config(path: &Path) -> Result<ConfigFile, String> {
    let bytes = std::fs::read(path).map_err(|e| {
        format!(
            "{}: cannot read the registry credentials: {e}",
            path.display()
        )
    })?;
    // serde_json's message names a position, never the content.
    serde_json::from_slice(&bytes)
        .map_err(|e| format!("{}: not a registry credentials file: {e}", path.display()))
}

fn from_config(cfg: &ConfigFile, host: &str, file: &Path) -> Result<Option<Credential>, String> {
    let key = config_key(host);
    if let Some((_, helper)) = cfg.cred_helpers.iter().find(|(k, _)| config_key(k) == key) {
        return helper_get(helper, &helper_server(host));
    }
    if let Some((_, e)) = cfg.auths.iter().find(|(k, _)| config_key(k) == key) {
        if let Some(t) = e.identitytoken.as_deref().filter(|t| !t.is_empty()) {
            return Ok(Some(Credential::IdentityToken(Zeroizing::new(
                t.to_string(),
            ))));
        }
        if let Some(a) = e.auth.as_deref().filter(|a| !a.is_empty()) {
            let raw = Zeroizing::new(
                base64::engine::general_purpose::STANDARD
                    .decode(a.trim())
                    .map_err(|_| {
                        format!(
                            "{}: the `auth` of {key} is not base64 of USER:PASSWORD",
                            file.display()
                        )
                    })?,
            );
            let text = std::str::from_utf8(&raw)
                .map_err(|_| format!("{}: the `auth` of {key} is not UTF-8", file.display()))?;
            let (u, p) = text.split_once(':').ok_or_else(|| {
                format!(
                    "{}: the `auth` of {key} is not base64 of USER:PASSWORD",
                    file.display()
                )
            })?;
            return Ok(Some(Credential::Basic {
                username: u.to_string(),
                password: Zeroizing::new(p.to_string()),
            }));
        }
        if let (Some(u), Some(p)) = (&e.username, &e.password) {
            return Ok(Some(Credential::Basic {
                username: u.clone(),
                password: Zeroizing::new(p.clone()),
            }));
        }
    }
    match &cfg.creds_store {
        Some(store) if !store.is_empty() => helper_get(store, &helper_server(host)),
        _ => Ok(None),
    }
}

#[derive(Deserialize)]
struct HelperReply {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// Runs `docker-credential-NAME get` with the server on stdin, as Docker does.
fn helper_get(name: &str, server: &str) -> Result<Option<Credential>, String> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(format!(
            "credential helper name {name:?} is not a plain name"
        ));
    }
    let program = format!("docker-credential-{name}");
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("credential helper {program}: cannot run it: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(server.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("credential helper {program}: {e}"))?;
    let stdout = Zeroizing::new(out.stdout);
    if !out.status.success() {
        // "credentials not found in native keychain": no login for this server.
        if String::from_utf8_lossy(&stdout).contains("not found") {
            return Ok(None);
        }
        return Err(format!(
            "credential helper {program} failed ({}) for {server}",
            out.status
        ));
    }
    let reply: HelperReply = serde_json::from_slice(&stdout)
        .map_err(|_| format!("credential helper {program}: its answer is not the expected JSON"))?;
    let secret = Zeroizing::new(reply.secret);
    if secret.is_empty() {
        return Ok(None);
    }
    if reply.username == "<token>" {
        return Ok(Some(Credential::IdentityToken(secret)));
    }
    Ok(Some(Credential::Basic {
        username: reply.username,
        password: secret,
    }))
}

/// One `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

/// Parses `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let params = auth_params(rest);
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    Some(Challenge::Bearer {
        realm: get("realm")?,
        service: get("service"),
        scope: get("scope"),
    })
}

/// `k="v", k2=v2` pairs; quoted values may hold commas and escaped quotes.
fn auth_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' {
                break;
            }
            name.push(c);
            chars.next();
        }
        if chars.next() != Some('=') {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.push((name.trim().to_string(), value.trim().to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_as_registries_send_them() {
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/alpine:pull".into()),
            })
        );
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://ghcr.io/token", scope="repository:a/b:pull,push""#
            ),
            Some(Challenge::Bearer {
                realm: "https://ghcr.io/token".into(),
                service: None,
                scope: Some("repository:a/b:pull,push".into()),
            })
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="basic-realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge("Bearer service=x"), None);
        assert_eq!(parse_challenge("Negotiate"), None);
    }

    #[test]
    fn docker_config_auths_and_keys() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("config.json");
        std::fs::write(
            &cfg,
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpwQHNzOndvcmQ="},
                "http://127.0.0.1:5000":{"username":"u2","password":"p2"},
                "ghcr.io":{"identitytoken":"tok"}}}"#,
        )
        .unwrap();
        let src = CredentialSources {
            auth_file: None,
            docker_config_dir: Some(dir.path().to_path_buf()),
        };
        match src.lookup("registry-1.docker.io").unwrap() {
            Some(Credential::Basic { username, password }) => {
                assert_eq!(
                    (username.as_str(), password.as_str()),
                    ("user", "p@ss:word")
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            src.lookup("127.0.0.1:5000").unwrap(),
            Some(Credential::Basic { ref username, .. }) if username == "u2"
        ));
        let token = src.lookup("ghcr.io").unwrap().unwrap();
        assert_eq!(format!("{token:?}"), "IdentityToken(<redacted>)");
        assert!(src.lookup("quay.io").unwrap().is_none());
        // An auth file is asked first.
        let auth = dir.path().join("auth.json");
        std::fs::write(&auth, r#"{"auths":{"ghcr.io":{"auth":"YTpi"}}}"#).unwrap();
        let src = CredentialSources {
            auth_file: Some(auth),
            ..src
        };
        let c = src.lookup("ghcr.io").unwrap().unwrap();
        assert_eq!(format!("{c:?}"), "Basic(a, <redacted>)");
        assert_eq!(c.basic_header().unwrap().as_str(), "Basic YTpi");
    }

    #[test]
    fn a_broken_file_is_named_without_its_content() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("config.json");
        std::fs::write(&cfg, r#"{"auths":{"h":{"auth":"c2VjcmV0"}}"#).unwrap();
        let src = CredentialSources {
            auth_file: None,
            docker_config_dir: Some(dir.path().to_path_buf()),
        };
        let e = src.lookup("h").unwrap_err();
        assert!(e.contains("config.json") && !e.contains("c2VjcmV0"), "{e}");
        std::fs::write(&cfg, r#"{"auths":{"h":{"auth":"!!"}}}"#).unwrap();
        let e = src.lookup("h").unwrap_err();
        assert!(e.contains("not base64") && !e.contains("!!"), "{e}");
    }
}
