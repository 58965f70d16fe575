#!/usr/bin/env bash
# Measures `generate registry:` against `generate docker-archive:` of the same image: a synthetic
# multi-layer image of SIZE_MB (default 1300) made here (python3: files of base64 text and an apk
# database, in LAYERS layers, default 8), pushed by skopeo (gzip layers) into Debian's docker-registry
# on 127.0.0.1, and read back by skopeo as a docker-archive (uncompressed layers) and as an OCI layout
# folder (the registry's gzip blobs as they are). Each source is scanned ROUNDS times (default 3), in
# turn, writing SPDX JSON, `registry:` with an empty layer cache each time (cold); then the rescan with
# the cache those scans filled (warm). Prints the median wall times, the ratios, and the registry's
# access log of one cold and one warm scan (what was fetched: warm, only the manifest and the config).
# Usage: scripts/bench-registry.sh [WORKDIR]   (default target/bench-registry; SBOMKIT=path to measure
# a binary already built, else a release build)
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
work=${1:-target/bench-registry}
rounds=${ROUNDS:-3}
size_mb=${SIZE_MB:-1300}
layers=${LAYERS:-8}
mkdir -p "$work"
work=$(cd "$work" && pwd)

need=()
for t in docker-registry:docker-registry skopeo:skopeo curl:curl bc:bc; do
  command -v "${t%%:*}" >/dev/null || need+=("${t#*:}")
