//! CycloneDX XML: the [`Bom`] the JSON writer builds, in the element order of the official XSD of
//! its version (namespace `http://cyclonedx.org/schema/bom/1.x`).
//!
//! `quick-xml` writes the structure and indentation; text is escaped here, because XML 1.0 cannot
//! hold every string JSON can: characters it forbids even as references (C0 controls other than
//! tab, line feed and carriage return; U+FFFE, U+FFFF) become U+FFFD, and a carriage return (in
//! attributes also tab and line feed) is written as a character reference so parsers keep it.

use std::borrow::Cow;
use std::io::{self, Write};

use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use super::{Bom, Component, Contact, Evidence, LicenseChoice, Property, Tools};
use crate::format::CycloneDxVersion;

pub(super) fn write(bom: &Bom, version: CycloneDxVersion, out: &mut dyn Write) -> io::Result<()> {
    let mut x = Xml(Writer::new_with_indent(out, b' ', 2));
    x.0.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let ns = format!("http://cyclonedx.org/schema/bom/{}", version.as_str());
    let bom_version = bom.version.to_string();
    x.start(
        "bom",
        &[
            ("xmlns", &ns),
            ("serialNumber", &bom.serial_number),
            ("version", &bom_version),
        ],
    )?;

    let m = &bom.metadata;
    x.start("metadata", &[])?;
    x.leaf("timestamp", &[], &m.timestamp)?;
    if !m.lifecycles.is_empty() {
        x.start("lifecycles", &[])?;
        for l in &m.lifecycles {
            x.start("lifecycle", &[])?;
            x.leaf("phase", &[], l.phase)?;
            x.end("lifecycle")?;
        }
        x.end("lifecycles")?;
    }
    x.start("tools", &[])?;
    match &m.tools {
        Tools::Components { components } => {
            x.start("components", &[])?;
            for c in components {
                x.component(c)?;
            }
            x.end("components")?;
        }
        Tools::Legacy(tools) => {
            for t in tools {
                x.start("tool", &[])?;
                x.leaf("vendor", &[], t.vendor)?;
                x.leaf("name", &[], t.name)?;
                x.leaf("version", &[], t.version)?;
                x.end("tool")?;
            }
        }
    }
    x.end("tools")?;
    if !m.authors.is_empty() {
        x.start("authors", &[])?;
        for a in &m.authors {
            x.contact("author", a)?;
        }
        x.end("authors")?;
    }
    x.component(&m.component)?;
    if let Some(o) = &m.manufacturer {
        x.start("manufacturer", &[])?;
        x.leaf("name", &[], &o.name)?;
        for c in &o.contact {
            x.contact("contact", c)?;
        }
        x.end("manufacturer")?;
    }
    x.properties(&m.properties)?;
    x.end("metadata")?;

    x.start("components", &[])?;
    for c in &bom.components {
        x.component(c)?;
    }
    x.end("components")?;

    x.start("dependencies", &[])?;
    for d in &bom.dependencies {
        if d.depends_on.is_empty() {
            x.empty("dependency", &[("ref", &d.reference)])?;
            continue;
        }
        x.start("dependency", &[("ref", &d.reference)])?;
        for to in &d.depends_on {
            x.empty("dependency", &[("ref", to)])?;
        }
        x.end("dependency")?;
    }
    x.end("dependencies")?;

    if !bom.compositions.is_empty() {
        x.start("compositions", &[])?;
        for c in &bom.compositions {
            x.start("composition", &[])?;
            x.leaf("aggregate", &[], c.aggregate)?;
            for (list, item, refs) in [
                ("assemblies", "assembly", &c.assemblies),
                ("dependencies", "dependency", &c.dependencies),
            ] {
                if refs.is_empty() {
                    continue;
                }
                x.start(list, &[])?;
                for r in refs {
                    x.empty(item, &[("ref", r)])?;
                }
                x.end(list)?;
            }
            x.end("composition")?;
        }
        x.end("compositions")?;
    }
    x.end("bom")?;
    x.0.get_mut().write_all(b"\n")
}

