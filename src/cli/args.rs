//! The command line as clap sees it: commands, flags, their help and value enums. No I/O and no
//! decisions here; `cli::<command>` turns these into library calls.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use sbomkit::attest::keys::Algorithm;
use sbomkit::attest::statement;
use sbomkit::attest::{keyless, ReportFormat};
use sbomkit::exclude::Exclude;
use sbomkit::format::CycloneDxVersion;
use sbomkit::limits::Limits;
use sbomkit::model::Actor;
use sbomkit::read::profile::Profile;
use sbomkit::scan::Scope;
use sbomkit::source::SourceOptions;
use sbomkit::Error;

const EXIT_CODES: &str = "\
Exit codes:
  0   success
  1   the input could not be read (not an image, corrupt archive, I/O error)
  2   wrong usage
  3   a gate did not hold: audit --fail-on has findings; diff --fail-on found a
      change of a named kind; validate: the profile is not met
  10  verify: a signature did not verify
  11  verify: the attestation is about another artifact
  12  verify: the predicate has the wrong type or does not validate
  13  verify: the attestation is malformed
  14  verify-bundle, verify: the certificate does not chain to a trusted CA,
      its SCT does not verify, or it names another identity or OIDC issuer
  15  verify-bundle, verify: a transparency log entry, inclusion proof,
      checkpoint or timestamp does not verify, or the signing time is outside
      the certificate's validity or in the future";

#[derive(Parser, Debug)]
#[command(name = "sbomkit", version, about = "What ships inside a container image, and proof of it", after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Read options from FILE (default: ./.sbomkit.yaml, else $XDG_CONFIG_HOME/sbomkit/config.yaml)
    #[arg(long, global = true, value_name = "FILE", env = "SBOMKIT_CONFIG")]
    pub config: Option<std::path::PathBuf>,
}

// One value per run: the size of the largest arguments costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write an SBOM of an image archive, OCI layout, root folder or package database
    #[command(after_help = GENERATE_HELP, visible_alias = "scan")]
    Generate(GenerateArgs),
    /// Report an image's posture: user, shells, package managers, setuid files, capabilities, keys
    #[command(after_help = AUDIT_HELP)]
    Audit(AuditArgs),
    /// Compare two images or SBOMs: packages added, removed, upgraded, downgraded; posture changes
    #[command(after_help = DIFF_HELP)]
    Diff(DiffArgs),
    /// Write a key pair for signing attestations (cosign's encrypted key format)
    #[command(after_help = KEYGEN_HELP)]
    Keygen(KeygenArgs),
    /// Write a signed in-toto attestation (DSSE envelope) carrying the SBOM of SOURCE, with a key or keylessly
    #[command(
        after_help = ATTEST_HELP,
        mut_arg("source", |a| a.help("What to attest: [SCHEME:]PATH, any source `generate` takes")),
        mut_arg("exclude", |a| a.conflicts_with("predicate"))
    )]
    Attest(AttestArgs),
    /// Check a signed SBOM attestation offline against a public key and, optionally, the image
    #[command(after_help = VERIFY_HELP)]
    Verify(VerifyArgs),
    /// Check an SBOM from any tool against its schema and a profile (NTIA, CISA 2026, BSI TR-03183-2)
    #[command(after_help = VALIDATE_HELP)]
    Validate(ValidateArgs),
    /// Convert an SBOM from any tool between SPDX 2.3, SPDX 3.0.1 and CycloneDX
    #[command(after_help = CONVERT_HELP)]
    Convert(ConvertArgs),
    /// Check a sigstore bundle offline: signature, certificate and identity, transparency log, time
    #[command(after_help = VERIFY_BUNDLE_HELP)]
    VerifyBundle(VerifyBundleArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    #[command(after_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command to a folder
    #[command(after_help = MAN_HELP)]
    Man(ManArgs),
}

const VALIDATE_HELP: &str = "\
Reads SPDX 2.2/2.3 JSON, SPDX 3.0.1 JSON-LD or CycloneDX 1.4-1.7 JSON, whoever wrote it. \
The document is checked against the official schema of its format and version (CycloneDX 1.4 \
against 1.5's, SPDX 2.2 against 2.3's); each error names its JSON pointer and line. A \
profile then checks the elements it requires, each pass or fail with how many components \
miss it and the first few by name:
  schema      the schema only (the default)
  ntia        NTIA minimum elements, as ntia-conformance-checker checks them
  cisa-2026   CISA 2026 Minimum Elements
  bsi-2.1     BSI TR-03183-2 v2.1 (CycloneDX 1.6+ or SPDX 3.0.1+ only)

What each check looks at in each format: docs/validate.md. Input over 64 MiB, nested over 64 \
levels or naming a key twice in one object is refused.

Exit codes:
  0  the schema is valid and the profile holds
  1  the file could not be read or is not an SBOM
  2  wrong usage
  3  the profile does not hold";

