#!/usr/bin/env bash
# Builds small RPM databases in each backend from real packages: three tiny specs built with Debian's
# `rpmbuild`, recorded with `rpm --justdb -i` into an SQLite database (rpm's default), then the same header
# blobs written as a Berkeley DB hash `Packages` by Berkeley DB's own `db5.3_load` (Debian's rpm reads
# Berkeley DB but cannot write it) and as an ndb `Packages.db` laid out as rpm's lib/backend/ndb/rpmpkg.c
# writes it (Debian's rpm has no ndb backend). Writes OUT/{sqlite/rpmdb.sqlite,bdb/Packages,ndb/Packages.db}
# and OUT/expected.txt, rpm's own listing of the SQLite and Berkeley DB databases (they must agree).
# Needs root and apt (installs rpm, db5.3-util, sqlite3).
# Usage: scripts/make-rpm-fixtures.sh OUT
set -euo pipefail
out=${1:?usage: scripts/make-rpm-fixtures.sh OUT}
mkdir -p "$out"
out=$(cd "$out" && pwd)

need=()
command -v rpmbuild >/dev/null || need+=(rpm)
command -v db5.3_load >/dev/null || need+=(db5.3-util)
command -v sqlite3 >/dev/null || need+=(sqlite3)
if ((${#need[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/SPECS"

# sbk-base owns a program, a folder and a file required by path; sbk-lib has an epoch, a tilde version and
# versioned and file dependencies; sbk-data is noarch, recommends sbk-lib and ships a Python manifest.
cat >"$work/SPECS/sbk-base.spec" <<'SPEC'
Name: sbk-base
Version: 1.0
Release: 1
Summary: sbomkit test base package
License: MIT
Vendor: sbomkit tests
URL: https://example.org/sbk-base
Provides: sbk-abi = 1.0
%description
Base package of the sbomkit RPM fixtures.
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/usr/share/sbk-base
printf '#!/bin/sh\necho sbk\n' >%{buildroot}/usr/bin/sbk-tool
chmod 755 %{buildroot}/usr/bin/sbk-tool
echo base >%{buildroot}/usr/share/sbk-base/README
%files
/usr/bin/sbk-tool
%dir /usr/share/sbk-base
/usr/share/sbk-base/README
SPEC
cat >"$work/SPECS/sbk-lib.spec" <<'SPEC'
Name: sbk-lib
Epoch: 2
Version: 3.1~rc1
Release: 4.fc40
Summary: sbomkit test library
License: Apache-2.0 OR GPL-2.0-or-later
Vendor: sbomkit tests
Requires: sbk-abi >= 1.0
Requires: /usr/bin/sbk-tool
%description
Library package of the sbomkit RPM fixtures.
%install
mkdir -p %{buildroot}/usr/lib/sbk
echo lib >%{buildroot}/usr/lib/sbk/libsbk.txt
%files
/usr/lib/sbk/libsbk.txt
SPEC
cat >"$work/SPECS/sbk-data.spec" <<'SPEC'
Name: sbk-data
Version: 0.5
Release: 1
Summary: sbomkit test data
License: GPLv2+
Vendor: sbomkit tests
BuildArch: noarch
Requires: sbk-base
Recommends: sbk-lib
%description
Data package of the sbomkit RPM fixtures.
%install
d=%{buildroot}/usr/lib/python3/site-packages/sbk_data-0.5.dist-info
mkdir -p $d
printf 'Metadata-Version: 2.1\nName: sbk-data\nVersion: 0.5\nLicense: MIT\n' >$d/METADATA
%files
/usr/lib/python3/site-packages/sbk_data-0.5.dist-info/METADATA
SPEC

for s in "$work"/SPECS/*.spec; do
  rpmbuild --quiet -bb --define "_topdir $work" --define 'debug_package %{nil}' \
    --define '_build_id_links none' "$s" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
done

rm -rf "$out/sqlite" "$out/bdb" "$out/ndb"
mkdir -p "$out/sqlite" "$out/bdb" "$out/ndb"
rpm --dbpath "$out/sqlite" --initdb
rpm --dbpath "$out/sqlite" --justdb --nodeps --noscripts --ignoresize -i "$work"/RPMS/*/*.rpm 2>"$work/rpm.log" \
  || { cat "$work/rpm.log"; exit 1; }
# Checkpoint and drop the journal: the database is one file, as in an image.
sqlite3 "$out/sqlite/rpmdb.sqlite" 'PRAGMA journal_mode=DELETE; VACUUM;' >/dev/null
rm -f "$out/sqlite"/rpmdb.sqlite-* "$out/sqlite/.rpm.lock"

python3 - "$out/sqlite/rpmdb.sqlite" "$work/dump.txt" "$out/ndb/Packages.db" <<'PY'
import sqlite3, struct, sys, zlib
rows = sqlite3.connect(sys.argv[1]).execute("SELECT hnum, blob FROM Packages ORDER BY hnum").fetchall()
# db_load's dump format: keys are rpm's header numbers, native byte order (little-endian here).
with open(sys.argv[2], "w") as f:
    f.write("VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=4096\nHEADER=END\n")
    for hnum, blob in rows:
        f.write(" %s\n %s\n" % (struct.pack("<I", hnum).hex(), bytes(blob).hex()))
    f.write("DATA=END\n")
# ndb as rpmpkg.c writes it: header, one page of 16-byte slots, blobs in 16-byte blocks after it.
PAGE, BLK = 4096, 16
db = bytearray(PAGE)
db[0:20] = b"RpmP" + struct.pack("<IIII", 0, 1, 1, len(rows) + 1)
for s in range(32, PAGE, 16):
    db[s:s + 4] = b"Slot"
for i, (hnum, blob) in enumerate(rows):
    blob = bytes(blob)
    cnt = (16 + len(blob) + 12 + BLK - 1) // BLK
    off = len(db) // BLK
    area = b"BlbS" + struct.pack("<III", hnum, 0, len(blob)) + blob
    area += b"\0" * (cnt * BLK - 12 - len(area))
    area += struct.pack("<II", zlib.adler32(area), len(blob)) + b"BlbE"
    db += area
    s = 32 + 16 * i
    db[s + 4:s + 16] = struct.pack("<III", hnum, off, cnt)
open(sys.argv[3], "wb").write(db)
PY
db5.3_load -f "$work/dump.txt" "$out/bdb/Packages"

q='%{NAME} %{EPOCHNUM} %{VERSION}-%{RELEASE} %{ARCH}\n'
rpm --dbpath "$out/sqlite" -qa --qf "$q" | sort >"$out/expected.txt"
rpm --dbpath "$out/bdb" -qa --qf "$q" 2>/dev/null | sort >"$work/bdb.txt"
diff -u "$out/expected.txt" "$work/bdb.txt" || { echo "FAIL: rpm lists the Berkeley DB copy differently"; exit 1; }
rm -f "$out/bdb/.rpm.lock" "$out/sqlite/.rpm.lock"
echo "ok: $(wc -l <"$out/expected.txt") packages in each backend under $out"
