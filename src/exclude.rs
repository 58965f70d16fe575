//! `--exclude GLOB`: paths of the scanned root that are neither catalogued nor listed. A pattern
//! matches a path, or a folder above it, as stored in the image (links are not followed);
//! `/usr/share/**`, `./usr/share/**` and `usr/share/**` are the same pattern. `*` stays within one
//! path component, `**` crosses them. Each pattern that left something out is recorded in the
//! document as an [`Unknown`], so that it never claims to be complete.

use globset::{Candidate, GlobBuilder, GlobSet, GlobSetBuilder};

use crate::error::Error;
use crate::model::{Unknown, UnknownCause};
use crate::source::{EntryFacts, Interest, Slots, Summaries, Summary, Vfs, Wants};

/// What an exclusion is called in documents and warnings.
pub const WHAT: &str = "excluded from the scan on request";

/// The compiled patterns, in the order given.
#[derive(Debug, Clone, Default)]
pub struct Exclude {
    /// Each pattern as it is matched: root-relative, without a leading `/` or `./`.
    patterns: Vec<String>,
    set: GlobSet,
}

impl Exclude {
    /// Compiles `patterns`; a pattern that is not a glob, or that is empty, is a usage error
    /// naming it.
    pub fn new(patterns: &[String]) -> Result<Exclude, Error> {
        let mut builder = GlobSetBuilder::new();
        let mut normalized = Vec::with_capacity(patterns.len());
        for given in patterns {
            let p = root_relative(given);
            if p.is_empty() {
                return Err(Error::Usage(format!(
                    "--exclude `{given}`: names no path (to leave out everything, there is nothing to scan)"
                )));
            }
            let glob = GlobBuilder::new(&p)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| Error::Usage(format!("--exclude `{given}`: {}", e.kind())))?;
            builder.add(glob);
            normalized.push(p);
        }
        let set = builder
            .build()
            .map_err(|e| Error::Usage(format!("--exclude: {e}")))?;
        Ok(Exclude {
            patterns: normalized,
            set,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The first pattern (by index) that matches `path` (root-relative, normalised) or a folder
    /// above it.
    pub fn matching(&self, path: &[u8]) -> Option<usize> {
        if self.is_empty() || path.is_empty() {
            return None;
        }
        let mut first: Option<usize> = None;
        let ends = path
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == b'/')
            .map(|(i, _)| i)
            .chain([path.len()]);
        for end in ends {
            let text = String::from_utf8_lossy(&path[..end]);
            let candidate = Candidate::new(text.as_ref());
            if let Some(&i) = self.set.matches_candidate(&candidate).iter().min() {
                first = Some(first.map_or(i, |f| f.min(i)));
            }
        }
        first
    }

    /// Removes what the patterns match from `fs`, and says what was left out: one [`Unknown`] per
    /// pattern that matched something other than folders, one warning per pattern that matched
    /// nothing (a typo should not pass silently).
    pub fn apply(&self, fs: &mut Vfs) -> (Vec<Unknown>, Vec<String>) {
        if self.is_empty() {
            return (Vec::new(), Vec::new());
        }
        let mut counts = vec![0u64; self.patterns.len()];
        let mut matched = vec![false; self.patterns.len()];
        let removed = fs.retain(|path, _| self.matching(path).is_none());
        fs.forget_history(|path| self.matching(path).is_some());
        for (path, node) in &removed {
            if let Some(i) = self.matching(path) {
                if let Some(m) = matched.get_mut(i) {
                    *m = true;
                }
                if !node.is_dir() {
                    if let Some(c) = counts.get_mut(i) {
                        *c += 1;
                    }
                }
            }
        }
        let mut unknowns = Vec::new();
        let mut warnings = Vec::new();
        for ((pattern, n), matched) in self.patterns.iter().zip(counts).zip(matched) {
            if n > 0 {
                let paths = if n == 1 { "path" } else { "paths" };
                unknowns.push(Unknown {
                    location: format!("/{pattern}"),
                    what: WHAT.to_string(),
                    why: format!(
                        "{n} {paths} left out: the packages and files there are missing from this document"
                    ),
                    cause: UnknownCause::Excluded,
                });
            } else if !matched {
                warnings.push(format!(
                    "--exclude /{pattern}: matched nothing in the image"
                ));
            }
        }
        (unknowns, warnings)
    }

    /// `wants` asked only about paths not excluded: an excluded file is neither kept nor read.
    pub fn interest<'a>(&'a self, wants: &'a dyn Wants) -> Excluding<'a> {
        Excluding {
            exclude: self,
            wants,
        }
    }
}

/// The pattern as the `Vfs` spells paths: no leading `/` or `./`, no trailing `/`.
fn root_relative(pattern: &str) -> String {
    let mut p = pattern.trim();
    loop {
        let before = p;
        p = p.trim_start_matches('/');
        if let Some(rest) = p.strip_prefix("./") {
            p = rest;
        }
        if p == before {
            break;
        }
    }
    if p == "." {
        p = "";
    }
    p.trim_end_matches('/').to_string()
}

/// The scan's [`Wants`] with excluded paths taken out.
pub struct Excluding<'a> {
    exclude: &'a Exclude,
    wants: &'a dyn Wants,
}

impl Excluding<'_> {
    fn excluded(&self, path: &[u8]) -> bool {
        self.exclude.matching(path).is_some()
    }

    pub fn as_interest(&self, of: &Interest<'_>) -> Interest<'_> {
        Interest::new(self, of.digests)
    }
}

