//! `ssb keygen` and `ssb id`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use ssb_crypto::{Keypair, parse_secret_file, write_secret_file};

use crate::args::{Args, CliError};

/// `~/.ssb/secret`, as JS (`ssb-config`, `ssb-keys`) uses.
fn default_secret_path() -> Result<PathBuf, CliError> {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or_else(|| CliError::input("HOME is not set; pass --secret FILE"))?;
    Ok(PathBuf::from(home).join(".ssb").join("secret"))
}

fn secret_path(args: &mut Args) -> Result<PathBuf, CliError> {
    match args.option("secret")? {
        Some(p) => Ok(PathBuf::from(p)),
        None => default_secret_path(),
    }
}

pub(crate) fn keygen(mut args: Args) -> Result<ExitCode, CliError> {
    let seed = args.option("seed")?;
    let path = secret_path(&mut args)?;
    args.finish()?;
    let keypair = match seed {
        Some(hex) => {
            let seed = zeroize::Zeroizing::new(
                ssb_crypto::hex::decode_array::<32>(&hex)
                    .map_err(|e| CliError::input(format!("--seed: {e}")))?,
            );
            Keypair::from_seed(&seed)
        }
        None => Keypair::generate(&mut rand_core::OsRng),
    };
    let text = write_secret_file(&keypair);
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

pub(crate) fn id(mut args: Args) -> Result<ExitCode, CliError> {
    let path = secret_path(&mut args)?;
    args.finish()?;
    let meta = std::fs::metadata(&path)
        .map_err(|e| CliError::input(format!("cannot read {}: {e}", path.display())))?;
    if meta.len() > ssb_crypto::secret_file::MAX_SECRET_FILE_LEN as u64 {
        return Err(CliError::input(format!(
            "{}: not a secret file ({} bytes)",
            path.display(),
            meta.len()
        )));
    }
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(&path)
            .map_err(|e| CliError::input(format!("cannot read {}: {e}", path.display())))?,
    );
    let keypair = parse_secret_file(&text)
        .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
    println!("{}", keypair.feed_id());
    Ok(ExitCode::SUCCESS)
}
