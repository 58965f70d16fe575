#!/usr/bin/env bash
# Runs every fuzz target for a set time, one after the other.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Seeds fuzz/corpus/<target>/ from the real fixtures (the corpus folder is not committed), builds the
# targets with cargo-fuzz (installed if missing) and runs each with libFuzzer. cargo-fuzz needs
# nightly compiler flags (-Zsanitizer); on a stable toolchain RUSTC_BOOTSTRAP=1 enables them.
# Crashes land in fuzz/artifacts/<target>/; keep each as fuzz/regressions/<target>/<name> once fixed
# (tests/fuzz_regressions.rs replays them). The last lines of each run (libFuzzer's final stats) are
# collected in fuzz/last-run.txt.
set -euo pipefail

SECONDS_PER_TARGET="${1:-60}"
shift || true
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
FUZZ="$ROOT/fuzz"
FX="$ROOT/testdata/fixtures"
BIN="$ROOT/testdata/binaries"
export RUSTC_BOOTSTRAP="${RUSTC_BOOTSTRAP:-1}"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

ALL_TARGETS=(layer_tar layer_decode image_docker image_oci apk_db dpkg_status dpkg_files os_release
    elf elf_notes go_buildinfo cargo_auditable lang_manifest verify_envelope verify_signed statement bundle)
