//! The `sbomkit` command: argument parsing and output plumbing over the library. No scanning logic
//! lives here.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process;

use clap::{Args, Parser, Subcommand};

use crate::attest::{self, bundle, dsse, keyless, keys, statement, verify};
use crate::error::{Error, ExitCode};
use crate::format::{self, CycloneDxVersion, Format, WriteOptions};
use crate::limits::Limits;
use crate::scan::{self, ScanOptions};
use crate::source::{self, NoProgress, Progress, SourceOptions, SourceSpec};

const EXIT_CODES: &str = "\
Exit codes:
  0   success
  1   the input could not be read (not an image, corrupt archive, I/O error)
  2   wrong usage
  10  verify: a signature did not verify
  11  verify: the attestation is about another artifact
  12  verify: the predicate has the wrong type or does not validate
  13  verify: the attestation is malformed
  14  verify-bundle, verify: the certificate does not chain to a trusted CA, its SCT does not verify,
      or it names another identity or OIDC issuer
  15  verify-bundle, verify: a transparency log entry, inclusion proof, checkpoint or timestamp does not
      verify, or the signing time is outside the certificate's validity or in the future";

#[derive(Parser, Debug)]
#[command(name = "sbomkit", version, about = "What ships inside a container image, and proof of it", after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write an SBOM of an image archive, OCI layout, root folder or package database
    #[command(after_help = GENERATE_HELP)]
    Generate(GenerateArgs),
    /// Write a key pair for signing attestations (cosign's encrypted key format)
    #[command(after_help = KEYGEN_HELP)]
    Keygen(KeygenArgs),
    /// Write a signed in-toto attestation (DSSE envelope) carrying the SBOM of SOURCE, with a key or keylessly
    #[command(after_help = ATTEST_HELP)]
    Attest(AttestArgs),
    /// Check a signed SBOM attestation offline against a public key and, optionally, the image
    #[command(after_help = VERIFY_HELP)]
    Verify(VerifyArgs),
    /// Check a sigstore bundle offline: signature, certificate and identity, transparency log, time
    #[command(after_help = VERIFY_BUNDLE_HELP)]
    VerifyBundle(VerifyBundleArgs),
}

const KEYGEN_HELP: &str = "\
Writes PREFIX.key (ECDSA P-256 by default, as cosign; PKCS#8 encrypted with scrypt N=2^16 r=8 p=1 and a NaCl
secretbox under the PEM label `ENCRYPTED SIGSTORE PRIVATE KEY`, which cosign reads) and PREFIX.pub (PEM
SubjectPublicKeyInfo). Existing files are not overwritten without --force.

The password comes from SBOMKIT_PASSWORD, else COSIGN_PASSWORD, else a prompt on the terminal (asked twice).

Exit codes:
  0  success
  1  a file exists, no password, or a write failed
  2  wrong usage";

const ATTEST_HELP: &str = "\
The SBOM of SOURCE (scanned as `generate` does, or given with --predicate) becomes the predicate of an in-toto
Statement v1 whose subjects are SOURCE's digests: for an image one subject per identity (the manifest digest
where the input records one, then the config digest / image ID), named by the repository without tag; for a
file its basename and SHA-256. predicateType is https://spdx.dev/Document or https://cyclonedx.org/bom.
The Statement is signed as a DSSE envelope (payloadType application/vnd.in-toto+json, signature over the
PAE, keyid = hex SHA-256 of the public key DER) and written as one line of JSON; with --bundle as a sigstore
bundle v0.3 (publicKey.hint = the keyid, no transparency log entries).

--key reads sbomkit's and cosign's encrypted private keys (`ENCRYPTED SIGSTORE PRIVATE KEY`, `ENCRYPTED
COSIGN PRIVATE KEY`) and unencrypted PKCS#8 `PRIVATE KEY` files: ECDSA P-256, P-384, Ed25519.
The password comes from SBOMKIT_PASSWORD, else COSIGN_PASSWORD, else a prompt on the terminal.

