#!/usr/bin/env python3
"""Builds testdata/multiarch/debian-libs: a real two-platform OCI layout (linux/amd64, linux/arm64/v8).

Each platform image is Debian 12's zlib1g and libbz2-1.0 of that architecture, unpacked from the
.debs of deb.debian.org (pinned by SHA-256 below) with their control paragraphs in a distroless
`var/lib/dpkg/status.d/`, over one shared layer holding Debian 12's os-release. The output is
byte-for-byte reproducible (sorted tar entries, fixed owners, gzip without a time stamp).

    python3 scripts/make-multiarch-fixtures.py [OUT]     # default testdata/multiarch/debian-libs

Needs Python 3 and network access to deb.debian.org only; downloads are cached in
$XDG_CACHE_HOME/sbomkit-debs (or ~/.cache/sbomkit-debs).
"""

import gzip
import hashlib
import io
import json
import lzma
import os
import shutil
import sys
import tarfile
import urllib.request

MIRROR = "https://deb.debian.org/debian/"
# (architecture, pool path, SHA-256) of each .deb: Debian 12 (bookworm) main.
DEBS = [
    ("amd64", "pool/main/z/zlib/zlib1g_1.2.13.dfsg-1_amd64.deb",
     "d7dd1d1411fedf27f5e27650a6eff20ef294077b568f4c8c5e51466dc7c08ce4"),
    ("amd64", "pool/main/b/bzip2/libbz2-1.0_1.0.8-5+b1_amd64.deb",
     "54149da3f44b22d523b26b692033b84503d822cc5122fed606ea69cc83ca5aeb"),
    ("arm64", "pool/main/z/zlib/zlib1g_1.2.13.dfsg-1_arm64.deb",
     "52b8b8a145bbe1956bba82034f77022cbef0c3d0885c9e32d9817a7932fe1913"),
    ("arm64", "pool/main/b/bzip2/libbz2-1.0_1.0.8-5+b1_arm64.deb",
     "d3a96ece03326498b39ff093a76800dfcbcb1d4049d6ae6e9f6fa1aa7a590ad6"),
]
# Debian 12's /etc/os-release (base-files 12.4), as in testdata/fixtures/os-release/debian-12.os-release.
OS_RELEASE = "testdata/fixtures/os-release/debian-12.os-release"
PLATFORMS = {"amd64": {"os": "linux", "architecture": "amd64"},
             "arm64": {"os": "linux", "architecture": "arm64", "variant": "v8"}}
CREATED = "2024-06-01T00:00:00Z"
REF_NAME = "example.org/debian-libs:12"

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def fetch(path, sha):
    cache = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "sbomkit-debs")
    os.makedirs(cache, exist_ok=True)
    local = os.path.join(cache, os.path.basename(path))
    if not os.path.exists(local):
        url = MIRROR + path.replace("+", "%2B")
        with urllib.request.urlopen(url, timeout=60) as r, open(local + ".part", "wb") as f:
            shutil.copyfileobj(r, f)
        os.replace(local + ".part", local)
    data = open(local, "rb").read()
    got = hashlib.sha256(data).hexdigest()
    if got != sha:
        sys.exit(f"{local}: SHA-256 {got}, expected {sha}")
    return data


def ar_members(data):
    """The members of an ar archive (a .deb), by name."""
    if data[:8] != b"!<arch>\n":
        raise ValueError("not an ar archive")
    pos, out = 8, {}
    while pos + 60 <= len(data):
        head = data[pos:pos + 60]
        name = head[:16].decode().strip().rstrip("/")
        size = int(head[48:58].decode().strip())
        out[name] = data[pos + 60:pos + 60 + size]
        pos += 60 + size + (size & 1)
    return out


def open_tar(name, data):
    if name.endswith(".xz"):
        data = lzma.decompress(data)
    elif name.endswith(".gz"):
        data = gzip.decompress(data)
    elif name.endswith(".zst"):
        raise SystemExit(f"{name}: zstd members are not supported")
    return tarfile.open(fileobj=io.BytesIO(data))


def member(members, prefix):
    for k, v in members.items():
        if k.startswith(prefix):
            return k, v
    raise KeyError(prefix)