const CONVERT_HELP: &str = "\
Reads SPDX 2.2/2.3 JSON, SPDX 3.0.1 JSON-LD or CycloneDX 1.4-1.7 JSON from any tool and \
writes it with sbomkit's writers: spdx-json (SPDX 2.3), spdx3-json (SPDX 3.0.1), \
cyclonedx-json (1.7, or @1.5, @1.6), and their tag-value and XML forms. What the target \
cannot hold is dropped with one warning line per kind of information. Files are written \
whole or not at all.

Examples:
  sbomkit convert syft.spdx.json -o cyclonedx-json@1.6=bom.json
  sbomkit convert bom.json -o spdx3-json=sbom.spdx3.json -o spdx-json=sbom.spdx.json

Exit codes:
  0  success
  1  the input could not be read or is not an SBOM, or an output could not be written
  2  wrong usage";

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// The SBOM to check
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The profile to check beyond the schema
    #[arg(long, value_name = "PROFILE", default_value = "schema")]
    pub profile: ProfileArg,
    /// Report format: table for people, json for machines (fields in docs/validate.md)
    #[arg(long, value_name = "FORMAT", default_value = "table")]
    pub output: ValidateOutputArg,
}

#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// The SBOM to convert
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// Output as FORMAT or FORMAT=FILE; repeat for several
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FORMAT[=FILE]",
        required = true
    )]
    pub outputs: Vec<String>,
    /// No warnings on stderr
    #[arg(short, long, env = "SBOMKIT_QUIET", value_parser = clap::builder::BoolishValueParser::new())]
    pub quiet: bool,
}

/// `validate --profile`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileArg {
    #[value(name = "schema")]
    Schema,
    #[value(name = "ntia")]
    Ntia,
    #[value(name = "cisa-2026")]
    Cisa2026,
    #[value(name = "bsi-2.1")]
    Bsi21,
}

impl From<ProfileArg> for Profile {
    fn from(p: ProfileArg) -> Profile {
        match p {
            ProfileArg::Schema => Profile::Schema,
            ProfileArg::Ntia => Profile::Ntia,
            ProfileArg::Cisa2026 => Profile::Cisa2026,
            ProfileArg::Bsi21 => Profile::Bsi21,
        }
    }
}

/// `validate --output`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidateOutputArg {
    #[value(name = "table")]
    Table,
    #[value(name = "json")]
    Json,
}

const COMPLETIONS_HELP: &str = "\
Examples:
  sbomkit completions bash > /etc/bash_completion.d/sbomkit
  sbomkit completions zsh > \"${fpath[1]}/_sbomkit\"
  sbomkit completions fish > ~/.config/fish/completions/sbomkit.fish";

const MAN_HELP: &str = "\
Examples:
  sbomkit man | man -l -
  sbomkit man --dir /usr/local/share/man/man1";

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write sbomkit.1 and one sbomkit-COMMAND.1 per command into DIR instead of printing sbomkit.1
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

const KEYGEN_HELP: &str = "\
Writes PREFIX.key (ECDSA P-256 by default, as cosign; PKCS#8 encrypted with scrypt \
N=2^16 r=8 p=1 and a NaCl secretbox under the PEM label `ENCRYPTED SIGSTORE PRIVATE KEY`, \
which cosign reads) and PREFIX.pub (PEM SubjectPublicKeyInfo). Existing files are not \
overwritten without --force.

The password comes from SBOMKIT_PASSWORD, else COSIGN_PASSWORD, else a prompt on the \
terminal (asked twice).

Exit codes:
  0  success
  1  a file exists, no password, or a write failed
  2  wrong usage";

const ATTEST_HELP: &str = "\
The SBOM of SOURCE (scanned as `generate` does, or given with --predicate) becomes the \
predicate of an in-toto Statement v1 whose subjects are SOURCE's digests: for an image one \
subject per identity (the manifest digest where the input records one, then the config \
digest / image ID), named by the repository without tag; for a file its basename and \
SHA-256. predicateType is https://spdx.dev/Document, https://spdx.dev/Document/v3 (SPDX \
3.0.1) or https://cyclonedx.org/bom.

The Statement is signed as a DSSE envelope (payloadType application/vnd.in-toto+json, \
signature over the PAE, keyid = hex SHA-256 of the public key DER) and written as one line \
of JSON; with --bundle as a sigstore bundle v0.3 (publicKey.hint = the keyid, no \
transparency log entries).

Output: -o FORMAT[=FILE] as in `generate`, JSON only (spdx-json, the default, spdx3-json, \
cyclonedx-json, cyclonedx-json@1.5, @1.6, @1.7); --output-file FILE writes to FILE. The old \
`--output FILE` still works and prints a deprecation note. --type takes cosign's names (spdx, \
spdxjson, cyclonedx), spdx3, or the predicate type URI.

--key reads sbomkit's and cosign's encrypted private keys (`ENCRYPTED SIGSTORE PRIVATE \
KEY`, `ENCRYPTED COSIGN PRIVATE KEY`) and unencrypted PKCS#8 `PRIVATE KEY` files: ECDSA \
P-256, P-384, Ed25519. The password comes from SBOMKIT_PASSWORD, else COSIGN_PASSWORD, \
else a prompt on the terminal.

