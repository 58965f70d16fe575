//! The `posture` cataloger: what `audit` needs from the one pass over the layers. While layers
//! stream it notes the owner and capabilities of setuid, setgid and capability-bearing entries,
//! reads files that open with a PEM boundary for private keys, and keeps `/etc/passwd` and
//! `/etc/group`; on the final filesystem it turns what survived into findings. Every other entry
//! costs nothing: memory follows the findings, not the image.

use std::sync::{Arc, Mutex};

use super::caps::{self, FileCaps};
use super::users::Accounts;
use super::{keys, Finding, Hardening, Owner, Rule};
use crate::catalog::binary::elf::{ElfSummary, ElfType, Relro};
use crate::catalog::{Cataloger, Context, Found};
use crate::source::{display_path, EntryFacts, EntryType, Node, NodeKind, Summary, Vfs};

/// The most of `/etc/passwd` or `/etc/group` read: a larger one is a warning, not memory.
pub const MAX_ACCOUNTS: u64 = 1 << 20;

const PASSWD: &[u8] = b"etc/passwd";
const GROUP: &[u8] = b"etc/group";

/// The folders of a default `PATH`, where a tool is one the image can run by name.
const BIN_DIRS: [&[u8]; 6] = [
    b"bin",
    b"sbin",
    b"usr/bin",
    b"usr/sbin",
    b"usr/local/bin",
    b"usr/local/sbin",
];

/// Tool names per rule; a name also matches with a version suffix (`gcc-12`, `pip3.11`).
const TOOLS: [(Rule, &[&str]); 4] = [
    (
        Rule::Shell,
        &["sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox"],
    ),
    (
        Rule::PackageManager,
        &[
            "apk", "apt", "apt-get", "dpkg", "rpm", "dnf", "microdnf", "yum", "pip", "pip3",
        ],
    ),
    (
        Rule::RemoteTool,
        &[
            "curl", "wget", "nc", "ncat", "netcat", "socat", "ssh", "scp", "sftp", "telnet", "ftp",
        ],
    ),
    (
        Rule::Compiler,
        &[
            "gcc", "g++", "cc", "c++", "clang", "clang++", "tcc", "go", "rustc", "javac", "gdb",
            "lldb", "strace", "ltrace",
        ],
    ),
];

/// What the scan noted of an entry: its owner, and its capabilities if it has any.
#[derive(Debug)]
struct Noted {
    uid: u64,
    gid: u64,
    caps: Option<Result<FileCaps, String>>,
}

/// The private-key blocks of a file.
#[derive(Debug)]
struct Keys(Vec<String>);

/// What the cataloger found, for [`super::audit`].
#[derive(Debug, Default)]
pub struct Collected {
    pub findings: Vec<Finding>,
    pub hardening: Hardening,
    pub passwd: Accounts,
    pub group: Accounts,
    pub warnings: Vec<String>,
}

/// The cataloger; [`Posture::collected`] hands over what it found.
#[derive(Default, Clone)]
pub struct Posture {
    out: Arc<Mutex<Option<Collected>>>,
}

impl Posture {
    /// What the last [`Cataloger::catalog`] found.
    pub fn collected(&self) -> Collected {
        self.out
            .lock()
            .map(|mut g| g.take().unwrap_or_default())
            .unwrap_or_default()
    }
}

