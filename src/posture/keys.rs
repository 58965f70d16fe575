//! Private keys by content: PEM blocks whose label names a private key and whose body has the
//! structure of one (DER `SEQUENCE` spanning the body, or OpenSSH's `openssh-key-v1` header).
//! Text that only mentions a header (a library's constant, documentation) is not a key.

use base64::Engine;

/// What a file's first bytes must hold for it to be read whole: a PEM boundary.
pub fn may_hold_key(head: &[u8]) -> bool {
    head.windows(11).any(|w| w == b"-----BEGIN ")
}

/// The labels of the private-key blocks in `content` that have a key's structure, in order.
pub fn find(content: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut lines = content.split(|&b| b == b'\n').map(trim);
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix(b"-----BEGIN ")
            .and_then(|l| l.strip_suffix(b"-----"))
        else {
            continue;
        };
        if !label.ends_with(b"PRIVATE KEY") {
            continue;
        }
        let end = [b"-----END ".as_slice(), label, b"-----"].concat();
        let mut body = Vec::new();
        let mut encrypted_legacy = false;
        let mut closed = false;
        for l in lines.by_ref() {
            if l == end.as_slice() {
                closed = true;
                break;
            }
            if l.starts_with(b"Proc-Type: 4,ENCRYPTED") {
                encrypted_legacy = true;
            } else if !l.contains(&b':') {
                body.extend_from_slice(l);
            }
        }
        let label = String::from_utf8_lossy(label).into_owned();
        if closed && is_key(&label, &body, encrypted_legacy) {
            found.push(label);
        }
    }
    found
}

fn trim(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(end);
    &line[start.min(end)..end]
}

fn is_key(label: &str, body: &[u8], encrypted_legacy: bool) -> bool {
    let Ok(der) = base64::engine::general_purpose::STANDARD.decode(body) else {
        return false;
    };
    if label == "OPENSSH PRIVATE KEY" {
        return der.starts_with(b"openssh-key-v1\0");
    }
    if encrypted_legacy {
        // RFC 1421 encryption: the body is ciphertext, whole cipher blocks.
        return der.len() >= 64 && der.len() % 8 == 0;
    }
    // PKCS#1, SEC 1, PKCS#8: a SEQUENCE over the whole body, opening with an INTEGER version;
    // an encrypted PKCS#8 key with its algorithm SEQUENCE.
    let inner = if label == "ENCRYPTED PRIVATE KEY" {
        0x30
    } else {
        0x02
    };
    sequence_spans(&der) && der.get(header_len(&der).unwrap_or(0)) == Some(&inner)
}

/// The length of a DER SEQUENCE's tag and length bytes.
fn header_len(der: &[u8]) -> Option<usize> {
    if der.first() != Some(&0x30) {
        return None;
    }
    match *der.get(1)? {
        n if n < 0x80 => Some(2),
        n @ 0x81..=0x84 => Some(2 + usize::from(n & 0x7f)),
        _ => None,
    }
}

fn sequence_spans(der: &[u8]) -> bool {
    let Some(h) = header_len(der) else {
        return false;
    };
    let len = match der[1] {
        n if n < 0x80 => usize::from(n),
        _ => der
            .get(2..h)
            .unwrap_or_default()
            .iter()
            .fold(0usize, |acc, &b| {
                acc.saturating_mul(256).saturating_add(usize::from(b))
            }),
    };
    h.checked_add(len) == Some(der.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_alone_or_a_body_of_garbage_is_no_key() {
        assert!(find(b"const HEADER = \"-----BEGIN RSA PRIVATE KEY-----\";\n").is_empty());
        let fake = b"-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbA==\n-----END RSA PRIVATE KEY-----\n";
        assert!(find(fake).is_empty());
        let unclosed = b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n";
        assert!(find(unclosed).is_empty());
        let cert = b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
        assert!(find(cert).is_empty());
    }

    #[test]
    fn an_openssh_header_in_its_armour_is_a_key() {
        let body = base64::engine::general_purpose::STANDARD.encode(b"openssh-key-v1\0rest");
        let pem = format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----\n"
        );
        assert_eq!(find(pem.as_bytes()), ["OPENSSH PRIVATE KEY"]);
        assert!(may_hold_key(pem.as_bytes()));
    }
}
