#!/usr/bin/env bash
# Checks sbomkit against rpm's own reading of RPM databases: every package (name, epoch, version-release,
# arch) sbomkit writes into SPDX must be exactly what `rpm --dbpath DIR -qa --qf ...` lists, for
#  - databases built fresh by scripts/make-rpm-fixtures.sh in each backend (SQLite, Berkeley DB, ndb; rpm
#    reads the first two itself, the ndb copy holds the same headers);
#  - the real databases under testdata/fixtures/rpm (Azure Linux/CBL-Mariner 2.0 SQLite, RHEL 8 Berkeley DB).
# Needs root and apt (installs rpm, db5.3-util, sqlite3).
# Usage: scripts/check-rpm-dbs.sh [WORKDIR]   (default target/rpm-check)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-target/rpm-check}
mkdir -p "$work"
work=$(cd "$work" && pwd)

scripts/make-rpm-fixtures.sh "$work/built"
cargo build --locked --quiet
sbomkit=$PWD/target/debug/sbomkit
q='%{NAME} %{EPOCHNUM} %{VERSION}-%{RELEASE} %{ARCH}\n'

# Prints "name epoch version-release arch" for every pkg:rpm package of an SPDX JSON document, sorted.
rpm_rows() {
  python3 - "$1" <<'PY'
import json, sys, urllib.parse
rows = set()
for p in json.load(open(sys.argv[1])).get("packages", []):
    for ref in p.get("externalRefs", []):
        loc = ref.get("referenceLocator", "")
        if ref.get("referenceType") == "purl" and loc.startswith("pkg:rpm/"):
            path, _, query = loc.partition("?")
            q = urllib.parse.parse_qs(query)
            version = urllib.parse.unquote(path.rsplit("@", 1)[1])
            rows.add(f"{p['name']} {q.get('epoch', ['0'])[0]} {version} {q.get('arch', [''])[0]}")
print("\n".join(sorted(rows)))
PY
}

check() { # label database expected-listing
  "$sbomkit" generate -q "file:$2" -o spdx-json="$work/out.spdx.json"
  rpm_rows "$work/out.spdx.json" >"$work/actual.txt"
  if diff -u "$3" "$work/actual.txt" >"$work/diff.txt"; then
    echo "ok: $1: $(wc -l <"$3") packages, identical to rpm's listing"
  else
    echo "FAIL: $1 differs from rpm's listing:"; cat "$work/diff.txt"; exit 1
  fi
}

check "built SQLite" "$work/built/sqlite/rpmdb.sqlite" "$work/built/expected.txt"
check "built Berkeley DB" "$work/built/bdb/Packages" "$work/built/expected.txt"
check "built ndb" "$work/built/ndb/Packages.db" "$work/built/expected.txt"

for f in testdata/fixtures/rpm/cbl-mariner-2.0.rpmdb.sqlite:rpmdb.sqlite testdata/fixtures/rpm/libuuid.Packages.bdb:Packages; do
  src=${f%%:*}
  rm -rf "$work/real" && mkdir -p "$work/real"
  cp "$src" "$work/real/${f##*:}"
  # gpg-pubkey entries are keys, not packages: sbomkit leaves them out.
  rpm --dbpath "$work/real" -qa --qf "$q" 2>/dev/null | grep -v '^gpg-pubkey ' | sort >"$work/real.txt"
  check "$(basename "$src")" "$src" "$work/real.txt"
done
