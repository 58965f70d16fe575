#!/usr/bin/env python3
"""Validate SPDX 3.0.1 JSON-LD documents with spdx3-validate, fully offline.

Usage:  spdx3-validate-offline.py FILE.json [FILE.json ...]
Exit:   0 when every document is valid; 1 when one is not (the errors are
        printed); 2 on a usage or setup problem.
Needs:  pip install spdx3-validate   (written against 0.0.7)

spdx3-validate normally downloads three files from spdx.org: the JSON Schema
and the SHACL model (core.load_validation_data), and the JSON-LD context,
which rdflib fetches while it parses each document. All of these go through
urllib.request.urlopen. This wrapper installs a urllib opener that answers
those three URLs from the copies in schemas/spdx3/ (schemas/PROVENANCE.md) and
refuses every other network URL. The installed package is not modified.
"""

import email.message
import hashlib
import io
import sys
import urllib.error
import urllib.request
import urllib.response
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent / "schemas" / "spdx3"

# URL -> (local file in schemas/spdx3/, media type, sha256 recorded in schemas/PROVENANCE.md)
LOCAL = {
    "https://spdx.org/schema/3.0.1/spdx-json-schema.json": (
        "spdx-json-schema.json", "application/schema+json",
        "582c64e809d5b3ef9bd0c4de13a32391b47b0284a3e8d199569fb96f649234b1"),
    "https://spdx.org/rdf/3.0.1/spdx-model.ttl": (
        "spdx-model.ttl", "text/turtle",
        "77b058ebbea268db1ad191f54da908945d4c279110a5e28b20eae4ac201a5cf8"),
    "https://spdx.org/rdf/3.0.1/spdx-context.jsonld": (
        "spdx-context.jsonld", "application/ld+json",
        "c72b0928f094c83e5c127784edb1ebca2af74a104fcacc007c332b23cbc788bd"),
}


class OfflineHandler(urllib.request.BaseHandler):
    """Serve the pinned SPDX files locally; refuse anything else on the net."""

    handler_order = 100  # consulted before urllib's own HTTP(S) handlers

    def _open(self, req):
        url = req.full_url
        if url not in LOCAL:
            raise urllib.error.URLError(f"offline: refusing to fetch {url}")
        name, media_type, _ = LOCAL[url]
        data = (HERE / name).read_bytes()
        headers = email.message.Message()
        headers["Content-Type"] = media_type  # rdflib picks its parser from this
        headers["Content-Length"] = str(len(data))
        resp = urllib.response.addinfourl(io.BytesIO(data), headers, url, 200)
        resp.msg = "OK"  # urllib's HTTP error processor reads .msg
        return resp

    http_open = https_open = ftp_open = _open


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 2

    # The files must be the ones recorded in PROVENANCE.md (git or an editor can
    # silently change line endings).
    for name, _, want in LOCAL.values():
        path = HERE / name
        if not path.is_file():
            print(f"missing {path}", file=sys.stderr)
            return 2
        got = hashlib.sha256(path.read_bytes()).hexdigest()
        if got != want:
            print(f"{path}: sha256 {got}, expected {want}", file=sys.stderr)
            return 2

    urllib.request.install_opener(urllib.request.build_opener(OfflineHandler()))

    try:
        from spdx3_validate.main import main as spdx3_validate_main
    except ImportError:
        print("spdx3-validate is not installed: pip install spdx3-validate",
              file=sys.stderr)
        return 2

    # Run the real CLI: quiet (no spinners), SPDX 3.0.1, one --json per file.
    # Each document is checked on its own: documents of different scans share
    # the blank node `_:creationinfo`, so their merged graph is no document.
    args = ["--quiet", "--spdx-version", "3.0.1", "--no-merge"]
    for f in argv:
        args += ["--json", f]
    sys.argv = ["spdx3-validate"] + args
    try:
        rc = spdx3_validate_main()
    except urllib.error.URLError as e:
        print(f"{e.reason} (only the SPDX 3.0.1 files in {HERE.name}/ are "
              "available offline)", file=sys.stderr)
        return 2
    if rc == 0:
        print("valid: " + " ".join(argv))
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
