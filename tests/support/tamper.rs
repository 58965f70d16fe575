//! Tampering tables: each row names a change, the exit code it must cause and a fragment of the
//! message. Every row runs, and the failure lists every row that went wrong, by name.

use std::panic::{catch_unwind, AssertUnwindSafe};

pub struct Row<M> {
    pub name: &'static str,
    pub change: M,
    pub code: i32,
    pub says: &'static str,
}

/// Runs `check` on every row's change; `check` returns the exit code and the output. Every output
/// must also contain each of `always`. A row that panics counts as failed.
pub fn refused<M>(rows: &[Row<M>], always: &[&str], check: impl Fn(&M) -> (i32, String)) {
    let mut failed = Vec::new();
    for row in rows {
        match catch_unwind(AssertUnwindSafe(|| check(&row.change))) {
            Ok((code, out)) => {
                let missing: Vec<&str> = always
                    .iter()
                    .chain([&row.says])
                    .copied()
                    .filter(|w| !out.contains(w))
                    .collect();
                if code != row.code || !missing.is_empty() {
                    failed.push(format!(
                        "{}: expected exit {} saying {:?}, got exit {code} without {missing:?}:\n{out}",
                        row.name, row.code, row.says
                    ));
                }
            }
            Err(_) => failed.push(format!("{}: panicked (see above)", row.name)),
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} rows failed:\n\n{}",
        failed.len(),
        rows.len(),
        failed.join("\n\n")
    );
}

/// A row judged in-process: the change and the kind of failure it must cause.
pub struct KindRow<M, K> {
    pub name: &'static str,
    pub change: M,
    pub kind: K,
    pub says: &'static str,
}

/// Runs `check` on every row's change in-process; `check` returns the failure's kind and message,
/// or `None` when the changed input is accepted. Every row runs, as in [`refused`].
pub fn refused_as<M, K: PartialEq + std::fmt::Debug>(
    rows: &[KindRow<M, K>],
    check: impl Fn(&M) -> Option<(K, String)>,
) {
    let mut failed = Vec::new();
    for row in rows {
        match catch_unwind(AssertUnwindSafe(|| check(&row.change))) {
            Ok(Some((kind, message))) if kind == row.kind && message.contains(row.says) => {}
            Ok(got) => failed.push(format!(
                "{}: expected a {:?} failure saying {:?}, got {got:?}",
                row.name, row.kind, row.says
            )),
            Err(_) => failed.push(format!("{}: panicked (see above)", row.name)),
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} rows failed:\n\n{}",
        failed.len(),
        rows.len(),
        failed.join("\n\n")
    );
}
