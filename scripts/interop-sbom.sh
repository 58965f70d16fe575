#!/usr/bin/env bash
# Passes SBOMs through independent validators:
#   *.spdx.json  → spdx-tools (PyPI) parses and validates, as `pyspdxtools -i` does: zero messages required;
#   *.spdx       → SPDX tag-value: parsed and validated by spdx-tools, and converted to JSON by it; the
#                  JSON of X.spdx.json, converted the same way, must be the same document;
#   *.spdx3.json → spdx3-validate (the SPDX 3.0.1 JSON schema and SHACL model, offline through
#                  scripts/spdx3-validate-offline.py), then the spdx-python-model 3.0.1 bindings
#                  read it back with every element, each reference of the right class;
#   *.cdx*.json  → cyclonedx-python-lib's strict JSON validator for the document's own specVersion;
#   *.cdx*.xml   → the official XSD of its namespace's version (cyclonedx-python-lib's copy, with lxml),
#                  then read back with cyclonedx-python-lib, which must read the same BOM from
#                  the XML as from the JSON of the same stem (X.json beside X.xml).
# The checks run side by side, one per core (the SHACL validation, most of the time, split in as many
# parts); each check's lines are printed together, in a fixed order.
# The tools are installed once into target/venv-interop (cached; delete it to reinstall).
# Usage: scripts/interop-sbom.sh DIR     (e.g. after SBOMKIT_WRITE_SAMPLES=DIR cargo test --test integration formats::)
#        scripts/interop-sbom.sh --install   (only install the tools)
set -euo pipefail

SPDX_TOOLS_VERSION=0.8.5
CYCLONEDX_LIB_VERSION=11.12.0
SPDX3_VALIDATE_VERSION=0.0.7
SPDX_PYTHON_MODEL_VERSION=0.0.6

dir=${1:?usage: scripts/interop-sbom.sh DIR | --install}
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/target/venv-interop"
stamp="$venv/.installed-spdx-tools-$SPDX_TOOLS_VERSION-cyclonedx-$CYCLONEDX_LIB_VERSION-xml"
stamp+="-spdx3-validate-$SPDX3_VALIDATE_VERSION-spdx-python-model-$SPDX_PYTHON_MODEL_VERSION"

if [ ! -f "$stamp" ]; then
    echo "installing spdx-tools $SPDX_TOOLS_VERSION, cyclonedx-python-lib $CYCLONEDX_LIB_VERSION," \
        "spdx3-validate $SPDX3_VALIDATE_VERSION and spdx-python-model $SPDX_PYTHON_MODEL_VERSION into $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "spdx-tools==$SPDX_TOOLS_VERSION" \
        "cyclonedx-python-lib[json-validation,xml-validation]==$CYCLONEDX_LIB_VERSION" \
        "spdx3-validate==$SPDX3_VALIDATE_VERSION" \
        "spdx-python-model==$SPDX_PYTHON_MODEL_VERSION"
    touch "$stamp"
fi
[ "$dir" = --install ] && exit 0
[ -d "$dir" ] || { echo "error: \`$dir\` is not a folder" >&2; exit 2; }
py="$venv/bin/python"

