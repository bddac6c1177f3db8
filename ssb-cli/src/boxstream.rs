//! `ssb boxstream seal|open --key HEX --nonce HEX`: box-stream framing from stdin to stdout.
//!
//! `seal` cuts stdin into frames of at most 4096 bytes (full frames whatever the pipe's
//! chunking, so the output is deterministic) and ends with a goodbye. `open` writes the
//! plaintext and exits 1 with a message on a bad MAC, an oversized body or a missing goodbye
//! (possible truncation); bytes after the goodbye are not read.

use std::io::{Read, Write};
use std::process::ExitCode;

use ssb_boxstream::{
    Decryptor, Encryptor, Frame, GOODBYE_LEN, MAX_BODY_LEN, MAX_FRAME_LEN, Progress,
};
use zeroize::Zeroizing;

use crate::error::CliError;
use crate::values::hex;

/// Box-stream framing from stdin to stdout
///
/// `seal` cuts stdin into frames of at most 4096 bytes (whole frames however the pipe
/// delivers them, so the output is deterministic) and ends with a goodbye. `open` writes
/// the plaintext; a bad MAC, an oversized body or a missing goodbye (possible truncation)
/// exits 1 with a message.
#[derive(clap::Args)]
#[command(override_usage = "ssb boxstream <seal|open> --key <HEX> --nonce <HEX>")]
pub(crate) struct Args {
    /// Encrypt (seal) or decrypt (open)
    #[arg(value_name = "MODE")]
    mode: Mode,
    /// The 32-byte secretbox key
    #[arg(long, value_name = "HEX", value_parser = hex::<32>)]
    key: Zeroizing<[u8; 32]>,
    /// The 24-byte starting nonce
    #[arg(long, value_name = "HEX", value_parser = hex::<24>)]
    nonce: Zeroizing<[u8; 24]>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Mode {
    /// Plaintext in, box-stream out
    Seal,
    /// Box-stream in, plaintext out
    Open,
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    match args.mode {
        Mode::Seal => seal(
            Encryptor::new(*args.key, *args.nonce),
            &mut stdin.lock(),
            &mut stdout.lock(),
        ),
        Mode::Open => open(
            Decryptor::new(*args.key, *args.nonce),
            &mut stdin.lock(),
            &mut stdout.lock(),
        ),
    }
}

fn io(e: std::io::Error) -> CliError {
    CliError::input(format!("boxstream: {e}"))
}

fn seal(
    mut enc: Encryptor,
    input: &mut impl Read,
    output: &mut impl Write,
) -> Result<ExitCode, CliError> {
    let mut plain = vec![0u8; MAX_BODY_LEN];
    let mut frame = vec![0u8; MAX_FRAME_LEN];
    loop {
        // Fill a whole body unless the input ends.
        let mut filled = 0;
        while filled < plain.len() {
            match input.read(&mut plain[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io(e)),
            }
        }
        let n = enc
            .seal(&plain[..filled], &mut frame)
            .map_err(|e| CliError::input(e.to_string()))?;
        output.write_all(&frame[..n]).map_err(io)?;
        if filled < plain.len() {
            break;
        }
    }
    let n = enc
        .seal_goodbye(&mut frame[..GOODBYE_LEN])
        .map_err(|e| CliError::input(e.to_string()))?;
    output.write_all(&frame[..n]).map_err(io)?;
    output.flush().map_err(io)?;
    Ok(ExitCode::SUCCESS)
}

fn open(
    mut dec: Decryptor,
    input: &mut impl Read,
    output: &mut impl Write,
) -> Result<ExitCode, CliError> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match input.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        };
        if n == 0 {
            output.flush().map_err(io)?;
            return match dec.finish() {
                Ok(()) => Ok(ExitCode::SUCCESS),
                Err(e) => bad(e),
            };
        }
        let mut piece = &buf[..n];
        while !piece.is_empty() {
            let opened = match dec.open(piece) {
                Ok(o) => o,
                Err(e) => {
                    output.flush().map_err(io)?;
                    return bad(e);
                }
            };
            piece = &piece[opened.consumed..];
            match opened.progress {
                Progress::Frame(Frame::Data(body)) => output.write_all(body).map_err(io)?,
                Progress::Frame(Frame::Goodbye) | Progress::Ended => {
                    output.flush().map_err(io)?;
                    return Ok(ExitCode::SUCCESS);
                }
                Progress::NeedMore(_) => {}
            }
        }
    }
}

fn bad(e: ssb_boxstream::OpenError) -> Result<ExitCode, CliError> {
    eprintln!("ssb boxstream open: {e} [{}]", e.code());
    Ok(ExitCode::from(1))
}
