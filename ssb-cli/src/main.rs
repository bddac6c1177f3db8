//! `ssb`: the command-line tool of this workspace, and the blocking `std` executor that drives
//! its Sans-IO crates.
//!
//! Exit status: 0 on success, 1 when a check found a failure (conformance, verification),
//! 2 for usage, input and I/O errors (always one line on stderr naming the problem).

use std::process::ExitCode;

mod args;
mod boxstream;
mod call;
mod conformance;
mod keys;
mod net;
mod net_dispatch;
mod peer_conformance;
mod private_box;
mod serve;
mod shs1;
mod verify_feed;

use args::{Args, CliError};

const USAGE: &str = "\
usage: ssb <command> [options]

commands:
  conformance [--vectors DIR]          run the test vectors through the Rust stack
  conformance --peer ADDRESS [--feed @ID] [--secret FILE] [--caps B64]
                                       live checks against any SSB server
  call ADDRESS METHOD [ARGS_JSON] [--source] [--verify] [--secret FILE] [--caps B64]
       [--timeout SECONDS]             one muxrpc call (ARGS_JSON: an array is the argument
                                       list, any other value the single argument)
  serve --listen HOST:PORT [--secret FILE] [--caps B64] [--feed FILE]...
                                       serve feeds over SHS + muxrpc until SIGTERM
  keygen [--seed HEX] [--secret FILE]  write a new secret file (never overwrites)
  id [--secret FILE]                   print the feed id of a secret file
  shs1 server K_HEX SERVER_SK_HEX SERVER_PK_HEX [--ephemeral-secret HEX]
  shs1 client K_HEX SERVER_PK_HEX [--ephemeral-secret HEX] [--keypair-seed HEX]
                                       one secret handshake over stdin/stdout (shs1-test)
  boxstream seal|open --key HEX --nonce HEX
                                       box-stream framing from stdin to stdout
  private-box seal --to @ID[,@ID...] [--max N]
                                       seal stdin to 1..7 (or N) recipients: <base64>.box
  private-box open [--secret FILE] [--max N]
                                       open a box from stdin (exit 1: not for this key)
  verify-feed [--hmac-key B64] [--json] [--partial] [--format auto|array|jsonl] [FILE|-]
                                       validate messages / KVTs exactly as JS ssb-validate
  help                                 this text

The default secret file is ~/.ssb/secret, as in JS.";

fn main() -> ExitCode {
    let mut args = Args::from_env();
    let result = match args.next_positional().as_deref() {
        Some("conformance") => net_dispatch::conformance(args),
        Some("call") => net_dispatch::call(args),
        Some("serve") => net_dispatch::serve(args),
        Some("keygen") => keys::keygen(args),
        Some("id") => keys::id(args),
        Some("shs1") => shs1::run(args),
        Some("boxstream") => boxstream::run(args),
        Some("private-box") => private_box::run(args),
        Some("verify-feed") => verify_feed::run(args),
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        Some(other) => Err(CliError::usage(format!("unknown command `{other}`"))),
        None => Err(CliError::usage("missing command")),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ssb: {e}");
            if e.is_usage() {
                eprintln!("{USAGE}");
            }
            ExitCode::from(2)
        }
    }
}
