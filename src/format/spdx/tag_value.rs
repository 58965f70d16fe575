//! SPDX 2.3 tag-value: the [`Document`] the JSON writer builds, field for field (same SPDXIDs,
//! namespace, packages, files, relationships, checksums, external references, comments and
//! annotations), in the order of the specification's clauses.
//!
//! Files come before every package: the format ties a file to the package it follows (SPDX 2.3
//! §5.2.2), and which package owns a file is said only by the `CONTAINS` relationships, as in the
//! JSON. Tag-value cannot hold everything JSON can, so two things are changed on the way:
//! - a one-line field (names, versions, ids) cannot hold a line break: each becomes a space;
//! - multi-line text goes in `<text>…</text>`, which ends at the first `</text>`: one inside the
//!   text is written `&lt;/text&gt;`.

use std::io::{self, Write};

use serde::Serialize;
use spdx_rs::models::{
    Checksum, FileInformation, OtherLicensingInformationDetected, PackageInformation,
};

use super::{Annotation, Document, Package2};

pub(super) fn write(doc: &Document, out: &mut dyn Write) -> io::Result<()> {
    let mut t = Tv { out };
    let info = &doc.info;
    t.line("SPDXVersion", &info.spdx_version)?;
    t.line("DataLicense", &info.data_license)?;
    t.line("SPDXID", &info.spdx_identifier)?;
    t.line("DocumentName", &info.document_name)?;
    t.line("DocumentNamespace", &info.spdx_document_namespace)?;
    for r in &info.external_document_references {
        t.line(
            "ExternalDocumentRef",
            &format!(
                "{} {} {}",
                r.id_string,
                r.spdx_document_uri,
                checksum(&r.checksum)
            ),
        )?;
    }
    let c = &info.creation_info;
    t.opt_line("LicenseListVersion", c.license_list_version.as_deref())?;
    for creator in &c.creators {
        t.line("Creator", creator)?;
    }
    t.line(
        "Created",
        &c.created.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )?;
    t.opt_text("CreatorComment", c.creator_comment.as_deref())?;
    t.opt_text("DocumentComment", info.document_comment.as_deref())?;
    for d in &info.document_describes {
        t.line(
            "Relationship",
            &format!("{} DESCRIBES {d}", info.spdx_identifier),
        )?;
    }

    for f in &doc.files {
        t.section(&format!("File: {}", f.file_name))?;
        file(&mut t, f)?;
    }
    for p in &doc.packages {
        t.section(&format!("Package: {}", p.inner.package_name))?;
        package(&mut t, p)?;
    }
    for l in &doc.extracted {
        t.section(&format!("License: {}", l.license_identifier))?;
        license(&mut t, l)?;
    }
    if !doc.relationships.is_empty() {
        t.section("Relationships")?;
    }
    for r in &doc.relationships {
        t.line(
            "Relationship",
            &format!(
                "{} {} {}",
                r.spdx_element_id,
                name(&r.relationship_type),
                r.related_spdx_element
            ),
        )?;
        t.opt_text("RelationshipComment", r.comment.as_deref())?;
    }
    Ok(())
}

fn package(t: &mut Tv, p: &Package2) -> io::Result<()> {
    let i: &PackageInformation = &p.inner;
    t.line("PackageName", &i.package_name)?;
    t.line("SPDXID", &i.package_spdx_identifier)?;
    t.opt_line("PackageVersion", i.package_version.as_deref())?;
    t.opt_line("PackageFileName", i.package_file_name.as_deref())?;
    t.opt_line("PackageSupplier", i.package_supplier.as_deref())?;
    t.opt_line("PackageOriginator", i.package_originator.as_deref())?;
    t.line("PackageDownloadLocation", &i.package_download_location)?;
    if let Some(a) = i.files_analyzed {
        t.line("FilesAnalyzed", if a { "true" } else { "false" })?;
    }
    if let Some(v) = &i.package_verification_code {
        let code = match v.excludes.as_slice() {
            [] => v.value.clone(),
            ex => format!("{} (excludes: {})", v.value, ex.join(" ")),
        };
        t.line("PackageVerificationCode", &code)?;
    }
    for c in &i.package_checksum {
        t.line("PackageChecksum", &checksum(c))?;
    }
    t.opt_line("PackageHomePage", i.package_home_page.as_deref())?;
    t.opt_text("PackageSourceInfo", i.source_information.as_deref())?;
    t.opt_line(
        "PackageLicenseConcluded",
        i.concluded_license
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
    )?;
    for l in &i.all_licenses_information_from_files {
        t.line("PackageLicenseInfoFromFiles", l)?;
    }
    t.opt_line(
        "PackageLicenseDeclared",
        i.declared_license
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
    )?;
    t.opt_text("PackageLicenseComments", i.comments_on_license.as_deref())?;
    t.opt_text("PackageCopyrightText", i.copyright_text.as_deref())?;
    t.opt_text("PackageSummary", i.package_summary_description.as_deref())?;
    t.opt_text(
        "PackageDescription",
        i.package_detailed_description.as_deref(),
    )?;
    t.opt_text("PackageComment", i.package_comment.as_deref())?;
    for r in &i.external_reference {
        t.line(
            "ExternalRef",
            &format!(
                "{} {} {}",
                name(&r.reference_category),
                r.reference_type,
                r.reference_locator
            ),
        )?;
        t.opt_text("ExternalRefComment", r.reference_comment.as_deref())?;
    }
    for a in &i.package_attribution_text {
        t.text("PackageAttributionText", a)?;
    }
    if let Some(purpose) = &i.primary_package_purpose {
        // The JSON spelling has underscores (`OPERATING_SYSTEM`), tag-value hyphens.
        t.line("PrimaryPackagePurpose", &name(purpose).replace('_', "-"))?;
    }
    t.opt_line("ReleaseDate", i.release_date.as_deref())?;
    t.opt_line("BuiltDate", i.built_date.as_deref())?;
    t.opt_line("ValidUntilDate", i.valid_until_date.as_deref())?;
    for a in &p.annotations {
        annotation(t, a, &i.package_spdx_identifier)?;
    }
    Ok(())
}

