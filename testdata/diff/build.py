#!/usr/bin/env python3
"""Builds the `sbomkit diff` test images (docker-archive, gzip) from real Debian 12 packages.

Each .deb is fetched from deb.debian.org (or taken from DEBS, a folder holding them) and checked
against its pinned SHA-256. A package is "installed" as dpkg would leave it without running
maintainer scripts: its data tar as a layer's files, its control fields with
`Status: install ok installed` in var/lib/dpkg/status, its file list and md5sums in
var/lib/dpkg/info/ (named `PKG:ARCH` for Multi-Arch: same, as dpkg names them).

- minbase.tar.gz: one layer: base-files, libudev1 252.39-1~deb12u2, libpam0g 1.5.2-6+deb12u2,
  liblz4-1, libattr1.
- updated.tar.gz: that same layer, then one that adds zlib1g and libcap2 (both with an epoch),
  upgrades libpam0g to 1.5.2-6+deb12u3 and downgrades libudev1 to 252.38-1~deb12u1, then a
  layer that deletes liblz4-1 (whiteouts for its files and info, the status rewritten).

Needs dpkg-deb. Run from anywhere: python3 testdata/diff/build.py [DEBS]
"""
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
MTIME = 1700000000
MIRROR = "https://deb.debian.org/"
# file name → (pool path, SHA-256)
DEBS = {
    "base-files_12.4+deb12u15_amd64.deb":
        ("debian/pool/main/b/base-files/",
         "3eb1ea6d85488f488cc2a163b98ad640ef88cee4c79287cf14e361aaf6206f47"),
    "libudev1_252.39-1~deb12u2_amd64.deb":
        ("debian/pool/main/s/systemd/",
         "6f7e08f11c4809d2e5998c775f7b423ab5ec2ce0309494b4a2615037052245e2"),
    "libudev1_252.38-1~deb12u1_amd64.deb":
        ("debian-security/pool/updates/main/s/systemd/",
         "062b9333ef651444875309ddcf35a7fccb8784d53f1128340671c0b9c37d1945"),
    "libpam0g_1.5.2-6+deb12u2_amd64.deb":
        ("debian/pool/main/p/pam/",
         "a06f889caf9e97ccf04dedec0905573916bc6ec3366ade2c6ef8900047fd5cc1"),
    "libpam0g_1.5.2-6+deb12u3_amd64.deb":
        ("debian-security/pool/updates/main/p/pam/",
         "2cc3411d70739d7f09ee8f1dd145903320294e36bf6bda3cb56dd25eb9a8505f"),
    "liblz4-1_1.9.4-1_amd64.deb":
        ("debian/pool/main/l/lz4/",
         "64cde86cef1deaf828bd60297839b59710b5cd8dc50efd4f12643caaee9389d3"),
    "libattr1_2.5.1-4_amd64.deb":
        ("debian/pool/main/a/attr/",
         "c4945123d66d0503ba42e2fc0585abc76d0838978c6d277b9cc37a4da25d1a34"),
    "zlib1g_1.2.13.dfsg-1_amd64.deb":
        ("debian/pool/main/z/zlib/",
         "d7dd1d1411fedf27f5e27650a6eff20ef294077b568f4c8c5e51466dc7c08ce4"),
    "libcap2_2.66-4+deb12u3+b1_amd64.deb":
        ("debian/pool/main/libc/libcap2/",
         "8d684c673e7483802a5c447834b0df6fce006eb3a7109e1be412f5ad425bb24f"),
}
# The order dpkg writes a status paragraph in; other fields follow.
ORDER = ["Package", "Status", "Priority", "Section", "Installed-Size", "Maintainer", "Architecture",
         "Multi-Arch", "Source", "Version", "Replaces", "Provides", "Depends", "Pre-Depends",
         "Recommends", "Suggests", "Breaks", "Conflicts", "Conffiles", "Description", "Homepage"]


def fetch(name, cache):
    pool, sha = DEBS[name]
    local = os.path.join(cache, name) if cache else None
    if local and os.path.exists(local):
        data = open(local, "rb").read()
    else:
        with urllib.request.urlopen(MIRROR + pool + name) as r:
            data = r.read()
    got = hashlib.sha256(data).hexdigest()
    if got != sha:
        sys.exit(f"{name}: sha256 {got}, expected {sha}")
    return data


