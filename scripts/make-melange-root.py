#!/usr/bin/env python3
"""Installs the real melange-built APKs of testdata/fixtures/apk/melange-repo/ into a root folder, the way
apk does: each package's files (its own SPDX document under var/lib/db/sbom/ among them) and one
lib/apk/db/installed stanza per package from its .PKGINFO, with the files it owns (F:/R:) and their
SHA-1 (Z:, from the APK-TOOLS.checksum.SHA1 header apk reads). A later package that `replaces` an
earlier one takes over the files both ship.

Usage: scripts/make-melange-root.py OUT     (writes testdata/fixtures/apk/melange-root when OUT is that)
"""
import base64
import gzip
import os
import shutil
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent / "testdata/fixtures/apk/melange-repo/x86_64"
# Install order: what a package replaces comes first.
PACKAGES = ["pretend-baselayout-1.0.0-r0", "replayout-1.0.0-r0", "custom-ca-certs-1-1.0.0-r0"]
# .PKGINFO key -> installed-database letter, in the order apk writes them.
FIELDS = [("pkgname", "P"), ("pkgver", "V"), ("arch", "A"), ("size", "I"), ("pkgdesc", "T"),
          ("url", "U"), ("license", "L"), ("origin", "o"), ("maintainer", "m"), ("commit", "c"),
          ("depend", "D"), ("provides", "p"), ("replaces", "r")]


def main(out):
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    owner = {}  # path -> package name
    stanzas = {}
    for stem in PACKAGES:
        apk = REPO / f"{stem}.apk"
        info, files = {}, []
        with gzip.open(apk) as gz, tarfile.open(fileobj=gz) as tar:
            for m in tar:
                if m.name == ".PKGINFO":
                    for line in tar.extractfile(m).read().decode().splitlines():
                        if " = " in line and not line.startswith("#"):
                            k, v = line.split(" = ", 1)
                            info.setdefault(k, []).append(v)
                    continue
                if m.name.startswith("."):
                    continue
                target = out / m.name
                if m.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                elif m.isfile():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(tar.extractfile(m).read())
                    os.chmod(target, m.mode & 0o777)
                    sha1 = bytes.fromhex(m.pax_headers["APK-TOOLS.checksum.SHA1"])
                    files.append((m.name, m.mode & 0o7777, "Q1" + base64.b64encode(sha1).decode()))
        name = info["pkgname"][0]
        for path, _, _ in files:
            owner[path] = name
        stanza = [f"S:{apk.stat().st_size}"]
        for key, letter in FIELDS:
            values = [v for v in info.get(key, []) if v]
            if values:
                stanza.append(f"{letter}:{' '.join(values)}")
        stanzas[name] = (stanza, files)
    db = []
    for name, (stanza, files) in stanzas.items():
        lines = list(stanza)
        folder = None
        for path, mode, sha1 in sorted(files):
            if owner[path] != name:
                continue  # replaced by a later package
            d, base = os.path.split(path)
            if d != folder:
                lines.append(f"F:{d}")
                folder = d
            lines += [f"R:{base}", f"a:0:0:{mode:o}", f"Z:{sha1}"]
        db.append("\n".join(lines) + "\n")
    installed = out / "lib/apk/db/installed"
    installed.parent.mkdir(parents=True, exist_ok=True)
    installed.write_text("\n".join(db) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip())
    main(sys.argv[1])
