#!/usr/bin/env bash
# Measures that describing a two-platform index in one run (`--platform all`) costs at most the sum
# of the two single-platform runs. The input is testdata/multiarch/debian-libs with one more layer
# that both platforms share, made from a folder of this machine (default /usr/lib, cut at
# SHARED_MB), so that reading shared blobs once shows.
# Usage: scripts/bench-multiplatform.sh [SBOMKIT] [RUNS]   (default target/release/sbomkit, 5 runs)
# Prints the median wall time of each; exits 1 if `all` costs more than the sum of the two.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
sbomkit=${1:-$root/target/release/sbomkit}
runs=${2:-5}
shared_from=${SHARED_FROM:-/usr/lib}
shared_mb=${SHARED_MB:-200}
[ -x "$sbomkit" ] || { echo "error: $sbomkit is not an executable (cargo build --release)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$root/testdata/multiarch/debian-libs" "$work/layout" "$shared_from" "$shared_mb" <<'PY'
import gzip, hashlib, io, json, os, shutil, sys, tarfile
src, out, shared_from, shared_mb = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
shutil.copytree(src, out)
blobs = os.path.join(out, "blobs", "sha256")
def put(data):
    d = hashlib.sha256(data).hexdigest()
    open(os.path.join(blobs, d), "wb").write(data)
    return "sha256:" + d, len(data)
def get(digest):
    return json.load(open(os.path.join(blobs, digest.split(":")[1])))
# The shared layer: regular files of a real folder, up to the size asked for.
buf, total, limit = io.BytesIO(), 0, shared_mb << 20
with tarfile.open(fileobj=buf, mode="w") as t:
    for d, dirs, files in os.walk(shared_from):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(d, f)
            if os.path.islink(p) or not os.path.isfile(p) or total > limit:
                continue
            try:
                t.add(p, arcname="shared" + p, recursive=False)
                total += os.path.getsize(p)
            except OSError:
                pass
raw = buf.getvalue()
layer, size = put(gzip.compress(raw, compresslevel=1, mtime=0))
diff = "sha256:" + hashlib.sha256(raw).hexdigest()
top = json.load(open(os.path.join(out, "index.json")))
index = get(top["manifests"][0]["digest"])
for m in index["manifests"]:
    manifest = get(m["digest"])
    config = get(manifest["config"]["digest"])
    config["rootfs"]["diff_ids"].append(diff)
    manifest["config"]["digest"], manifest["config"]["size"] = put(json.dumps(config).encode())
    manifest["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                               "digest": layer, "size": size})
    m["digest"], m["size"] = put(json.dumps(manifest).encode())
top["manifests"][0]["digest"], top["manifests"][0]["size"] = put(json.dumps(index).encode())
json.dump(top, open(os.path.join(out, "index.json"), "w"))
print(f"shared layer: {total >> 20} MiB of {shared_from}, {size >> 20} MiB stored", file=sys.stderr)
PY

median() {
    local -a times=()
    for _ in $(seq "$runs"); do
        local start end
        start=$(date +%s.%N)
        "$sbomkit" generate -q "$work/layout" "$@" >/dev/null
        end=$(date +%s.%N)
        times+=("$(echo "$end - $start" | bc)")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

mkdir -p "$work/out"
amd=$(median --platform linux/amd64 -o spdx-json="$work/out/a.json")
arm=$(median --platform linux/arm64 -o spdx-json="$work/out/b.json")
all=$(median --platform all -o spdx-json="$work/out/{platform}.json")
sum=$(echo "$amd + $arm" | bc)
printf 'linux/amd64 alone  %6.3f s\nlinux/arm64 alone  %6.3f s\nsum                %6.3f s\n--platform all     %6.3f s (median of %d)\n' \
    "$amd" "$arm" "$sum" "$all" "$runs"
if [ "$(echo "$all > $sum" | bc)" = 1 ]; then
    echo "FAIL: --platform all costs more than the two runs together" >&2
    exit 1
fi
echo "ok: --platform all costs $(echo "scale=0; 100 * $all / $sum" | bc)% of the two runs together"