--keyless signs with an ephemeral ECDSA P-256 key held in memory only and always writes a \
bundle: Fulcio (--fulcio-url, default https://fulcio.sigstore.dev) certifies it for the \
identity of the OIDC token (--identity-token, else SIGSTORE_ID_TOKEN), Rekor (--rekor-url, \
default https://rekor.sigstore.dev) logs the envelope as a dsse entry, and with \
--timestamp-url an RFC 3161 authority timestamps the signature. The bundle holds the leaf \
certificate, the log entry (signed entry timestamp, inclusion proof, checkpoint) and the \
timestamp. URLs must use https, except http to a loopback address.

--attach (SOURCE is registry:...) pushes the attestation as a sigstore bundle to the \
image's registry, as an OCI 1.1 referrer of the image manifest (artifactType \
application/vnd.dev.sigstore.bundle.v0.3+json, cosign's annotations, a creation time only \
from SOURCE_DATE_EPOCH): through the referrers API where the registry has it, else listed in \
the sha256-<hex> referrers tag index, re-read and re-written until no entry is lost. It is \
written nowhere else unless -o FORMAT=FILE or --output-file asks. --attach=cosign-legacy also \
appends the DSSE envelope as a layer (application/vnd.dsse.envelope.v1+json, cosign's \
annotations; keyless: the certificate and the Rekor entry) to the sha256-<hex>.att image, \
where cosign before OCI 1.1 looks.

With --predicate the SBOM must describe SOURCE: a SHA-256 digest of its root component \
(CycloneDX metadata.component, the package an SPDX document DESCRIBES, the root of an SPDX 3 \
document's software_Sbom: checksums, purl, sbomkit properties) must be one of SOURCE's digests, else nothing is signed.

Exit codes:
  0   success
  1   the source or the key could not be read; --keyless: Fulcio, Rekor or the
      timestamp authority failed
  2   wrong usage (also: --keyless without an identity token, or with a
      non-https URL)
  11  --predicate: the SBOM describes another artifact than SOURCE
  13  --predicate: the file is not an SPDX (2.3 or 3) or CycloneDX JSON document";

const VERIFY_HELP: &str = "\
ATTESTATION is a DSSE envelope, a sigstore bundle holding one (media types v0.1 to v0.3), \
or JSON Lines of envelopes (.intoto.jsonl, as `cosign verify-attestation` prints them): one \
envelope that passes every check is enough. Nothing in the attestation is trusted: only \
the key given verifies it, no URL is fetched, and JSON with duplicate keys or over 64 MiB \
is refused.

Keyless bundles (a Fulcio certificate instead of a key) are checked with \
--certificate-identity and --certificate-oidc-issuer against --trusted-root (default: the \
public-good root built in), exactly as `verify-bundle` does: certificate chain, SCT, \
identity, signature, transparency log and time, reported as the `signature` check. --key \
and the identity flags may be given together: key-based envelopes are then checked with \
the key and keyless bundles with the identity.

Without --image no artifact is checked, and the report's last line says so. \
--predicate-out FILE writes the predicate of the statement that verified, and nothing when \
none did.

ATTESTATION may be registry:IMAGE: the attestations of the image's manifest are found in \
the registry (referrers API, the sha256-<hex> referrers tag, cosign's sha256-<hex>.att tag, \
BuildKit attestation manifests in its index, which are unsigned and never count) and each is \
verified for that manifest; one line per attestation says where it was found and its \
verdict. Exit 0 only when one verifies; none found is exit 10.

Checks, each reported as pass, fail or not checked:
  envelope       the DSSE envelope is well formed
  signature      a signature verifies over the DSSE PAE with --key (ECDSA
                 P-256/P-384 DER or raw r||s, Ed25519, RSA PKCS#1 v1.5 or PSS
                 with SHA-256; standard or URL-safe base64)
  payloadType    application/vnd.in-toto+json
  statement      an in-toto Statement, v1 or v0.1
  subject        with --image: EVERY subject's sha256 digest is an identity of
                 the image (its manifest digest or config digest / image ID; a
                 file's SHA-256); one foreign subject fails. Without --image:
                 not checked
  predicateType  with --type: the same family (https://spdx.dev/Document
                 matches .../Document/v2.3; SPDX 3, .../Document/v3, is its
                 own). Without --type any type passes
  predicate      an SPDX 2.3, SPDX 3.0.1 or CycloneDX 1.5/1.6/1.7 predicate
                 validates against its official schema

Exit codes:
  0   every check passed (not-checked ones aside)
  1   the key or the image could not be read, or the key type is not supported
  2   wrong usage (also: an unknown --type)
  10  no signature verifies with the key (also: zero signatures, a signature
      over the raw payload)
  11  the attestation is about another artifact than --image
  12  the predicate has the wrong type or does not validate against its schema
  13  the attestation is malformed (not an envelope/bundle, bad base64, wrong
      payloadType, not a Statement, duplicate JSON keys, too large), or is
      another kind of file (an image, an SBOM)
  14  bundles: the certificate does not chain to the trusted root, its SCT
      does not verify, or it names another identity or OIDC issuer (also: a
      keyless bundle given only --key)
  15  bundles: a transparency log entry (key-based bundles too), a timestamp
      or the signing time does not hold";

const VERIFY_BUNDLE_HELP: &str = "\
ARTIFACT is a file (hashed with SHA-256) or `sha256:<64 hex>`. The bundle (media types \
application/vnd.dev.sigstore.bundle+json;version=0.1|0.2|0.3 and \
application/vnd.dev.sigstore.bundle.v0.3+json; a bundle without mediaType is refused) \
holds a message signature over ARTIFACT or a DSSE envelope whose in-toto subject is \
ARTIFACT. Nothing is fetched: the trusted root is --trusted-root (sigstore TrustedRoot \
JSON) or the public-good production root built into sbomkit. A bare DSSE envelope is \
checked by `verify`, not here.

Checks, in order; the first failure decides the exit code (in brackets):
  bundle       media type known, fields well formed, one DSSE signature (13)
  certificate  keyless: the leaf chains to a certificate authority of the
               trusted root (ECDSA signatures up to its root, CA constraints,
               path length, codeSigning); a bundle that embeds a self-signed
               certificate is refused; an embedded SCT verifies with a CT log
               key of the trusted root; a SAN (email or URI) is exactly
               --certificate-identity and the Fulcio OIDC issuer extension
               (v1 or v2) is exactly --certificate-oidc-issuer (14)
  signature    the signature verifies over the DSSE PAE or the message
               digest (10)
  artifact     ARTIFACT's SHA-256 is the message digest or an in-toto
               subject's sha256 (11)
  tlog         each entry: its log is in the trusted root; the canonicalized
               body (hashedrekord 0.0.1/0.0.2, dsse 0.0.1/0.0.2, intoto 0.0.2;
               a DSSE envelope as hashedrekord 0.0.2 records the SHA-256 of
               its PAE) records this signature, payload or digest and
               certificate or key; the signed entry timestamp verifies; the
               RFC 6962 inclusion proof (required from bundle v0.2 on) leads
               to the root hash; the checkpoint is signed by the log and names
               the same tree size and root hash. Keyless bundles need at
               least one entry (15)
  timestamp    each RFC 3161 timestamp: signed by a timestamp authority of the
               trusted root, message imprint = hash of the signature, time
               within the TSA's validity (15)
  time         keyless: every verified time (integrated times, timestamps)
               lies within the certificate's and the chain's validity (ends
               inclusive) and the CA's validFor; an integrated time in the
               future is refused (15)

Exit codes:
  0   every check passed
  1   a file could not be read
  2   wrong usage
  10  the signature does not verify
  11  the bundle is about another artifact
  13  the bundle or the trusted root is malformed, the bundle's media type is
      unknown, or the file is not a bundle (a bare envelope, an image)
  14  certificate: no chain to a trusted CA, bad SCT, another identity or
      issuer, key/keyless mix-up
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
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub output: ReportFormatArg,
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

#[derive(Args, Debug)]
pub struct KeygenArgs {
    /// Write PREFIX.key and PREFIX.pub
    #[arg(long, value_name = "PREFIX", default_value = "sbomkit")]
    pub prefix: String,
    /// Key type
    #[arg(long, value_name = "ALGORITHM", default_value = "ecdsa-p256")]
    pub algorithm: AlgorithmArg,
    /// Overwrite existing files
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct AttestArgs {
    /// Private key file (sbomkit or cosign encrypted key, or PKCS#8 PEM)
    #[arg(
        long,
        value_name = "KEY",
        required_unless_present = "keyless",
        conflicts_with = "keyless"
    )]
    pub key: Option<PathBuf>,
    /// Sign with an ephemeral key certified by Fulcio for an OIDC identity, logged to Rekor
    #[arg(long)]
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
    /// Sigstore SigningConfig (v0.2 JSON, as cosign 3 reads it) choosing Fulcio, the Rekor logs (v1 or v2) and timestamp authorities for --keyless
    #[arg(
        long,
        value_name = "FILE",
        requires = "keyless",
        conflicts_with_all = ["fulcio_url", "rekor_url", "timestamp_url"]
    )]
    pub signing_config: Option<PathBuf>,
    /// The predicate as FORMAT or FORMAT=FILE (spdx-json, spdx3-json, cyclonedx-json[@1.5|@1.6|@1.7]), as in `generate`
    #[arg(
        short = 'o',
        long = "output",
        alias = "format",
        value_name = "FORMAT[=FILE]"
    )]
    pub output: Vec<String>,
    /// Write to FILE (atomically) instead of stdout
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// Predicate type, as cosign's --type: spdx, spdxjson, cyclonedx, or spdx3, or their URI; posture signs the `audit` report
    #[arg(long = "type", visible_alias = "predicate-type", value_name = "TYPE")]
    pub predicate_type: Option<String>,
    /// Sign this SBOM (SPDX 2.3, SPDX 3 or CycloneDX JSON) instead of scanning; it must describe SOURCE
    #[arg(long, value_name = "SBOM.json")]
    pub predicate: Option<PathBuf>,
    /// Push the attestation to SOURCE's registry as an OCI 1.1 referrer of the image (a sigstore bundle; SOURCE is registry:...); =cosign-legacy also writes cosign's sha256-<hex>.att image
    #[arg(
        long,
        value_name = "LAYOUT",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "referrer"
    )]
    pub attach: Option<AttachArg>,
    /// Write a sigstore bundle v0.3 instead of a bare DSSE envelope (always with --keyless)
    #[arg(long)]
    pub bundle: bool,
    /// CycloneDX spec version to write
    #[arg(
        long,
        value_name = "VERSION",
        default_value = "1.7",
        env = "SBOMKIT_CYCLONEDX_VERSION"
    )]
    pub cyclonedx_version: CycloneDxVersionArg,
    #[command(flatten)]
    pub scan: ScanArgs,
    /// No progress bar, no warnings on stderr
    #[arg(short, long, env = "SBOMKIT_QUIET", value_parser = clap::builder::BoolishValueParser::new())]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The attestation: DSSE envelope, sigstore bundle, or JSON Lines of envelopes; or registry:IMAGE to verify the attestations found beside the image
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
    /// Which platform of a multi-platform --image (os/arch[/variant]), or `index` for the index itself (the attestation `attest --platform all` makes about it)
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", env = "SBOMKIT_PLATFORM")]
    pub platform: Option<String>,
    /// Required predicate type: spdx, spdxjson, cyclonedx, spdx3, custom, vuln, slsaprovenance or a URI
    #[arg(long = "type", value_name = "TYPE", value_parser = statement::parse_type)]
    pub predicate_type: Option<String>,
    /// Write the predicate of the statement that verified to FILE (nothing when none verified)
    #[arg(long, value_name = "FILE")]
    pub predicate_out: Option<PathBuf>,
    /// Report format: text for people, json for machines
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub output: ReportFormatArg,
    #[command(flatten)]
    pub registry: RegistryArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

