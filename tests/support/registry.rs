//! A real registry for the tests: Debian's `docker-registry` (CNCF Distribution 2.8) started on
//! 127.0.0.1 on a free port, plain or with TLS (a CA made here with `openssl`) and htpasswd logins
//! (`htpasswd -B`), filled with Debian's `skopeo`. Without these programs the tests that need them
//! say so loudly and pass, unless `SBOMKIT_REQUIRE_REGISTRY=1` (set by `scripts/registry-tests.sh`
//! in CI), where a missing program fails them.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOOLS: [&str; 4] = ["docker-registry", "skopeo", "openssl", "htpasswd"];

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(tool).is_file()))
}

/// Whether the programs are there; when not, says which and why the test does nothing (or fails,
/// when they are required).
pub fn available(test: &str) -> bool {
    let missing: Vec<&str> = TOOLS.iter().copied().filter(|t| !on_path(t)).collect();
    if missing.is_empty() {
        return true;
    }
    let msg = format!(
        "{test}: SKIPPED, needs {} (apt-get install docker-registry skopeo openssl apache2-utils; \
         scripts/registry-tests.sh does it)",
        missing.join(", ")
    );
    if std::env::var_os("SBOMKIT_REQUIRE_REGISTRY").is_some_and(|v| v == "1") {
        panic!("{msg}");
    }
    eprintln!("\n!!!!!!!! {msg}\n");
    false
}

/// A free port on 127.0.0.1 (free when asked; the registry binds it right after).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running registry; stopped when dropped.
pub struct Registry {
    child: Child,
    pub dir: tempfile::TempDir,
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// With TLS: the CA certificate (PEM) and a folder holding it as `ca.crt` (for skopeo).
    pub ca: Option<PathBuf>,
    pub cert_dir: Option<PathBuf>,
    /// With logins: `user:password` for skopeo.
    pub creds: Option<String>,
}

