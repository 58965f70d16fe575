#!/usr/bin/env python3
"""Fetches the real binaries the classifiers are checked against into a cache, and lays them out as
a root folder: testdata/binaries/classify/manifest.tsv lists each archive (a Debian package or a PyPI
wheel) with its size and SHA-256, the member to take, where to put it and what sbomkit must name it.

Archives are downloaded once (Debian's pool, then snapshot.debian.org when the pool has moved on;
PyPI's simple index for a wheel's URL) and checked against the manifest's SHA-256 before use: a mismatch
is an error, never a fixture. Binaries are not committed; only the manifest is.

Usage: scripts/make-binary-fixtures.py [CACHE]   (default target/binary-fixtures; writes CACHE/root)
       scripts/make-binary-fixtures.py --excerpts [CACHE]
The second form also cuts the small windows around each version string that the unit tests read
(testdata/binaries/classify/excerpts/) and prints their provenance rows.
Needs Python 3 and dpkg-deb.
"""

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import urllib.parse
import urllib.request
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MANIFEST = os.path.join(REPO, "testdata/binaries/classify/manifest.tsv")
POOLS = {
    "debian": "https://deb.debian.org/debian/",
    "debian-security": "https://deb.debian.org/debian-security/",
}
SNAPSHOT = "https://snapshot.debian.org"