done
if ((${#need[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ -n "${SBOMKIT:-}" ]; then
  sbomkit=$(realpath "$SBOMKIT")
else
  cargo build --release --locked --quiet
  sbomkit=$PWD/target/release/sbomkit
fi

if [ ! -f "$work/image-$size_mb-$layers.tar" ]; then
  python3 - "$work/image-$size_mb-$layers.tar" "$size_mb" "$layers" testdata/fixtures/apk/installed/alpine-3.16-base.installed <<'PY'
import base64, hashlib, io, json, os, random, sys, tarfile
out, size_mb, nlayers, apkdb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = random.Random(1)
per_layer = size_mb * 1024 * 1024 // nlayers
def layer(i):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        def add(name, data):
            ti = tarfile.TarInfo(name); ti.size = len(data); ti.mtime = 0
            t.addfile(ti, io.BytesIO(data))
        if i == 0:
            add("etc/os-release", b'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.16.2\n')
            add("lib/apk/db/installed", open(apkdb, "rb").read())
        left, n = per_layer, 0
        while left > 0:
            size = min(left, rng.choice([4096, 65536, 1 << 20, 8 << 20]))
            raw = rng.randbytes(size * 3 // 4 + 3)
            add(f"usr/share/bench/l{i}/f{n}.txt", base64.b64encode(raw)[:size])
            left -= size; n += 1
    return buf.getvalue()
blobs = [layer(i) for i in range(nlayers)]
diff_ids = ["sha256:" + hashlib.sha256(b).hexdigest() for b in blobs]
config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
                     "config": {}, "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
cname = hashlib.sha256(config).hexdigest() + ".json"
with tarfile.open(out, "w") as t:
    def add(name, data):
        ti = tarfile.TarInfo(name); ti.size = len(data); ti.mtime = 0
        t.addfile(ti, io.BytesIO(data))
    names = []
    for i, b in enumerate(blobs):
        names.append(f"l{i}/layer.tar"); add(names[-1], b)
    add(cname, config)
    add("manifest.json", json.dumps([{"Config": cname, "RepoTags": ["bench:1"], "Layers": names}]).encode())
PY
fi
archive=$work/image-$size_mb-$layers.tar

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rm -rf "$work/registry"
mkdir -p "$work/registry"
cat >"$work/registry/config.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/registry/data
http:
  addr: 127.0.0.1:$port
YML
docker-registry serve "$work/registry/config.yml" >"$work/registry/access.log" 2>&1 &
registry_pid=$!
trap 'kill $registry_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
skopeo copy --quiet --insecure-policy --dest-tls-verify=false "docker-archive:$archive" "docker://127.0.0.1:$port/bench:1"
# The archive a user would scan instead: the same image, as skopeo writes it from the registry.
rm -f "$work/pulled.tar"
skopeo copy --quiet --insecure-policy --src-tls-verify=false "docker://127.0.0.1:$port/bench:1" "docker-archive:$work/pulled.tar:bench:1"
rm -rf "$work/pulled-oci"
skopeo copy --quiet --insecure-policy --src-tls-verify=false "docker://127.0.0.1:$port/bench:1" "oci:$work/pulled-oci:bench"

time_of() {
  local start end
  start=$(date +%s.%N)
  "$sbomkit" generate -q "$@" -o spdx-json="$work/out.spdx.json"
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: >"$work/t-registry"; : >"$work/t-archive"; : >"$work/t-oci"; : >"$work/t-warm"
cache=$work/cache
for _ in $(seq "$rounds"); do
  rm -rf "$cache"
  time_of "registry:127.0.0.1:$port/bench:1" --cache-dir "$cache" >>"$work/t-registry"
  cp "$work/out.spdx.json" "$work/cold.spdx.json"
  time_of "docker-archive:$work/pulled.tar" >>"$work/t-archive"
  time_of "oci-dir:$work/pulled-oci" >>"$work/t-oci"
done
for _ in $(seq "$rounds"); do
  time_of "registry:127.0.0.1:$port/bench:1" --cache-dir "$cache" >>"$work/t-warm"
done
time_of "registry:127.0.0.1:$port/bench:1" --cache-dir "$cache" >/dev/null
cmp -s "$work/out.spdx.json" "$work/cold.spdx.json" || { echo "the warm scan wrote another SBOM" >&2; exit 1; }
reg=$(median <"$work/t-registry"); arc=$(median <"$work/t-archive"); oci=$(median <"$work/t-oci")
warm=$(median <"$work/t-warm")
# The floor: the registry's own speed, every blob fetched once by curl, one after the other.
start=$(date +%s.%N)
for d in $(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["config"]["digest"], *[l["digest"] for l in m["layers"]])' \
  <(curl -s -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://127.0.0.1:$port/v2/bench/manifests/1")); do
  curl -s -o /dev/null "http://127.0.0.1:$port/v2/bench/blobs/$d"
done
floor=$(echo "$(date +%s.%N) - $start" | bc)
log_of() {
  : >"$work/registry/access.log"
  "$sbomkit" generate -q "registry:127.0.0.1:$port/bench:1" "$@" -o spdx-json="$work/out.spdx.json"
  grep -ao '"[A-Z]* /v2/[^"]*"' "$work/registry/access.log" | sed -E 's/sha256:[0-9a-f]{64}/sha256:…/' | sort | uniq -c
}
cold_log=$(log_of --no-cache)
warm_log=$(log_of --cache-dir "$cache")
stored=$(du -sm "$work/registry/data" | cut -f1)
printf '\nimage: %s layers, %s MB uncompressed (docker-archive %s MB), %s MB in the registry (gzip)\n' \
  "$layers" "$size_mb" "$(du -m "$work/pulled.tar" | cut -f1)" "$stored"
printf '%-28s %10s\n' "source" "median s"
printf '%-28s %10.2f\n' "registry: (cold cache)" "$reg" "registry: (warm cache)" "$warm" \
  "docker-archive: (plain)" "$arc" "oci-dir: (gzip blobs)" "$oci" "floor: curl of every blob" "$floor"
printf 'ratio registry / docker-archive: %.2f; registry / oci-dir: %.2f\n' \
  "$(echo "$reg / $arc" | bc -l)" "$(echo "$reg / $oci" | bc -l)"
printf 'layer cache: %s MB for %s layers\n' "$(du -sm "$cache" | cut -f1)" "$layers"
echo "registry access log of one cold scan (--no-cache):"
echo "$cold_log"
echo "registry access log of one warm scan (layers from the cache):"
echo "$warm_log"
# Warm, the one blob fetched is the config.
blob_gets=$(grep '"GET /v2/bench/blobs/' <<<"$warm_log" | awk '{n += $1} END {print n + 0}')
[ "$blob_gets" -eq 1 ] || { echo "the warm scan fetched $blob_gets blobs, not only the config" >&2; exit 1; }