fn sh(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Registry {
    /// A registry without TLS and without logins.
    pub fn plain() -> Registry {
        Registry::start(None)
    }

    /// A registry with TLS from a fresh test CA and an htpasswd login `user`/`password`.
    pub fn tls_with_login(user: &str, password: &str) -> Registry {
        Registry::start(Some((user, password)))
    }

    fn start(login: Option<(&str, &str)>) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let port = free_port();
        let host = format!("127.0.0.1:{port}");
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: false\nstorage:\n  \
             filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {host}\n",
            d.join("data").display()
        );
        let (mut ca, mut cert_dir, mut creds) = (None, None, None);
        if let Some((user, password)) = login {
            make_tls(d);
            config.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\nauth:\n  htpasswd:\n    realm: sbomkit-test\n    path: {}\n",
                d.join("server.crt").display(),
                d.join("server.key").display(),
                d.join("htpasswd").display()
            ));
            let out = Command::new("htpasswd")
                .args(["-Bbn", user, password])
                .output()
                .unwrap();
            assert!(out.status.success());
            std::fs::write(d.join("htpasswd"), out.stdout).unwrap();
            let certs = d.join("certs");
            std::fs::create_dir_all(&certs).unwrap();
            std::fs::copy(d.join("ca.crt"), certs.join("ca.crt")).unwrap();
            ca = Some(d.join("ca.crt"));
            cert_dir = Some(certs);
            creds = Some(format!("{user}:{password}"));
        }
        std::fs::write(d.join("config.yml"), config).unwrap();
        let log = std::fs::File::create(d.join("registry.log")).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(d.join("config.yml"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("docker-registry starts");
        let r = Registry {
            child,
            dir,
            host,
            ca,
            cert_dir,
            creds,
        };
        r.wait_ready();
        r
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if TcpStream::connect(&self.host).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the registry did not start: {}", self.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// `skopeo copy [--all] SOURCE docker://HOST/REPO_TAG`, with the registry's CA and login.
    pub fn push(&self, source: &str, repo_tag: &str, extra: &[&str]) {
        let mut cmd = Command::new("skopeo");
        cmd.args(["copy", "--quiet", "--insecure-policy"]);
        match &self.cert_dir {
            Some(c) => {
                cmd.arg("--dest-cert-dir").arg(c);
            }
            None => {
                cmd.arg("--dest-tls-verify=false");
            }
        }
        if let Some(c) = &self.creds {
            cmd.arg("--dest-creds").arg(c);
        }
        cmd.args(extra)
            .arg(source)
            .arg(format!("docker://{}/{repo_tag}", self.host));
        sh(&mut cmd);
    }

    /// The file the registry keeps a blob's bytes in.
    pub fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap();
        self.dir
            .path()
            .join("data/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// One plain HTTP/1.0 exchange with the registry: status line and headers, body.
    fn exchange(&self, request: &[u8]) -> (String, Vec<u8>) {
        let mut s = TcpStream::connect(&self.host).unwrap();
        s.write_all(request).unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).unwrap();
        let at = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        (
            String::from_utf8_lossy(&buf[..at]).into_owned(),
            buf[at..].to_vec(),
        )
    }

    /// Uploads a blob to a plain registry (POST, then PUT with the digest).
    pub fn put_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = super::image::digest(bytes);
        let (head, _) = self.exchange(
            format!(
                "POST /v2/{repo}/blobs/uploads/ HTTP/1.0\r\nHost: {}\r\nContent-Length: 0\r\n\r\n",
                self.host
            )
            .as_bytes(),
        );
        let location = head
            .lines()
            .find_map(|l| l.strip_prefix("Location: "))
            .unwrap()
            .trim()
            .to_string();
        let path = location
            .split_once(&self.host)
            .map_or(location.as_str(), |(_, p)| p);
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut req = format!(
            "PUT {path}{sep}digest={digest} HTTP/1.0\r\nHost: {}\r\nContent-Length: {}\r\n\r\n",
            self.host,
            bytes.len()
        )
        .into_bytes();
        req.extend_from_slice(bytes);
        let (head, _) = self.exchange(&req);
        assert!(head.contains(" 201 "), "{head}");
        digest
    }

    /// PUTs a manifest to a plain registry.
    pub fn put_manifest(&self, repo: &str, reference: &str, media_type: &str, bytes: &[u8]) {
        let mut req = format!(
            "PUT /v2/{repo}/manifests/{reference} HTTP/1.0\r\nHost: {}\r\nContent-Type: {media_type}\r\nContent-Length: {}\r\n\r\n",
            self.host,
            bytes.len()
        )
        .into_bytes();
        req.extend_from_slice(bytes);
        let (head, body) = self.exchange(&req);
        assert!(
            head.contains(" 201 "),
            "{head}{}",
            String::from_utf8_lossy(&body)
        );
    }

    /// GET `path` on a plain registry (for manifests the tests look into).
    pub fn get(&self, path: &str, accept: &str) -> Vec<u8> {
        let mut s = TcpStream::connect(&self.host).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.0\r\nHost: {}\r\nAccept: {accept}\r\n\r\n",
            self.host
        )
        .unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).unwrap();
        let at = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        assert!(
            buf.starts_with(b"HTTP/1.0 200") || buf.starts_with(b"HTTP/1.1 200"),
            "{path}: {}",
            String::from_utf8_lossy(&buf[..at])
        );
        buf[at..].to_vec()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A CA and a server certificate for 127.0.0.1 signed by it: `ca.crt`, `server.crt`, `server.key`.
fn make_tls(d: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    sh(Command::new("openssl")
        .current_dir(d)
        .args(["req", "-x509"])
        .args(ec)
        .args(["-keyout", "ca.key", "-out", "ca.crt", "-days", "2"])
        .args(["-subj", "/CN=sbomkit test CA"])
        .args(["-addext", "basicConstraints=critical,CA:TRUE"])
        .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]));
    sh(Command::new("openssl")
        .current_dir(d)
        .arg("req")
        .args(ec)
        .args(["-keyout", "server.key", "-out", "server.csr"])
        .args(["-subj", "/CN=127.0.0.1"]));
    std::fs::write(
        d.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    sh(Command::new("openssl")
        .current_dir(d)
        .args([
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
        ])
        .args(["-CAcreateserial", "-out", "server.crt", "-days", "2"])
        .args(["-extfile", "server.ext"]));
}