def rows():
    with open(MANIFEST, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            archive, file, size, sha256, member, placed, expected, contains = line.rstrip("\n").split("\t")
            yield {
                "archive": archive,
                "file": file,
                "bytes": int(size),
                "sha256": sha256,
                "member": member,
                "placed": placed,
                "expected": None if expected == "-" else expected,
                "contains": [] if contains == "-" else contains.split(","),
            }


def get(url):
    req = urllib.request.Request(url, headers={"User-Agent": "sbomkit-fixtures"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.read()


def snapshot_url(file):
    """The snapshot.debian.org address of a pool file, by package name and version."""
    name, version, _ = os.path.basename(file)[: -len(".deb")].split("_")
    version = urllib.parse.unquote(version)
    versions = json.loads(get(f"{SNAPSHOT}/mr/binary/{name}/"))["result"]
    for v in versions:
        if v["version"].split(":", 1)[-1] != version:
            continue
        info = json.loads(get(f"{SNAPSHOT}/mr/binary/{name}/{urllib.parse.quote(v['version'])}/binfiles?fileinfo=1"))
        for sha1, seen in info["fileinfo"].items():
            if any(s["name"] == os.path.basename(file) for s in seen):
                return f"{SNAPSHOT}/file/{sha1}"
    raise SystemExit(f"{file}: not found on snapshot.debian.org")


def urls(row):
    if row["archive"] in POOLS:
        yield POOLS[row["archive"]] + row["file"]
        yield snapshot_url(row["file"])
    elif row["archive"] == "pypi":
        # The simple index (PEP 691 JSON), as pip reads it.
        project, filename = row["file"].split("/", 1)
        req = urllib.request.Request(
            f"https://pypi.org/simple/{project}/",
            headers={"Accept": "application/vnd.pypi.simple.v1+json", "User-Agent": "sbomkit-fixtures"},
        )
        with urllib.request.urlopen(req, timeout=120) as r:
            index = json.load(r)
        for f in index["files"]:
            if f["filename"] == filename:
                yield f["url"]
    else:
        raise SystemExit(f"unknown archive {row['archive']!r}")


def fetch(row, cache):
    path = os.path.join(cache, "archives", os.path.basename(row["file"]))
    if os.path.exists(path) and sha256_of(path) == row["sha256"]:
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    errors = []
    for url in urls(row):
        try:
            data = get(url)
        except OSError as e:
            errors.append(f"{url}: {e}")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if len(data) != row["bytes"] or digest != row["sha256"]:
            raise SystemExit(f"{url}: {len(data)} bytes, sha256 {digest}; the manifest says {row['bytes']}, {row['sha256']}")
        with open(path + ".part", "wb") as f:
            f.write(data)
        os.replace(path + ".part", path)
        return path
    raise SystemExit(f"{row['file']}: could not download: {'; '.join(errors)}")


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_members = {}


def member(row, archive):
    """The member's bytes; an archive is opened once for all the members taken from it."""
    key = (archive, row["member"])
    if key not in _members:
        wanted = {r["member"] for r in rows() if os.path.basename(r["file"]) == os.path.basename(archive)}
        if archive.endswith(".deb"):
            tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", archive], check=True, capture_output=True).stdout
            with tarfile.open(fileobj=io.BytesIO(tar)) as t:
                for m in t.getmembers():
                    name = m.name[2:] if m.name.startswith("./") else m.name
                    if name in wanted and m.isfile():
                        _members[(archive, name)] = t.extractfile(m).read()
        else:
            with zipfile.ZipFile(archive) as z:
                for name in wanted:
                    _members[(archive, name)] = z.read(name)
    if key not in _members:
        raise SystemExit(f"{archive}: no member {row['member']}")
    return _members.pop(key)


# Excerpts: name, the file in the root, the text to cut around (first occurrence), bytes kept on
# each side.
EXCERPTS = [
    ("busybox", "bin/busybox", rb"BusyBox v1\.35\.0 \("),
    ("redis-server", "usr/local/bin/redis-server", rb"7\.0\.151790282056"),
    ("postgres", "usr/lib/postgresql/15/bin/postgres", rb"\x00PostgreSQL 15\.20 "),
    ("nginx", "usr/sbin/nginx", rb"nginx version: nginx/"),
    ("openssl", "usr/bin/openssl", rb"\x00OpenSSL 3\.0\.22 "),
    ("perl", "usr/bin/perl", rb"\x00v5\.36\.0\x00"),
    ("bash", "bin/bash", rb"@\(#\)Bash version"),
    ("curl", "usr/bin/curl", rb"\x00curl 7\.88\.1 \("),
    ("httpd", "usr/local/apache2/bin/httpd", rb"Apache/2\.4\.71"),
    ("haproxy", "usr/sbin/haproxy", rb" version 2\.6\.12-1\+deb12u4, released"),
    ("memcached", "usr/bin/memcached", rb"memcached 1\.6\.18"),
    ("mariadbd", "usr/sbin/mariadbd", rb"\x0010\.11\.19-MariaDB\x00"),
    ("mariadbd-help", "usr/sbin/mariadbd", rb"for example 10\.1\.1-MariaDB"),
    ("php", "usr/local/bin/php", rb"X-Powered-By: PHP/"),
    ("libruby-3.1.so.3.1.2", "usr/local/lib/libruby-3.1.so.3.1.2", rb"ruby 3\.1\.2p20 \("),
    ("go", "usr/local/go/bin/go", rb"\x00go1\.19\.8\x00"),
    ("python3.11", "usr/local/bin/python3.11", rb"\x003\.11\.2\x00"),
    ("java", "opt/java/openjdk/bin/java", rb"\x00openjdk\x00java\x00"),
    ("node", "usr/local/bin/node", rb"node\.js/v24\.19\.0"),
    ("node-openssl", "usr/local/bin/node", rb"\x00OpenSSL 3\.5\.7 "),
    ("node-zlib-1.3.0.1", "usr/local/bin/node", rb" deflate 1\.3\.0\.1 Copyright"),
    ("node-zlib-1.3.2.1", "usr/local/bin/node", rb" deflate 1\.3\.2\.1 Copyright"),
    ("traefik", "usr/local/bin/traefik", rb"\tgithub\.com/traefik/traefik/v3\tv3\.7\.15\t"),
    ("envoy", "usr/local/bin/envoy", rb"\x001\.40\.0\x00(?s:.){0,1000}?envoy_reloadable_features"),
    ("libgnutls", "usr/lib/x86_64-linux-gnu/libgnutls.so.30.34.3", rb"Enabled GnuTLS 3\.7\.9"),
    ("libcurl", "usr/lib/x86_64-linux-gnu/libcurl.so.4.8.0", rb"\x00libcurl/7\.88\.1\x00"),
    ("libpcre2-8", "usr/lib/x86_64-linux-gnu/libpcre2-8.so.0.11.2", rb"\x0010\.42 2022-12-11\x00"),
    ("libcrypto", "usr/lib/x86_64-linux-gnu/libcrypto.so.3", rb"\x00OpenSSL 3\.0\.22 "),
    ("libz", "usr/lib/x86_64-linux-gnu/libz.so.1.2.13", rb" deflate 1\.2\.13 Copyright"),
    ("libjvm", "opt/java/openjdk/lib/server/libjvm.so", rb"OpenJDK 64-Bit Server VM \(17"),
]
SIDE = 96


def excerpts(root):
    import re
    out_dir = os.path.join(REPO, "testdata/binaries/classify/excerpts")
    os.makedirs(out_dir, exist_ok=True)
    for name, placed, pattern in EXCERPTS:
        path = os.path.join(root, placed)
        data = open(path, "rb").read()
        m = re.search(pattern, data)
        if not m:
            raise SystemExit(f"{placed}: {pattern!r} not found")
        start, end = max(0, m.start() - SIDE), min(len(data), m.end() + SIDE)
        cut = data[start:end]
        out = os.path.join(out_dir, name + ".bin")
        with open(out, "wb") as f:
            f.write(cut)
        print(f"| `excerpts/{name}.bin` | {len(cut)} | {hashlib.sha256(cut).hexdigest()} | "
              f"bytes {start}..{end} of `/{placed}` (sha256 {hashlib.sha256(data).hexdigest()}) |")


def main():
    args = sys.argv[1:]
    cut = args[:1] == ["--excerpts"]
    if cut:
        args = args[1:]
    cache = os.path.abspath(args[0] if args else os.path.join(REPO, "target/binary-fixtures"))
    root = os.path.join(cache, "root")
    shutil.rmtree(root, ignore_errors=True)
    for row in rows():
        archive = fetch(row, cache)
        out = os.path.join(root, row["placed"])
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "wb") as f:
            f.write(member(row, archive))
        os.chmod(out, 0o755)
        if not cut:
            print(f"{row['placed']}: {row['expected'] or '-'}")
    if cut:
        excerpts(root)
    else:
        print(root)


if __name__ == "__main__":
    main()
