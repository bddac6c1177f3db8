//! The secret file (`~/.ssb/secret` by default, as in JS), shared by `keygen`, `id` and
//! `publish`.

use std::path::{Path, PathBuf};

use ssb_crypto::{Keypair, parse_secret_file};

use crate::error::CliError;

/// `--secret FILE`, or `~/.ssb/secret` (what JS `ssb-config` and `ssb-keys` use).
pub(crate) fn path(arg: Option<&Path>) -> Result<PathBuf, CliError> {
    if let Some(p) = arg {
        return Ok(p.to_owned());
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or_else(|| CliError::input("HOME is not set; pass --secret FILE"))?;
    Ok(PathBuf::from(home).join(".ssb").join("secret"))
}

/// Reads and parses a secret file (at most
/// [`MAX_SECRET_FILE_LEN`](ssb_crypto::secret_file::MAX_SECRET_FILE_LEN) bytes).
pub(crate) fn load(path: &Path) -> Result<Keypair, CliError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| CliError::input(format!("cannot read {}: {e}", path.display())))?;
    if meta.len() > ssb_crypto::secret_file::MAX_SECRET_FILE_LEN as u64 {
        return Err(CliError::input(format!(
            "{}: not a secret file ({} bytes)",
            path.display(),
            meta.len()
        )));
    }
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| CliError::input(format!("cannot read {}: {e}", path.display())))?,
    );
    parse_secret_file(&text).map_err(|e| CliError::input(format!("{}: {e}", path.display())))
}