struct Xml<'w>(Writer<&'w mut dyn Write>);

impl Xml<'_> {
    fn open<'a>(name: &'a str, attrs: &[(&str, &str)]) -> BytesStart<'a> {
        let mut e = BytesStart::new(name);
        for (k, v) in attrs {
            let v = escape(v, true);
            e.push_attribute(Attribute::from((k.as_bytes(), v.as_bytes())));
        }
        e
    }

    fn start(&mut self, name: &str, attrs: &[(&str, &str)]) -> io::Result<()> {
        self.0.write_event(Event::Start(Self::open(name, attrs)))
    }

    fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) -> io::Result<()> {
        self.0.write_event(Event::Empty(Self::open(name, attrs)))
    }

    fn end(&mut self, name: &str) -> io::Result<()> {
        self.0.write_event(Event::End(BytesEnd::new(name)))
    }

    /// `<name attrs>text</name>` on one line.
    fn leaf(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) -> io::Result<()> {
        if text.is_empty() {
            // An empty start and end would be indented apart, and whitespace is text.
            return self.empty(name, attrs);
        }
        self.start(name, attrs)?;
        self.0
            .write_event(Event::Text(BytesText::from_escaped(escape(text, false))))?;
        self.end(name)
    }

    fn opt(&mut self, name: &str, text: Option<&str>) -> io::Result<()> {
        match text {
            Some(t) => self.leaf(name, &[], t),
            None => Ok(()),
        }
    }

    fn properties(&mut self, props: &[Property]) -> io::Result<()> {
        if props.is_empty() {
            return Ok(());
        }
        self.start("properties", &[])?;
        for p in props {
            self.leaf("property", &[("name", &p.name)], &p.value)?;
        }
        self.end("properties")
    }

    /// An `organizationalContact` named `tag`.
    fn contact(&mut self, tag: &str, a: &Contact) -> io::Result<()> {
        self.start(tag, &[])?;
        self.leaf("name", &[], &a.name)?;
        self.opt("email", a.email.as_deref())?;
        self.end(tag)
    }

    fn component(&mut self, c: &Component) -> io::Result<()> {
        let mut attrs = vec![("type", c.kind)];
        if !c.bom_ref.is_empty() {
            attrs.push(("bom-ref", &c.bom_ref));
        }
        self.start("component", &attrs)?;
        if let Some(s) = &c.supplier {
            self.start("supplier", &[])?;
            self.leaf("name", &[], &s.name)?;
            self.end("supplier")?;
        }
        if !c.authors.is_empty() {
            self.start("authors", &[])?;
            for a in &c.authors {
                self.contact("author", a)?;
            }
            self.end("authors")?;
        }
        self.opt("author", c.author.as_deref())?;
        self.leaf("name", &[], &c.name)?;
        self.opt("version", c.version.as_deref())?;
        self.opt("description", c.description.as_deref())?;
        if !c.hashes.is_empty() {
            self.start("hashes", &[])?;
            for h in &c.hashes {
                self.leaf("hash", &[("alg", h.alg)], &h.content)?;
            }
            self.end("hashes")?;
        }
        if !c.licenses.is_empty() {
            self.start("licenses", &[])?;
            for l in &c.licenses {
                match l {
                    LicenseChoice::Expression {
                        expression,
                        acknowledgement,
                    } => {
                        let attrs: Vec<_> = acknowledgement
                            .map(|a| ("acknowledgement", a))
                            .into_iter()
                            .collect();
                        self.leaf("expression", &attrs, expression)?
                    }
                    LicenseChoice::License { license } => {
                        let attrs: Vec<_> = license
                            .acknowledgement
                            .map(|a| ("acknowledgement", a))
                            .into_iter()
                            .collect();
                        self.start("license", &attrs)?;
                        self.leaf("name", &[], &license.name)?;
                        self.end("license")?;
                    }
                }
            }
            self.end("licenses")?;
        }
        self.opt("cpe", c.cpe.as_deref())?;
        self.opt("purl", c.purl.as_deref())?;
        if let Some(w) = &c.swid {
            let mut attrs = vec![("tagId", w.tag_id.as_str()), ("name", w.name.as_str())];
            if let Some(v) = &w.version {
                attrs.push(("version", v));
            }
            self.empty("swid", &attrs)?;
        }
        if !c.external_references.is_empty() {
            self.start("externalReferences", &[])?;
            for r in &c.external_references {
                self.start("reference", &[("type", r.kind)])?;
                self.leaf("url", &[], &r.url)?;
                self.opt("comment", r.comment.as_deref())?;
                if !r.hashes.is_empty() {
                    self.start("hashes", &[])?;
                    for h in &r.hashes {
                        self.leaf("hash", &[("alg", h.alg)], &h.content)?;
                    }
                    self.end("hashes")?;
                }
                self.end("reference")?;
            }
            self.end("externalReferences")?;
        }
        self.properties(&c.properties)?;
        if !c.components.is_empty() {
            self.start("components", &[])?;
            for n in &c.components {
                self.component(n)?;
            }
            self.end("components")?;
        }
        if let Some(e) = &c.evidence {
            self.evidence(e)?;
        }
        self.end("component")
    }

    fn evidence(&mut self, e: &Evidence) -> io::Result<()> {
        self.start("evidence", &[])?;
        if let Some(id) = &e.identity {
            self.start("identity", &[])?;
            self.leaf("field", &[], id.field)?;
            self.leaf("confidence", &[], &id.confidence.to_string())?;
            self.start("methods", &[])?;
            for m in &id.methods {
                self.start("method", &[])?;
                self.leaf("technique", &[], m.technique)?;
                self.leaf("confidence", &[], &m.confidence.to_string())?;
                self.leaf("value", &[], &m.value)?;
                self.end("method")?;
            }
            self.end("methods")?;
            self.end("identity")?;
        }
        if !e.occurrences.is_empty() {
            self.start("occurrences", &[])?;
            for o in &e.occurrences {
                self.start("occurrence", &[])?;
                self.leaf("location", &[], &o.location)?;
                self.end("occurrence")?;
            }
            self.end("occurrences")?;
        }
        self.end("evidence")
    }
}

