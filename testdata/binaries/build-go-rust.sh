#!/usr/bin/env bash
# Rebuilds the Go and Rust fixture binaries in this folder and the expected outputs beside them:
#   FILE.go-version-m.txt  what `go version -m FILE` prints
#   FILE.dep-v0.json       the decompressed `.dep-v0` section (objcopy + zlib, independent of sbomkit)
# Builds are offline: the Go program's only dependency is a local module (`replace`), and the Rust
# program's crates.io dependencies come from the local cargo registry cache (`--offline`).
# Needs Debian (apt-get) for golang-go, binutils, git and python3; installs cargo-auditable with cargo.
# Usage: testdata/binaries/build-go-rust.sh [--no-third-party]
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

need_apt=()
command -v go >/dev/null || need_apt+=(golang-go)
command -v objcopy >/dev/null || need_apt+=(binutils)
command -v git >/dev/null || need_apt+=(git)
command -v python3 >/dev/null || need_apt+=(python3)
if ((${#need_apt[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi
cargo auditable --version >/dev/null 2>&1 || cargo install cargo-auditable --locked

# Reproducible, offline Go builds with their own caches.
export GOPATH="$work/gopath" GOCACHE="$work/gocache" GOMODCACHE="$work/gopath/pkg/mod"
export GOPROXY=off GOFLAGS=-mod=mod GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOOS=linux GOARCH=amd64

# The Go program is built inside a throwaway git repository with one commit of fixed author, committer
# and date, so the binary records vcs=git, a stable vcs.revision, vcs.time and vcs.modified=false.
# The stripped build leaves out -trimpath on purpose: Go records -ldflags only without it, and the
# fixed folder keeps the embedded source paths the same from one rebuild to the next.
gosrc=/tmp/sbomkit-fixture-go-hello
rm -rf "$gosrc"
cp -r "$here/src/go-hello" "$gosrc"
(
    cd "$gosrc"
    export GIT_AUTHOR_NAME=fixture GIT_AUTHOR_EMAIL=fixture@example.com
    export GIT_COMMITTER_NAME=fixture GIT_COMMITTER_EMAIL=fixture@example.com
    export GIT_AUTHOR_DATE="2024-01-02T03:04:05Z" GIT_COMMITTER_DATE="2024-01-02T03:04:05Z"
    git -c init.defaultBranch=main init -q .
    git add -A
    git -c commit.gpgsign=false commit -q -m "hello fixture"
    go build -trimpath -buildvcs=true -o "$here/go-hello" .
    go build -buildvcs=true -tags=fixture -ldflags="-s -w" -o "$here/go-hello-stripped" .
)
rm -rf "$gosrc"

# The stripped Go binary with its section headers removed (e_shoff, e_shnum, e_shstrndx zeroed and
# the table overwritten with zeros where it stands), so readers must find the buildinfo through the
# PT_LOAD segments.
python3 - "$here/go-hello-stripped" "$here/go-hello-noshdr" <<'EOF'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "expects ELF64 little-endian"
shoff = struct.unpack_from("<Q", data, 0x28)[0]
shentsize, shnum = struct.unpack_from("<HH", data, 0x3a)
end = shoff + shentsize * shnum
assert 0 < shoff and end <= len(data)
data[shoff:end] = bytes(end - shoff)
struct.pack_into("<Q", data, 0x28, 0)
struct.pack_into("<HHH", data, 0x3a, 0, 0, 0)
open(sys.argv[2], "wb").write(data)
EOF
chmod +x "$here/go-hello-noshdr"

# The Rust program, with cargo-auditable, offline from the cargo registry cache.
cp -r "$here/src/rust-hello" "$work/rust-hello"
(
    cd "$work/rust-hello"
    CARGO_TARGET_DIR="$work/target" cargo auditable build --release --offline --locked --quiet
)
cp "$work/target/release/rust-hello" "$here/rust-hello"

# Third-party blind check: age-keygen from Debian's age package (a Go binary built by Debian).
if [[ "${1:-}" != "--no-third-party" ]]; then
    mkdir -p "$work/deb" "$here/third-party"
    (cd "$work/deb" && apt-get download age=1.1.1-1+b3)
    dpkg-deb -x "$work"/deb/age_1.1.1-1+b3_amd64.deb "$work/deb/x"
    cp "$work/deb/x/usr/bin/age-keygen" "$here/third-party/age-keygen"
    sha256sum "$work"/deb/age_1.1.1-1+b3_amd64.deb
fi

# Expected outputs, as the real tools print them (run from this folder so paths are relative).
cd "$here"
for f in go-hello go-hello-stripped go-hello-noshdr third-party/age-keygen; do
    [[ -f "$f" ]] && go version -m "$f" >"$f.go-version-m.txt"
done
for f in rust-hello; do
    objcopy --dump-section .dep-v0="$work/$f.dep-v0.z" "$f" "$work/$f.out"
    python3 -c 'import sys, zlib; sys.stdout.buffer.write(zlib.decompress(open(sys.argv[1], "rb").read()))' \
        "$work/$f.dep-v0.z" >"$f.dep-v0.json"
done
# The same for the third-party fixtures under ../fixtures/elf that the readers are tested on.
mkdir -p "$work/elf" expected
cp ../fixtures/elf/go/test.elf "$work/elf/test.elf"
chmod +x "$work/elf/test.elf"
(cd "$work/elf" && go version -m test.elf) >expected/test.elf.go-version-m.txt
for f in binary-with-audit-info binary-with-vuln; do
    objcopy --dump-section .dep-v0="$work/$f.dep-v0.z" "../fixtures/elf/rust/$f" "$work/$f.out"
    python3 -c 'import sys, zlib; sys.stdout.buffer.write(zlib.decompress(open(sys.argv[1], "rb").read()))' \
        "$work/$f.dep-v0.z" >"expected/$f.dep-v0.json"
done

sha256sum go-hello go-hello-stripped go-hello-noshdr rust-hello third-party/* | grep -v '\.txt$'
ls -l go-hello go-hello-stripped go-hello-noshdr rust-hello third-party/age-keygen