const GENERATE_HELP: &str = "\
Sources (the kind is detected from the path and its first bytes; a prefix forces it):
  docker-archive:PATH   a `docker save` tar, also gzip-compressed
  oci-archive:PATH      an OCI image layout packed in a tar
  oci-dir:PATH          an OCI image layout folder
  dir:PATH              a root filesystem folder
  file:PATH             one file: an APK installed database, a dpkg status
                        file, an RPM database (rpmdb.sqlite, Packages,
                        Packages.db), a binary

  registry:REF          an image in a registry: HOST[:PORT]/REPO[:TAG] or
                        HOST[:PORT]/REPO@sha256:HEX (--platform for an index)

Registries: layers stream from the registry into the scan, nothing is written to disk. \
Logins come from --registry-auth-file (else REGISTRY_AUTH_FILE), then Docker's \
config.json in $DOCKER_CONFIG (else ~/.docker): auths, credHelpers and credsStore (through \
docker-credential-* helpers); Bearer tokens are fetched as the registry asks. TLS is \
checked against the system's roots plus --registry-ca FILE; plain HTTP is used only for a \
loopback address or an --insecure-registry HOST. Requests answered 429 or 5xx are retried \
with backoff; --registry-timeout bounds each wait.

Outputs (-o, repeatable; FORMAT=FILE writes to a file, FORMAT alone to stdout; \
FORMAT@VERSION picks a version, e.g. cyclonedx-xml@1.6=bom.xml):
  spdx-json            SPDX 2.3 JSON (@2.3)
  spdx-tag-value       SPDX 2.3 tag-value (@2.3), the same content
  spdx3-json           SPDX 3.0.1 JSON-LD (@3.0.1)
  cyclonedx-json       CycloneDX JSON: 1.7, or @1.5, @1.6 (--cyclonedx-version
                       sets the version where -o names none)
  cyclonedx-xml        CycloneDX XML, the same content: 1.7, or @1.5, @1.6
  table                name, version, type and layer of every package

