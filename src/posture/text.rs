//! The report as text for people: the facts, then each rule with its findings, then hardening
//! counts. Lines stay within 80 columns where the paths allow.

use std::fmt::Write;

use super::{Report, Rule};

/// How many paths of a hardening list are shown before "and N more".
const SHOWN: usize = 5;

pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "Image:    {} ({})", r.subject.name, r.subject.kind);
    for (role, d) in &r.subject.digests {
        let _ = writeln!(o, "  {role}: {d}");
    }
    match &r.user {
        Some(u) => {
            let id = |n: Option<u64>, name: &Option<String>| match (n, name) {
                (Some(n), Some(s)) => format!("{n}({s})"),
                (Some(n), None) => n.to_string(),
                (None, _) => "?".to_string(),
            };
            let shown = match u.configured.as_str() {
                "" => "(none)".to_string(),
                c => format!("`{c}`"),
            };
            let _ = writeln!(
                o,
                "User:     {shown} → uid={} gid={}{}",
                id(u.uid, &u.name),
                id(u.gid, &u.group),
                if u.root { "  ROOT" } else { "" }
            );
        }
        None => {
            let _ = writeln!(o, "User:     (no image config)");
        }
    }
    if let Some(c) = &r.config {
        let list = |v: &Option<Vec<String>>| match v {
            Some(v) => serde_json::to_string(v).unwrap_or_default(),
            None => "(none)".to_string(),
        };
        let _ = writeln!(o, "Entrypoint: {}", list(&c.entrypoint));
        let _ = writeln!(o, "Cmd:      {}", list(&c.cmd));
        if !c.exposed_ports.is_empty() {
            let _ = writeln!(o, "Ports:    {}", c.exposed_ports.join(", "));
        }
        if let Some(b) = &c.base_image {
            let _ = writeln!(
                o,
                "Base:     {} {}",
                b.name.as_deref().unwrap_or("?"),
                b.digest.as_deref().unwrap_or("")
            );
        }
        if let Some(t) = &c.created {
            let _ = writeln!(o, "Created:  {t}");
        }
    }
    if !r.layers.is_empty() {
        let _ = writeln!(o, "Layers:   {}", r.layers.len());
    }
    let _ = writeln!(o);
    // The rules with findings of their own; hardening follows as counts.
    for rule in Rule::ALL.iter().filter(|r| !r.is_hardening()) {
        let n = r.count(*rule);
        let mark = if r.tripped.contains(rule) {
            "FAIL"
        } else if n > 0 {
            "found"
        } else {
            "none"
        };
        let _ = writeln!(o, "{:<16} {mark:<5} {n}", rule.name());
        for f in r.findings.iter().filter(|f| f.rule == *rule) {
            let layer = f.layer.map(|l| format!(" [layer {l}]")).unwrap_or_default();
            let owner = f
                .owner
                .as_ref()
                .map(|w| {
                    format!(
                        ", owner {}:{}",
                        w.user.clone().unwrap_or_else(|| w.uid.to_string()),
                        w.group.clone().unwrap_or_else(|| w.gid.to_string())
                    )
                })
                .unwrap_or_default();
            match &f.path {
                Some(p) => {
                    let _ = writeln!(o, "  {p}{layer}: {}{owner}", f.detail);
                }
                None => {
                    let _ = writeln!(o, "  {}", f.detail);
                }
            }
        }
    }
    let h = &r.hardening;
    let _ = writeln!(o);
    let _ = writeln!(o, "Hardening of {} ELF binaries:", h.binaries);
    for (rule, list) in [
        (Rule::NoPie, &h.no_pie),
        (Rule::NoNxStack, &h.no_nx_stack),
        (Rule::NoRelro, &h.no_relro),
        (Rule::NoStackProtector, &h.no_stack_protector),
        (Rule::NoFortify, &h.no_fortify),
    ] {
        let mark = if r.tripped.contains(&rule) {
            " FAIL"
        } else {
            ""
        };
        let mut line = format!("  {:<19}{:>5}{mark}", rule.name(), list.len());
        if !list.is_empty() {
            let shown: Vec<&str> = list.iter().take(SHOWN).map(String::as_str).collect();
            let _ = write!(line, "  {}", shown.join(" "));
            if list.len() > SHOWN {
                let _ = write!(line, " and {} more", list.len() - SHOWN);
            }
        }
        let _ = writeln!(o, "{line}");
    }
    if !r.fail_on.is_empty() {
        let _ = writeln!(o);
        let names = |v: &[Rule]| v.iter().map(|r| r.name()).collect::<Vec<_>>().join(", ");
        match r.tripped.is_empty() {
            true => {
                let _ = writeln!(o, "Gate held: {}", names(&r.fail_on));
            }
            false => {
                let _ = writeln!(o, "Gate failed: {}", names(&r.tripped));
            }
        }
    }
    o
}
