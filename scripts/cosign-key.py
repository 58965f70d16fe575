#!/usr/bin/env python3
"""Writes an encrypted private key in cosign's format, independently of sbomkit.

The format (sigstore/sigstore pkg/cryptoutils, cosign pkg/cosign/keys.go): PEM whose body is the JSON
{"kdf":{"name":"scrypt","params":{"N":N,"r":8,"p":1},"salt":b64(32 bytes)},
 "cipher":{"name":"nacl/secretbox","nonce":b64(24 bytes)},"ciphertext":b64(secretbox(PKCS#8 DER))},
the box key being scrypt(password, salt, N, r, p, 32 bytes).

usage: cosign-key.py PREFIX [--algorithm ecdsa-p256|ed25519] [--log-n 15|16|17] [--label SIGSTORE|COSIGN]
Password from SBOMKIT_PASSWORD or COSIGN_PASSWORD. Needs `cryptography` and `PyNaCl`.
"""
import argparse
import base64
import hashlib
import json
import os
import sys

import nacl.secret
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("prefix")
    ap.add_argument("--algorithm", default="ecdsa-p256", choices=["ecdsa-p256", "ed25519"])
    ap.add_argument("--log-n", type=int, default=16)
    ap.add_argument("--label", default="SIGSTORE", choices=["SIGSTORE", "COSIGN"])
    a = ap.parse_args()
    password = os.environ.get("SBOMKIT_PASSWORD", os.environ.get("COSIGN_PASSWORD"))
    if password is None:
        sys.exit("set SBOMKIT_PASSWORD or COSIGN_PASSWORD")
    if a.algorithm == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
    else:
        key = ec.generate_private_key(ec.SECP256R1())
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    salt = os.urandom(32)
    n = 1 << a.log_n
    box_key = hashlib.scrypt(password.encode(), salt=salt, n=n, r=8, p=1, dklen=32,
                             maxmem=256 * 1024 * 1024)
    nonce = os.urandom(24)
    sealed = nacl.secret.SecretBox(box_key).encrypt(der, nonce).ciphertext
    body = {
        "kdf": {"name": "scrypt", "params": {"N": n, "r": 8, "p": 1},
                "salt": base64.b64encode(salt).decode()},
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
        "ciphertext": base64.b64encode(sealed).decode(),
    }
    b64 = base64.b64encode(json.dumps(body).encode()).decode()
    label = f"ENCRYPTED {a.label} PRIVATE KEY"
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    with open(a.prefix + ".key", "w") as f:
        f.write(f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n")
    pub = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    with open(a.prefix + ".pub", "wb") as f:
        f.write(pub)


if __name__ == "__main__":
    main()