impl Cataloger for Posture {
    fn name(&self) -> &'static str {
        "posture"
    }

    fn keep(&self, path: &[u8], _head: &[u8]) -> Option<u64> {
        (path == PASSWD || path == GROUP).then_some(MAX_ACCOUNTS)
    }

    fn inspects(&self, _path: &[u8], head: &[u8]) -> bool {
        keys::may_hold_key(head)
    }

    fn inspect(&self, _path: &[u8], content: &[u8]) -> Option<Summary> {
        let found = keys::find(content);
        (!found.is_empty()).then(|| Arc::new(Keys(found)) as Summary)
    }

    /// The nodes the findings read besides the noted ones: tools by name, world-writable files.
    fn lists(&self, e: &EntryFacts<'_>) -> bool {
        let (_, name) = split(e.path);
        e.mode & 0o002 != 0 || name == b"busybox" || tool_rule(name).is_some()
    }

    fn note(&self, e: &EntryFacts<'_>) -> Option<Summary> {
        let special = e.kind == EntryType::File && e.mode & 0o6000 != 0;
        (special || e.capability.is_some()).then(|| {
            Arc::new(Noted {
                uid: e.uid,
                gid: e.gid,
                caps: e.capability.map(caps::decode),
            }) as Summary
        })
    }

    fn catalog(&self, cx: &Context<'_>) -> Found {
        let collected = collect(cx);
        if let Ok(mut g) = self.out.lock() {
            *g = Some(collected);
        }
        Found::default()
    }
}

fn accounts(fs: &Vfs, path: &[u8], with_group: bool, warnings: &mut Vec<String>) -> Accounts {
    let Some(node) = fs.get(path) else {
        return Accounts::default();
    };
    match &node.content {
        Some(c) => Accounts::parse(c, with_group),
        None if node.is_file() => {
            warnings.push(format!(
                "{}: {} bytes, over the {MAX_ACCOUNTS} read for user names: not read",
                display_path(path),
                node.size
            ));
            Accounts::default()
        }
        None => {
            warnings.push(format!(
                "{}: not a regular file: not read",
                display_path(path)
            ));
            Accounts::default()
        }
    }
}

/// The rule a tool name falls under.
fn tool_rule(name: &[u8]) -> Option<Rule> {
    let name = std::str::from_utf8(name).ok()?;
    TOOLS.iter().find_map(|(rule, names)| {
        names
            .iter()
            .any(|n| {
                name == *n
                    || name.strip_prefix(n).is_some_and(|rest| {
                        let v = rest.strip_prefix('-').unwrap_or(rest);
                        !v.is_empty()
                            && v.starts_with(|c: char| c.is_ascii_digit())
                            && v.chars().all(|c| c.is_ascii_digit() || c == '.')
                    })
            })
            .then_some(*rule)
    })
}

fn split(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (b"", path),
    }
}

