//! Format words, as `-o FORMAT[@VERSION][=FILE]` takes them in every command: Syft's names, so
//! that `spdx` and `cyclonedx` mean SPDX tag-value and CycloneDX XML here too.

use std::path::PathBuf;

use super::{CycloneDxVersion, Format};
use crate::Error;

impl Format {
    /// Every format, in the order `--help` and messages list them.
    pub const ALL: [Format; 6] = [
        Format::SpdxJson,
        Format::SpdxTagValue,
        Format::Spdx3Json,
        Format::CycloneDxJson,
        Format::CycloneDxXml,
        Format::Table,
    ];

    /// The format's own name.
    pub fn name(self) -> &'static str {
        match self {
            Format::SpdxJson => "spdx-json",
            Format::SpdxTagValue => "spdx-tag-value",
            Format::Spdx3Json => "spdx3-json",
            Format::CycloneDxJson => "cyclonedx-json",
            Format::CycloneDxXml => "cyclonedx-xml",
            Format::Table => "table",
        }
    }

    /// Other words for it, as Syft takes them.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Format::SpdxTagValue => &["spdx", "spdx-tv"],
            Format::CycloneDxJson => &["cdx-json"],
            Format::CycloneDxXml => &["cyclonedx", "cdx-xml"],
            Format::SpdxJson | Format::Spdx3Json | Format::Table => &[],
        }
    }

    /// The versions it is written in, as `@VERSION` spells them; none for the table.
    pub fn versions(self) -> &'static [&'static str] {
        match self {
            Format::SpdxJson | Format::SpdxTagValue => &["2.3"],
            Format::Spdx3Json => &["3.0.1"],
            Format::CycloneDxJson | Format::CycloneDxXml => &["1.5", "1.6", "1.7"],
            Format::Table => &[],
        }
    }

    /// The format a name or alias stands for.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == name || f.aliases().contains(&name))
    }

    /// The JSON format with the same content, for where only JSON is taken (predicates).
    pub fn json(self) -> Option<Format> {
        match self {
            Format::SpdxJson | Format::SpdxTagValue => Some(Format::SpdxJson),
            Format::Spdx3Json => Some(Format::Spdx3Json),
            Format::CycloneDxJson | Format::CycloneDxXml => Some(Format::CycloneDxJson),
            Format::Table => None,
        }
    }
}

/// One `-o` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    pub format: Format,
    pub file: Option<PathBuf>,
    /// `cyclonedx-json@1.5`: the version asked for with the format, over `--cyclonedx-version`.
    pub cyclonedx_version: Option<CycloneDxVersion>,
}

impl OutputSpec {
    /// The format word with its version, if one was given: `cyclonedx-xml@1.5`.
    pub fn word(&self) -> String {
        word(self.format, self.cyclonedx_version)
    }

    /// Attestation predicates are JSON: a tag-value or XML request is refused with the JSON name of
    /// the same content and version.
    pub fn require_json(&self) -> Result<(), Error> {
        match self.format.json() {
            Some(json) if json != self.format => Err(Error::Usage(format!(
                "attest signs JSON predicates only: `{}` is not JSON; use `{}`",
                self.word(),
                word(json, self.cyclonedx_version)
            ))),
            _ => Ok(()),
        }
    }
}

fn word(format: Format, version: Option<CycloneDxVersion>) -> String {
    match version {
        Some(v) => format!("{}@{}", format.name(), v.as_str()),
        None => format.name().to_string(),
    }
}

