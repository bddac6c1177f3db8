//! The error every command returns: exit status 2 and one line on stderr.

use std::fmt;

/// A command failed before it could do its job: the command line was wrong (`usage`), or
/// its input or I/O failed. Exit status 2, one line on stderr. (A check that ran and
/// failed is not an error: the command returns exit status 1 itself.)
#[derive(Debug)]
pub(crate) struct CliError {
    message: String,
    usage: bool,
}

impl CliError {
    /// The command line is wrong in a way the argument parser could not see (e.g. two
    /// arguments that contradict each other); a pointer to `--help` follows the message.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            usage: true,
        }
    }

    /// Bad input or an I/O failure.
    pub(crate) fn input(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            usage: false,
        }
    }

    /// Whether this is a usage error.
    pub(crate) fn is_usage(&self) -> bool {
        self.usage
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