Default: table on a terminal, spdx-json otherwise. As in Syft, `spdx` means \
spdx-tag-value and `cyclonedx` means cyclonedx-xml. Two \
outputs to one file are refused. After writing files, one line on stderr counts the \
packages by type and names the files (not with -q).

The document's time is SOURCE_DATE_EPOCH, else the image config's `created`, else \
1970-01-01, so the same input always gives the same bytes.

Exit codes:
  0  success
  1  the input could not be read (not an image, corrupt archive, I/O error)
  2  wrong usage";

const AUDIT_HELP: &str = "\
One scan, as `generate` does, reports what an auditor asks of an image, each finding with its path and the layer that wrote it:
  root                the config's User is uid 0 (empty, 0, root, or a name
                      /etc/passwd maps to 0)
  shell               sh, bash, dash, ash, zsh, ksh, busybox (with its applets)
  package-manager     apk, apt, dpkg, rpm, dnf, microdnf, yum, pip
  setuid              setuid and setgid files, with their owner
  world-writable      files, and folders without the sticky bit
  capabilities        files with security.capability (as getcap prints it)
  remote-tool         curl, wget, nc, socat, ssh, scp, sftp, telnet, ftp
  compiler            gcc, cc, clang, go, rustc, javac, gdb, strace, ...
  private-key         PEM and OpenSSH private keys, by content
  secret-env          Env names with SECRET, TOKEN, PASSWORD, KEY (no values)
  no-pie, no-nx-stack, no-relro, no-stack-protector, no-fortify
                      ELF binaries lacking each protection