--keyless (with --bundle) signs with an ephemeral ECDSA P-256 key held in memory only: Fulcio
(--fulcio-url, default https://fulcio.sigstore.dev) certifies it for the identity of the OIDC token
(--identity-token, else SIGSTORE_ID_TOKEN), Rekor (--rekor-url, default https://rekor.sigstore.dev) logs the
envelope as a dsse entry, and with --timestamp-url an RFC 3161 authority timestamps the signature. The bundle
holds the leaf certificate, the log entry (signed entry timestamp, inclusion proof, checkpoint) and the
timestamp. URLs must use https, except http to a loopback address.

With --predicate the SBOM must describe SOURCE: a SHA-256 digest of its root component (CycloneDX
metadata.component, the package an SPDX document DESCRIBES: checksums, purl, sbomkit properties) must be
one of SOURCE's digests, else nothing is signed.

Exit codes:
  0   success
  1   the source or the key could not be read; --keyless: Fulcio, Rekor or the timestamp authority failed
  2   wrong usage (also: --keyless without an identity token, or with a non-https URL)
  11  --predicate: the SBOM describes another artifact than SOURCE
  13  --predicate: the file is not an SPDX or CycloneDX JSON document";

const VERIFY_HELP: &str = "\
ATTESTATION is a DSSE envelope, a sigstore bundle holding one (media types v0.1 to v0.3), or JSON Lines of
envelopes (.intoto.jsonl, as `cosign verify-attestation` prints them): one envelope that passes every check
is enough. Nothing in the attestation is trusted: only the key given verifies it, no URL is fetched, and
JSON with duplicate keys or over 64 MiB is refused.

Keyless bundles (a Fulcio certificate instead of a key) are checked with --certificate-identity and
--certificate-oidc-issuer against --trusted-root (default: the public-good root built in), exactly as
`verify-bundle` does: certificate chain, SCT, identity, signature, transparency log and time, reported
as the `signature` check. --key and the identity flags may be given together: key-based envelopes are
then checked with the key and keyless bundles with the identity.

Checks, each reported as pass, fail or not checked:
  envelope       the DSSE envelope is well formed
  signature      a signature verifies over the DSSE PAE with --key (ECDSA P-256/P-384 DER or raw r||s,
                 Ed25519, RSA PKCS#1 v1.5 or PSS with SHA-256; standard or URL-safe base64)
  payloadType    application/vnd.in-toto+json
  statement      an in-toto Statement, v1 or v0.1
  subject        with --image: EVERY subject's sha256 digest is an identity of the image (its manifest
                 digest or config digest / image ID; a file's SHA-256); one foreign subject fails.
                 Without --image: not checked
  predicateType  with --type: the same family (https://spdx.dev/Document matches .../Document/v2.3);
                 --type takes spdx, spdxjson, cyclonedx or a URI. Without --type any type passes
  predicate      an SPDX 2.3 or CycloneDX 1.5/1.6 predicate validates against its official schema

Exit codes:
  0   every check passed (not-checked ones aside)
  1   the key or the image could not be read, or the key type is not supported
  2   wrong usage
  10  no signature verifies with the key (also: zero signatures, a signature over the raw payload)
  11  the attestation is about another artifact than --image
  12  the predicate has the wrong type or does not validate against its schema
  13  the attestation is malformed (not an envelope/bundle, bad base64, wrong payloadType, not a
      Statement, duplicate JSON keys, too large)
  14  keyless: the certificate does not chain to the trusted root, its SCT does not verify, or it
      names another identity or OIDC issuer
  15  keyless: the transparency log entry, a timestamp or the signing time does not hold";

const VERIFY_BUNDLE_HELP: &str = "\
ARTIFACT is a file (hashed with SHA-256) or `sha256:<64 hex>`. The bundle (media types
application/vnd.dev.sigstore.bundle+json;version=0.1|0.2|0.3 and application/vnd.dev.sigstore.bundle.v0.3+json;
a bundle without mediaType is refused) holds a message signature over ARTIFACT or a DSSE envelope whose
in-toto subject is ARTIFACT. Nothing is fetched: the trusted root is --trusted-root (sigstore TrustedRoot
JSON) or the public-good production root built into sbomkit.

Checks, in order; the first failure decides the exit code:
  bundle       media type known, fields well formed, one DSSE signature                        (13)
  certificate  keyless: the leaf chains to a certificate authority of the trusted root (ECDSA
               signatures up to its root, CA constraints, path length, codeSigning); a bundle
               that embeds a self-signed certificate is refused; an embedded SCT verifies with
               a CT log key of the trusted root; a SAN (email or URI) is exactly
               --certificate-identity and the Fulcio OIDC issuer extension (v1 or v2) is exactly
               --certificate-oidc-issuer                                                        (14)
  signature    the signature verifies over the DSSE PAE or the message digest                   (10)
  artifact     ARTIFACT's SHA-256 is the message digest or an in-toto subject's sha256          (11)
  tlog         each entry: its log is in the trusted root; the canonicalized body (hashedrekord
               0.0.1/0.0.2, dsse 0.0.1/0.0.2, intoto 0.0.2) records this signature, payload or
               digest and certificate or key; the signed entry timestamp verifies; the RFC 6962
               inclusion proof leads to the root hash; the checkpoint is signed by the log and
               names the same tree size and root hash. Keyless bundles need at least one entry  (15)
  timestamp    each RFC 3161 timestamp: signed by a timestamp authority of the trusted root,
               message imprint = hash of the signature, time within the TSA's validity          (15)
  time         keyless: every verified time (integrated times, timestamps) lies within the
               certificate's and the chain's validity (ends inclusive) and the CA's validFor;
               an integrated time in the future is refused                                      (15)

Exit codes:
  0   every check passed
  1   a file could not be read
  2   wrong usage
  10  the signature does not verify
  11  the bundle is about another artifact
  13  the bundle or the trusted root is malformed, or the bundle's media type is unknown
  14  certificate: no chain to a trusted CA, bad SCT, another identity or issuer, key/keyless mix-up
  15  transparency log, timestamp or signing time";

#[derive(Args, Debug)]
pub struct VerifyBundleArgs {
    /// The artifact: a file path or sha256:<64 hex>
    pub artifact: String,
    /// The sigstore bundle (.sigstore.json)
    #[arg(long, value_name = "FILE")]
    pub bundle: PathBuf,
    /// Public key of a key-based bundle (PEM SubjectPublicKeyInfo)
    #[arg(long, value_name = "PUB", conflicts_with_all = ["certificate_identity", "certificate_oidc_issuer"], required_unless_present = "certificate_identity")]
    pub key: Option<PathBuf>,
    #[command(flatten)]
    pub keyless: KeylessArgs,
    /// Report format: text for people, json for machines
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub output: String,
}

/// The identity a keyless bundle must carry, and what it is checked against.
#[derive(Args, Debug, Clone)]
pub struct KeylessArgs {
    /// Keyless: the exact subject alternative name (email or URI) of the signing certificate
    #[arg(long, value_name = "ID", requires = "certificate_oidc_issuer")]
    pub certificate_identity: Option<String>,
    /// Keyless: the exact OIDC issuer recorded in the certificate
    #[arg(long, value_name = "URL", requires = "certificate_identity")]
    pub certificate_oidc_issuer: Option<String>,
    /// Sigstore TrustedRoot JSON (default: the public-good production root built in)
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
}

impl KeylessArgs {
    /// The trusted root given, else the embedded one.
    pub fn trusted_root(&self) -> Result<attest::sigstore::trust::TrustedRoot, Error> {
        use attest::sigstore::trust::TrustedRoot;
        match &self.trusted_root {
            Some(p) => TrustedRoot::parse(&attest::read_limited(p)?)
                .map_err(|m| attest::fail(ExitCode::Malformed, format!("{}: {m}", p.display()))),
            None => TrustedRoot::production()
                .map_err(|m| Error::Other(format!("the built-in trusted root: {m}"))),
        }
    }
}

#[derive(Args, Debug)]
pub struct KeygenArgs {
    /// Write PREFIX.key and PREFIX.pub
    #[arg(long, value_name = "PREFIX", default_value = "sbomkit")]
    pub prefix: String,
    /// Key type
    #[arg(long, value_name = "ALGORITHM", default_value = "ecdsa-p256", value_parser = keys::Algorithm::NAMES)]
    pub algorithm: String,
    /// Overwrite existing files
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct AttestArgs {
    /// What to attest: [SCHEME:]PATH, any source `generate` takes
    pub source: String,
    /// Private key file (sbomkit or cosign encrypted key, or PKCS#8 PEM)
    #[arg(
        long,
        value_name = "KEY",
        required_unless_present = "keyless",
        conflicts_with = "keyless"
    )]
    pub key: Option<PathBuf>,
    /// Sign with an ephemeral key certified by Fulcio for an OIDC identity, logged to Rekor
    #[arg(long, requires = "bundle")]
    pub keyless: bool,
    /// OIDC identity token for --keyless (default: the SIGSTORE_ID_TOKEN environment variable)
    #[arg(long, value_name = "TOKEN", requires = "keyless")]
    pub identity_token: Option<String>,
    /// Fulcio instance for --keyless
    #[arg(long, value_name = "URL", requires = "keyless", default_value = keyless::DEFAULT_FULCIO_URL)]
    pub fulcio_url: String,
    /// Rekor instance for --keyless
    #[arg(long, value_name = "URL", requires = "keyless", default_value = keyless::DEFAULT_REKOR_URL)]
    pub rekor_url: String,
    /// RFC 3161 timestamp authority for --keyless (full URL of its timestamp endpoint)
    #[arg(long, value_name = "URL", requires = "keyless")]
    pub timestamp_url: Option<String>,
    /// SBOM format of the predicate
    #[arg(short = 'o', long = "format", value_name = "FORMAT", value_parser = ["spdx-json", "cyclonedx-json"])]
    pub format: Option<String>,
    /// Sign this SBOM (SPDX or CycloneDX JSON) instead of scanning; it must describe SOURCE
    #[arg(long, value_name = "SBOM.json")]
    pub predicate: Option<PathBuf>,
    /// Write a sigstore bundle v0.3 instead of a bare DSSE envelope
    #[arg(long)]
    pub bundle: bool,
    /// Write to FILE (atomically) instead of stdout
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// CycloneDX spec version to write
    #[arg(long, value_name = "VERSION", default_value = "1.6", value_parser = ["1.5", "1.6"])]
    pub cyclonedx_version: String,
    /// Which image of a multi-image archive (NAME:TAG)
    #[arg(long, value_name = "NAME:TAG")]
    pub image: Option<String>,
    /// Which platform of a multi-platform image (os/arch[/variant])
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// No progress bar, no warnings on stderr
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The attestation: DSSE envelope, sigstore bundle, or JSON Lines of envelopes
    pub attestation: PathBuf,
    /// Public key (PEM SubjectPublicKeyInfo, as `sbomkit keygen` and cosign write it)
    #[arg(
        long,
        value_name = "PUB",
        required_unless_present = "certificate_identity"
    )]
    pub key: Option<PathBuf>,
    #[command(flatten)]
    pub keyless: KeylessArgs,
    /// The image or file the attestation must be about: [SCHEME:]PATH, any source `generate` takes
    #[arg(long, value_name = "SOURCE")]
    pub image: Option<String>,
    /// Which platform of a multi-platform --image (os/arch[/variant])
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Required predicate type: spdx, spdxjson, cyclonedx or a URI
    #[arg(long = "type", value_name = "TYPE")]
    pub predicate_type: Option<String>,
    /// Report format: text for people, json for machines
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub output: String,
}

