#!/usr/bin/env bash
# The test command: the Rust test suite, then the independent validators (pyspdxtools, cyclonedx-python-lib,
# spdx3-validate and spdx-python-model) on SBOMs sbomkit writes. Installs what it needs (Python packages into virtual environments under target/).
set -euo pipefail
cd "$(dirname "$0")/.."
# The man page test reads every page with groff (Debian: groff-base); CI requires it.
# The audit suite checks private keys with openssl and ssh-keygen (Debian: openssh-client).
need=()
command -v groff >/dev/null || need+=(groff-base)
command -v openssl >/dev/null || need+=(openssl)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
if ((${#need[@]})) && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
# The Python validators install (network, pip) while Rust compiles.
mkdir -p target
( scripts/interop-sbom.sh --install && scripts/ntia-agreement.sh --install ) >target/interop-install.log 2>&1 &
install=$!
cargo test --locked
cargo build --locked --quiet
wait "$install" || { cat target/interop-install.log >&2; exit 1; }
out=target/interop
rm -rf "$out" && mkdir -p "$out"
sbomkit=target/debug/sbomkit
# Real inputs of each kind, each written in every format.
i=0
for src in testdata/fixtures/images/alpine-3.10-docker-save.tar.gz \
           dir:testdata/fixtures/dpkg/debian-libpam \
           dir:testdata/fixtures/dpkg/distroless \
           file:testdata/fixtures/dpkg/ubuntu-18.04-full/var/lib/dpkg/status \
           file:testdata/fixtures/apk/installed/wolfi-base.installed; do
  i=$((i + 1))
  # Tag-value and XML beside the JSON of the same scan: interop-sbom.sh compares each pair.
  "$sbomkit" generate -q "$src" --files \
    -o spdx-json="$out/$i.spdx.json" -o spdx-tag-value="$out/$i.spdx" \
    -o spdx3-json="$out/$i.spdx3.json" \
    -o cyclonedx-json="$out/$i.cdx17.json" -o cyclonedx-xml="$out/$i.cdx17.xml"
  for v in 1.5 1.6; do
    "$sbomkit" generate -q "$src" --cyclonedx-version "$v" \
      -o cyclonedx-json="$out/$i.cdx${v/./}.json" -o cyclonedx-xml="$out/$i.cdx${v/./}.xml"
  done
done
# A real two-platform index: each platform's documents and the index documents that reference them.
"$sbomkit" generate -q testdata/multiarch/debian-libs --platform all \
  -o spdx-json="$out/multi-{platform}.spdx.json" -o spdx3-json="$out/multi-{platform}.spdx3.json" \
  -o cyclonedx-json="$out/multi-{platform}.cdx17.json" \
  -o cyclonedx-json@1.5="$out/multi-{platform}.cdx15.json"
# The hand-built documents of the writer tests (every subject kind, every format and CycloneDX
# version, hostile text), the documents `convert` makes of other tools' SBOMs, the documents of the binary tests (ELF facts, notes, Go modules, crates),
# of the language tests and of the options tests (--exclude, --scope all-layers), and the format words
# of the command line.
SBOMKIT_WRITE_SAMPLES="$PWD/$out" cargo test --locked --quiet --test integration -- \
  formats:: binaries:: lang:: options:: cli::format_names validate::convert_writes >/dev/null
scripts/interop-sbom.sh "$out"
scripts/interop-dsse.sh
# `validate --profile ntia` gives ntia-conformance-checker's verdict on every SPDX SBOM.
scripts/ntia-agreement.sh "$sbomkit"
