#!/usr/bin/env bash
# `sbomkit validate --profile ntia` against ntia-conformance-checker (PyPI), the independent NTIA
# minimum elements checker for SPDX: on every SPDX SBOM in testdata/sboms/ (Syft, Trivy, apko,
# melange) and on sbomkit's own SPDX 2.3 and SPDX 3.0.1 output, both must give the same verdict.
# The schema verdicts are checked against the official schemas by tests/validate.rs.
# The checker is installed once into target/venv-ntia (cached; delete it to reinstall).
# Usage: scripts/ntia-agreement.sh [SBOMKIT]      (default target/debug/sbomkit)
#        scripts/ntia-agreement.sh --install      (only install the checker)
set -euo pipefail

NTIA_CHECKER_VERSION=6.0.0

root=$(cd "$(dirname "$0")/.." && pwd)
sbomkit=${1:-$root/target/debug/sbomkit}
venv="$root/target/venv-ntia"
stamp="$venv/.installed-ntia-conformance-checker-$NTIA_CHECKER_VERSION"
if [ ! -f "$stamp" ]; then
    echo "installing ntia-conformance-checker $NTIA_CHECKER_VERSION into $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "ntia-conformance-checker==$NTIA_CHECKER_VERSION"
    touch "$stamp"
fi
[ "$sbomkit" = --install ] && exit 0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$sbomkit" generate -q "$root/testdata/fixtures/images/alpine-3.10-docker-save.tar.gz" \
    -o spdx-json="$work/sbomkit-alpine.spdx.json" -o spdx3-json="$work/sbomkit-alpine.spdx3.json"
"$sbomkit" generate -q "dir:$root/testdata/fixtures/dpkg/distroless" \
    -o spdx-json="$work/sbomkit-distroless.spdx.json" -o spdx3-json="$work/sbomkit-distroless.spdx3.json"

files=()
while IFS= read -r f; do files+=("$f"); done < <(find "$root/testdata/sboms" -name '*.spdx.json' | sort)
files+=("$work"/*.spdx.json "$work"/*.spdx3.json)

failed=0
for f in "${files[@]}"; do
    spec=spdx2
    case "$f" in *.spdx3.json) spec=spdx3 ;; esac
    set +e
    # The checker exits non-zero when the document does not conform: its JSON says which.
    "$venv/bin/ntia-checker" -q -s "$spec" -r json "$f" >"$work/theirs.json" 2>/dev/null
    "$sbomkit" validate --profile ntia --output json "$f" >"$work/report.json"
    code=$?
    set -e
    theirs=$("$venv/bin/python" -c 'import json, sys; print(str(json.load(open(sys.argv[1]))["isNtiaConformant"]).lower())' "$work/theirs.json")
    ours=$("$venv/bin/python" -c 'import json, sys; print(str(json.load(open(sys.argv[1]))["holds"]).lower())' "$work/report.json")
    want_code=3
    [ "$ours" = true ] && want_code=0
    if [ "$theirs" != "$ours" ] || [ "$code" != "$want_code" ]; then
        echo "DIFFER ntia  ${f#"$root"/}: ntia-conformance-checker $theirs, sbomkit $ours (exit $code)"
        failed=1
    else
        echo "agree  ntia  ${f#"$root"/}: $ours"
    fi
done
exit "$failed"