const GENERATE_HELP: &str = "\
Sources (the kind is detected from the path and its first bytes; a prefix forces it):
  docker-archive:PATH   a `docker save` tar, also gzip-compressed
  oci-archive:PATH      an OCI image layout packed in a tar
  oci-dir:PATH          an OCI image layout folder
  dir:PATH              a root filesystem folder
  file:PATH             one file: an APK installed database, a dpkg status file, a binary

Outputs (-o, repeatable; FORMAT=FILE writes to a file, FORMAT alone to stdout):
  spdx-json        SPDX 2.3 JSON
  cyclonedx-json   CycloneDX 1.6 JSON (1.5 with --cyclonedx-version 1.5)
  table            name, version, type and layer of every package
Default: table on a terminal, spdx-json otherwise.

The document's time comes from SOURCE_DATE_EPOCH, else the image config's `created`, else 1970-01-01:
the same input always gives the same bytes.

Exit codes:
  0  success
  1  the input could not be read (not an image, corrupt archive, I/O error)
  2  wrong usage";

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// What to scan: [SCHEME:]PATH
    pub source: String,
    /// Output as FORMAT or FORMAT=FILE; repeat for several outputs from one scan
    #[arg(short = 'o', long = "output", value_name = "FORMAT[=FILE]")]
    pub outputs: Vec<String>,
    /// CycloneDX spec version to write
    #[arg(long, value_name = "VERSION", default_value = "1.6", value_parser = ["1.5", "1.6"])]
    pub cyclonedx_version: String,
    /// Which image of a multi-image archive (NAME:TAG)
    #[arg(long, value_name = "NAME:TAG")]
    pub image: Option<String>,
    /// Which platform of a multi-platform image (os/arch[/variant])
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Record every file packages own, with its SHA-256
    #[arg(long)]
    pub files: bool,
    /// No progress bar, no warnings on stderr
    #[arg(short, long)]
    pub quiet: bool,
    /// Say what each cataloger found
    #[arg(short, long)]
    pub verbose: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Limits that protect against hostile images.