impl Wants for Excluding<'_> {
    fn keep(&self, path: &[u8], head: &[u8]) -> Option<u64> {
        if self.excluded(path) {
            return None;
        }
        self.wants.keep(path, head)
    }

    fn inspecting(&self, path: &[u8], head: &[u8]) -> Slots {
        if self.excluded(path) {
            return Slots::NONE;
        }
        self.wants.inspecting(path, head)
    }

    fn inspect(&self, slot: u8, path: &[u8], content: &[u8]) -> Option<Summary> {
        self.wants.inspect(slot, path, content)
    }

    fn note(&self, entry: &EntryFacts<'_>) -> Summaries {
        match self.excluded(entry.path) {
            true => None,
            false => self.wants.note(entry),
        }
    }

    /// An excluded file is counted in what the scan says it left out.
    fn lists(&self, entry: &EntryFacts<'_>) -> bool {
        self.excluded(entry.path) || self.wants.lists(entry)
    }

    /// The patterns change what is recorded of a layer.
    fn fingerprint(&self) -> Option<String> {
        let inner = self.wants.fingerprint()?;
        Some(format!("{inner} exclude:{:?}", self.exclude.patterns))
    }

    fn encode(&self, slot: u8, summary: &Summary) -> Option<Vec<u8>> {
        self.wants.encode(slot, summary)
    }

    fn decode(&self, slot: u8, bytes: &[u8]) -> Option<Summary> {
        self.wants.decode(slot, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::testutil;

    fn exclude(patterns: &[&str]) -> Exclude {
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        Exclude::new(&patterns).unwrap()
    }

    #[test]
    fn the_three_spellings_are_one_pattern() {
        for p in [
            "/usr/share/**",
            "./usr/share/**",
            "usr/share/**",
            "usr/share/**/",
        ] {
            let e = exclude(&[p]);
            assert_eq!(e.matching(b"usr/share/doc/x/copyright"), Some(0), "{p}");
            assert_eq!(e.matching(b"usr/share/doc"), Some(0), "{p}");
            assert_eq!(e.matching(b"usr/bin/sh"), None, "{p}");
            assert_eq!(e.matching(b"usr/sharex/a"), None, "{p}");
        }
    }

    #[test]
    fn a_folder_pattern_covers_what_is_below_it() {
        let e = exclude(&["var/lib/dpkg"]);
        assert_eq!(e.matching(b"var/lib/dpkg/status"), Some(0));
        assert_eq!(e.matching(b"var/lib/dpkg"), Some(0));
        assert_eq!(e.matching(b"var/lib/dpkgx/status"), None);
    }

    #[test]
    fn a_star_stays_in_one_component() {
        let e = exclude(&["usr/*/python3"]);
        assert_eq!(e.matching(b"usr/lib/python3/x.py"), Some(0));
        assert_eq!(e.matching(b"usr/lib/x/python3/y"), None);
        let e = exclude(&["**/node_modules", "*.jar"]);
        assert_eq!(e.matching(b"app/web/node_modules/a/package.json"), Some(0));
        // `*.jar` is a top-level name only: `**/*.jar` reaches into folders.
        assert_eq!(e.matching(b"opt/app.jar"), None);
        assert_eq!(e.matching(b"app.jar"), Some(1));
    }

    #[test]
    fn the_first_pattern_that_matches_is_credited() {
        let e = exclude(&["usr/share/doc/**", "usr/**"]);
        assert_eq!(e.matching(b"usr/share/doc/a"), Some(0));
        assert_eq!(e.matching(b"usr/bin/a"), Some(1));
    }

    #[test]
    fn bad_or_empty_patterns_are_usage_errors_naming_them() {
        for p in ["usr/[a", "/", "./", ""] {
            let e = Exclude::new(&[p.to_string()]).unwrap_err();
            assert!(
                matches!(&e, Error::Usage(m) if m.contains(&format!("`{p}`"))),
                "{e}"
            );
        }
    }

    #[test]
    fn apply_removes_paths_and_records_each_pattern_that_left_something_out() {
        let mut fs = Vfs::new();
        for p in [
            "var/lib/dpkg/status",
            "var/lib/dpkg/info/a.list",
            "usr/bin/sh",
        ] {
            testutil::put(&mut fs, p, testutil::file(0, b"x"));
        }
        let e = exclude(&["/var/lib/dpkg/**", "opt/**"]);
        let (unknowns, warnings) = e.apply(&mut fs);
        assert!(fs.get(b"var/lib/dpkg/status").is_none());
        assert!(fs.get(b"var/lib/dpkg/info/a.list").is_none());
        assert!(fs.history(b"var/lib/dpkg/status").is_empty());
        assert!(fs.get(b"usr/bin/sh").is_some());
        assert_eq!(unknowns.len(), 1);
        assert_eq!(unknowns[0].location, "/var/lib/dpkg/**");
        assert_eq!(unknowns[0].cause, UnknownCause::Excluded);
        assert!(
            unknowns[0].why.starts_with("2 paths left out"),
            "{:?}",
            unknowns[0]
        );
        assert_eq!(
            warnings,
            ["--exclude /opt/**: matched nothing in the image"]
        );

        // A kept file deleted by a later layer leaves only its history: that goes too.
        let mut fs = Vfs::new();
        testutil::put(&mut fs, "lib/apk/db/installed", testutil::file(0, b"P:a\n"));
        fs.remove(b"lib/apk/db/installed", 1);
        assert_eq!(fs.history(b"lib/apk/db/installed").len(), 2);
        let _ = exclude(&["lib/apk/**"]).apply(&mut fs);
        assert!(fs.history(b"lib/apk/db/installed").is_empty());
    }
}
