//! `ssb shs1 server|client`: the stdin/stdout protocol of `shs1-test` (docs/PROTOCOL.md §2.9), driving
//! ssb-handshake with a blocking loop.
//!
//! ```text
//! ssb shs1 server K_HEX SERVER_SK_HEX SERVER_PK_HEX [--ephemeral-secret HEX]
//! ssb shs1 client K_HEX SERVER_PK_HEX [--ephemeral-secret HEX] [--keypair-seed HEX]
//! ```
//!
//! The handshake messages go to stdout as they are produced, then the 112-byte outcome
//! (`send key || send nonce || recv key || recv nonce`), and the command exits 0. On a message
//! that fails a check it writes nothing more, says why on stderr and exits 1. The server
//! authorizes every client.

use std::io::{Read, Write};
use std::process::ExitCode;

use ssb_crypto::{CurveSecretKey, Keypair, NetworkKey, PublicKey};
use ssb_handshake::{Event, Handshake, MAX_MESSAGE_LEN};
use zeroize::Zeroizing;

use crate::args::{Args, CliError};

fn hex_arg<const N: usize>(name: &str, text: &str) -> Result<Zeroizing<[u8; N]>, CliError> {
    ssb_crypto::hex::decode_array::<N>(text)
        .map(Zeroizing::new)
        .map_err(|e| CliError::usage(format!("{name}: {e}")))
}

fn ephemeral(args: &mut Args) -> Result<CurveSecretKey, CliError> {
    Ok(match args.option("ephemeral-secret")? {
        Some(h) => CurveSecretKey::from_bytes(*hex_arg::<32>("--ephemeral-secret", &h)?),
        None => CurveSecretKey::generate(&mut rand_core::OsRng),
    })
}

pub(crate) fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let role = args
        .next_positional()
        .ok_or_else(|| CliError::usage("shs1: expected `server` or `client`"))?;
    let eph = ephemeral(&mut args)?;
    let hs = match role.as_str() {
        "server" => {
            let pos = args.positionals()?;
            let [k, sk, pk] = pos.as_slice() else {
                return Err(CliError::usage(
                    "shs1 server: expected K_HEX SERVER_SK_HEX SERVER_PK_HEX",
                ));
            };
            let net = NetworkKey(*hex_arg::<32>("K_HEX", k)?);
            let keypair = Keypair::from_libsodium_secret(&*hex_arg::<64>("SERVER_SK_HEX", sk)?)
                .map_err(|e| CliError::usage(format!("SERVER_SK_HEX: {e}")))?;
            if keypair.public() != PublicKey(*hex_arg::<32>("SERVER_PK_HEX", pk)?) {
                return Err(CliError::usage(
                    "SERVER_PK_HEX is not the key of SERVER_SK_HEX",
                ));
            }
            Handshake::server(net, &keypair, eph)
        }
        "client" => {
            let seed = args.option("keypair-seed")?;
            let pos = args.positionals()?;
            let [k, pk] = pos.as_slice() else {
                return Err(CliError::usage("shs1 client: expected K_HEX SERVER_PK_HEX"));
            };
            let net = NetworkKey(*hex_arg::<32>("K_HEX", k)?);
            let server_pk = PublicKey(*hex_arg::<32>("SERVER_PK_HEX", pk)?);
            let keypair = match seed {
                Some(h) => Keypair::from_seed(&*hex_arg::<32>("--keypair-seed", &h)?),
                None => Keypair::generate(&mut rand_core::OsRng),
            };
            Handshake::client(net, &keypair, server_pk, eph)
        }
        other => {
            return Err(CliError::usage(format!(
                "shs1: expected `server` or `client`, got `{other}`"
            )));
        }
    };
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    drive(hs, &mut stdin.lock(), &mut stdout.lock())
}

/// The blocking run loop: drain transmits, accept on authentication, read exactly what the
/// machine needs, until complete or failed.
fn drive(
    mut hs: Handshake,
    input: &mut impl Read,
    output: &mut impl Write,
) -> Result<ExitCode, CliError> {
    let io = |e: std::io::Error| CliError::input(format!("shs1: {e}"));
    let mut buf = [0u8; MAX_MESSAGE_LEN];
    loop {
        let sent = hs.poll_transmit(&mut buf);
        match sent {
            Ok(Some(n)) => {
                output.write_all(&buf[..n]).map_err(io)?;
                output.flush().map_err(io)?;
                continue;
            }
            Ok(None) => {}
            Err(e) => return failed(&e),
        }
        if let Some(Event::ClientAuthenticated(_)) = hs.poll_event() {
            if let Err(e) = hs.accept() {
                return failed(&e);
            }
            continue;
        }
        if hs.is_complete() {
            let outcome = match hs.into_outcome() {
                Ok(o) => o,
                Err(e) => return failed(&e),
            };
            output
                .write_all(outcome.to_shs1_test_bytes().as_ref())
                .map_err(io)?;
            output.flush().map_err(io)?;
            return Ok(ExitCode::SUCCESS);
        }
        let want = hs.bytes_needed().min(buf.len());
        let n = match input.read(&mut buf[..want]) {
            Ok(0) => {
                eprintln!("ssb shs1: the peer hung up during the handshake");
                return Ok(ExitCode::from(1));
            }
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        };
        if let Err(e) = hs.handle_input(&buf[..n]) {
            return failed(&e);
        }
    }
}

fn failed(e: &ssb_handshake::HandshakeError) -> Result<ExitCode, CliError> {
    eprintln!("ssb shs1: handshake failed: {e} [{}]", e.code());
    Ok(ExitCode::from(1))
}