#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// Most archive entries over all layers
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_entries)]
    pub max_entries: u64,
    /// Most bytes read after decompression over all layers
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_decompressed_bytes)]
    pub max_decompressed_bytes: u64,
    /// Largest file whose content is parsed
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_file_size)]
    pub max_file_size: u64,
    /// Largest manifest, index or config JSON read from an image
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_json_size)]
    pub max_json_size: u64,
}

impl LimitArgs {
    pub fn limits(&self) -> Limits {
        Limits {
            max_entries: self.max_entries,
            max_decompressed_bytes: self.max_decompressed_bytes,
            max_file_size: self.max_file_size,
            max_json_size: self.max_json_size,
        }
    }
}

/// Entry point of the binary.
pub fn main() -> process::ExitCode {
    // `--version` alone answers before the whole command tree is built: it is called in loops.
    let mut args = std::env::args_os().skip(1);
    if let (Some(a), None) = (args.next(), args.next()) {
        if a == "--version" || a == "-V" {
            println!("sbomkit {}", env!("CARGO_PKG_VERSION"));
            return process::ExitCode::SUCCESS;
        }
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return process::ExitCode::from(if e.use_stderr() {
                ExitCode::Usage as u8
            } else {
                0
            });
        }
    };
    let result = match cli.command {
        Command::Generate(args) => generate(args),
        Command::Keygen(args) => keygen(args),
        Command::Attest(args) => attest_cmd(args),
        Command::Verify(args) => verify_cmd(args),
        Command::VerifyBundle(args) => verify_bundle_cmd(args),
    };
    match result {
        Ok(code) => process::ExitCode::from(code as u8),
        Err(e) => {
            report(&e);
            process::ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// Prints an error and its causes on stderr.
pub fn report(e: &Error) {
    let mut msg = format!("error: {e}");
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let text = c.to_string();
        if !msg.contains(&text) {
            msg.push_str(&format!("\n  caused by: {text}"));
        }
        cause = c.source();
    }
    eprintln!("{msg}");
}

/// One `-o` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    pub format: Format,
    pub file: Option<PathBuf>,
}

