//! `ssb keygen [--seed HEX] [--secret FILE]`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use ssb_crypto::{Keypair, write_secret_file};
use zeroize::Zeroizing;

use crate::error::CliError;

/// Write a new secret file in the JS layout (never overwrites)
///
/// Creates FILE (and its directory) with mode 0400, as ssb-keys does, and prints the new
/// feed id. An existing file is never overwritten (exit 2).
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Derive the key pair from this 32-byte ed25519 seed instead of the OS RNG
    #[arg(long, value_name = "HEX", value_parser = crate::values::hex::<32>)]
    seed: Option<Zeroizing<[u8; 32]>>,
    /// The secret file to create [default: ~/.ssb/secret]
    #[arg(long, value_name = "FILE")]
    secret: Option<PathBuf>,
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    let path = crate::secret::path(args.secret.as_deref())?;
    let keypair = match args.seed {
        Some(seed) => Keypair::from_seed(&seed),
        None => Keypair::generate(&mut rand_core::OsRng),
    };
    let text = Zeroizing::new(write_secret_file(&keypair));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| CliError::input(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o400); // as ssb-keys: { mode: 0x100, flag: 'wx' }
    }
    let mut file = opts.open(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            CliError::input(format!(
                "{} already exists; refusing to overwrite a secret",
                path.display()
            ))
        } else {
            CliError::input(format!("cannot create {}: {e}", path.display()))
        }
    })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| CliError::input(format!("cannot write {}: {e}", path.display())))?;
    println!("{}", keypair.feed_id());
    Ok(ExitCode::SUCCESS)
}
