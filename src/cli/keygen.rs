//! `sbomkit keygen`: a key pair in cosign's format; the private key readable by its owner alone.

use std::path::PathBuf;

use sbomkit::attest::{self, keys};
use sbomkit::{Error, ExitCode};

use super::args::KeygenArgs;
use super::output::{self, Access};

pub fn run(args: KeygenArgs) -> Result<ExitCode, Error> {
    let key_path = PathBuf::from(format!("{}.key", args.prefix));
    let pub_path = PathBuf::from(format!("{}.pub", args.prefix));
    if !args.force {
        for p in [&key_path, &pub_path] {
            if p.exists() {
                return Err(attest::fail(
                    ExitCode::Failure,
                    format!(
                        "{}: already exists; use --force to overwrite it",
                        p.display()
                    ),
                ));
            }
        }
    }
    let pw = super::password(true).map_err(|m| attest::fail(ExitCode::Failure, m))?;
    let key = keys::SigningKey::generate(args.algorithm.into());
    let pem = keys::encrypt_private_key(&key, pw.as_bytes())
        .map_err(|m| keys::file_error(&key_path, m))?;
    output::write_atomically(&key_path, Access::Owner, |w| w.write_all(pem.as_bytes()))?;
    let public = key.verifying_key().to_pem();
    output::write_atomically(&pub_path, Access::Umask, |w| w.write_all(public.as_bytes()))?;
    eprintln!("Private key written to {}", key_path.display());
    eprintln!("Public key written to {}", pub_path.display());
    Ok(ExitCode::Success)
}
