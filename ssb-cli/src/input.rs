//! `[FILE|-]`: where commands read their input (stdin when FILE is absent or `-`).

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::error::CliError;

/// The input a command reads: a file, or stdin for `-` (the default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// Standard input.
    Stdin,
    /// A file.
    File(PathBuf),
}

impl Source {
    /// `None` or `-` is stdin; anything else a file.
    pub(crate) fn from_arg(path: Option<&Path>) -> Self {
        match path {
            None => Self::Stdin,
            Some(p) if p.as_os_str() == "-" => Self::Stdin,
            Some(p) => Self::File(p.to_owned()),
        }
    }

    /// How error messages name it.
    pub(crate) fn name(&self) -> String {
        match self {
            Self::Stdin => "stdin".into(),
            Self::File(p) => p.display().to_string(),
        }
    }

    /// Opens it for reading; also returns its length when it is a regular file.
    pub(crate) fn open(&self) -> Result<(Box<dyn Read>, Option<u64>), CliError> {
        match self {
            Self::Stdin => Ok((Box::new(io::stdin().lock()), None)),
            Self::File(p) => {
                let file = File::open(p)
                    .map_err(|e| CliError::input(format!("cannot read {}: {e}", p.display())))?;
                let len = file
                    .metadata()
                    .ok()
                    .filter(|m| m.is_file())
                    .map(|m| m.len());
                Ok((Box::new(file), len))
            }
        }
    }

    /// Reads the whole input, refusing more than `limit` bytes (without reading past it).
    pub(crate) fn read_to_end(&self, limit: usize) -> Result<Vec<u8>, CliError> {
        let (input, _) = self.open()?;
        read_bounded(input, limit).map_err(|e| match e {
            ReadError::TooLarge => CliError::input(format!(
                "{}: input larger than the limit of {limit} bytes",
                self.name()
            )),
            ReadError::Io(e) => CliError::input(format!("cannot read {}: {e}", self.name())),
        })
    }
}

/// Why [`read_bounded`] failed.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// More than the limit.
    TooLarge,
    /// The read failed.
    Io(io::Error),
}

/// Reads everything from `input`, failing once more than `limit` bytes arrive.
pub(crate) fn read_bounded(input: impl Read, limit: usize) -> Result<Vec<u8>, ReadError> {
    let mut buf = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    input
        .take(cap)
        .read_to_end(&mut buf)
        .map_err(ReadError::Io)?;
    if buf.len() > limit {
        return Err(ReadError::TooLarge);
    }
    Ok(buf)
}