shopt -s nullglob
spdx_jsons=("$dir"/*.spdx.json)
cdx_jsons=("$dir"/*.cdx*.json)
tag_values=("$dir"/*.spdx)
xmls=("$dir"/*.cdx*.xml)
spdx3=("$dir"/*.spdx3.json)
# Largest first, so that the parts of the SHACL validation take about as long.
[ "${#spdx3[@]}" -gt 1 ] && mapfile -t spdx3 < <(ls -S -- "${spdx3[@]}")
total=$((${#spdx_jsons[@]} + ${#cdx_jsons[@]} + ${#tag_values[@]} + ${#xmls[@]} + ${#spdx3[@]}))
if [ "$total" -eq 0 ]; then
    echo "error: no *.spdx.json, *.spdx, *.spdx3.json, *.cdx*.json or *.cdx*.xml in \`$dir\`" >&2
    exit 1
fi

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
jobs_started=()
slots=$(nproc 2>/dev/null || echo 2)
# job NAME COMMAND...: runs in the background, at most one per core; its output goes to NAME's log.
job() {
    local name=$1
    shift
    while [ "$(jobs -rp | wc -l)" -ge "$slots" ]; do wait -n || true; done
    ( "$@" >"$logs/$name.log" 2>&1; echo $? >"$logs/$name.rc" ) &
    jobs_started+=("$name")
}

spdx_json() {
    "$py" - "$@" <<'PY'
import sys
from spdx_tools.spdx.parser.error import SPDXParsingError
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

# What `pyspdxtools -i FILE` does, without a Python start per file.
failed = 0
for path in sys.argv[1:]:
    try:
        messages = [m.validation_message for m in validate_full_spdx_document(parse_file(path))]
    except SPDXParsingError as e:
        messages = e.get_messages()
    except Exception as e:  # any failure of the reader is a failure of the document
        messages = [f"{type(e).__name__}: {e}"]
    if messages:
        print(f"FAIL spdx       {path}\n    " + "\n    ".join(messages[:20]))
        failed += 1
        continue
    print(f"ok   spdx-2.3   {path}")
sys.exit(1 if failed else 0)
PY
}

cdx_json() {
    "$py" - "$@" <<'PY'
import json, sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

failed = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    version = json.loads(text).get("specVersion")
    validator = JsonStrictValidator(SchemaVersion.from_version(version))
    error = validator.validate_str(text)
    if error is not None:
        detail = getattr(error, "data", None)
        message = getattr(detail, "message", None) or str(error).splitlines()[0]
        where = "/".join(str(p) for p in getattr(detail, "absolute_path", []))
        print(f"FAIL cyclonedx  {path}\n    cyclonedx {version}: at /{where}: {message}")
        failed += 1
        continue
    print(f"ok   cdx-{version}    {path}")
sys.exit(1 if failed else 0)
PY
}

spdx_tv() {
    "$py" - "$@" <<'PY'
import io, sys
from spdx_tools.spdx.parser.error import SPDXParsingError
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

def as_json(path):
    doc = parse_file(path)
    messages = validate_full_spdx_document(doc)
    if messages:
        raise ValueError("\n".join(m.validation_message for m in messages[:20]))
    out = io.StringIO()
    write_document_to_stream(doc, out, validate=False)
    return out.getvalue()

failed = 0
for tv in sys.argv[1:]:
    try:
        converted = as_json(tv)
        if converted != as_json(tv + ".json"):
            raise ValueError(f"{tv} and {tv}.json convert to different documents")
    except (SPDXParsingError, ValueError, OSError) as e:
        detail = "\n".join(e.get_messages()) if isinstance(e, SPDXParsingError) else str(e)
        print(f"FAIL spdx-tv    {tv}\n    " + detail.replace("\n", "\n    "))
        failed += 1
        continue
    print(f"ok   spdx-tv    {tv} (= {tv}.json)")
sys.exit(1 if failed else 0)
PY
}

cdx_xml() {
    "$py" - "$@" <<'PY'
import json, re, sys, warnings
from xml.etree import ElementTree
from cyclonedx.model.bom import Bom
from cyclonedx.output import make_outputter
from cyclonedx.schema import OutputFormat, SchemaVersion
from cyclonedx.validation.xml import XmlValidator

# Deprecated forms (the legacy tools array of 1.5) warn on reading.
warnings.simplefilter("ignore")

# What XML 1.0 cannot hold, sbomkit writes as U+FFFD; and many fields are xs:normalizedString in the
# XSD, whose tabs and line breaks a schema-aware reader (this one) reads as spaces; an empty property
# value is an empty element. Nothing else may differ.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
BLANKS = re.compile("[\t\n\r]")

def canon(bom, version):
    # The library keeps some lists as sets (evidence occurrences), in an order of its own.
    def norm(v):
        if isinstance(v, dict):
            # An empty `<property name="x"/>` reads as no value, where JSON says "": the same to XML.
            if set(v) >= {"name", "value"} and v["value"] == "":
                v = {k: x for k, x in v.items() if k != "value"}
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return sorted((norm(x) for x in v), key=lambda x: json.dumps(x, sort_keys=True))
        if isinstance(v, str):
            return BLANKS.sub(" ", NOT_XML.sub("\ufffd", v))
        return v
    return norm(json.loads(make_outputter(bom, OutputFormat.JSON, version).output_as_string()))

failed = 0
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        root = ElementTree.fromstring(text)
        spec = root.tag.split("}")[0].rsplit("/", 1)[-1]
        version = SchemaVersion.from_version(spec)
        error = XmlValidator(version).validate_str(text)
        if error is not None:
            raise ValueError(f"cyclonedx {spec} XSD: {error}")
        twin = path[: -len(".xml")] + ".json"
        with open(twin, encoding="utf-8") as fh:
            from_json = Bom.from_json(json.load(fh))
        if canon(Bom.from_xml(root), version) != canon(from_json, version):
            raise ValueError(f"read back, {path} and {twin} are different BOMs")
    except Exception as e:  # any failure of a reader is a failure of the document
        print(f"FAIL cdx-xml    {path}\n    {type(e).__name__}: {e}")
        failed += 1
        continue
    print(f"ok   cdx-{spec}-xml {path} (= {twin})")
sys.exit(1 if failed else 0)
PY
}

# spdx3-validate: the SPDX 3.0.1 JSON schema and SHACL model, offline. Loading the model is a few
# seconds; each document is validated on its own.
spdx3_shacl() {
    "$py" "$root/scripts/spdx3-validate-offline.py" "$@"
}

# The spdx-python-model bindings read each document back with every element.
spdx3_model() {
    "$py" - "$@" <<'PY'
import json, sys
from spdx_python_model import v3_0_1 as spdx

failed = 0
for path in sys.argv[1:]:
    try:
        with open(path, "rb") as fh:
            nodes = len(json.load(fh)["@graph"])
        objs = spdx.SHACLObjectSet()
        with open(path, "rb") as fh:
            # Raises on a reference to an element of the wrong class.
            spdx.JSONLDDeserializer().read(fh, objs)
        # Two nodes with one id would be read as one object.
        if len(objs.objects) != nodes:
            raise ValueError(f"read {len(objs.objects)} objects from {nodes} graph nodes")
    except Exception as e:
        print(f"FAIL spdx3      {path}\n    {type(e).__name__}: {e}")
        failed += 1
        continue
    print(f"ok   spdx-3.0.1 {path} ({nodes} elements)")
sys.exit(1 if failed else 0)
PY
}

# The validators must be able to fail: a package as the document's creator passes the JSON
# schema, but not the SHACL model, and the bindings refuse the reference.
spdx3_broken() {
    local broken="$logs/broken.spdx3.json" rc=0
    "$py" - "$1" "$broken" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
package = next(n["spdxId"] for n in doc["@graph"] if n["type"] == "software_Package")
next(n for n in doc["@graph"] if n["type"] == "CreationInfo")["createdBy"] = [package]
json.dump(doc, open(sys.argv[2], "w"))
PY
    "$py" "$root/scripts/spdx3-validate-offline.py" "$broken" >/dev/null 2>&1 || rc=$?
    if [ "$rc" -ne 1 ]; then
        echo "FAIL spdx3-validate did not reject a package as creator (exit $rc)"
        return 1
    fi
    if "$py" -c 'import sys; from spdx_python_model import v3_0_1 as spdx; spdx.JSONLDDeserializer().read(open(sys.argv[1], "rb"), spdx.SHACLObjectSet())' \
        "$broken" >/dev/null 2>&1; then
        echo "FAIL spdx-python-model read a package as creator"
        return 1
    fi
    echo "ok   spdx-3.0.1 a package as creator is rejected by both"
}

if [ "${#spdx3[@]}" -gt 0 ]; then
    for ((k = 0; k < slots; k++)); do
        part=()
        for ((n = k; n < ${#spdx3[@]}; n += slots)); do part+=("${spdx3[n]}"); done
        [ "${#part[@]}" -gt 0 ] && job "spdx3-shacl-$k" spdx3_shacl "${part[@]}"
    done
fi
[ "${#spdx_jsons[@]}" -gt 0 ] && job spdx-json spdx_json "${spdx_jsons[@]}"
[ "${#cdx_jsons[@]}" -gt 0 ] && job cdx-json cdx_json "${cdx_jsons[@]}"
[ "${#tag_values[@]}" -gt 0 ] && job spdx-tv spdx_tv "${tag_values[@]}"
[ "${#xmls[@]}" -gt 0 ] && job cdx-xml cdx_xml "${xmls[@]}"
if [ "${#spdx3[@]}" -gt 0 ]; then
    job spdx3-model spdx3_model "${spdx3[@]}"
    job spdx3-broken spdx3_broken "${spdx3[0]}"
fi
wait

failed=()
for name in "${jobs_started[@]}"; do
    cat "$logs/$name.log"
    [ "$(cat "$logs/$name.rc" 2>/dev/null)" = 0 ] || failed+=("$name")
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "interop: failed: ${failed[*]}"
    exit 1
fi
echo "interop: $total passed, 0 failed"
