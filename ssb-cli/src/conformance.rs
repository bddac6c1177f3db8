//! `ssb conformance [--vectors DIR]`, and `ssb conformance --peer ADDRESS [--feed @ID]
//! [--secret FILE] [--caps B64]` (the live suite, `peer_conformance.rs`).

use std::path::PathBuf;
use std::process::ExitCode;

use ssb_crypto::{FeedId, NetShs, NetworkKey};

use crate::error::CliError;

/// Run the test vectors through the Rust stack, or check a live SSB server
///
/// Replays every vector file in DIR (by default the committed `test-vectors/vectors`),
/// prints one table row per layer and the failures, and exits 1 if any case failed.
/// Another implementation's vectors in the same format can be checked with --vectors.
///
/// With --peer ADDRESS, checks a live server instead, one line per check: handshake,
/// manifest, whoami, unknown methods' errors, createHistoryStream on --feed (the whole
/// feed valid and in order, keys: false, seq and sequence inclusive, limit, an unknown
/// feed), stream ends from both sides, the goodbye, and that a wrong network key, a wrong
/// server key and a garbage hello are refused in silence. Exit 0 when every check passed, 1
/// when one failed, 2 when the handshake itself failed. The server must let --secret call
/// whoami (a JS server: its master).
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Directory of vector files
    #[arg(long, value_name = "DIR", conflicts_with = "peer")]
    vectors: Option<PathBuf>,
    /// Check the live SSB server at this multiserver address (net:HOST:PORT~shs:KEY)
    #[arg(long, value_name = "ADDRESS", value_parser = crate::values::multiserver_address)]
    peer: Option<NetShs>,
    /// With --peer: the feed to check createHistoryStream with [default: the server's own]
    #[arg(long, value_name = "@ID", requires = "peer", value_parser = crate::values::feed_id)]
    feed: Option<FeedId>,
    /// With --peer: our secret file [default: ~/.ssb/secret]
    #[arg(long, value_name = "FILE", requires = "peer")]
    secret: Option<PathBuf>,
    /// With --peer: the network key (caps.shs), base64 or 64 hex digits [default: the main
    /// network]
    #[arg(long, value_name = "B64", requires = "peer", value_parser = crate::values::network_key)]
    caps: Option<NetworkKey>,
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    if let Some(address) = args.peer {
        let path = crate::secret::path(args.secret.as_deref())?;
        let keys = crate::secret::load(&path)?;
        return Ok(crate::peer_conformance::run(
            &crate::peer_conformance::PeerOptions {
                address,
                feed: args.feed,
                keys,
                net: args.caps.unwrap_or(NetworkKey::MAIN_NET),
            },
        ));
    }
    let dir = args
        .vectors
        .unwrap_or_else(ssb_test_vectors::default_vectors_dir);
    let report = ssb_test_vectors::run_dir(&dir).map_err(|e| CliError::input(e.to_string()))?;
    print!("{}", report.render_table());
    if report.all_passed() {
        println!(
            "all {} cases passed ({})",
            report.total_run(),
            dir.display()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "{} of {} cases failed ({})",
            report.total_failed(),
            report.total_run(),
            dir.display()
        );
        Ok(ExitCode::from(1))
    }
}
