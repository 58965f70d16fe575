#!/usr/bin/env bash
# DSSE interop with an independent implementation (PyPI securesystemslib), both directions:
#  - envelopes and bundles sbomkit signs verify with securesystemslib.dsse (ECDSA P-256, Ed25519);
#  - envelopes securesystemslib signs (ECDSA P-256, Ed25519, RSA PSS and PKCS#1 v1.5) verify with
#    `sbomkit verify`, and a wrong subject is caught;
#  - a cosign-format key written by scripts/cosign-key.py (cryptography + PyNaCl) signs with sbomkit.
# Prints one line per check and `interop-dsse: N passed, M failed`; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/venv-dsse
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check securesystemslib cryptography pynacl
cargo build --locked --quiet
work=target/interop-dsse
rm -rf "$work" && mkdir -p "$work"
SBOMKIT="$PWD/target/debug/sbomkit" WORK="$PWD/$work" "$venv/bin/python" - <<'PY'
import base64, hashlib, json, os, subprocess, sys
from cryptography.hazmat.primitives import serialization
from securesystemslib.dsse import Envelope
from securesystemslib.signer import CryptoSigner, SSlibKey

sbomkit, work = os.environ["SBOMKIT"], os.environ["WORK"]
image = "testdata/fixtures/images/alpine-3.10-docker-save.tar.gz"
env = dict(os.environ, SBOMKIT_PASSWORD="interop")
passed = failed = 0

def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")

def run(*args):
    return subprocess.run([sbomkit, *args], env=env, capture_output=True, text=True, cwd=work)

def ssl_key(pub_path, keyid=None):
    pub = serialization.load_pem_public_key(open(pub_path, "rb").read())
    der = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return SSlibKey.from_crypto(pub, keyid=keyid or hashlib.sha256(der).hexdigest())

def ssl_verifies(envelope_dict, key):
    try:
        return bool(Envelope.from_dict(json.loads(json.dumps(envelope_dict))).verify([key], 1))
    except Exception as e:  # VerificationError and friends
        return False

# sbomkit signs, securesystemslib verifies.
src = os.path.abspath(image)
for alg in ["ecdsa-p256", "ed25519"]:
    r = run("keygen", "--prefix", alg, "--algorithm", alg)
    check(f"sbomkit keygen {alg}", r.returncode == 0, r.stderr)
    r = run("attest", "-q", src, "--key", f"{alg}.key", "--output", f"{alg}.att.json")
    check(f"sbomkit attest {alg}", r.returncode == 0, r.stderr)
    envd = json.load(open(f"{work}/{alg}.att.json"))
    key = ssl_key(f"{work}/{alg}.pub")
    check(f"securesystemslib verifies sbomkit {alg} envelope", ssl_verifies(envd, key))
    st = json.loads(base64.b64decode(envd["payload"]))
    check(f"sbomkit {alg} payload is an in-toto Statement v1 with SPDX predicate",
          st["_type"] == "https://in-toto.io/Statement/v1"
          and st["predicateType"] == "https://spdx.dev/Document"
          and st["predicate"]["spdxVersion"] == "SPDX-2.3")
    bad = json.loads(json.dumps(envd))
    p = bytearray(base64.b64decode(bad["payload"])); p[10] ^= 1
    bad["payload"] = base64.b64encode(bytes(p)).decode()
    check(f"securesystemslib rejects a tampered sbomkit {alg} envelope", not ssl_verifies(bad, key))
    r = run("attest", "-q", src, "--key", f"{alg}.key", "--bundle", "-o", "cyclonedx-json",
            "--output", f"{alg}.bundle.json")
    b = json.load(open(f"{work}/{alg}.bundle.json"))
    check(f"securesystemslib verifies the envelope in sbomkit's {alg} bundle",
          r.returncode == 0 and b["verificationMaterial"]["publicKey"]["hint"] == key.keyid
          and ssl_verifies(b["dsseEnvelope"], key))

# securesystemslib signs, sbomkit verifies.
r = run("generate", "-q", src, "-o", "spdx-json=sbom.spdx.json")
spdx = json.load(open(f"{work}/sbom.spdx.json"))
blob_sha = hashlib.sha256(open(src, "rb").read()).hexdigest()

def statement(digest, version="v1"):
    return json.dumps({"_type": f"https://in-toto.io/Statement/{version}",
                       "subject": [{"name": os.path.basename(src), "digest": {"sha256": digest}}],
                       "predicateType": "https://spdx.dev/Document/v2.3", "predicate": spdx}).encode()

signers = [
    ("ECDSA P-256", CryptoSigner.generate_ecdsa()),
    ("Ed25519", CryptoSigner.generate_ed25519()),
    ("RSA-PSS", CryptoSigner.generate_rsa(scheme="rsassa-pss-sha256")),
    ("RSA PKCS#1 v1.5", CryptoSigner.generate_rsa(scheme="rsa-pkcs1v15-sha256")),
]
for name, signer in signers:
    tag = name.replace(" ", "_").replace("#", "")
    pem = signer._private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    open(f"{work}/{tag}.pub", "wb").write(pem)
    for version in ["v1", "v0.1"]:
        e = Envelope(payload=statement(blob_sha, version), payload_type="application/vnd.in-toto+json",
                     signatures={})
        e.sign(signer)
        open(f"{work}/{tag}-{version}.json", "w").write(json.dumps(e.to_dict()))
        r = run("verify", f"{tag}-{version}.json", "--key", f"{tag}.pub", "--image", f"file:{src}",
                "--type", "spdx")
        check(f"sbomkit verifies securesystemslib {name} envelope (Statement {version})",
              r.returncode == 0, r.stdout + r.stderr)
    e = Envelope(payload=statement("0" * 64), payload_type="application/vnd.in-toto+json", signatures={})
    e.sign(signer)
    open(f"{work}/{tag}-other.json", "w").write(json.dumps(e.to_dict()))
    r = run("verify", f"{tag}-other.json", "--key", f"{tag}.pub", "--image", f"file:{src}")
    check(f"sbomkit refuses a securesystemslib {name} envelope about another artifact (exit 11)",
          r.returncode == 11, r.stdout + r.stderr)

# A cosign-format key written independently signs with sbomkit, and securesystemslib agrees.
for label, log_n in [("COSIGN", 15), ("SIGSTORE", 16)]:
    subprocess.run([sys.executable, os.path.abspath("scripts/cosign-key.py"), f"{work}/py-{label}",
                    "--label", label, "--log-n", str(log_n)], env=env, check=True)
    r = run("attest", "-q", f"file:{src}", "--key", f"py-{label}.key", "--output", f"py-{label}.json")
    ok = r.returncode == 0 and ssl_verifies(json.load(open(f"{work}/py-{label}.json")),
                                            ssl_key(f"{work}/py-{label}.pub"))
    check(f"sbomkit signs with a Python-written ENCRYPTED {label} PRIVATE KEY (N=2^{log_n})", ok, r.stderr)

print(f"interop-dsse: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
