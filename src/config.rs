//! The config file: the options people set once (outputs, CycloneDX version, exclusions, platform,
//! quiet, key paths), in YAML. Where it is looked for and what it may hold are decided here; the
//! command line applies it below its flags and `SBOMKIT_*` variables.
//!
//! ```yaml
//! output: [spdx-json=sbom.spdx.json, cyclonedx-json=sbom.cdx.json]
//! cyclonedx-version: "1.5"
//! exclude: ["/usr/share/doc/**"]
//! scope: all-layers
//! platform: linux/arm64
//! quiet: true
//! key: keys/cosign.key        # attest --key (a path, relative to this file; never a secret)
//! public-key: keys/cosign.pub # verify, verify-bundle --key
//! cache-dir: /var/cache/sbomkit # the layer cache of registry scans (relative to this file)
//! no-cache: false
//! ```

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::error::Error;
use crate::exclude::Exclude;
use crate::scan::Scope;

/// The file looked for in the working folder.
pub const LOCAL_FILE: &str = ".sbomkit.yaml";
/// Larger than any sensible config file: a file past it is refused unread.
const MAX_SIZE: u64 = 1 << 20;

/// What a config file may set. Every key is optional; an unknown key is an error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// `generate -o`: `FORMAT[=FILE]`, one or a list.
    #[serde(default, deserialize_with = "one_or_many")]
    pub output: Vec<String>,
    /// `--cyclonedx-version`: `1.5`, `1.6` or `1.7`.
    #[serde(default)]
    pub cyclonedx_version: Option<CycloneDxVersionValue>,
    /// `--exclude`: glob patterns, one or a list.
    #[serde(default, deserialize_with = "one_or_many")]
    pub exclude: Vec<String>,
    /// `--scope`: `squashed` or `all-layers`.
    #[serde(default)]
    pub scope: Option<Scope>,
    /// `--platform`.
    #[serde(default)]
    pub platform: Option<String>,
    /// `--author`: `NAME`, `NAME <EMAIL>`, `Organization: NAME <EMAIL>`.
    #[serde(default)]
    pub author: Option<String>,
    /// `-q`.
    #[serde(default)]
    pub quiet: Option<bool>,
    /// `attest --key`: the path of the private key file.
    #[serde(default)]
    pub key: Option<PathBuf>,
    /// `verify --key`, `verify-bundle --key`: the path of the public key.
    #[serde(default)]
    pub public_key: Option<PathBuf>,
    /// `--cache-dir`: the layer cache folder.
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
    /// `--no-cache`.
    #[serde(default)]
    pub no_cache: Option<bool>,
}

/// `cyclonedx-version`, written as a string (`"1.5"`) or a YAML number (`1.5`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycloneDxVersionValue(pub String);

impl<'de> Deserialize<'de> for CycloneDxVersionValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = CycloneDxVersionValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a CycloneDX version: 1.5, 1.6 or 1.7")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                match v {
                    "1.5" | "1.6" | "1.7" => Ok(CycloneDxVersionValue(v.to_string())),
                    _ => Err(E::custom(format!("`{v}`: choose 1.5, 1.6 or 1.7"))),
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                self.visit_str(&v.to_string())
            }
        }
        d.deserialize_any(V)
    }
}

/// A string or a list of strings.
fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(v)) => v,
    })
}

/// A config file read and checked.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    pub config: Config,
    text: String,
}

impl Loaded {
    /// The line (from 1) where top-level `key` is set, to name it in an error about its value.
    pub fn line_of(&self, key: &str) -> Option<usize> {
        self.text
            .lines()
            .position(|l| {
                l.strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with(':'))
            })
            .map(|i| i + 1)
    }

    /// A usage error about `key`'s value, naming the file and line.
    pub fn error(&self, key: &str, message: impl fmt::Display) -> Error {
        match self.line_of(key) {
            Some(line) => Error::Usage(format!(
                "{}: line {line}: {key}: {message}",
                self.path.display()
            )),
            None => Error::Usage(format!("{}: {key}: {message}", self.path.display())),
        }
    }
}

/// Where the config comes from: `explicit` (`--config`, `SBOMKIT_CONFIG`) if given, else
/// `.sbomkit.yaml` in `cwd` if it exists, else `config.yaml` in the user's config folder
/// (`$XDG_CONFIG_HOME/sbomkit/`, else `$HOME/.config/sbomkit/`) if it exists.
pub fn locate(
    explicit: Option<&Path>,
    cwd: &Path,
    xdg_config_home: Option<OsString>,
    home: Option<OsString>,
) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let local = cwd.join(LOCAL_FILE);
    if local.is_file() {
        return Some(local);
    }
    // XDG: a relative XDG_CONFIG_HOME is invalid and ignored.
    let folder = xdg_config_home
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| home.map(|h| PathBuf::from(h).join(".config")))?;
    let user = folder.join("sbomkit").join("config.yaml");
    user.is_file().then_some(user)
}