/// One request as the [`MiniServer`] saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// The Authorization header, if one was sent.
    pub authorization: Option<String>,
    pub body: Vec<u8>,
}

/// What the [`MiniServer`]'s handler answers.
pub enum Answer {
    /// Status, headers, body.
    Reply(u16, Vec<(String, String)>, Vec<u8>),
    /// Read the request and never answer.
    Silence,
}

type Handler = dyn Fn(&Seen, &str) -> Answer + Send + Sync;

/// A small HTTP/1.1 server on 127.0.0.1 for what a real registry will not do on request: stall,
/// loop redirects, answer 429, hand out Bearer tokens and redirect blobs to another host. The
/// handler gets each request and the server's own `127.0.0.1:PORT`. A TLS hello is answered with a
/// plain 400, as a server without TLS does.
pub struct MiniServer {
    pub host: String,
    pub seen: std::sync::Arc<std::sync::Mutex<Vec<Seen>>>,
}

impl MiniServer {
    pub fn start(handler: impl Fn(&Seen, &str) -> Answer + Send + Sync + 'static) -> MiniServer {
        MiniServer::start_on("127.0.0.1", handler)
    }

    /// [`MiniServer::start`] on the address `ip` (a non-loopback one, for the plain-HTTP policy).
    pub fn start_on(
        ip: &str,
        handler: impl Fn(&Seen, &str) -> Answer + Send + Sync + 'static,
    ) -> MiniServer {
        let listener = TcpListener::bind((ip, 0)).unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let handler: std::sync::Arc<Handler> = std::sync::Arc::new(handler);
        let (h, s) = (host.clone(), seen.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (handler, s, h) = (handler.clone(), s.clone(), h.clone());
                std::thread::spawn(move || {
                    let _ = serve_mini(stream, &*handler, &s, &h);
                });
            }
        });
        MiniServer { host, seen }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve_mini(
    mut stream: TcpStream,
    handler: &Handler,
    seen: &std::sync::Mutex<Vec<Seen>>,
    host: &str,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    loop {
        let mut buf = Vec::new();
        let mut byte = [0u8; 1];
        while !buf.ends_with(b"\r\n\r\n") {
            if stream.read(&mut byte)? == 0 {
                return Ok(());
            }
            if buf.is_empty() && byte[0] == 0x16 {
                stream.write_all(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )?;
                return Ok(());
            }
            buf.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&buf).to_string();
        let mut lines = head.lines();
        let mut first = lines.next().unwrap_or_default().split(' ');
        let method = first.next().unwrap_or_default().to_string();
        let path = first.next().unwrap_or_default().to_string();
        let mut authorization = None;
        let mut length = 0usize;
        for l in lines {
            if let Some((k, v)) = l.split_once(':') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "authorization" => authorization = Some(v.trim().to_string()),
                    "content-length" => length = v.trim().parse().unwrap_or(0),
                    _ => {}
                }
            }
        }
        let mut body = vec![0u8; length.min(64 << 20)];
        stream.read_exact(&mut body)?;
        let s = Seen {
            method,
            path,
            authorization,
            body,
        };
        seen.lock().unwrap().push(s.clone());
        match handler(&s, host) {
            Answer::Silence => {
                std::thread::sleep(Duration::from_secs(30));
                return Ok(());
            }
            Answer::Reply(status, headers, body) => {
                let mut out = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                stream.write_all(out.as_bytes())?;
                if s.method != "HEAD" {
                    stream.write_all(&body)?;
                }
            }
        }
    }
}

/// This machine's address on its default route (not loopback), if it has one: a UDP socket
/// "connected" to a public address sends nothing but picks the local address.
pub fn non_loopback_ip() -> Option<String> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then(|| ip.to_string())
}
