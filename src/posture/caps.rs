//! `security.capability`: the file capabilities the kernel grants on exec, as `setcap` writes them
//! (`struct vfs_cap_data` / `vfs_ns_cap_data` in `include/uapi/linux/capability.h`).

/// Capability names by bit, as `capability.h` and `getcap` spell them.
const NAMES: [&str; 41] = [
    "cap_chown",
    "cap_dac_override",
    "cap_dac_read_search",
    "cap_fowner",
    "cap_fsetid",
    "cap_kill",
    "cap_setgid",
    "cap_setuid",
    "cap_setpcap",
    "cap_linux_immutable",
    "cap_net_bind_service",
    "cap_net_broadcast",
    "cap_net_admin",
    "cap_net_raw",
    "cap_ipc_lock",
    "cap_ipc_owner",
    "cap_sys_module",
    "cap_sys_rawio",
    "cap_sys_chroot",
    "cap_sys_ptrace",
    "cap_sys_pacct",
    "cap_sys_admin",
    "cap_sys_boot",
    "cap_sys_nice",
    "cap_sys_resource",
    "cap_sys_time",
    "cap_sys_tty_config",
    "cap_mknod",
    "cap_lease",
    "cap_audit_write",
    "cap_audit_control",
    "cap_setfcap",
    "cap_mac_override",
    "cap_mac_admin",
    "cap_syslog",
    "cap_wake_alarm",
    "cap_block_suspend",
    "cap_audit_read",
    "cap_perfmon",
    "cap_bpf",
    "cap_checkpoint_restore",
];

const REVISION_MASK: u32 = 0xFF00_0000;
const REVISION_1: u32 = 0x0100_0000;
const REVISION_2: u32 = 0x0200_0000;
const REVISION_3: u32 = 0x0300_0000;
const FLAG_EFFECTIVE: u32 = 0x0000_0001;

/// One file's capabilities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCaps {
    /// Permitted capabilities, by name (`cap_<bit>` for a bit without a name), in bit order.
    pub permitted: Vec<String>,
    pub inheritable: Vec<String>,
    /// Raised on exec (the `e` of `getcap`).
    pub effective: bool,
    /// Revision 3: the user namespace root the capabilities hold for.
    pub root_id: Option<u32>,
}

impl FileCaps {
    /// As `getcap` prints them: `cap_net_bind_service=ep`.
    pub fn text(&self) -> String {
        let mut parts = Vec::new();
        if !self.permitted.is_empty() {
            let flags = if self.effective { "ep" } else { "p" };
            parts.push(format!("{}={flags}", self.permitted.join(",")));
        }
        if !self.inheritable.is_empty() {
            parts.push(format!("{}+i", self.inheritable.join(",")));
        }
        if let Some(id) = self.root_id {
            parts.push(format!("[rootid={id}]"));
        }
        match parts.is_empty() {
            true => "(none)".to_string(),
            false => parts.join(" "),
        }
    }
}

fn names(bits: u64) -> Vec<String> {
    (0..64u32)
        .filter(|b| bits & (1u64 << b) != 0)
        .map(|b| match NAMES.get(b as usize) {
            Some(n) => (*n).to_string(),
            None => format!("cap_{b}"),
        })
        .collect()
}

/// Decodes the attribute; an error says what is wrong with it.
pub fn decode(raw: &[u8]) -> Result<FileCaps, String> {
    let word = |i: usize| -> Option<u32> {
        let b = raw.get(i * 4..i * 4 + 4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let magic = word(0).ok_or_else(|| format!("{} bytes, too short", raw.len()))?;
    let (words, expected) = match magic & REVISION_MASK {
        REVISION_1 => (1, 12),
        REVISION_2 => (2, 20),
        REVISION_3 => (2, 24),
        other => return Err(format!("unknown revision {:#x}", other >> 24)),
    };
    if raw.len() != expected {
        return Err(format!(
            "revision {} needs {expected} bytes, has {}",
            magic >> 24,
            raw.len()
        ));
    }
    if magic & !REVISION_MASK & !FLAG_EFFECTIVE != 0 {
        return Err(format!("unknown flags {magic:#010x}"));
    }
    let (mut permitted, mut inheritable) = (0u64, 0u64);
    for i in 0..words {
        let shift = 32 * i as u32;
        permitted |= u64::from(word(1 + 2 * i).unwrap_or(0)) << shift;
        inheritable |= u64::from(word(2 + 2 * i).unwrap_or(0)) << shift;
    }
    Ok(FileCaps {
        permitted: names(permitted),
        inheritable: names(inheritable),
        effective: magic & FLAG_EFFECTIVE != 0,
        root_id: (magic & REVISION_MASK == REVISION_3).then(|| word(5).unwrap_or(0)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setcap_attributes_decode_to_getcap_names() {
        // `setcap cap_net_bind_service=+ep` writes revision 2, effective, bit 10.
        let v2 = [
            0x01, 0, 0, 0x02, 0x00, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        let caps = decode(&v2).unwrap();
        assert_eq!(caps.permitted, ["cap_net_bind_service"]);
        assert_eq!(caps.text(), "cap_net_bind_service=ep");
        // Revision 3 in a user namespace with root 1000; cap_net_raw and cap_bpf (bit 39).
        let mut v3 = vec![
            0x00, 0, 0, 0x03, 0x00, 0x20, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0,
        ];
        v3.extend([0, 0, 0, 0, 0xe8, 0x03, 0, 0]);
        let caps = decode(&v3).unwrap();
        assert_eq!(caps.text(), "cap_net_raw,cap_bpf=p [rootid=1000]");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode(b"").is_err());
        assert!(decode(b"\x01\x00\x00\x02garbage").is_err());
        assert!(decode(&[0xff; 20]).is_err());
        assert!(decode(&[0x00, 0, 0, 0x02, 0, 0, 0, 0]).is_err());
    }
}
