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

use crate::error::CliError;
use crate::values::hex;

/// One secret handshake over stdin/stdout (the shs1-test protocol)
///
/// Writes the handshake messages to stdout as they are produced, then the 112-byte outcome
/// (send key, send nonce, receive key, receive nonce) and exits 0. On a message that fails
/// a check it writes nothing more, says why on stderr and exits 1. The server authorizes
/// every client.
#[derive(clap::Args)]
#[command(subcommand_required = true, arg_required_else_help = true)]
pub(crate) struct Args {
    #[command(subcommand)]
    role: Role,
}

#[derive(clap::Subcommand)]
enum Role {
    Server(ServerArgs),
    Client(ClientArgs),
}

/// Answer one handshake as the server
#[derive(clap::Args)]
struct ServerArgs {
    /// The 32-byte network key
    #[arg(value_name = "K_HEX", value_parser = hex::<32>)]
    net_key: Zeroizing<[u8; 32]>,
    /// The server's 64-byte libsodium secret key (seed then public key)
    #[arg(value_name = "SERVER_SK_HEX", value_parser = hex::<64>)]
    server_sk: Zeroizing<[u8; 64]>,
    /// The server's 32-byte public key
    #[arg(value_name = "SERVER_PK_HEX", value_parser = hex::<32>)]
    server_pk: Zeroizing<[u8; 32]>,
    /// The server's 32-byte ephemeral X25519 secret [default: from the OS RNG]
    #[arg(long, value_name = "HEX", value_parser = hex::<32>)]
    ephemeral_secret: Option<Zeroizing<[u8; 32]>>,
}

/// Start one handshake as the client
#[derive(clap::Args)]
struct ClientArgs {
    /// The 32-byte network key
    #[arg(value_name = "K_HEX", value_parser = hex::<32>)]
    net_key: Zeroizing<[u8; 32]>,
    /// The server's 32-byte public key
    #[arg(value_name = "SERVER_PK_HEX", value_parser = hex::<32>)]
    server_pk: Zeroizing<[u8; 32]>,
    /// The client's 32-byte ephemeral X25519 secret [default: from the OS RNG]
    #[arg(long, value_name = "HEX", value_parser = hex::<32>)]
    ephemeral_secret: Option<Zeroizing<[u8; 32]>>,
    /// The client's 32-byte ed25519 seed [default: a new key pair from the OS RNG]
    #[arg(long, value_name = "HEX", value_parser = hex::<32>)]
    keypair_seed: Option<Zeroizing<[u8; 32]>>,
}

fn ephemeral(secret: Option<Zeroizing<[u8; 32]>>) -> CurveSecretKey {
    match secret {
        Some(s) => CurveSecretKey::from_bytes(*s),
        None => CurveSecretKey::generate(&mut rand_core::OsRng),
    }
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    let hs = match args.role {
        Role::Server(a) => {
            let keypair = Keypair::from_libsodium_secret(&a.server_sk)
                .map_err(|e| CliError::usage(format!("SERVER_SK_HEX: {e}")))?;
            if keypair.public() != PublicKey(*a.server_pk) {
                return Err(CliError::usage(
                    "SERVER_PK_HEX is not the key of SERVER_SK_HEX",
                ));
            }
            Handshake::server(
                NetworkKey(*a.net_key),
                &keypair,
                ephemeral(a.ephemeral_secret),
            )
        }
        Role::Client(a) => {
            let keypair = match a.keypair_seed {
                Some(seed) => Keypair::from_seed(&seed),
                None => Keypair::generate(&mut rand_core::OsRng),
            };
            Handshake::client(
                NetworkKey(*a.net_key),
                &keypair,
                PublicKey(*a.server_pk),
                ephemeral(a.ephemeral_secret),
            )
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