/// Reads and checks the config file at `path`: an unknown key, a value of the wrong type or an
/// `exclude` pattern that is not a glob is a usage error naming the file and line.
pub fn load(path: &Path) -> Result<Loaded, Error> {
    let shown = path.display();
    let meta =
        std::fs::metadata(path).map_err(|e| Error::Usage(format!("{shown}: config file: {e}")))?;
    if meta.len() > MAX_SIZE {
        return Err(Error::Usage(format!(
            "{shown}: config file over {MAX_SIZE} bytes"
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Usage(format!("{shown}: config file: {e}")))?;
    let mut config = parse(&text).map_err(|e| Error::Usage(format!("{shown}: {e}")))?;
    // Key paths are where the keys are kept, whatever folder sbomkit runs in: relative to the file.
    let folder = path.parent().unwrap_or(Path::new(""));
    for key in [
        &mut config.key,
        &mut config.public_key,
        &mut config.cache_dir,
    ]
    .into_iter()
    .flatten()
    {
        if key.is_relative() {
            *key = folder.join(&*key);
        }
    }
    let loaded = Loaded {
        path: path.to_path_buf(),
        config,
        text,
    };
    Exclude::new(&loaded.config.exclude).map_err(|e| loaded.error("exclude", e))?;
    Ok(loaded)
}

/// Parses config text; the error starts with `line N:` where the YAML reader knows it.
pub fn parse(text: &str) -> Result<Config, String> {
    // An empty file (or one of comments only) is an empty config, not an error.
    if text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#') || l == "---"
    }) {
        return Ok(Config::default());
    }
    serde_norway::from_str(text).map_err(|e| {
        let message = e.to_string();
        // The location goes in front, where people look for it.
        let message = match message.rfind(" at line ") {
            Some(i) => message[..i].to_string(),
            None => message,
        };
        match e.location() {
            Some(at) => format!("line {}: {message}", at.line()),
            None => message,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_in_its_forms() {
        let c = parse(
            "# set once\noutput: spdx-json=a.json\ncyclonedx-version: 1.5\nexclude:\n  - /usr/share/**\n  - ./var/cache\nplatform: linux/arm64\nquiet: true\nkey: k.key\npublic-key: k.pub\nscope: all-layers\n",
        )
        .unwrap();
        assert_eq!(c.scope, Some(Scope::AllLayers));
        assert_eq!(c.output, ["spdx-json=a.json"]);
        assert_eq!(
            c.cyclonedx_version,
            Some(CycloneDxVersionValue("1.5".into()))
        );
        assert_eq!(c.exclude, ["/usr/share/**", "./var/cache"]);
        assert_eq!(c.platform.as_deref(), Some("linux/arm64"));
        assert_eq!(c.quiet, Some(true));
        assert_eq!(c.key, Some(PathBuf::from("k.key")));
        assert_eq!(c.public_key, Some(PathBuf::from("k.pub")));
        let c =
            parse("output: [table, cyclonedx-json=b.json]\ncyclonedx-version: '1.6'\n").unwrap();
        assert_eq!(c.output, ["table", "cyclonedx-json=b.json"]);
        assert_eq!(
            c.cyclonedx_version,
            Some(CycloneDxVersionValue("1.6".into()))
        );
        assert_eq!(parse("# nothing\n\n").unwrap(), Config::default());
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_line() {
        let cases = [
            (
                "quiet: true\noutpt: table\n",
                "line 2: unknown field `outpt`",
            ),
            ("quiet: yes please\n", "line 1: quiet: invalid type"),
            (
                "platform: linux\ncyclonedx-version: 1.4\n",
                "line 2: cyclonedx-version: `1.4`: choose 1.5, 1.6 or 1.7",
            ),
            ("exclude: {a: b}\n", "line 1:"),
            ("output: [table\n", "line 2: did not find expected"),
            (
                "scope: everything\n",
                "line 1: scope: unknown variant `everything`",
            ),
        ];
        for (text, want) in cases {
            let e = parse(text).unwrap_err();
            assert!(e.starts_with(want) || e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn a_bad_exclude_pattern_names_the_file_and_line() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("c.yaml");
        std::fs::write(&p, "quiet: true\nexclude: ['usr/[a']\n").unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("{}: line 2: exclude: ", p.display())),
            "{e}"
        );
        assert!(load(&t.path().join("missing.yaml")).is_err());
        std::fs::write(&p, "key: k/c.key\npublic-key: /abs/c.pub\n").unwrap();
        let c = load(&p).unwrap().config;
        assert_eq!(c.key, Some(t.path().join("k/c.key")));
        assert_eq!(c.public_key, Some(PathBuf::from("/abs/c.pub")));
    }

    #[test]
    fn the_working_folder_wins_over_the_user_config_folder() {
        let t = tempfile::tempdir().unwrap();
        let cwd = t.path().join("work");
        let xdg = t.path().join("xdg");
        let home = t.path().join("home");
        for d in [&cwd, &xdg.join("sbomkit"), &home.join(".config/sbomkit")] {
            std::fs::create_dir_all(d).unwrap();
        }
        let os = |p: &Path| Some(p.as_os_str().to_owned());
        assert_eq!(locate(None, &cwd, os(&xdg), os(&home)), None);
        std::fs::write(home.join(".config/sbomkit/config.yaml"), "").unwrap();
        assert_eq!(
            locate(None, &cwd, None, os(&home)),
            Some(home.join(".config/sbomkit/config.yaml"))
        );
        // XDG_CONFIG_HOME, when set, is the user's config folder: HOME is not looked at.
        assert_eq!(locate(None, &cwd, os(&xdg), os(&home)), None);
        std::fs::write(xdg.join("sbomkit/config.yaml"), "").unwrap();
        assert_eq!(
            locate(None, &cwd, os(&xdg), os(&home)),
            Some(xdg.join("sbomkit/config.yaml"))
        );
        std::fs::write(cwd.join(LOCAL_FILE), "").unwrap();
        assert_eq!(
            locate(None, &cwd, os(&xdg), os(&home)),
            Some(cwd.join(LOCAL_FILE))
        );
        let explicit = t.path().join("other.yaml");
        assert_eq!(
            locate(Some(&explicit), &cwd, os(&xdg), os(&home)),
            Some(explicit.clone())
        );
    }
}