def deb_entries(data):
    """(control paragraph, md5sums, data entries) of a .deb."""
    members = ar_members(data)
    cname, cdata = member(members, "control.tar")
    with open_tar(cname, cdata) as t:
        files = {m.name.lstrip("./"): t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
    dname, ddata = member(members, "data.tar")
    entries = []
    with open_tar(dname, ddata) as t:
        for m in t.getmembers():
            name = m.name.lstrip("./").rstrip("/")
            if not name:
                continue
            body = t.extractfile(m).read() if m.isfile() else None
            entries.append((name, m, body))
    return files["control"], files.get("md5sums", b""), entries


def layer(items):
    """A deterministic gzip tar layer from (name, TarInfo template or None, body) items."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, tmpl, body in sorted(items, key=lambda i: i[0]):
            info = tarfile.TarInfo(name)
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mtime = tmpl.mtime if tmpl is not None else 1717200000
            if tmpl is not None and tmpl.isdir():
                info.type, info.mode = tarfile.DIRTYPE, tmpl.mode
                t.addfile(info)
            elif tmpl is not None and tmpl.issym():
                info.type, info.mode, info.linkname = tarfile.SYMTYPE, 0o777, tmpl.linkname
                t.addfile(info)
            elif body is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                t.addfile(info)
            else:
                info.mode = tmpl.mode if tmpl is not None else 0o644
                info.size = len(body)
                t.addfile(info, io.BytesIO(body))
    raw = buf.getvalue()
    return raw, gzip.compress(raw, compresslevel=9, mtime=0)


class Layout:
    def __init__(self, root):
        self.root = root
        os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)

    def blob(self, data):
        d = hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.root, "blobs", "sha256", d), "wb") as f:
            f.write(data)
        return f"sha256:{d}", len(data)

    def json_blob(self, value):
        return self.blob(json.dumps(value, indent=2, sort_keys=True).encode() + b"\n")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "testdata/multiarch/debian-libs"
    if os.path.exists(out):
        shutil.rmtree(out)
    lay = Layout(out)
    os_release = open(OS_RELEASE, "rb").read()
    base_raw, base_gz = layer([("etc", None, None), ("etc/os-release", None, os_release)])
    base_digest, base_size = lay.blob(base_gz)
    base_diff = "sha256:" + hashlib.sha256(base_raw).hexdigest()

    manifests = []
    for arch, plat in PLATFORMS.items():
        items = {"var": (None, None), "var/lib": (None, None), "var/lib/dpkg": (None, None),
                 "var/lib/dpkg/status.d": (None, None)}
        for a, path, sha in DEBS:
            if a != arch:
                continue
            control, md5sums, entries = deb_entries(fetch(path, sha))
            pkg = next(line.split(":", 1)[1].strip() for line in control.decode().splitlines()
                       if line.startswith("Package:"))
            items[f"var/lib/dpkg/status.d/{pkg}"] = (None, control)
            if md5sums:
                items[f"var/lib/dpkg/status.d/{pkg}.md5sums"] = (None, md5sums)
            for name, info, body in entries:
                items.setdefault(name, (info, body))
        raw, gz = layer([(n, i, b) for n, (i, b) in items.items()])
        digest, size = lay.blob(gz)
        config = {
            "architecture": plat["architecture"], "os": plat["os"], "created": CREATED,
            "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
            "rootfs": {"type": "layers",
                       "diff_ids": [base_diff, "sha256:" + hashlib.sha256(raw).hexdigest()]},
            "history": [{"created": CREATED, "created_by": "os-release of Debian 12"},
                        {"created": CREATED, "created_by": f"zlib1g, libbz2-1.0 ({arch} .debs)"}],
        }
        if "variant" in plat:
            config["variant"] = plat["variant"]
        cdigest, csize = lay.json_blob(config)
        manifest = {
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": cdigest, "size": csize},
            "layers": [{"mediaType": OCI_LAYER, "digest": base_digest, "size": base_size},
                       {"mediaType": OCI_LAYER, "digest": digest, "size": size}],
        }
        mdigest, msize = lay.json_blob(manifest)
        manifests.append({"mediaType": OCI_MANIFEST, "digest": mdigest, "size": msize,
                          "platform": plat})
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests,
             "annotations": {"org.opencontainers.image.created": CREATED,
                             "org.opencontainers.image.description":
                                 "Debian 12 zlib1g and libbz2-1.0 for amd64 and arm64"}}
    idigest, isize = lay.json_blob(index)
    top = {"schemaVersion": 2, "mediaType": OCI_INDEX,
           "manifests": [{"mediaType": OCI_INDEX, "digest": idigest, "size": isize,
                          "annotations": {"org.opencontainers.image.ref.name": REF_NAME}}]}
    with open(os.path.join(out, "index.json"), "w") as f:
        f.write(json.dumps(top, indent=2, sort_keys=True) + "\n")
    with open(os.path.join(out, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion": "1.0.0"}\n')
    print(f"{out}: index {idigest}")


if __name__ == "__main__":
    main()
