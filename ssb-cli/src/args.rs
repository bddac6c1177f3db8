//! A small argument reader (no dependency): positionals, `--flag VALUE` and `--switch`.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;

/// A command-line error: exit status 2 and one line on stderr.
#[derive(Debug)]
pub(crate) struct CliError {
    message: String,
    usage: bool,
}

impl CliError {
    /// The command line itself is wrong (usage is printed too).
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
    pub(crate) fn is_usage(&self) -> bool {
        self.usage
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The remaining arguments of a command.
pub(crate) struct Args {
    rest: VecDeque<OsString>,
}

impl Args {
    pub(crate) fn from_env() -> Self {
        Self {
            rest: std::env::args_os().skip(1).collect(),
        }
    }

    #[cfg(test)]
    pub(crate) fn from_vec(v: &[&str]) -> Self {
        Self {
            rest: v.iter().map(OsString::from).collect(),
        }
    }

    fn to_string(s: OsString) -> Result<String, CliError> {
        s.into_string()
            .map_err(|s| CliError::usage(format!("argument {s:?} is not UTF-8")))
    }

    /// The next argument if it is not an option.
    pub(crate) fn next_positional(&mut self) -> Option<String> {
        let first = self.rest.front()?.to_str()?;
        if first.starts_with("--") && first.len() > 2 {
            return None;
        }
        self.rest.pop_front().and_then(|s| s.into_string().ok())
    }

    /// Removes `--name VALUE` (or `--name=VALUE`) and returns the value.
    pub(crate) fn option(&mut self, name: &str) -> Result<Option<String>, CliError> {
        let flag = format!("--{name}");
        let prefix = format!("--{name}=");
        let mut i = 0;
        while i < self.rest.len() {
            let a = self.rest[i].to_str().unwrap_or("");
            if a == "--" {
                break;
            }
            if a == flag {
                self.rest.remove(i);
                let v = self
                    .rest
                    .remove(i)
                    .ok_or_else(|| CliError::usage(format!("{flag} needs a value")))?;
                return Self::to_string(v).map(Some);
            }
            if let Some(v) = a.strip_prefix(&prefix) {
                let v = v.to_owned();
                self.rest.remove(i);
                return Ok(Some(v));
            }
            i += 1;
        }
        Ok(None)
    }

    /// Removes `--name` and says whether it was there.
    pub(crate) fn switch(&mut self, name: &str) -> bool {
        let flag = format!("--{name}");
        match self.rest.iter().position(|a| a.to_str() == Some(&flag)) {
            Some(i) => {
                self.rest.remove(i);
                true
            }
            None => false,
        }
    }

    /// All remaining arguments as positionals (after options were taken); fails on a
    /// leftover option.
    pub(crate) fn positionals(mut self) -> Result<Vec<String>, CliError> {
        let mut out = Vec::new();
        let mut after_dashdash = false;
        while let Some(a) = self.rest.pop_front() {
            let s = Self::to_string(a)?;
            if !after_dashdash && s == "--" {
                after_dashdash = true;
                continue;
            }
            if !after_dashdash && s.starts_with("--") {
                return Err(CliError::usage(format!("unknown option `{s}`")));
            }
            out.push(s);
        }
        Ok(out)
    }

    /// Fails unless every argument was used.
    pub(crate) fn finish(self) -> Result<(), CliError> {
        match self.positionals()?.first() {
            Some(extra) => Err(CliError::usage(format!("unexpected argument `{extra}`"))),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_and_positionals() {
        let mut a = Args::from_vec(&["--seed", "ab", "--json", "file", "--x=1"]);
        assert_eq!(a.option("seed").unwrap().as_deref(), Some("ab"));
        assert!(a.switch("json"));
        assert_eq!(a.option("x").unwrap().as_deref(), Some("1"));
        assert_eq!(a.positionals().unwrap(), ["file"]);
        let mut b = Args::from_vec(&["--seed"]);
        assert!(b.option("seed").is_err());
        assert!(Args::from_vec(&["--nope"]).finish().is_err());
    }
}