if [ "$#" -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi

seed() { # seed TARGET FILE... : copies files into the target's corpus under their content hash
    local t="$1"; shift
    mkdir -p "$FUZZ/corpus/$t"
    local f
    for f in "$@"; do
        [ -f "$f" ] || continue
        cp "$f" "$FUZZ/corpus/$t/$(sha1sum "$f" | cut -c1-40)"
    done
}
seed_text() { # seed_text TARGET NAME TEXT
    mkdir -p "$FUZZ/corpus/$1"
    printf '%s' "$3" > "$FUZZ/corpus/$1/$2"
}

make_seeds() {
    local tmp
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' RETURN
    # Layer tars: the real Alpine layer (cut to its first 64 KiB: the fuzzer mutates small inputs
    # faster), and tars of the fixture databases with links and folders.
    tar -xzf "$FX/images/alpine-3.10-docker-save.tar.gz" -C "$tmp"
    head -c 65536 "$tmp"/*/layer.tar > "$tmp/alpine-head.tar"
    (cd "$FX" && tar --format=gnu -cf "$tmp/dbs.tar" os-release apk/installed/alpine-single.installed dpkg/info)
    (cd "$tmp" && mkdir -p l/etc l/usr/lib && printf 'ID=alpine\n' > l/usr/lib/os-release \
        && ln -s ../usr/lib/os-release l/etc/os-release && ln l/usr/lib/os-release l/hard \
        && touch l/etc/.wh.gone l/usr/.wh..wh..opq && tar --format=pax -cf links.tar -C l .)
    seed layer_tar "$tmp/alpine-head.tar" "$tmp/dbs.tar" "$tmp/links.tar"
    mkdir -p "$FUZZ/corpus/layer_decode"
    for t in alpine-head dbs links; do
        gzip -9 -c "$tmp/$t.tar" > "$tmp/$t.gz"
        { printf '\000'; tail -c +3 "$tmp/$t.gz"; } > "$FUZZ/corpus/layer_decode/$t-gzip"
        if command -v zstd >/dev/null 2>&1; then
            zstd -q -c "$tmp/$t.tar" > "$tmp/$t.zst"
            { printf '\001'; tail -c +5 "$tmp/$t.zst"; } > "$FUZZ/corpus/layer_decode/$t-zstd"
        fi
    done
    # Image documents: the real docker save manifest and config, and templates with placeholders.
    { cat "$tmp/manifest.json"; printf '\n--\n'; cat "$tmp"/*.json | grep -v '^\[' ; } > "$tmp/real-docker" || true
    seed image_docker "$tmp/real-docker"
    seed_text image_docker template '[{"Config":"@CONFIG.json","RepoTags":["alpine:3.18"],"Layers":["@LAYER/layer.tar"]}]
--
{"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z","rootfs":{"type":"layers","diff_ids":["sha256:@LAYER"]}}'
    seed_text image_oci template '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:@MANIFEST","size":@SIZE_MANIFEST,"platform":{"os":"linux","architecture":"amd64"},"annotations":{"org.opencontainers.image.ref.name":"3.18"}}]}
--
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:@CONFIG","size":@SIZE_CONFIG},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:@LAYER","size":@SIZE_LAYER}]}
--
{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:@LAYER"]}}'
    seed_text image_oci nested '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:@MANIFEST","size":@SIZE_MANIFEST}]}
--
{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:@CONFIG","size":1}]}
--
{}'
    # Package databases and their companion files.
    seed apk_db "$FX"/apk/installed/*
    seed dpkg_status "$FX/dpkg/debian-10-postgresql.status" "$FX/dpkg/debian-libpam/var/lib/dpkg/status" \
        "$FX/dpkg/distroless/var/lib/dpkg/status.d/libsqlite3-0"
    # The Ubuntu status is large: its first 64 KiB are enough as a seed.
    head -c 65536 "$FX/dpkg/ubuntu-18.04-full/var/lib/dpkg/status" > "$tmp/ubuntu-status"
    seed dpkg_status "$tmp/ubuntu-status"
    seed dpkg_files "$FX/dpkg/info/tar.list" "$FX/dpkg/info/tar.md5sums" \
        "$FX/dpkg/distroless/var/lib/dpkg/status.d/libsqlite3-0.md5sums" \
        "$FX/dpkg/distroless/usr/share/doc/libsqlite3-0/copyright" \
        "$FX/dpkg/debian-libpam/usr/share/doc/libpam-runtime/copyright" \
        "$FX/dpkg/debian-libpam/var/lib/dpkg/info/libpam-runtime.md5sums"
    seed os_release "$FX"/os-release/*
    # Binaries: the small C ones whole, and the Go, Rust and noted ones.
    seed elf "$BIN"/c/hardened "$BIN"/c/noted "$BIN"/c/noted-noshdr "$BIN"/c/plain \
        "$BIN/rust-hello" "$BIN/go-hello-noshdr" "$FX/elf/package-notes/libudev.so.1.7.5"
    mkdir -p "$FUZZ/corpus/elf_notes"
    for b in noted hardened plain; do
        objcopy -O binary --only-section=.note.package "$BIN/c/$b" "$tmp/$b.pkg" 2>/dev/null || true
        objcopy -O binary --only-section=.note.dlopen "$BIN/c/$b" "$tmp/$b.dl" 2>/dev/null || true
        objcopy -O binary --only-section=.note.gnu.build-id "$BIN/c/$b" "$tmp/$b.bid" 2>/dev/null || true
        for s in pkg dl bid; do
            [ -s "$tmp/$b.$s" ] && { printf '\000'; cat "$tmp/$b.$s"; } > "$FUZZ/corpus/elf_notes/$b-$s"
        done
    done
    for f in "$BIN"/*.go-version-m.txt; do
        tail -n +2 "$f" | sed 's/^\t//' > "$tmp/$(basename "$f").modinfo"
        seed go_buildinfo "$tmp/$(basename "$f").modinfo"
    done
    seed cargo_auditable "$BIN/rust-hello.dep-v0.json"
    # Language manifests: the selector byte, then a real manifest or archive.
    mkdir -p "$FUZZ/corpus/lang_manifest"
    local L="$ROOT/testdata/lang"
    for f in "$L"/*.package.json; do { printf '\000'; cat "$f"; } > "$FUZZ/corpus/lang_manifest/npm-$(basename "$f")"; done
    for f in "$L"/*.METADATA "$L"/*.PKG-INFO; do { printf '\001'; cat "$f"; } > "$FUZZ/corpus/lang_manifest/py-$(basename "$f")"; done
    for f in "$L"/*.jar; do { printf '\002'; cat "$f"; } > "$FUZZ/corpus/lang_manifest/java-$(basename "$f")"; done
    # Attestations: the real sigstore bundles, their envelopes and Statements.
    seed verify_envelope "$FX"/sigstore/*.sigstore.json
    seed bundle "$FX"/sigstore/*.sigstore.json
    local i=0
    for b in "$FX"/sigstore/*.sigstore.json; do
        i=$((i + 1))
        jq -c '.dsseEnvelope' "$b" > "$tmp/env$i.json"
        jq -r '.dsseEnvelope.payload' "$b" | base64 -d > "$tmp/st$i.json"
        # Trim large predicates: a seed of a few KiB mutates faster.
        jq -c '.predicate |= (if type == "object" then with_entries(select(.key | IN("spdxVersion","bomFormat","specVersion","SPDXID","documentNamespace","packages","components","metadata"))) | (.packages |= (.[:3]? // .)) | (.components |= (.[:3]? // .)) else . end)' \
            "$tmp/st$i.json" > "$tmp/small$i.json" 2>/dev/null || cp "$tmp/st$i.json" "$tmp/small$i.json"
        seed verify_envelope "$tmp/env$i.json"
        seed bundle "$tmp/env$i.json"
        seed statement "$tmp/small$i.json"
        { printf '\000'; cat "$tmp/small$i.json"; } > "$tmp/signed$i"
        { printf '\002'; cat "$tmp/small$i.json"; } > "$tmp/signed-bundle$i"
        seed verify_signed "$tmp/signed$i" "$tmp/signed-bundle$i"
    done
    # Crashes found before stay in the corpus.
    local t
    for t in "${ALL_TARGETS[@]}"; do
        [ -d "$FUZZ/regressions/$t" ] && seed "$t" "$FUZZ/regressions/$t"/*
    done
    return 0
}

make_seeds
cd "$FUZZ"
cargo fuzz build -O --debug-assertions

: > "$FUZZ/last-run.txt"
status=0
for t in "${TARGETS[@]}"; do
    echo "== $t (${SECONDS_PER_TARGET}s)"
    log="$FUZZ/artifacts/$t.log"
    mkdir -p "$FUZZ/artifacts/$t"
    # -rss_limit_mb: an input that needs more than this is a finding (unbounded allocation).
    if cargo fuzz run -O --debug-assertions "$t" -- -max_total_time="$SECONDS_PER_TARGET" \
        -rss_limit_mb=2048 -timeout=10 -max_len=1048576 -print_final_stats=1 >"$log" 2>&1; then
        result=ok
    else
        result=FAILED
        status=1
    fi
    execs="$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' | tail -n1)"
    echo "$t: $result, ${execs:-?} executions" | tee -a "$FUZZ/last-run.txt"
    [ "$result" = ok ] || grep -E 'ERROR|panicked|SUMMARY|Test unit written' "$log" | head -n 5
done
exit "$status"