Tools count in the folders of a default PATH (/bin, /sbin, /usr/bin, /usr/sbin, /usr/local/bin, /usr/local/sbin). --fail-on RULES (comma-separated, or all) exits 3 when a named rule has findings. The JSON report is documented in docs/reports.md; `attest --predicate-type posture` signs it.

Examples:
  sbomkit audit image.tar
  sbomkit audit registry:ghcr.io/org/app:1.0 --fail-on root,shell,setuid
  sbomkit audit image.tar --output json > posture.json

Exit codes:
  0  success (no rule of --fail-on tripped)
  1  the input could not be read
  2  wrong usage
  3  a rule of --fail-on has findings";

const DIFF_HELP: &str = "\
OLD and NEW are each a source `generate` takes (scanned, as `audit` scans it) or an SBOM file: SPDX 2.2/2.3 JSON, SPDX 3.0.1 JSON-LD or CycloneDX 1.4-1.7 JSON from sbomkit, Syft, Trivy, apko or any tool, told apart by content. An image may be compared with an SBOM.

Packages are matched by purl without version, qualifiers and subpath, then by type and name. Several candidates left on both sides are listed as ambiguous, not paired. Versions are ordered by their ecosystem's rules (dpkg, APK, RPM, semver for npm, cargo and Go, PEP 440, Maven); a version no rule orders is \"changed\". Each package shows the layer it came from, or unknown. The images (or the documents' described roots) are the subjects compared, named in the header. Two scanned images also show how `audit`'s findings changed.

--fail-on RULES (comma-separated, or all) exits 3 when any change of a named kind is found: added, removed, upgraded, downgraded, changed, ambiguous, posture (a posture finding appeared). The JSON report is documented in docs/reports.md.

Examples:
  sbomkit diff old.tar new.tar
  sbomkit diff image.tar approved.cdx.json --fail-on added,downgraded
  sbomkit diff old.spdx.json new.spdx.json --output markdown >> $GITHUB_STEP_SUMMARY

Exit codes:
  0  success (no rule of --fail-on tripped)
  1  an input could not be read
  2  wrong usage
  3  a rule of --fail-on tripped";

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The old image or SBOM: [SCHEME:]PATH or an SBOM file
    pub old: String,
    /// The new image or SBOM: [SCHEME:]PATH or an SBOM file
    pub new: String,
    /// How to print the report
    #[arg(long, value_name = "FORMAT", default_value = "table")]
    pub output: DiffFormatArg,
    /// Exit 3 when a change of these kinds is found (comma-separated, or all)
    #[arg(long, value_name = "RULES")]
    pub fail_on: Option<String>,
    /// Which platform of a multi-platform image (os/arch[/variant])
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", env = "SBOMKIT_PLATFORM")]
    pub platform: Option<String>,
    /// Leave out paths matching GLOB (`/usr/share/**`) when scanning; repeatable
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// No progress bar
    #[arg(short, long, env = "SBOMKIT_QUIET", value_parser = clap::builder::BoolishValueParser::new())]
    pub quiet: bool,
}

/// `diff --output`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffFormatArg {
    #[value(name = "table")]
    Table,
    #[value(name = "json")]
    Json,
    #[value(name = "markdown")]
    Markdown,
}

#[derive(Args, Debug)]
pub struct AuditArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// How to print the report
    #[arg(long, value_name = "FORMAT", default_value = "table")]
    pub output: AuditFormatArg,
    /// Exit 3 when any of these rules has findings (comma-separated rule names, or all)
    #[arg(long, value_name = "RULES")]
    pub fail_on: Option<String>,
    /// No progress bar
    #[arg(short, long, env = "SBOMKIT_QUIET", value_parser = clap::builder::BoolishValueParser::new())]
    pub quiet: bool,
}

/// `audit --output`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditFormatArg {
    #[value(name = "table")]
    Table,
    #[value(name = "json")]
    Json,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Output as FORMAT or FORMAT=FILE; repeat for several outputs from one scan
    #[arg(short = 'o', long = "output", value_name = "FORMAT[=FILE]")]
    pub outputs: Vec<String>,
    /// CycloneDX spec version to write
    #[arg(
        long,
        value_name = "VERSION",
        default_value = "1.7",
        env = "SBOMKIT_CYCLONEDX_VERSION"
    )]
    pub cyclonedx_version: CycloneDxVersionArg,
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Record every file packages own, with its SHA-256
    #[arg(long)]
    pub files: bool,
    /// No progress bar, no warnings on stderr
    #[arg(short, long, env = "SBOMKIT_QUIET", value_parser = clap::builder::BoolishValueParser::new())]
    pub quiet: bool,
    /// Say what each cataloger found
    #[arg(short, long)]
    pub verbose: bool,
}

