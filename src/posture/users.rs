//! The user an image runs as: the config's `User` (`name`, `uid`, `name:group`, `uid:gid`)
//! resolved through the image's own `/etc/passwd` and `/etc/group`, as the runtime does.

/// `/etc/passwd` or `/etc/group`: name → id, id → name, in file order.
#[derive(Debug, Clone, Default)]
pub struct Accounts {
    /// (name, id, primary group id for passwd entries).
    pub entries: Vec<(String, u64, Option<u64>)>,
}

impl Accounts {
    /// Parses `name:x:id[:gid:...]` lines; other lines are skipped.
    pub fn parse(content: &[u8], with_group: bool) -> Accounts {
        let text = String::from_utf8_lossy(content);
        let entries = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .filter_map(|l| {
                let mut f = l.split(':');
                let name = f.next()?.trim();
                let _password = f.next()?;
                let id = f.next()?.trim().parse().ok()?;
                let group = if with_group {
                    f.next().and_then(|g| g.trim().parse().ok())
                } else {
                    None
                };
                (!name.is_empty()).then(|| (name.to_string(), id, group))
            })
            .collect();
        Accounts { entries }
    }

    pub fn by_name(&self, name: &str) -> Option<&(String, u64, Option<u64>)> {
        self.entries.iter().find(|e| e.0 == name)
    }

    pub fn name_of(&self, id: u64) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.1 == id)
            .map(|e| e.0.as_str())
    }
}

/// The user a config's `User` names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunAs {
    /// As the config says it (`""` when absent).
    pub configured: String,
    pub uid: Option<u64>,
    pub gid: Option<u64>,
    pub name: Option<String>,
    pub group: Option<String>,
    /// uid 0: an empty `User`, `0`, `root`, or a name whose passwd entry has uid 0.
    pub root: bool,
    /// What could not be resolved (a name missing from passwd), for people.
    pub problems: Vec<String>,
}

/// Resolves `user` as the runtime would: an empty user is root; a name must be in passwd; a
/// number needs no entry. Without a group, the user's primary group.
pub fn resolve(user: &str, passwd: &Accounts, group: &Accounts) -> RunAs {
    let mut run = RunAs {
        configured: user.to_string(),
        ..RunAs::default()
    };
    let (u, g) = match user.split_once(':') {
        Some((u, g)) => (u.trim(), Some(g.trim())),
        None => (user.trim(), None),
    };
    if u.is_empty() {
        run.uid = Some(0);
    } else if let Ok(id) = u.parse::<u64>() {
        run.uid = Some(id);
    } else if let Some((name, id, _)) = passwd.by_name(u) {
        run.uid = Some(*id);
        run.name = Some(name.clone());
    } else {
        run.problems.push(format!(
            "user `{u}` is not in /etc/passwd: the runtime refuses to start"
        ));
        // `root` is uid 0 whether or not a passwd says so.
        if u == "root" {
            run.uid = Some(0);
        }
    }
    if let (Some(uid), None) = (run.uid, &run.name) {
        run.name = passwd
            .name_of(uid)
            .map(str::to_string)
            .or_else(|| (uid == 0).then(|| "root".to_string()));
    }
    match g.filter(|g| !g.is_empty()) {
        Some(g) => match g.parse::<u64>() {
            Ok(id) => run.gid = Some(id),
            Err(_) => match group.by_name(g) {
                Some((_, id, _)) => run.gid = Some(*id),
                None => run
                    .problems
                    .push(format!("group `{g}` is not in /etc/group")),
            },
        },
        None => {
            run.gid = run
                .name
                .as_deref()
                .and_then(|n| passwd.by_name(n))
                .and_then(|e| e.2)
                .or_else(|| (run.uid == Some(0)).then_some(0));
        }
    }
    run.group = run.gid.and_then(|id| group.name_of(id).map(str::to_string));
    run.root = run.uid == Some(0);
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &[u8] = b"root:x:0:0:root:/root:/sbin/nologin\ntoor:x:0:0::/:/bin/sh\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n";
    const GROUP: &[u8] = b"root:x:0:\nnonroot:x:65532:\nstaff:x:50:\n";

    #[test]
    fn empty_zero_root_and_uid_zero_names_are_root() {
        let (p, g) = (Accounts::parse(PASSWD, true), Accounts::parse(GROUP, false));
        for user in ["", "0", "root", "toor", "0:0", "root:staff"] {
            assert!(resolve(user, &p, &g).root, "{user:?}");
        }
        let r = resolve("nonroot", &p, &g);
        assert!(!r.root && r.problems.is_empty());
        assert_eq!(
            (r.uid, r.gid, r.group.as_deref()),
            (Some(65532), Some(65532), Some("nonroot"))
        );
        let r = resolve("1000:staff", &p, &g);
        assert_eq!((r.uid, r.gid, r.name), (Some(1000), Some(50), None));
        let r = resolve("ghost", &p, &g);
        assert!(!r.root && r.uid.is_none() && r.problems.len() == 1);
    }
}