fn collect(cx: &Context<'_>) -> Collected {
    let fs = cx.fs;
    let mut out = Collected::default();
    out.passwd = accounts(fs, PASSWD, true, &mut out.warnings);
    out.group = accounts(fs, GROUP, false, &mut out.warnings);
    let layered = !cx.subject.layers.is_empty();
    let layer = |n: &Node| layered.then_some(n.layer);
    let owner = |uid: u64, gid: u64| Owner {
        uid,
        gid,
        user: out.passwd.name_of(uid).map(str::to_string),
        group: out.group.name_of(gid).map(str::to_string),
    };
    let mut findings = Vec::new();
    let mut warnings = Vec::new();
    let mut busybox: Vec<(Vec<u8>, usize)> = Vec::new();
    let mut hardening = Hardening::default();
    for (path, node) in fs.iter() {
        let shown = display_path(path);
        let finding = |rule: Rule, detail: String| Finding {
            rule,
            path: Some(shown.clone()),
            layer: layer(node),
            detail,
            owner: None,
            capabilities: None,
        };
        let noted = node
            .summaries_of(cx.slot)
            .find_map(|s| s.downcast_ref::<Noted>());
        let (parent, name) = split(path);
        if BIN_DIRS.contains(&parent) {
            if let Some(rule) = tool_rule(name) {
                match &node.kind {
                    NodeKind::File => findings.push(finding(rule, "file".into())),
                    NodeKind::Symlink(target) => match fs.resolve(path) {
                        Some(to) if fs.get(&to).is_some_and(Node::is_file) => {
                            let (stored, to) = (String::from_utf8_lossy(target), display_path(&to));
                            let detail = match stored == to {
                                true => format!("link to {to}"),
                                false => format!("link to {stored} ({to})"),
                            };
                            findings.push(finding(rule, detail))
                        }
                        Some(_) => {}
                        None => warnings.push(format!(
                            "{shown}: a link that does not resolve (missing target or a loop): not counted"
                        )),
                    },
                    _ => {}
                }
            }
            if name == b"busybox" && node.is_file() {
                busybox.push((path.to_vec(), 0));
            }
        }
        match &node.kind {
            NodeKind::File if node.mode & 0o6000 != 0 => {
                let what = match node.mode & 0o6000 {
                    0o6000 => "setuid and setgid",
                    0o4000 => "setuid",
                    _ => "setgid",
                };
                let mut f = finding(Rule::Setuid, format!("{what}, mode {:04o}", node.mode));
                f.owner = noted.map(|n| owner(n.uid, n.gid));
                findings.push(f);
            }
            _ => {}
        }
        let writable = match &node.kind {
            NodeKind::File => node.mode & 0o002 != 0,
            NodeKind::Dir => node.mode & 0o002 != 0 && node.mode & 0o1000 == 0,
            // Links are always 0777; device nodes such as /dev/null are meant to be 0666.
            NodeKind::Symlink(_) | NodeKind::Other => false,
        };
        if writable {
            let kind = if node.is_dir() { "folder" } else { "file" };
            findings.push(finding(
                Rule::WorldWritable,
                format!("{kind}, mode {:04o}", node.mode),
            ));
        }
        match noted.and_then(|n| n.caps.as_ref()) {
            Some(Ok(c)) => {
                let mut f = finding(Rule::Capabilities, c.text());
                f.capabilities = Some(c.permitted.clone());
                findings.push(f);
            }
            Some(Err(e)) => warnings.push(format!(
                "{shown}: security.capability is not a capability set ({e}): ignored"
            )),
            None => {}
        }
        if let Some(Keys(labels)) = node
            .summaries_of(cx.slot)
            .find_map(|s| s.downcast_ref::<Keys>())
        {
            findings.push(finding(Rule::PrivateKey, labels.join(", ")));
        }
        if let Some(Ok(elf)) = node
            .summaries
            .iter()
            .flatten()
            .find_map(|(_, s)| s.downcast_ref::<ElfSummary>())
            .map(|s| s.facts.as_ref())
        {
            if matches!(
                elf.kind,
                ElfType::Executable | ElfType::Pie | ElfType::SharedObject
            ) {
                hardening.binaries += 1;
                let list = |l: &mut Vec<String>, bad: bool| {
                    if bad {
                        l.push(shown.clone());
                    }
                };
                list(&mut hardening.no_pie, elf.kind == ElfType::Executable);
                list(&mut hardening.no_nx_stack, !elf.nx_stack);
                list(&mut hardening.no_relro, elf.relro == Relro::None);
                list(&mut hardening.no_stack_protector, !elf.stack_protector);
                list(&mut hardening.no_fortify, elf.fortified.is_empty());
            }
        }
    }
    // Busybox's applets: the links that resolve to it.
    if !busybox.is_empty() {
        for (path, node) in fs.iter() {
            if let NodeKind::Symlink(_) = node.kind {
                if let Some(to) = fs.resolve(path) {
                    if let Some(b) = busybox.iter_mut().find(|b| b.0 == to) {
                        b.1 += 1;
                    }
                }
            }
        }
        for (path, applets) in busybox {
            let shown = display_path(&path);
            if let Some(f) = findings
                .iter_mut()
                .find(|f| f.rule == Rule::Shell && f.path.as_deref() == Some(&shown))
            {
                f.detail = format!("busybox with {applets} applet links");
            }
        }
    }
    out.findings = findings;
    out.hardening = hardening;
    out.warnings.extend(warnings);
    out
}