pub fn parse_output(s: &str) -> Result<OutputSpec, Error> {
    let (name, file) = match s.split_once('=') {
        Some((n, f)) if !f.is_empty() => (n, Some(PathBuf::from(f))),
        Some((n, _)) => (n, None),
        None => (s, None),
    };
    let format = Format::from_name(name).ok_or_else(|| {
        Error::Usage(format!(
            "unknown output format `{name}`; choose one of: {}",
            Format::NAMES.join(", ")
        ))
    })?;
    Ok(OutputSpec { format, file })
}

fn generate(args: GenerateArgs) -> Result<ExitCode, Error> {
    let mut outputs = args
        .outputs
        .iter()
        .map(|s| parse_output(s))
        .collect::<Result<Vec<_>, _>>()?;
    if outputs.is_empty() {
        let format = if io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::SpdxJson
        };
        outputs.push(OutputSpec { format, file: None });
    }
    if outputs.iter().filter(|o| o.file.is_none()).count() > 1 {
        return Err(Error::Usage(
            "only one output can go to stdout; give the others a file (-o FORMAT=FILE)".into(),
        ));
    }
    let opts = ScanOptions {
        source: SourceOptions {
            image: args.image.clone(),
            platform: args.platform.clone(),
            limits: args.limits.limits(),
        },
        files: args.files,
        source_date_epoch: source_date_epoch()?,
    };
    let spec = SourceSpec::parse(&args.source);
    let show_progress = !args.quiet && io::stderr().is_terminal();
    let bar = Bar::new(show_progress);
    let (sbom, stats) = scan::scan(&spec, &opts, &bar)?;
    bar.finish();

    if !args.quiet {
        for w in &sbom.warnings {
            eprintln!("warning: {w}");
        }
    }
    if args.verbose {
        for (name, n) in &stats.per_cataloger {
            eprintln!("{name}: {n} packages");
        }
    }

    let wopts = WriteOptions {
        cyclonedx_version: match args.cyclonedx_version.as_str() {
            "1.5" => CycloneDxVersion::V1_5,
            _ => CycloneDxVersion::V1_6,
        },
    };
    for out in &outputs {
        match &out.file {
            Some(path) => write_atomically(path, |w| format::write(&sbom, out.format, &wopts, w))?,
            None => {
                let stdout = io::stdout();
                let mut lock = stdout.lock();
                let r =
                    format::write(&sbom, out.format, &wopts, &mut lock).and_then(|_| lock.flush());
                match r {
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
                    r => r.map_err(|e| Error::Io {
                        path: "<stdout>".into(),
                        source: e,
                    })?,
                }
            }
        }
    }
    Ok(ExitCode::Success)
}

/// The private key password: SBOMKIT_PASSWORD, else COSIGN_PASSWORD, else a prompt on a terminal
/// (twice when `confirm`), else an error.
fn password(confirm: bool) -> Result<zeroize::Zeroizing<String>, String> {
    for var in ["SBOMKIT_PASSWORD", "COSIGN_PASSWORD"] {
        if let Ok(v) = std::env::var(var) {
            return Ok(zeroize::Zeroizing::new(v));
        }
    }
    if !io::stdin().is_terminal() {
        return Err(
            "no password: set SBOMKIT_PASSWORD (or COSIGN_PASSWORD), or run on a terminal to be asked"
                .into(),
        );
    }
    let read = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map(zeroize::Zeroizing::new)
            .map_err(|e| format!("cannot read the password: {e}"))
    };
    let first = read("Enter password for private key: ")?;
    if confirm {
        let again = read("Enter password for private key again: ")?;
        if *again != *first {
            return Err("the passwords do not match".into());
        }
    }
    Ok(first)
}

fn key_error(path: &Path, message: String) -> Error {
    attest::fail(ExitCode::Failure, format!("{}: {message}", path.display()))
}