/// What `generate` and `attest` scan, and how: the source, which image and platform, the limits.
#[derive(Args, Debug, Clone)]
pub struct ScanArgs {
    /// What to scan: [SCHEME:]PATH
    pub source: String,
    /// Which image of a multi-image archive (NAME:TAG)
    #[arg(long, value_name = "NAME:TAG")]
    pub image: Option<String>,
    /// Which platform of a multi-platform image (os/arch[/variant])
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", env = "SBOMKIT_PLATFORM")]
    pub platform: Option<String>,
    /// Leave out paths matching GLOB (`/usr/share/**`); repeatable; recorded in the document
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// squashed: the final image; all-layers: also packages a later layer removed, marked so
    #[arg(
        long,
        value_name = "SCOPE",
        default_value = "squashed",
        env = "SBOMKIT_SCOPE"
    )]
    pub scope: ScopeArg,
    /// Who makes the SBOM, written as its author: NAME, NAME <EMAIL>, or Organization: NAME <EMAIL>
    #[arg(long, value_name = "NAME[ <EMAIL>]", env = "SBOMKIT_AUTHOR", value_parser = parse_author)]
    pub author: Option<Actor>,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Where what was read of registry layers is kept [default: $XDG_CACHE_HOME/sbomkit, else ~/.cache/sbomkit]
    #[arg(
        long,
        value_name = "DIR",
        env = "SBOMKIT_CACHE_DIR",
        display_order = 95
    )]
    pub cache_dir: Option<PathBuf>,
    /// Neither read nor write the layer cache
    #[arg(long, env = "SBOMKIT_NO_CACHE", value_parser = clap::builder::BoolishValueParser::new(), display_order = 96)]
    pub no_cache: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
}

fn parse_author(s: &str) -> Result<Actor, String> {
    Actor::author(s)
}

impl ScanArgs {
    /// The `--exclude` patterns, compiled: a bad one is a usage error before anything is read.
    pub fn exclude(&self) -> Result<Exclude, Error> {
        Exclude::new(&self.exclude)
    }

    /// What the source is opened with.
    pub fn source_options(&self) -> SourceOptions {
        SourceOptions {
            image: self.image.clone(),
            platform: self.platform.clone(),
            limits: self.limits.limits(),
            registry: super::registry_options(&self.registry),
            cache: match self.no_cache {
                true => None,
                false => self.cache_dir.clone().or_else(|| {
                    sbomkit::source::cache::default_dir(
                        std::env::var_os("XDG_CACHE_HOME"),
                        std::env::var_os("HOME"),
                    )
                }),
            },
        }
    }
}

/// How `registry:` sources are reached.
#[derive(Args, Debug, Clone)]
pub struct RegistryArgs {
    /// Trust this CA certificate (PEM) for registries, beside the system's roots (repeatable)
    #[arg(long, value_name = "FILE", display_order = 90)]
    pub registry_ca: Vec<PathBuf>,
    /// Allow plain HTTP to this registry host[:port] (repeatable; loopback needs no flag)
    #[arg(long, value_name = "HOST", display_order = 91)]
    pub insecure_registry: Vec<String>,
    /// Registry logins (containers-auth.json, as podman and skopeo write it) [env: REGISTRY_AUTH_FILE]
    #[arg(long, value_name = "FILE", display_order = 92)]
    pub registry_auth_file: Option<PathBuf>,
    /// Seconds to wait for a registry to connect, answer, or send more of a body
    #[arg(long, value_name = "SECONDS", default_value_t = 60, display_order = 93)]
    pub registry_timeout: u64,
}

/// Limits that protect against hostile images. Listed after each command's own options: the fixed
/// display order keeps them last although they are declared with the source.
#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// Most archive entries over all layers
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_entries, display_order = 100)]
    pub max_entries: u64,
    /// Most bytes read after decompression over all layers
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_decompressed_bytes, display_order = 101)]
    pub max_decompressed_bytes: u64,
    /// Largest file whose content is parsed
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_file_size, display_order = 102)]
    pub max_file_size: u64,
    /// Largest manifest, index or config JSON read from an image
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_json_size, display_order = 103)]
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

/// `attest --attach[=LAYOUT]`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachArg {
    /// An OCI 1.1 referrer (a sigstore bundle)
    Referrer,
    /// The referrer, and the DSSE envelope in cosign's `sha256-<hex>.att` image for older cosign
    CosignLegacy,
}

/// `--scope`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeArg {
    #[value(name = "squashed")]
    Squashed,
    #[value(name = "all-layers")]
    AllLayers,
}

impl From<ScopeArg> for Scope {
    fn from(s: ScopeArg) -> Scope {
        match s {
            ScopeArg::Squashed => Scope::Squashed,
            ScopeArg::AllLayers => Scope::AllLayers,
        }
    }
}

/// `--cyclonedx-version`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CycloneDxVersionArg {
    #[value(name = "1.5")]
    V1_5,
    #[value(name = "1.6")]
    V1_6,
    #[value(name = "1.7")]
    V1_7,
}

