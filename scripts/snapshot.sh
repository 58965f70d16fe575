#!/usr/bin/env bash
# Writes the SBOMs of every input under testdata/ in every format into OUT, one file each, so that two
# builds can be compared byte for byte (`diff -r`): a change that must not alter output is checked so.
# Usage: scripts/snapshot.sh OUT [SBOMKIT]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/snapshot.sh OUT [SBOMKIT]}
sbomkit=${2:-target/debug/sbomkit}
mkdir -p "$out"
unset SOURCE_DATE_EPOCH
inputs=(testdata/fixtures/images/alpine-3.10-docker-save.tar.gz)
for d in testdata/fixtures/dpkg/debian-libpam testdata/fixtures/dpkg/distroless \
         testdata/fixtures/dpkg/ubuntu-18.04-full testdata/fixtures/rpm/rhel8-rootfs testdata/binaries; do
  inputs+=("dir:$d")
done
while IFS= read -r f; do inputs+=("file:$f"); done < <(
  find testdata/fixtures/apk/installed testdata/fixtures/dpkg testdata/fixtures/elf \
       testdata/fixtures/os-release testdata/fixtures/rpm testdata/binaries testdata/lang -type f \
       ! -name '*.md' ! -name '*.txt' ! -name '*.json' ! -name '*.sh' ! -name '*.c' ! -name '*.S' \
       ! -name '*.go' ! -name '*.rs' ! -name '*.toml' ! -name '*.lock' ! -name '*.mod' | sort)
for f in testdata/lang/*.json; do inputs+=("file:$f"); done
for src in "${inputs[@]}"; do
  name=$(printf '%s' "$src" | tr '/:' '__')
  for files in "" --files; do
    base="$out/$name$files"
    if "$sbomkit" generate -q "$src" $files \
        -o spdx-json="$base.spdx.json" -o cyclonedx-json@1.6="$base.cdx16.json" \
        -o table="$base.table.txt" 2>"$base.stderr"; then
      "$sbomkit" generate -q "$src" $files --cyclonedx-version 1.5 \
        -o cyclonedx-json="$base.cdx15.json" 2>>"$base.stderr"
      "$sbomkit" generate -q "$src" $files -o cyclonedx-json="$base.cdx17.json" \
        -o cyclonedx-xml="$base.cdx17.xml" -o spdx-tag-value="$base.spdx" 2>>"$base.stderr"
    else
      echo "exit $?" >>"$base.stderr"
    fi
  done
done
echo "$(find "$out" -type f | wc -l) files in $out"
