//! `ssb call`, `ssb serve` and `ssb conformance --peer` on the hand-written argument reader.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::args::{Args, CliError};
use crate::{call, net, peer_conformance, serve};

fn secret(args: &mut Args) -> Result<PathBuf, CliError> {
    match args.option("secret")? {
        Some(p) => Ok(PathBuf::from(p)),
        None => net::default_secret_path().map_err(CliError::input),
    }
}

/// `ssb call ADDRESS METHOD [ARGS_JSON] [--source] [--verify] [--secret FILE] [--caps B64]
/// [--timeout SECONDS]`.
pub(crate) fn call(mut args: Args) -> Result<ExitCode, CliError> {
    let source = args.switch("source");
    let verify = args.switch("verify");
    let secret = secret(&mut args)?;
    let caps = args.option("caps")?;
    let timeout = match args.option("timeout")? {
        None => call::DEFAULT_TIMEOUT,
        Some(t) => Duration::from_secs_f64(
            t.parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e9)
                .ok_or_else(|| {
                    CliError::usage(format!("--timeout {t}: not a number of seconds"))
                })?,
        ),
    };
    let mut pos = args.positionals()?.into_iter();
    let (Some(address), Some(method)) = (pos.next(), pos.next()) else {
        return Err(CliError::usage("call needs ADDRESS and METHOD"));
    };
    let json = pos.next();
    if let Some(extra) = pos.next() {
        return Err(CliError::usage(format!("unexpected argument `{extra}`")));
    }
    Ok(call::run(&call::CallOptions {
        address,
        method,
        args: json,
        source,
        verify,
        secret,
        caps,
        timeout,
    }))
}

/// `ssb serve --listen HOST:PORT [--secret FILE] [--caps B64] [--feed FILE]...`.
pub(crate) fn serve(mut args: Args) -> Result<ExitCode, CliError> {
    let listen = args
        .option("listen")?
        .ok_or_else(|| CliError::usage("serve needs --listen HOST:PORT"))?;
    let secret = secret(&mut args)?;
    let caps = args.option("caps")?;
    let mut feeds = Vec::new();
    while let Some(f) = args.option("feed")? {
        feeds.push(PathBuf::from(f));
    }
    args.finish()?;
    Ok(serve::run(&serve::ServeOptions {
        listen,
        secret,
        caps,
        feeds,
    }))
}

/// `ssb conformance`: `--peer ADDRESS` runs the live suite, otherwise the vectors.
pub(crate) fn conformance(mut args: Args) -> Result<ExitCode, CliError> {
    let Some(address) = args.option("peer")? else {
        return crate::conformance::run(args);
    };
    let feed = args.option("feed")?;
    let secret = secret(&mut args)?;
    let caps = args.option("caps")?;
    args.finish()?;
    Ok(peer_conformance::run(&peer_conformance::PeerOptions {
        address,
        feed,
        secret,
        caps,
    }))
}