class Deb:
    def __init__(self, data):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "p.deb")
            open(path, "wb").write(data)
            ctl = os.path.join(tmp, "control")
            subprocess.run(["dpkg-deb", "-e", path, ctl], check=True)
            self.control = open(os.path.join(ctl, "control"), "rb").read().decode()
            md5 = os.path.join(ctl, "md5sums")
            self.md5sums = open(md5, "rb").read() if os.path.exists(md5) else b""
            self.data = subprocess.run(["dpkg-deb", "--fsys-tarfile", path], check=True,
                                       capture_output=True).stdout
        self.fields = {}
        key = None
        for line in self.control.splitlines():
            if line.startswith((" ", "\t")):
                self.fields[key] += "\n" + line
            elif ":" in line:
                key, value = line.split(":", 1)
                self.fields[key] = value.strip()
        self.name = self.fields["Package"]
        arch = self.fields["Architecture"]
        self.info = f"{self.name}:{arch}" if self.fields.get("Multi-Arch") == "same" else self.name

    def paragraph(self):
        fields = dict(self.fields)
        fields["Status"] = "install ok installed"
        keys = [k for k in ORDER if k in fields] + [k for k in fields if k not in ORDER]
        return "".join(f"{k}: {fields[k]}\n" for k in keys)

    def members(self):
        """The data tar's entries, normalised (owner root, fixed time), with their bytes."""
        out = []
        with tarfile.open(fileobj=io.BytesIO(self.data)) as t:
            for m in t.getmembers():
                name = m.name[2:] if m.name.startswith("./") else m.name
                if not name or name == ".":
                    continue
                m.name = name.rstrip("/")
                m.uid = m.gid = 0
                m.uname = m.gname = "root"
                m.mtime = MTIME
                data = t.extractfile(m).read() if m.isreg() else None
                out.append((m, data))
        return out

    def listing(self):
        paths = ["/."] + ["/" + m.name for m, _ in self.members()]
        return "\n".join(paths).encode() + b"\n"


def item(path, data=None, mode=0o644, kind=tarfile.REGTYPE, link=""):
    info = tarfile.TarInfo(path)
    info.type, info.mode, info.mtime, info.linkname = kind, mode, MTIME, link
    info.uname = info.gname = "root"
    if data is not None:
        info.size = len(data)
    return info, data


def d(path):
    return item(path, mode=0o755, kind=tarfile.DIRTYPE)


def layer(items):
    seen, unique = set(), []
    for info, data in items:
        if info.name in seen:
            continue
        seen.add(info.name)
        unique.append((info, data))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for info, data in unique:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def dpkg_db(debs):
    status = "\n".join(p.paragraph() for p in sorted(debs, key=lambda p: p.name)).encode()
    items = [d("var"), d("var/lib"), d("var/lib/dpkg"), d("var/lib/dpkg/info"),
             item("var/lib/dpkg/status", status)]
    for p in debs:
        items.append(item(f"var/lib/dpkg/info/{p.info}.list", p.listing()))
        if p.md5sums:
            items.append(item(f"var/lib/dpkg/info/{p.info}.md5sums", p.md5sums))
    return items


def installed(debs):
    items = []
    for p in debs:
        items.extend(p.members())
    return items


def image(path, layers, tag):
    diff_ids = ["sha256:" + hashlib.sha256(l).hexdigest() for l in layers]
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": "2023-11-14T22:13:20Z",
        "config": {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    cfg = json.dumps(config, sort_keys=True).encode()
    cfg_name = hashlib.sha256(cfg).hexdigest() + ".json"
    names = [h.split(":")[1] + "/layer.tar" for h in diff_ids]
    manifest = json.dumps([{"Config": cfg_name, "RepoTags": [tag], "Layers": names}]).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in [(cfg_name, cfg), *zip(names, layers), ("manifest.json", manifest)]:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), MTIME
            t.addfile(info, io.BytesIO(data))
    with open(path, "wb") as f:
        f.write(gzip.compress(buf.getvalue(), mtime=0))


def main():
    cache = sys.argv[1] if len(sys.argv) > 1 else None
    deb = {name: Deb(fetch(name, cache)) for name in DEBS}
    base = [deb[n] for n in ["base-files_12.4+deb12u15_amd64.deb", "libudev1_252.39-1~deb12u2_amd64.deb",
                             "libpam0g_1.5.2-6+deb12u2_amd64.deb", "liblz4-1_1.9.4-1_amd64.deb",
                             "libattr1_2.5.1-4_amd64.deb"]]
    # base-files' postinst makes etc/os-release; without scripts it is made here, as that link.
    layer0 = layer(installed(base) + [item("etc/os-release", kind=tarfile.SYMTYPE,
                                           link="../usr/lib/os-release")] + dpkg_db(base))
    image(os.path.join(HERE, "minbase.tar.gz"), [layer0], "minbase:test")

    changed = [deb[n] for n in ["zlib1g_1.2.13.dfsg-1_amd64.deb", "libcap2_2.66-4+deb12u3+b1_amd64.deb",
                                "libpam0g_1.5.2-6+deb12u3_amd64.deb",
                                "libudev1_252.38-1~deb12u1_amd64.deb"]]
    after = {p.name: p for p in base}
    after.update({p.name: p for p in changed})
    layer1 = layer(installed(changed) + dpkg_db(list(after.values())))
    lz4 = after.pop("liblz4-1")
    gone = [m.name for m, _ in lz4.members() if not m.isdir()]
    gone += [f"var/lib/dpkg/info/{lz4.info}.list", f"var/lib/dpkg/info/{lz4.info}.md5sums"]
    whiteouts = []
    for path in gone:
        folder, name = os.path.split(path)
        whiteouts.append(item(os.path.join(folder, ".wh." + name), b""))
    status = "\n".join(p.paragraph() for p in sorted(after.values(), key=lambda p: p.name)).encode()
    layer2 = layer(whiteouts + [item("var/lib/dpkg/status", status)])
    image(os.path.join(HERE, "updated.tar.gz"), [layer0, layer1, layer2], "updated:test")


if __name__ == "__main__":
    main()