fn keygen(args: KeygenArgs) -> Result<ExitCode, Error> {
    let alg = keys::Algorithm::from_name(&args.algorithm)
        .ok_or_else(|| Error::Usage(format!("unknown algorithm `{}`", args.algorithm)))?;
    let key_path = PathBuf::from(format!("{}.key", args.prefix));
    let pub_path = PathBuf::from(format!("{}.pub", args.prefix));
    if !args.force {
        for p in [&key_path, &pub_path] {
            if p.exists() {
                return Err(attest::fail(
                    ExitCode::Failure,
                    format!(
                        "{}: already exists; use --force to overwrite it",
                        p.display()
                    ),
                ));
            }
        }
    }
    let pw = password(true).map_err(|m| attest::fail(ExitCode::Failure, m))?;
    let key = keys::SigningKey::generate(alg);
    let pem =
        keys::encrypt_private_key(&key, pw.as_bytes()).map_err(|m| key_error(&key_path, m))?;
    // The temporary file is created readable by the owner only, and keeps that mode when renamed.
    write_atomically(&key_path, |w| w.write_all(pem.as_bytes()))?;
    let public = key.verifying_key().to_pem();
    write_atomically(&pub_path, |w| w.write_all(public.as_bytes()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&pub_path, std::fs::Permissions::from_mode(0o644));
    }
    eprintln!("Private key written to {}", key_path.display());
    eprintln!("Public key written to {}", pub_path.display());
    Ok(ExitCode::Success)
}

/// Opens a source for its identities only: no file content is kept, no cataloger runs.
fn identities_of(spec: &SourceSpec, opts: &SourceOptions) -> Result<crate::model::Subject, Error> {
    Ok(source::open(spec, opts, &source::Interest::NOTHING, &NoProgress)?.subject)
}

/// How `attest` signs: a key file, or keylessly.
enum Signer {
    Key(keys::SigningKey),
    Keyless(keyless::Keyless),
}

