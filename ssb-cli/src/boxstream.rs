//! `ssb boxstream seal|open --key HEX --nonce HEX`: box-stream framing from stdin to stdout.
//!
//! `seal` cuts stdin into frames of at most 4096 bytes (full frames whatever the pipe's
//! chunking, so the output is deterministic) and ends with a goodbye. `open` writes the
//! plaintext and exits 1 with a message on a bad MAC, an oversized body or a missing goodbye
//! (possible truncation); bytes after the goodbye are not read.

use std::io::{Read, Write};
use std::process::ExitCode;

use ssb_boxstream::{Decryptor, Encryptor, Frame, GOODBYE_LEN, MAX_BODY_LEN, MAX_FRAME_LEN};

use crate::args::{Args, CliError};

pub(crate) fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let mode = args
        .next_positional()
        .ok_or_else(|| CliError::usage("boxstream: expected `seal` or `open`"))?;
    let key = args
        .option("key")?
        .ok_or_else(|| CliError::usage("boxstream: --key HEX is required"))?;
    let nonce = args
        .option("nonce")?
        .ok_or_else(|| CliError::usage("boxstream: --nonce HEX is required"))?;
    args.finish()?;
    let key = zeroize::Zeroizing::new(
        ssb_crypto::hex::decode_array::<32>(&key)
            .map_err(|e| CliError::usage(format!("--key: {e}")))?,
    );
    let nonce = ssb_crypto::hex::decode_array::<24>(&nonce)
        .map_err(|e| CliError::usage(format!("--nonce: {e}")))?;
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    match mode.as_str() {
        "seal" => seal(
            Encryptor::new(*key, nonce),
            &mut stdin.lock(),
            &mut stdout.lock(),
        ),
        "open" => open(
            Decryptor::new(*key, nonce),
            &mut stdin.lock(),
            &mut stdout.lock(),
        ),
        other => Err(CliError::usage(format!(
            "boxstream: expected `seal` or `open`, got `{other}`"
        ))),
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
            match opened.frame {
                Some(Frame::Data(body)) => output.write_all(body).map_err(io)?,
                Some(Frame::Goodbye) => {
                    output.flush().map_err(io)?;
                    return Ok(ExitCode::SUCCESS);
                }
                None => {}
            }
        }
    }
}

fn bad(e: ssb_boxstream::OpenError) -> Result<ExitCode, CliError> {
    eprintln!("ssb boxstream open: {e} [{}]", e.code());
    Ok(ExitCode::from(1))
}
