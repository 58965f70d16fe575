#!/usr/bin/env bash
# Checks sbomkit's binary cataloguing against the real tools, live:
#  - for every Go fixture, `go version -m` (Debian's golang-go) lists the modules; sbomkit must list each
#    with its exact version (`pkg:golang/PATH@VERSION`), plus `pkg:golang/stdlib@X.Y.Z`;
#  - for every cargo-auditable fixture, the `.dep-v0` section (dumped by objcopy, inflated by Python's zlib)
#    lists the crates; sbomkit must list each as `pkg:cargo/NAME@VERSION`;
#  - the committed listings beside the fixtures are still what the tools print;
#  - every real binary of testdata/binaries/classify/manifest.tsv (Debian packages and PyPI wheels,
#    fetched and checked by scripts/make-binary-fixtures.py into BINARY_FIXTURES, default
#    target/binary-fixtures) is named by its classifier with the version the manifest gives, and
#    contains the statically linked libraries it lists. With SYFT=path, Syft scans the same folder and
#    both counts of binaries identified are printed.
# Installs golang-go and binutils with apt-get when missing.
# Usage: scripts/check-binaries.sh
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v go >/dev/null || need+=(golang-go)
command -v objcopy >/dev/null || need+=(binutils)
if ((${#need[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo build --locked --quiet
sbomkit=$PWD/target/debug/sbomkit
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go_bins=(testdata/binaries/go-hello testdata/binaries/go-hello-stripped testdata/binaries/go-hello-noshdr
         testdata/binaries/third-party/age-keygen testdata/fixtures/elf/go/test.elf)
rust_bins=(testdata/binaries/rust-hello testdata/fixtures/elf/rust/binary-with-vuln
           testdata/fixtures/elf/rust/binary-with-audit-info)

mkdir -p "$work/root/usr/local/bin"
for b in "${go_bins[@]}" "${rust_bins[@]}"; do cp "$b" "$work/root/usr/local/bin/"; done
chmod +x "$work/root/usr/local/bin/"*
"$sbomkit" generate -q "dir:$work/root" -o cyclonedx-json="$work/sbom.cdx.json"
# Modules are nested in their binary's component (CycloneDX 1.6 on): every level is read.
python3 -c '
import json, sys
def walk(cs):
    for c in cs:
        yield c
        yield from walk(c.get("components", []))
print("\n".join(sorted(c["purl"] for c in walk(json.load(open(sys.argv[1]))["components"]) if "purl" in c)))' \
  "$work/sbom.cdx.json" >"$work/purls"

passed=0
failed=0
check() { # label expected-purls-file
  local missing
  missing=$(comm -23 <(sort -u "$2") "$work/purls")
  if [ -z "$missing" ]; then
    echo "ok   $1: $(wc -l <"$2") modules/crates, all listed with exact versions"
    passed=$((passed + 1))
  else
    echo "FAIL $1: not listed by sbomkit:"; echo "$missing" | sed 's/^/    /'
    failed=$((failed + 1))
  fi
}

for b in "${go_bins[@]}"; do
  name=$(basename "$b")
  # Run where the copy is, so the listing names the file as the committed one does.
  (cd "$work/root/usr/local/bin" && go version -m "$name") >"$work/$name.txt"
  committed=$(ls testdata/binaries/{,third-party/,expected/}"$name.go-version-m.txt" 2>/dev/null | head -1 || true)
  # The first line names the file as it was given; compare from the Go version on.
  if [ -n "$committed" ] && ! diff -q <(sed '1s/^[^:]*: //' "$committed") <(sed '1s/^[^:]*: //' "$work/$name.txt") >/dev/null; then
    echo "FAIL $name: the committed $committed differs from what go version -m prints now"
    failed=$((failed + 1))
  fi
  # stdlib, then every dep at its original path and version (a replacement does not rename it).
  awk -F'\t' 'NR == 1 { sub(/^.*: go/, ""); print "pkg:golang/stdlib@" $0 }
              $2 == "dep" { print "pkg:golang/" $3 "@" $4 }
              $2 == "mod" && $4 != "(devel)" { print "pkg:golang/" $3 "@" $4 }' "$work/$name.txt" >"$work/$name.want"
  check "$name (go version -m)" "$work/$name.want"
done

for b in "${rust_bins[@]}"; do
  name=$(basename "$b")
  objcopy --dump-section .dep-v0="$work/$name.z" "$b" "$work/$name.out"
  python3 - "$work/$name.z" >"$work/$name.want" <<'PY'
import json, sys, zlib
data = json.loads(zlib.decompress(open(sys.argv[1], "rb").read()))
for p in data["packages"]:
    print(f"pkg:cargo/{p['name']}@{p['version']}")
PY
  check "$name (cargo-auditable .dep-v0)" "$work/$name.want"
done

# Binaries named by their own bytes, on real binaries no package database lists.
fixtures=${BINARY_FIXTURES:-$PWD/target/binary-fixtures}
python3 scripts/make-binary-fixtures.py "$fixtures" >/dev/null
"$sbomkit" generate -q "dir:$fixtures/root" -o cyclonedx-json="$work/classified.cdx.json"
if python3 - "$work/classified.cdx.json" testdata/binaries/classify/manifest.tsv <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
def walk(cs, parent=None):
    for c in cs:
        yield c, parent
        yield from walk(c.get("components", []), c)
def files(c):
    return {p["value"] for p in c.get("properties", []) if p["name"] == "sbomkit:evidence"}
found = list(walk(doc["components"]))
bad = 0
named = 0
for line in open(sys.argv[2]):
    if line.startswith("#"):
        continue
    _, _, _, _, _, placed, expected, contains = line.rstrip("\n").split("\t")
    if expected == "-":
        continue
    at = "/" + placed
    mine = [c for c, _ in found if at in files(c) and c.get("purl", "").startswith("pkg:generic/")
            and c.get("type") == "application"]
    purls = sorted(c["purl"] for c in mine)
    if purls != [expected]:
        print(f"FAIL {at}: expected {expected}, got {purls or 'nothing'}")
        bad += 1
        continue
    named += 1
    inside = sorted(c["purl"] for c, parent in found if parent is mine[0] and c.get("purl", "").startswith("pkg:generic/"))
    want = sorted(contains.split(",")) if contains != "-" else []
    if inside != want:
        print(f"FAIL {at}: contains {inside}, expected {want}")
        bad += 1
print(f"{named} binaries named with the manifest's version")
sys.exit(1 if bad else 0)
PY
then
  echo "ok   classified binaries (testdata/binaries/classify/manifest.tsv)"
  passed=$((passed + 1))
else
  echo "FAIL classified binaries"
  failed=$((failed + 1))
fi
# The same documents in every format, through the independent validators (the XML against the JSON).
mkdir -p "$work/interop"
"$sbomkit" generate -q "dir:$fixtures/root" -o spdx-json="$work/interop/classified.spdx.json" \
  -o spdx3-json="$work/interop/classified.spdx3.json" \
  -o cyclonedx-json="$work/interop/classified.cdx.json" -o cyclonedx-xml="$work/interop/classified.cdx.xml"
if scripts/interop-sbom.sh "$work/interop"; then
  passed=$((passed + 1))
else
  echo "FAIL classified binaries' documents through the validators"
  failed=$((failed + 1))
fi
if [ -n "${SYFT:-}" ]; then
  "$SYFT" scan -q "dir:$fixtures/root" -o syft-json="$work/syft.json"
  python3 - "$work/syft.json" "$work/classified.cdx.json" <<'PY'
import json, sys
syft = [a for a in json.load(open(sys.argv[1]))["artifacts"] if a.get("foundBy") == "binary-classifier-cataloger"]
doc = json.load(open(sys.argv[2]))
def walk(cs):
    for c in cs:
        yield c
        yield from walk(c.get("components", []))
ours = [c for c in walk(doc["components"]) if c.get("purl", "").startswith("pkg:generic/")]
print(f"binaries and libraries identified: sbomkit {len(ours)}, Syft {len(syft)}")
print("  Syft:", " ".join(sorted(a["purl"] for a in syft)))
print("  sbomkit:", " ".join(sorted(c["purl"] for c in ours)))
PY
fi

echo "check-binaries: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