fn signer(args: &AttestArgs) -> Result<Signer, Error> {
    if let Some(path) = &args.key {
        let key_text = String::from_utf8(attest::read_limited(path)?)
            .map_err(|_| key_error(path, "not a PEM text file".into()))?;
        let key = keys::read_private_key(&key_text, || password(false))
            .map_err(|m| key_error(path, m))?;
        return Ok(Signer::Key(key));
    }
    let token = match &args.identity_token {
        Some(t) => t.clone(),
        None => std::env::var(keyless::TOKEN_ENV).unwrap_or_default(),
    };
    if token.trim().is_empty() {
        return Err(Error::Usage(format!(
            "--keyless needs an OIDC identity token: pass --identity-token TOKEN or set {}",
            keyless::TOKEN_ENV
        )));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    keyless::Keyless::new(
        &token,
        &args.fulcio_url,
        &args.rekor_url,
        args.timestamp_url.as_deref(),
        now,
    )
    .map(Signer::Keyless)
    .map_err(|m| Error::Usage(format!("--keyless: {m}")))
}

fn attest_cmd(args: AttestArgs) -> Result<ExitCode, Error> {
    // Checked before the scan: a bad key, token or URL should not wait for a large image.
    let signer = signer(&args)?;
    let spec = SourceSpec::parse(&args.source);
    let source_opts = SourceOptions {
        image: args.image.clone(),
        platform: args.platform.clone(),
        limits: args.limits.limits(),
    };
    let wanted = args.format.as_deref().map(|f| match f {
        "cyclonedx-json" => statement::SbomKind::CycloneDx,
        _ => statement::SbomKind::Spdx,
    });

    let (subject, kind, predicate) = match &args.predicate {
        Some(path) => {
            let bytes = attest::read_limited(path)?;
            let doc = attest::parse_json(&bytes).map_err(|e| {
                attest::fail(
                    ExitCode::Malformed,
                    format!("{}: not JSON: {e}", path.display()),
                )
            })?;
            let kind = statement::SbomKind::of(&doc).ok_or_else(|| {
                attest::fail(
                    ExitCode::Malformed,
                    format!("{}: not an SPDX or CycloneDX JSON document", path.display()),
                )
            })?;
            if wanted.is_some_and(|w| w != kind) {
                return Err(Error::Usage(format!(
                    "{} is a {} document, not the -o format asked for",
                    path.display(),
                    if kind == statement::SbomKind::Spdx {
                        "SPDX"
                    } else {
                        "CycloneDX"
                    }
                )));
            }
            let subject = identities_of(&spec, &source_opts)?;
            let described = statement::described_digests(&doc);
            let ours: Vec<&str> = subject.identities.iter().map(|i| i.hex()).collect();
            if !described.iter().any(|d| ours.contains(&d.as_str())) {
                let theirs = if described.is_empty() {
                    "no digest".to_string()
                } else {
                    described
                        .iter()
                        .map(|d| format!("sha256:{d}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                return Err(attest::fail(
                    ExitCode::SubjectMismatch,
                    format!(
                        "{} describes {theirs}, but {} is {}; refusing to sign an SBOM of another artifact",
                        path.display(),
                        args.source,
                        subject.identities.iter().map(|i| i.digest.clone()).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            (subject, kind, doc)
        }
        None => {
            let kind = wanted.unwrap_or(statement::SbomKind::Spdx);
            let opts = ScanOptions {
                source: source_opts,
                files: false,
                source_date_epoch: source_date_epoch()?,
            };
            let bar = Bar::new(!args.quiet && io::stderr().is_terminal());
            let (sbom, _) = scan::scan(&spec, &opts, &bar)?;
            bar.finish();
            if !args.quiet {
                for w in &sbom.warnings {
                    eprintln!("warning: {w}");
                }
            }
            let wopts = WriteOptions {
                cyclonedx_version: match args.cyclonedx_version.as_str() {
                    "1.5" => CycloneDxVersion::V1_5,
                    _ => CycloneDxVersion::V1_6,
                },
            };
            let format = match kind {
                statement::SbomKind::Spdx => Format::SpdxJson,
                statement::SbomKind::CycloneDx => Format::CycloneDxJson,
            };
            let mut buf = Vec::new();
            format::write(&sbom, format, &wopts, &mut buf).map_err(|e| Error::Io {
                path: "<sbom>".into(),
                source: e,
            })?;
            let doc: serde_json::Value = serde_json::from_slice(&buf)
                .map_err(|e| Error::Other(format!("the SBOM written is not JSON: {e}")))?;
            (sbom.subject, kind, doc)
        }
    };

    let subjects = statement::subjects_for(&subject, &spec.path)
        .map_err(|m| attest::fail(ExitCode::Failure, m))?;
    let payload = statement::build(subjects, kind.predicate_type(), predicate);
    let doc = match &signer {
        Signer::Key(key) => {
            let envelope = dsse::sign(dsse::IN_TOTO_PAYLOAD_TYPE, &payload, key);
            if args.bundle {
                bundle::wrap(&envelope)
            } else {
                serde_json::to_value(&envelope).map_err(|e| Error::Other(e.to_string()))?
            }
        }
        Signer::Keyless(k) => k
            .sign(dsse::IN_TOTO_PAYLOAD_TYPE, &payload)
            .map_err(|m| attest::fail(ExitCode::Failure, format!("keyless signing: {m}")))?,
    };
    let mut text = serde_json::to_vec(&doc).map_err(|e| Error::Other(e.to_string()))?;
    text.push(b'\n');
    emit(args.output.as_deref(), &text)?;
    Ok(ExitCode::Success)
}

/// Writes bytes to a file atomically, or to stdout (a closed pipe is not an error).
fn emit(path: Option<&Path>, bytes: &[u8]) -> Result<(), Error> {
    match path {
        Some(p) => write_atomically(p, |w| w.write_all(bytes)),
        None => {
            let stdout = io::stdout();
            let mut lock = stdout.lock();
            match lock.write_all(bytes).and_then(|_| lock.flush()) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                r => r.map_err(|e| Error::Io {
                    path: "<stdout>".into(),
                    source: e,
                }),
            }
        }
    }
}

fn verify_cmd(args: VerifyArgs) -> Result<ExitCode, Error> {
    let key = match &args.key {
        Some(p) => {
            let text = String::from_utf8(attest::read_limited(p)?)
                .map_err(|_| key_error(p, "not a PEM text file".into()))?;
            Some(keys::VerifyingKey::from_pem(&text).map_err(|m| key_error(p, m))?)
        }
        None => None,
    };
    let trust = match &args.keyless.certificate_identity {
        Some(_) => Some(args.keyless.trusted_root()?),
        None => None,
    };
    let keyless = match (
        &args.keyless.certificate_identity,
        &args.keyless.certificate_oidc_issuer,
        &trust,
    ) {
        (Some(identity), Some(issuer), Some(trust)) => Some(verify::Keyless {
            identity,
            issuer,
            trust,
            now: now(),
        }),
        _ => None,
    };
    let bytes = attest::read_limited(&args.attestation)?;
    let target = match &args.image {
        Some(image) => {
            let opts = SourceOptions {
                platform: args.platform.clone(),
                ..SourceOptions::default()
            };
            let subject = identities_of(&SourceSpec::parse(image), &opts)?;
            Some(verify::Target {
                label: image.clone(),
                identities: subject.identities,
            })
        }
        None => None,
    };
    let opts = verify::Options {
        key: key.as_ref(),
        keyless,
        target: target.as_ref(),
        want_type: args.predicate_type.as_deref().map(statement::resolve_type),
    };
    let label = args.attestation.display().to_string();
    let report = verify::verify(&bytes, &label, &opts)?;
    let text = if args.output == "json" {
        let mut t = serde_json::to_vec_pretty(&report.to_json())
            .map_err(|e| Error::Other(e.to_string()))?;
        t.push(b'\n');
        t
    } else {
        report.human().into_bytes()
    };
    emit(None, &text)?;
    Ok(report.exit_code())
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn verify_bundle_cmd(args: VerifyBundleArgs) -> Result<ExitCode, Error> {
    use attest::sigstore::{self, Policy};
    let key = match &args.key {
        Some(p) => {
            let text = String::from_utf8(attest::read_limited(p)?)
                .map_err(|_| key_error(p, "not a PEM text file".into()))?;
            Some(keys::VerifyingKey::from_pem(&text).map_err(|m| key_error(p, m))?)
        }
        None => None,
    };
    let policy = match (
        &key,
        &args.keyless.certificate_identity,
        &args.keyless.certificate_oidc_issuer,
    ) {
        (Some(k), _, _) => Policy::Key(k),
        (None, Some(identity), Some(issuer)) => Policy::Identity { identity, issuer },
        _ => {
            return Err(Error::Usage(
                "give --key, or --certificate-identity with --certificate-oidc-issuer".into(),
            ))
        }
    };
    let trust = args.keyless.trusted_root()?;
    let artifact = sigstore::artifact_digest(&args.artifact).map_err(Error::Other)?;
    let bytes = attest::read_limited(&args.bundle)?;
    let opts = sigstore::Options {
        policy,
        trust: &trust,
        artifact: Some(artifact),
        now: now(),
    };
    let result = sigstore::verify_bundle(&bytes, &opts);
    let label = args.bundle.display().to_string();
    let code = match &result {
        Ok(_) => ExitCode::Success,
        Err(f) => f.code,
    };
    let text = if args.output == "json" {
        let v = match &result {
            Ok(v) => serde_json::json!({
                "bundle": label,
                "verified": true,
                "exitCode": 0,
                "mediaType": v.media_type,
                "identity": v.identity,
                "issuer": v.issuer,
                "signingTimes": v.signing_times,
                "checks": v.checks.iter().map(|(n, d)| serde_json::json!({"name": n, "status": "pass", "detail": d})).collect::<Vec<_>>(),
            }),
            Err(f) => serde_json::json!({
                "bundle": label,
                "verified": false,
                "exitCode": f.code as u8,
                "failed": {"name": f.check, "detail": f.message},
            }),
        };
        let mut t = serde_json::to_vec_pretty(&v).map_err(|e| Error::Other(e.to_string()))?;
        t.push(b'\n');
        t
    } else {
        let mut out = format!("{label}\n");
        match &result {
            Ok(v) => {
                for (n, d) in &v.checks {
                    out.push_str(&format!("  {n:<12} pass  {d}\n"));
                }
                out.push_str("verified\n");
            }
            Err(f) => out.push_str(&format!(
                "NOT verified (exit {}): {}: {}\n",
                f.code as u8, f.check, f.message
            )),
        }
        out.into_bytes()
    };
    emit(None, &text)?;
    Ok(code)
}

/// `SOURCE_DATE_EPOCH`, if set; an unparsable value is a usage error, not silently ignored.
pub fn source_date_epoch() -> Result<Option<i64>, Error> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.trim().is_empty() => v.trim().parse().map(Some).map_err(|_| {
            Error::Usage(format!(
                "SOURCE_DATE_EPOCH must be whole seconds since 1970, got `{v}`"
            ))
        }),
        _ => Ok(None),
    }
}

/// Writes a file through a temporary file in the same folder, renamed into place only when complete,
/// so a failed run never leaves a half-written document.
pub fn write_atomically(
    path: &Path,
    f: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Error> {
    let io_err = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io_err)?;
    {
        let mut w = io::BufWriter::new(tmp.as_file_mut());
        f(&mut w).map_err(io_err)?;
        w.flush().map_err(io_err)?;
    }
    tmp.persist(path).map_err(|e| io_err(e.error))?;
    Ok(())
}

/// A progress bar on stderr, only on a terminal.
struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    fn new(show: bool) -> Bar {
        Bar(show.then(|| {
            let b = indicatif::ProgressBar::hidden();
            b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} reading {bytes}/{total_bytes} [{bar:30}] {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b
        }))
    }
}

impl Progress for Bar {
    fn start(&self, total: u64) {
        if let Some(b) = &self.0 {
            b.set_length(total);
        }
    }
    fn advance(&self, bytes: u64) {
        if let Some(b) = &self.0 {
            b.inc(bytes);
        }
    }
    fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_specs() {
        assert_eq!(
            parse_output("spdx-json=a.json").unwrap(),
            OutputSpec {
                format: Format::SpdxJson,
                file: Some("a.json".into())
            }
        );
        assert_eq!(parse_output("table").unwrap().file, None);
        assert!(parse_output("xml").is_err());
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