/// Every format name with its versions, for messages: `spdx-json[@2.3], ..., table`.
pub fn accepted() -> String {
    Format::ALL
        .iter()
        .map(|f| match f.versions() {
            [] => f.name().to_string(),
            v => format!("{}[@{}]", f.name(), v.join("|")),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `-o FORMAT[@VERSION][=FILE]`.
pub fn parse_output(s: &str) -> Result<OutputSpec, Error> {
    let (name, file) = match s.split_once('=') {
        Some((n, "")) => {
            return Err(Error::Usage(format!(
                "`-o {n}=` names no file: give one (`-o {n}=FILE`), or `-o {n}` for stdout"
            )))
        }
        Some((n, f)) => (n, Some(PathBuf::from(f))),
        None => (s, None),
    };
    let (format, cyclonedx_version) = parse_format(name)?;
    Ok(OutputSpec {
        format,
        file,
        cyclonedx_version,
    })
}

/// A format word with an optional `@VERSION`; an unknown word or version is refused naming what
/// there is.
pub fn parse_format(name: &str) -> Result<(Format, Option<CycloneDxVersion>), Error> {
    let (base, version) = match name.split_once('@') {
        Some((b, v)) => (b, Some(v)),
        None => (name, None),
    };
    let format = Format::from_name(base).ok_or_else(|| {
        Error::Usage(format!(
            "unknown output format `{name}`; choose one of: {}",
            accepted()
        ))
    })?;
    let Some(version) = version else {
        return Ok((format, None));
    };
    if !format.versions().contains(&version) {
        return Err(Error::Usage(match format.versions() {
            [] => format!("`{base}` has no versions: use `{base}`"),
            v => format!(
                "`{base}` is not written in version `{version}`; its versions: {}",
                v.join(", ")
            ),
        }));
    }
    Ok((format, CycloneDxVersion::parse(version)))
}

/// Whether `s` is a format word (with or without a version or file) rather than a file name: what
/// the deprecated `attest --output FILE` and `--output-file` look at.
pub fn looks_like_format(s: &str) -> bool {
    let base = s.split(['@', '=']).next().unwrap_or(s);
    Format::from_name(base).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(s: &str) -> String {
        match parse_output(s) {
            Err(Error::Usage(m)) => m,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn every_format_with_every_version_and_a_file() {
        assert_eq!(
            parse_output("spdx-json=a.json").unwrap(),
            OutputSpec {
                format: Format::SpdxJson,
                file: Some("a.json".into()),
                cyclonedx_version: None,
            }
        );
        for f in Format::ALL {
            assert_eq!(parse_output(f.name()).unwrap().format, f);
            for v in f.versions() {
                let spec = parse_output(&format!("{}@{v}=x", f.name())).unwrap();
                assert_eq!((spec.format, spec.file.as_deref()), (f, Some("x".as_ref())));
                assert_eq!(
                    spec.word(),
                    format!("{}@{v}", f.name())
                        .replace("@2.3", "")
                        .replace("@3.0.1", "")
                );
            }
        }
        let spec = parse_output("cyclonedx-xml@1.6").unwrap();
        assert_eq!(
            (spec.format, spec.cyclonedx_version),
            (Format::CycloneDxXml, Some(CycloneDxVersion::V1_6))
        );
        assert_eq!(
            parse_output("spdx-tag-value@2.3").unwrap().format,
            Format::SpdxTagValue
        );
        for spdx3 in ["spdx3-json", "spdx3-json@3.0.1=c.json"] {
            assert_eq!(parse_output(spdx3).unwrap().format, Format::Spdx3Json);
        }
        assert!(usage("spdx3-json@3.0").ends_with("its versions: 3.0.1"));
        assert!(usage("spdx-json@3.0.1").ends_with("its versions: 2.3"));
    }

    #[test]
    fn bare_spdx_and_cyclonedx_mean_what_they_mean_in_syft() {
        assert_eq!(Format::from_name("spdx"), Some(Format::SpdxTagValue));
        assert_eq!(Format::from_name("spdx-tv"), Some(Format::SpdxTagValue));
        assert_eq!(Format::from_name("cyclonedx"), Some(Format::CycloneDxXml));
        assert_eq!(Format::from_name("cdx-json"), Some(Format::CycloneDxJson));
        assert_eq!(
            parse_output("cyclonedx@1.5").unwrap().cyclonedx_version,
            Some(CycloneDxVersion::V1_5)
        );
    }

    #[test]
    fn unknown_words_and_versions_are_refused_naming_what_there_is() {
        assert!(usage("table=").contains("names no file"));
        let m = usage("xml");
        assert!(m.contains("unknown output format `xml`"), "{m}");
        assert!(m.contains("cyclonedx-xml[@1.5|1.6|1.7]"), "{m}");
        assert!(m.contains("spdx-tag-value[@2.3]"), "{m}");
        let m = usage("cyclonedx-json@1.4");
        assert_eq!(
            m,
            "`cyclonedx-json` is not written in version `1.4`; its versions: 1.5, 1.6, 1.7"
        );
        let m = usage("spdx-json@2.2");
        assert!(m.ends_with("its versions: 2.3"), "{m}");
        assert!(usage("cyclonedx-xml@").contains("version ``"));
        assert_eq!(usage("table@1"), "`table` has no versions: use `table`");
    }

    #[test]
    fn predicates_must_be_json_and_the_refusal_names_the_json_word() {
        let refused = |s: &str| match parse_output(s).unwrap().require_json() {
            Err(Error::Usage(m)) => m,
            other => panic!("{s}: {other:?}"),
        };
        assert!(refused("cyclonedx-xml@1.5").ends_with("use `cyclonedx-json@1.5`"));
        assert!(refused("cyclonedx").ends_with("use `cyclonedx-json`"));
        assert!(refused("spdx").contains("`spdx-tag-value` is not JSON; use `spdx-json`"));
        for ok in ["spdx-json", "cyclonedx-json@1.6", "table"] {
            assert!(parse_output(ok).unwrap().require_json().is_ok(), "{ok}");
        }
    }

    #[test]
    fn format_words_are_told_from_file_names() {
        for w in ["spdx", "cyclonedx-xml@1.6", "spdx-json=a.json", "table"] {
            assert!(looks_like_format(w), "{w}");
        }
        for f in ["sbom.json", "out", "spdx.json"] {
            assert!(!looks_like_format(f), "{f}");
        }
    }
}
