//! Builds in-memory filesystems from the real fixtures for cataloger tests.

use std::collections::BTreeMap;

use super::{Cataloger, Context, Found};
use crate::model::{Distro, Package, Subject};
use crate::source::{Node, Vfs};

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/fixtures");

pub fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{rel}")).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

pub use crate::source::vfs::test_nodes::{dir, file, link};

/// A path under `testdata/`.
pub fn testdata(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

/// Inserts a file and the folders above it.
pub fn put(fs: &mut Vfs, path: &str, node: Node) {
    let mut prefix = String::new();
    let parts: Vec<&str> = path.split('/').collect();
    for p in &parts[..parts.len() - 1] {
        if !prefix.is_empty() {
            prefix.push('/');
        }
        prefix.push_str(p);
        if fs.get(prefix.as_bytes()).is_none() {
            fs.insert(prefix.as_bytes().to_vec(), dir(node.layer));
        }
    }
    fs.insert(path.as_bytes().to_vec(), node);
}

pub fn distro(os_release_fixture: &str) -> Distro {
    let text = fixture(&format!("os-release/{os_release_fixture}"));
    super::os_release::distro_from(&super::os_release::parse(&text), "/etc/os-release").unwrap()
}

pub fn run(c: &dyn Cataloger, fs: &Vfs, distro: Option<&Distro>) -> Found {
    let subject = Subject::default();
    let owners = BTreeMap::new();
    let mut found = c.catalog(&Context {
        fs,
        subject: &subject,
        distro,
        owners: &owners,
        packages: &[],
        slot: 0,
        all_layers: false,
    });
    found.relationships.sort();
    found
}

pub fn by_name<'a>(found: &'a Found, name: &str) -> &'a Package {
    found
        .packages
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no package {name}"))
}