fn annotation(t: &mut Tv, a: &Annotation, about: &str) -> io::Result<()> {
    t.line("Annotator", &a.annotator)?;
    t.line("AnnotationDate", &a.annotation_date)?;
    t.line("AnnotationType", a.annotation_type)?;
    t.line("SPDXREF", about)?;
    t.text("AnnotationComment", &a.comment)
}

fn file(t: &mut Tv, f: &FileInformation) -> io::Result<()> {
    t.line("FileName", &f.file_name)?;
    t.line("SPDXID", &f.file_spdx_identifier)?;
    for k in &f.file_type {
        t.line("FileType", &name(k))?;
    }
    for c in &f.file_checksum {
        t.line("FileChecksum", &checksum(c))?;
    }
    t.opt_line(
        "LicenseConcluded",
        f.concluded_license
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
    )?;
    for l in &f.license_information_in_file {
        t.line("LicenseInfoInFile", &l.to_string())?;
    }
    t.opt_text("LicenseComments", f.comments_on_license.as_deref())?;
    t.opt_text("FileCopyrightText", f.copyright_text.as_deref())?;
    t.opt_text("FileComment", f.file_comment.as_deref())?;
    t.opt_text("FileNotice", f.file_notice.as_deref())?;
    for c in &f.file_contributor {
        t.line("FileContributor", c)?;
    }
    for a in f.file_attribution_text.iter().flatten() {
        t.text("FileAttributionText", a)?;
    }
    Ok(())
}

fn license(t: &mut Tv, l: &OtherLicensingInformationDetected) -> io::Result<()> {
    t.line("LicenseID", &l.license_identifier)?;
    t.text("ExtractedText", &l.extracted_text)?;
    t.line("LicenseName", &l.license_name)?;
    for r in &l.license_cross_reference {
        t.line("LicenseCrossReference", r)?;
    }
    t.opt_text("LicenseComment", l.license_comment.as_deref())
}

/// `ALG: hex`, the algorithm spelled as in the JSON.
fn checksum(c: &Checksum) -> String {
    format!("{}: {}", name(&c.algorithm), c.value.to_ascii_lowercase())
}

/// The name an `spdx-rs` enumeration has in the JSON (`CONTAINS`, `PACKAGE-MANAGER`, `SHA256`).
fn name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

struct Tv<'w> {
    out: &'w mut dyn Write,
}

impl Tv<'_> {
    /// A blank line and a `##` comment naming what follows.
    fn section(&mut self, title: &str) -> io::Result<()> {
        writeln!(self.out, "\n## {}", one_line(title))
    }

    /// `Tag: value` on one line.
    fn line(&mut self, tag: &str, value: &str) -> io::Result<()> {
        writeln!(self.out, "{tag}: {}", one_line(value))
    }

    fn opt_line(&mut self, tag: &str, value: Option<&str>) -> io::Result<()> {
        value.map_or(Ok(()), |v| self.line(tag, v))
    }

    /// Free text: on one line when it is one plain line, else in `<text>…</text>`.
    fn text(&mut self, tag: &str, value: &str) -> io::Result<()> {
        let plain = !value.is_empty()
            && !value.contains(['\n', '\r'])
            && value.trim() == value
            && !value.starts_with("<text>");
        if plain {
            return self.line(tag, value);
        }
        writeln!(
            self.out,
            "{tag}: <text>{}</text>",
            value.replace("</text>", "&lt;/text&gt;")
        )
    }

    fn opt_text(&mut self, tag: &str, value: Option<&str>) -> io::Result<()> {
        value.map_or(Ok(()), |v| self.text(tag, v))
    }
}

/// A value for a one-line field: line breaks as spaces.
fn one_line(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains(['\n', '\r']) {
        s.replace(['\n', '\r'], " ").into()
    } else {
        s.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(f: impl FnOnce(&mut Tv) -> io::Result<()>) -> String {
        let mut buf = Vec::new();
        let mut t = Tv { out: &mut buf };
        f(&mut t).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn one_line_fields_lose_line_breaks_and_text_is_wrapped_when_it_must_be() {
        assert_eq!(
            render(|t| t.line("PackageName", "a\nb\r\nc")),
            "PackageName: a b  c\n"
        );
        assert_eq!(
            render(|t| t.text("PackageComment", "one line")),
            "PackageComment: one line\n"
        );
        assert_eq!(
            render(|t| t.text("PackageComment", "two\nlines")),
            "PackageComment: <text>two\nlines</text>\n"
        );
        assert_eq!(
            render(|t| t.text("PackageComment", " padded")),
            "PackageComment: <text> padded</text>\n"
        );
        assert_eq!(
            render(|t| t.text("PackageComment", "a</text>\nb")),
            "PackageComment: <text>a&lt;/text&gt;\nb</text>\n"
        );
        // Only `: <text>` opens a text block: on one line `</text>` is plain.
        assert_eq!(
            render(|t| t.text("PackageComment", "a</text>b")),
            "PackageComment: a</text>b\n"
        );
        assert_eq!(
            render(|t| t.text("PackageComment", "")),
            "PackageComment: <text></text>\n"
        );
    }
}
