#!/usr/bin/env bash
# Checks sbomkit against the distributions' own package databases on real images:
#  - Debian bookworm made by `debootstrap --variant=minbase`, packed into an OCI layout by umoci and into a
#    docker-archive by skopeo, plus a second layer (umoci) that removes a package's files and its dpkg entry
#    via whiteouts; the package set must equal `dpkg-query -W` on the same root exactly (name, version, arch);
#  - the bundled real Alpine 3.10 image (docker save); the package set must equal the P:/V:/A: records of the
#    image's own lib/apk/db/installed, read here by awk.
# Needs root, network access to the Debian archive, and apt (installs debootstrap, umoci, skopeo).
# Usage: scripts/check-distro-dbs.sh [WORKDIR]   (WORKDIR is reused as a cache; default target/distro-check)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-target/distro-check}
mkdir -p "$work"
work=$(cd "$work" && pwd)

need=()
for t in debootstrap umoci skopeo; do command -v "$t" >/dev/null || need+=("$t"); done
if ((${#need[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo build --locked --quiet
sbomkit=$PWD/target/debug/sbomkit

# Prints "name version arch" for every package of TYPE (deb|apk) in an SPDX JSON document, sorted.
packages_from_spdx() {
  python3 - "$1" "$2" <<'PY'
import json, sys, urllib.parse
doc = json.load(open(sys.argv[1]))
kind = sys.argv[2]
rows = set()
for p in doc.get("packages", []):
    for ref in p.get("externalRefs", []):
        loc = ref.get("referenceLocator", "")
        if ref.get("referenceType") == "purl" and loc.startswith(f"pkg:{kind}/"):
            q = urllib.parse.parse_qs(loc.split("?", 1)[1]) if "?" in loc else {}
            rows.add(f"{p['name']} {p['versionInfo']} {q.get('arch', [''])[0]}")
print("\n".join(sorted(rows)))
PY
}

compare() { # label expected actual
  if diff -u "$2" "$3" >"$work/diff.txt"; then
    echo "ok: $1: $(wc -l <"$2") packages, identical to the distribution's own database"
  else
    echo "FAIL: $1 differs from the distribution's own database:"; cat "$work/diff.txt"; exit 1
  fi
}

# --- Debian minbase -----------------------------------------------------------------------------------------
if [ ! -f "$work/rootfs/var/lib/dpkg/status" ]; then
  rm -rf "$work/rootfs"
  debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log"; exit 1; }
fi
rm -rf "$work/oci" "$work/bundle" "$work/debian-minbase.tar"
umoci init --layout "$work/oci"
umoci new --image "$work/oci:minbase"
umoci unpack --image "$work/oci:minbase" "$work/bundle" >/dev/null
rm -rf "$work/bundle/rootfs"
cp -a "$work/rootfs" "$work/bundle/rootfs"
umoci repack --refresh-bundle --image "$work/oci:minbase" "$work/bundle"
# Second layer: remove one package completely (files, info files and status record), as `dpkg --purge` would.
gone=sed
chroot_admin="$work/bundle/rootfs/var/lib/dpkg"
while read -r f; do
  if [ -f "$work/bundle/rootfs$f" ] || [ -L "$work/bundle/rootfs$f" ]; then rm -f "$work/bundle/rootfs$f"; fi
done <"$chroot_admin/info/$gone.list"
rm -f "$chroot_admin/info/$gone."*
python3 - "$chroot_admin/status" "$gone" <<'PY'
import sys
path, gone = sys.argv[1], sys.argv[2]
stanzas = open(path).read().split("\n\n")
kept = [s for s in stanzas if s.strip() and f"Package: {gone}\n" not in s + "\n"]
open(path, "w").write("\n\n".join(kept) + "\n")
PY
umoci repack --image "$work/oci:minbase" "$work/bundle"
skopeo copy --quiet "oci:$work/oci:minbase" "docker-archive:$work/debian-minbase.tar:debian:minbase"

dpkg-query --admindir="$chroot_admin" -W -f='${db:Status-Abbrev} ${Package} ${Version} ${Architecture}\n' \
  | awk 'substr($1, 2, 1) == "i" { print $2, $3, $4 }' | sort -u >"$work/debian.expected"
grep -q "^$gone " "$work/debian.expected" && { echo "FAIL: the test layer did not remove $gone"; exit 1; }

for src in "docker-archive:$work/debian-minbase.tar" "oci-dir:$work/oci" "dir:$work/bundle/rootfs"; do
  "$sbomkit" generate -q "$src" -o spdx-json="$work/debian.spdx.json"
  packages_from_spdx "$work/debian.spdx.json" deb >"$work/debian.actual"
  compare "debian minbase ($src)" "$work/debian.expected" "$work/debian.actual"
done

# Layer 2 rewrote var/lib/dpkg/status; every package still comes from layer 1 (index 0), where it was installed.
"$sbomkit" generate -q "docker-archive:$work/debian-minbase.tar" -o cyclonedx-json="$work/debian.cdx.json"
python3 - "$work/debian.cdx.json" <<'PY'
import json, sys
bom = json.load(open(sys.argv[1]))
layers = [p["value"] for p in bom["metadata"]["component"]["properties"] if p["name"] == "sbomkit:image:layer"]
assert len(layers) == 2, layers
first = layers[0].split()[1]
debs = [c for c in bom["components"] if c.get("purl", "").startswith("pkg:deb/")]
wrong = [c["name"] for c in debs
         if {p["name"]: p["value"] for p in c.get("properties", [])}.get("sbomkit:layer") != first]
if wrong:
    print(f"FAIL: packages not attributed to the layer that installed them: {wrong}")
    sys.exit(1)
print(f"ok: debian minbase: all {len(debs)} packages attributed to layer 0 ({first[:19]}), not to the layer that rewrote the database")
PY

# --- Alpine 3.10 (real docker save) ----------------------------------------------------------------------------
image=testdata/fixtures/images/alpine-3.10-docker-save.tar.gz
rm -rf "$work/alpine" && mkdir -p "$work/alpine"
tar -xzf "$image" -C "$work/alpine"
layer=$(find "$work/alpine" -name layer.tar | head -1)
tar -xOf "$layer" lib/apk/db/installed | awk -F: '
  /^P:/ { p = substr($0, 3) } /^V:/ { v = substr($0, 3) } /^A:/ { a = substr($0, 3) }
  /^$/ { if (p != "") print p, v, a; p = v = a = "" }
  END { if (p != "") print p, v, a }' | sort -u >"$work/alpine.expected"
"$sbomkit" generate -q "$image" -o spdx-json="$work/alpine.spdx.json"
packages_from_spdx "$work/alpine.spdx.json" apk >"$work/alpine.actual"
compare "alpine 3.10 (docker-archive)" "$work/alpine.expected" "$work/alpine.actual"
