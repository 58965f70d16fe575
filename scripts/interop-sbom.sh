#!/usr/bin/env bash
# Passes SBOMs through independent validators:
#   *.spdx.json  → `pyspdxtools -i` (PyPI spdx-tools), zero validation messages required;
#   *.cdx*.json  → cyclonedx-python-lib's strict JSON validator for the document's own specVersion.
# The tools are installed once into target/venv-interop (cached; delete it to reinstall).
# Usage: scripts/interop-sbom.sh DIR     (e.g. after SBOMKIT_WRITE_SAMPLES=DIR cargo test --test integration formats::)
set -euo pipefail

SPDX_TOOLS_VERSION=0.8.5
CYCLONEDX_LIB_VERSION=11.12.0

dir=${1:?usage: scripts/interop-sbom.sh DIR}
[ -d "$dir" ] || { echo "error: \`$dir\` is not a folder" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/target/venv-interop"
stamp="$venv/.installed-spdx-tools-$SPDX_TOOLS_VERSION-cyclonedx-$CYCLONEDX_LIB_VERSION"

if [ ! -f "$stamp" ]; then
    echo "installing spdx-tools $SPDX_TOOLS_VERSION and cyclonedx-python-lib $CYCLONEDX_LIB_VERSION into $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "spdx-tools==$SPDX_TOOLS_VERSION" \
        "cyclonedx-python-lib[json-validation]==$CYCLONEDX_LIB_VERSION"
    touch "$stamp"
fi

shopt -s nullglob
checked=0

for f in "$dir"/*.spdx.json; do
    # pyspdxtools exits non-zero on invalid documents, but older releases only print; check both.
    if ! out=$("$venv/bin/pyspdxtools" -i "$f" 2>&1) || grep -qiE 'invalid|error|exception|traceback' <<<"$out"; then
        echo "FAIL spdx       $f"
        echo "$out" | sed 's/^/    /'
        exit 1
    fi
    echo "ok   spdx-2.3   $f"
    checked=$((checked + 1))
done

for f in "$dir"/*.cdx*.json; do
    if ! out=$("$venv/bin/python" - "$f" 2>&1 <<'PY'
import json, sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

path = sys.argv[1]
with open(path, encoding="utf-8") as fh:
    text = fh.read()
version = json.loads(text).get("specVersion")
validator = JsonStrictValidator(SchemaVersion.from_version(version))
error = validator.validate_str(text)
if error is not None:
    detail = getattr(error, "data", None)
    message = getattr(detail, "message", None) or str(error).splitlines()[0]
    where = "/".join(str(p) for p in getattr(detail, "absolute_path", []))
    print(f"cyclonedx {version}: at /{where}: {message}")
    sys.exit(1)
print(version)
PY
    ); then
        echo "FAIL cyclonedx  $f"
        echo "$out" | sed 's/^/    /'
        exit 1
    fi
    echo "ok   cdx-$out    $f"
    checked=$((checked + 1))
done

if [ "$checked" -eq 0 ]; then
    echo "error: no *.spdx.json or *.cdx*.json in \`$dir\`" >&2
    exit 1
fi
echo "interop: $checked passed, 0 failed"
