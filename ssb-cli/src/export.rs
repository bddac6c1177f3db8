//! `ssb export --feed @ID [--store DIR] [--as-received]`: one stored feed as KVTs, in
//! sequence order, streamed from the store.
//!
//! By default JSON lines, one `{"key":…,"value":…,"timestamp":…}` per message (what
//! `createHistoryStream` sends and `ssb verify-feed` / `ssb import` read), each value as
//! JS's `JSON.stringify` writes it: the stored bytes themselves for every message that
//! arrived in that form (from a JS peer or a JS export); a value that arrived in another
//! spelling (indented, other number or escape spellings) is written in JS's form, which has
//! the same signing text and id. `--as-received` writes a JSON array of the same KVTs with
//! each value exactly as it was received (an array, because such a value may span lines).
//! A feed the store does not hold gives no KVTs (an empty array with `--as-received`).

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use ssb_crypto::FeedId;

use crate::error::CliError;
use crate::store::{FeedStore, kvt_head, kvt_tail};

/// Write a stored feed as KVTs (JSON lines), in sequence order
///
/// Streams the --feed's messages from the store as {"key","value","timestamp"} lines, the
/// form createHistoryStream sends and verify-feed and import read. Each value is written as
/// JS JSON.stringify writes it: the stored bytes themselves for every message that arrived
/// so (from JS peers and JS exports). --as-received writes a JSON array instead, each value
/// exactly as it was received. A feed the store does not hold gives nothing.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The feed to write, @….ed25519
    #[arg(long, value_name = "@ID", value_parser = crate::values::feed_id)]
    feed: FeedId,
    /// The store directory [default: ~/.ssb/ssb-rs]
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
    /// Write a JSON array of KVTs whose values are the bytes exactly as received
    #[arg(long)]
    as_received: bool,
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    let dir = crate::import::store_dir(args.store)?;
    let store = FeedStore::open_read(&dir).map_err(|e| CliError::input(e.to_string()))?;
    let latest = store
        .latest(&args.feed)
        .map_err(|e| CliError::input(e.to_string()))?
        .map_or(0, |s| u64::try_from(s.sequence).unwrap_or(0));
    let cursor = store
        .read_feed(&args.feed, 1, latest.saturating_add(1))
        .map_err(|e| CliError::input(e.to_string()))?;
    let mut out = BufWriter::new(io::stdout().lock());
    let mut first = true;
    if args.as_received {
        out.write_all(b"[").map_err(write_err)?;
    }
    for m in cursor {
        let m = m.map_err(|e| CliError::input(e.to_string()))?;
        if args.as_received {
            out.write_all(if first { b"\n" } else { b",\n" })
                .map_err(write_err)?;
            out.write_all(kvt_head(&m.id).as_bytes())
                .and_then(|()| out.write_all(&m.bytes))
                .and_then(|()| out.write_all(kvt_tail(m.received).as_bytes()))
                .map_err(write_err)?;
        } else {
            out.write_all(m.kvt_json().as_bytes()).map_err(write_err)?;
            out.write_all(b"\n").map_err(write_err)?;
        }
        first = false;
    }
    if args.as_received {
        out.write_all(if first { b"]\n" } else { b"\n]\n" })
            .map_err(write_err)?;
    }
    out.flush().map_err(write_err)?;
    Ok(ExitCode::SUCCESS)
}

fn write_err(e: io::Error) -> CliError {
    CliError::input(format!("cannot write output: {e}"))
}