/// `s` as XML 1.0 character data (or an attribute value): markup characters as entities, what a
/// parser would normalise as references, and what XML cannot hold at all as U+FFFD.
fn escape(s: &str, attribute: bool) -> Cow<'_, str> {
    let plain = |c: char| {
        !matches!(c, '<' | '>' | '&' | '\r' | '\u{FFFE}' | '\u{FFFF}')
            && (c >= ' ' || c == '\n' || c == '\t')
            && !(attribute && matches!(c, '"' | '\'' | '\n' | '\t'))
    };
    if s.chars().all(plain) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' | '\t' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn hostile_text_is_escaped_and_what_xml_cannot_hold_is_replaced() {
        assert_eq!(escape("musl-1.2.4", false), "musl-1.2.4");
        assert_eq!(
            escape("a<b>&\"c'", false),
            "a&lt;b&gt;&amp;\"c'",
            "quotes need no escape in text"
        );
        assert_eq!(escape("a<b>&\"c'", true), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(
            escape("x\u{1}\u{1b}y\u{7f}", false),
            "x\u{FFFD}\u{FFFD}y\u{7f}"
        );
        assert_eq!(escape("\u{FFFE}\u{FFFF}", true), "\u{FFFD}\u{FFFD}");
        assert_eq!(escape("a\r\nb\tc", false), "a&#13;\nb\tc");
        assert_eq!(escape("a\r\nb\tc", true), "a&#13;&#10;b&#9;c");
        assert_eq!(escape("]]>", false), "]]&gt;");
    }
}
