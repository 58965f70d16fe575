#!/usr/bin/env bash
# Passes SBOMs through independent validators:
#   *.spdx.json  → `pyspdxtools -i` (PyPI spdx-tools), zero validation messages required;
#   *.cdx*.json  → cyclonedx-python-lib's strict JSON validator for the document's own specVersion;
#   *.spdx3.json → spdx3-validate (the SPDX 3.0.1 JSON schema and SHACL model, offline through
#                  scripts/spdx3-validate-offline.py), then the spdx-python-model 3.0.1 bindings
#                  read it back with every element, each reference of the right class.
# The tools are installed once into target/venv-interop (cached; delete it to reinstall).
# Usage: scripts/interop-sbom.sh DIR     (e.g. after SBOMKIT_WRITE_SAMPLES=DIR cargo test --test integration formats::)
set -euo pipefail

SPDX_TOOLS_VERSION=0.8.5
CYCLONEDX_LIB_VERSION=11.12.0
SPDX3_VALIDATE_VERSION=0.0.7
SPDX_PYTHON_MODEL_VERSION=0.0.6

dir=${1:?usage: scripts/interop-sbom.sh DIR}
[ -d "$dir" ] || { echo "error: \`$dir\` is not a folder" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/target/venv-interop"
stamp="$venv/.installed-spdx-tools-$SPDX_TOOLS_VERSION-cyclonedx-$CYCLONEDX_LIB_VERSION"
stamp+="-spdx3-validate-$SPDX3_VALIDATE_VERSION-spdx-python-model-$SPDX_PYTHON_MODEL_VERSION"

if [ ! -f "$stamp" ]; then
    echo "installing spdx-tools $SPDX_TOOLS_VERSION, cyclonedx-python-lib $CYCLONEDX_LIB_VERSION," \
        "spdx3-validate $SPDX3_VALIDATE_VERSION and spdx-python-model $SPDX_PYTHON_MODEL_VERSION into $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "spdx-tools==$SPDX_TOOLS_VERSION" \
        "cyclonedx-python-lib[json-validation]==$CYCLONEDX_LIB_VERSION" \
        "spdx3-validate==$SPDX3_VALIDATE_VERSION" \
        "spdx-python-model==$SPDX_PYTHON_MODEL_VERSION"
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

spdx3=("$dir"/*.spdx3.json)
if [ "${#spdx3[@]}" -gt 0 ]; then
    # One process for all: loading the SHACL model is most of the time. Each document is
    # validated on its own.
    if ! out=$("$venv/bin/python" "$root/scripts/spdx3-validate-offline.py" "${spdx3[@]}" 2>&1); then
        echo "FAIL spdx-3.0.1 spdx3-validate"
        echo "$out" | sed 's/^/    /'
        exit 1
    fi
    for f in "${spdx3[@]}"; do
        if ! out=$("$venv/bin/python" - "$f" 2>&1 <<'PY'
import json, sys
from spdx_python_model import v3_0_1 as spdx

path = sys.argv[1]
with open(path, "rb") as fh:
    nodes = len(json.load(fh)["@graph"])
objs = spdx.SHACLObjectSet()
with open(path, "rb") as fh:
    # Raises on a reference to an element of the wrong class.
    spdx.JSONLDDeserializer().read(fh, objs)
# Two nodes with one id would be read as one object.
if len(objs.objects) != nodes:
    print(f"spdx-python-model read {len(objs.objects)} objects from {nodes} graph nodes")
    sys.exit(1)
print(nodes)
PY
        ); then
            echo "FAIL spdx3      $f"
            echo "$out" | sed 's/^/    /'
            exit 1
        fi
        echo "ok   spdx-3.0.1 $f ($out elements)"
        checked=$((checked + 1))
    done
    # The validators must be able to fail: a package as the document's creator passes the JSON
    # schema, but not the SHACL model, and the bindings refuse the reference.
    broken=$(mktemp -d)
    trap 'rm -rf "$broken"' EXIT
    "$venv/bin/python" - "${spdx3[0]}" "$broken/broken.spdx3.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
package = next(n["spdxId"] for n in doc["@graph"] if n["type"] == "software_Package")
next(n for n in doc["@graph"] if n["type"] == "CreationInfo")["createdBy"] = [package]
json.dump(doc, open(sys.argv[2], "w"))
PY
    rc=0
    "$venv/bin/python" "$root/scripts/spdx3-validate-offline.py" "$broken/broken.spdx3.json" >/dev/null 2>&1 || rc=$?
    if [ "$rc" -ne 1 ]; then
        echo "FAIL spdx3-validate did not reject a package as creator (exit $rc)"
        exit 1
    fi
    if "$venv/bin/python" -c 'import sys; from spdx_python_model import v3_0_1 as spdx; spdx.JSONLDDeserializer().read(open(sys.argv[1], "rb"), spdx.SHACLObjectSet())' \
        "$broken/broken.spdx3.json" >/dev/null 2>&1; then
        echo "FAIL spdx-python-model read a package as creator"
        exit 1
    fi
    echo "ok   spdx-3.0.1 a package as creator is rejected by both"
fi

if [ "$checked" -eq 0 ]; then
    echo "error: no *.spdx.json, *.spdx3.json or *.cdx*.json in \`$dir\`" >&2
    exit 1
fi
echo "interop: $checked passed, 0 failed"
