#!/usr/bin/env python3
"""Builds the posture test images (docker-archive, gzip) from real files:

- etc/passwd and etc/group of the bundled Alpine 3.10 image (testdata/fixtures/images/);
- the C binary testdata/binaries/c/plain (built by testdata/binaries/c/build.sh);
- a private key made by `openssl genpkey` and an OpenSSH key made by `ssh-keygen`;
- the security.capability value `setcap cap_net_raw+ep` writes (read back with os.getxattr),
  recorded with what `getcap` prints in getcap.txt: the tests compare against it.

Layers are written with Python's tarfile in PAX format, extended attributes as
SCHILY.xattr.* records, as `tar --xattrs` and BuildKit write them. Needs root (setcap), openssl,
ssh-keygen and setcap/getcap (libcap2-bin). Run from anywhere: python3 testdata/posture/build.py
"""
import gzip
import hashlib
import io
import json
import os
import subprocess
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ALPINE = os.path.join(ROOT, "testdata/fixtures/images/alpine-3.10-docker-save.tar.gz")
PLAIN = os.path.join(ROOT, "testdata/binaries/c/plain")
MTIME = 1700000000


def alpine_file(name):
    with tarfile.open(ALPINE) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))
        layer = outer.extractfile(manifest[0]["Layers"][0]).read()
    with tarfile.open(fileobj=io.BytesIO(layer)) as t:
        return t.extractfile(name).read()


def item(path, data=None, mode=0o644, kind=tarfile.REGTYPE, link="", uid=0, gid=0, pax=None):
    info = tarfile.TarInfo(path)
    info.type = kind
    info.mode = mode
    info.uid, info.gid = uid, gid
    info.mtime = MTIME
    info.linkname = link
    if pax:
        # Binary values survive as surrogate escapes; tarfile writes them raw (hdrcharset=BINARY).
        info.pax_headers = {k: v.decode("utf-8", "surrogateescape") for k, v in pax.items()}
    if data is not None:
        info.size = len(data)
    return info, data


def d(path, mode=0o755):
    return item(path, mode=mode, kind=tarfile.DIRTYPE)


def layer(items):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for info, data in items:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def image(path, layers, config):
    diff_ids = ["sha256:" + hashlib.sha256(l).hexdigest() for l in layers]
    config = dict(config)
    config.update({
        "architecture": "amd64",
        "os": "linux",
        "created": "2023-11-14T22:13:20Z",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    })
    cfg = json.dumps(config, sort_keys=True).encode()
    cfg_name = hashlib.sha256(cfg).hexdigest() + ".json"
    names = [h.split(":")[1] + "/layer.tar" for h in diff_ids]
    manifest = json.dumps([{"Config": cfg_name, "RepoTags": [os.path.basename(path).split(".")[0] + ":test"],
                            "Layers": names}]).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in [(cfg_name, cfg), *zip(names, layers), ("manifest.json", manifest)]:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), MTIME
            t.addfile(info, io.BytesIO(data))
    with open(path, "wb") as f:
        f.write(gzip.compress(buf.getvalue(), mtime=0))


def capability(caps):
    """The attribute `setcap` writes, and what `getcap` prints for it."""
    with tempfile.TemporaryDirectory() as tmp:
        f = os.path.join(tmp, "f")
        open(f, "wb").close()
        subprocess.run(["setcap", caps, f], check=True)
        raw = os.getxattr(f, "security.capability")
        shown = subprocess.run(["getcap", f], check=True, capture_output=True, text=True).stdout
        return raw, shown.split(None, 1)[1].strip()


def keys():
    with tempfile.TemporaryDirectory() as tmp:
        pem = subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
                             check=True, capture_output=True).stdout
        k = os.path.join(tmp, "k")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "posture-test", "-f", k], check=True)
        return pem, open(k, "rb").read()


def main():
    plain = open(PLAIN, "rb").read()
    passwd, group = alpine_file("etc/passwd"), alpine_file("etc/group")
    raw_net_raw, getcap_net_raw = capability("cap_net_raw+ep")
    raw_bind, getcap_bind = capability("cap_net_bind_service,cap_setuid+p")
    pem, openssh = keys()
    base = layer([
        d("etc"), item("etc/passwd", passwd), item("etc/group", group),
        d("tmp", 0o1777), d("usr"), d("usr/bin"), d("usr/sbin"), d("bin"),
        item("usr/bin/plain", plain, 0o755),
    ])
    risky = layer([
        item("usr/bin/su-plain", plain, 0o4755),
        item("usr/bin/sg-plain", plain, 0o2711, gid=42),
        item("usr/sbin/ping-plain", plain, 0o755, pax={"SCHILY.xattr.security.capability": raw_net_raw}),
        item("usr/sbin/bind-plain", plain, 0o750, pax={"SCHILY.xattr.security.capability": raw_bind}),
        item("usr/bin/garbage-caps", plain, 0o755,
             pax={"SCHILY.xattr.security.capability": b"\x01\x00\x00\x02garbage"}),
        item("usr/bin/wget", kind=tarfile.SYMTYPE, link="plain"),
        item("bin/sh", kind=tarfile.SYMTYPE, link="/bin/sh2"),
        item("bin/sh2", kind=tarfile.SYMTYPE, link="/bin/sh"),
        d("data", 0o777), item("data/drop", b"anyone may write here\n", 0o666),
        d("etc/ssl"), d("etc/ssl/private", 0o700), item("etc/ssl/private/server.key", pem, 0o600),
        d("etc/ssh"), item("etc/ssh/ssh_host_ed25519_key", openssh, 0o600),
        d("usr/share"), d("usr/share/doc"),
        item("usr/share/doc/header.txt",
             b"-----BEGIN RSA PRIVATE KEY-----\nthis document only names the header\n"
             b"-----END RSA PRIVATE KEY-----\n"),
    ])
    image(os.path.join(HERE, "setuid-caps.tar.gz"), [base, risky], {"config": {
        "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "API_TOKEN=do-not-print-me", "DB_PASSWORD=hunter2"],
        "Entrypoint": ["/usr/bin/plain"],
        "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
        "Labels": {"org.opencontainers.image.base.name": "docker.io/library/alpine:3.10"},
    }})
    # Distroless-style: no shell, a nonroot user (uid 65532, as distroless names it) and a
    # second name for uid 0.
    accounts = layer([
        d("etc"),
        item("etc/passwd", b"root:x:0:0:root:/root:/sbin/nologin\n"
             b"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
             b"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
             b"admin:x:0:0:admin:/root:/sbin/nologin\n"),
        item("etc/group", b"root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\ntty:x:5:\n"),
        d("home"), d("home/nonroot", 0o700), d("tmp", 0o1777),
        d("usr"), d("usr/bin"), item("usr/bin/plain", plain, 0o755),
    ])
    image(os.path.join(HERE, "nonroot.tar.gz"), [accounts],
          {"config": {"User": "nonroot", "Entrypoint": ["/usr/bin/plain"]}})
    image(os.path.join(HERE, "admin.tar.gz"), [accounts],
          {"config": {"User": "admin:tty", "Entrypoint": ["/usr/bin/plain"]}})
    with open(os.path.join(HERE, "getcap.txt"), "w") as f:
        f.write(f"/usr/sbin/ping-plain {getcap_net_raw}\n/usr/sbin/bind-plain {getcap_bind}\n")


if __name__ == "__main__":
    main()