impl From<CycloneDxVersionArg> for CycloneDxVersion {
    fn from(v: CycloneDxVersionArg) -> CycloneDxVersion {
        match v {
            CycloneDxVersionArg::V1_5 => CycloneDxVersion::V1_5,
            CycloneDxVersionArg::V1_6 => CycloneDxVersion::V1_6,
            CycloneDxVersionArg::V1_7 => CycloneDxVersion::V1_7,
        }
    }
}

/// `keygen --algorithm`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlgorithmArg {
    #[value(name = "ecdsa-p256")]
    EcdsaP256,
    #[value(name = "ed25519")]
    Ed25519,
}

impl From<AlgorithmArg> for Algorithm {
    fn from(a: AlgorithmArg) -> Algorithm {
        match a {
            AlgorithmArg::EcdsaP256 => Algorithm::EcdsaP256,
            AlgorithmArg::Ed25519 => Algorithm::Ed25519,
        }
    }
}

/// `verify --output`, `verify-bundle --output`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormatArg {
    #[value(name = "text")]
    Text,
    #[value(name = "json")]
    Json,
}

impl From<ReportFormatArg> for ReportFormat {
    fn from(f: ReportFormatArg) -> ReportFormat {
        match f {
            ReportFormatArg::Text => ReportFormat::Text,
            ReportFormatArg::Json => ReportFormat::Json,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines clap wrapped greedily: a line of prose is never followed by one whose first word
    /// would have fitted on it (the mark of text broken by hand and again by clap).
    pub(crate) fn assert_wrapped_once(help: &str, width: usize) {
        let lines: Vec<&str> = help.lines().collect();
        for pair in lines.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if a.is_empty() || b.is_empty() || a.starts_with(' ') || b.starts_with(' ') {
                continue;
            }
            let word = b.split(' ').next().unwrap_or(b);
            assert!(
                a.chars().count() + 1 + word.chars().count() > width,
                "broken by hand at {width} columns:\n{a}\n{b}"
            );
        }
        for l in &lines {
            assert!(l.chars().count() <= width, "wider than {width}: {l}");
        }
    }

    #[test]
    fn help_is_wrapped_once_at_every_width() {
        use clap::CommandFactory;
        let names = [
            "generate",
            "keygen",
            "attest",
            "verify",
            "verify-bundle",
            "validate",
            "convert",
            "completions",
            "man",
        ];
        for width in [80, 100, 120] {
            let mut cmd = Cli::command().term_width(width);
            assert_wrapped_once(&cmd.render_long_help().to_string(), width);
            for name in names {
                let mut cmd = Cli::command().term_width(width);
                cmd.build();
                let sub = cmd.find_subcommand_mut(name).unwrap();
                assert_wrapped_once(&sub.render_long_help().to_string(), width);
            }
        }
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn generate_and_attest_share_the_scan_arguments() {
        let generate = Cli::try_parse_from([
            "sbomkit",
            "generate",
            "img.tar",
            "--image",
            "a:1",
            "--platform",
            "linux/arm64",
            "--max-entries",
            "7",
        ])
        .unwrap();
        let attest = Cli::try_parse_from([
            "sbomkit",
            "attest",
            "img.tar",
            "--key",
            "k",
            "--image",
            "a:1",
            "--platform",
            "linux/arm64",
            "--max-entries",
            "7",
        ])
        .unwrap();
        let (Command::Generate(g), Command::Attest(a)) = (generate.command, attest.command) else {
            panic!("wrong commands");
        };
        for scan in [&g.scan, &a.scan] {
            assert_eq!(scan.source, "img.tar");
            assert_eq!(scan.image.as_deref(), Some("a:1"));
            assert_eq!(scan.platform.as_deref(), Some("linux/arm64"));
            assert_eq!(scan.limits.limits().max_entries, 7);
        }
    }

    #[test]
    fn value_enums_keep_their_spellings_and_defaults() {
        let cli = Cli::try_parse_from(["sbomkit", "generate", "x"]).unwrap();
        let Command::Generate(g) = cli.command else {
            panic!("not generate");
        };
        assert_eq!(
            CycloneDxVersion::from(g.cyclonedx_version),
            CycloneDxVersion::V1_7
        );
        let cli = Cli::try_parse_from([
            "sbomkit",
            "attest",
            "x",
            "--key",
            "k",
            "-o",
            "cyclonedx-json",
            "--cyclonedx-version",
            "1.5",
        ])
        .unwrap();
        let Command::Attest(a) = cli.command else {
            panic!("not attest");
        };
        assert_eq!(a.output, ["cyclonedx-json"]);
        assert_eq!(
            CycloneDxVersion::from(a.cyclonedx_version),
            CycloneDxVersion::V1_5
        );
        let cli = Cli::try_parse_from(["sbomkit", "keygen"]).unwrap();
        let Command::Keygen(k) = cli.command else {
            panic!("not keygen");
        };
        assert_eq!(Algorithm::from(k.algorithm), Algorithm::EcdsaP256);
        assert!(
            Cli::try_parse_from(["sbomkit", "generate", "x", "--cyclonedx-version", "1.4"])
                .is_err()
        );
        assert!(
            Cli::try_parse_from(["sbomkit", "verify", "a", "--key", "k", "--output", "xml"])
                .is_err()
        );
    }
}
