//! The same Sans-IO `Connection` driven by tokio (a dev-dependency only: the crates take no
//! runtime's side). A server and a client on 127.0.0.1 in one process: the client calls
//! `whoami`, prints the answer and closes; both ends shut down cleanly.
//!
//! `cargo run -p ssb-connection --example tokio`

use std::error::Error;

use serde_json::json;
use ssb_connection::{Connection, Event};
use ssb_crypto::{Keypair, NetworkKey};
use ssb_muxrpc::{Body, CallType, Event as Rpc, RemoteError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The one run loop, for any transport: drain transmits, drain events (the application's
/// reactions may queue more to send), then read; until the connection is closed.
async fn drive(
    mut conn: Connection,
    mut sock: TcpStream,
    mut on_event: impl FnMut(&mut Connection, Event),
) -> Result<(), Box<dyn Error>> {
    let (mut out, mut inbuf) = (vec![0u8; 8192], vec![0u8; 8192]);
    let mut held = Vec::new(); // input the connection did not take yet (flow control)
    loop {
        loop {
            let n = conn.poll_transmit(&mut out)?;
            if n == 0 {
                break;
            }
            sock.write_all(&out[..n]).await?;
        }
        let mut reacted = false;
        while let Some(event) = conn.poll_event() {
            reacted = true;
            on_event(&mut conn, event);
        }
        if reacted {
            continue;
        }
        if conn.is_closed() {
            return Ok(());
        }
        if !held.is_empty() {
            let k = conn.handle_input(&held)?;
            held.drain(..k);
            if k > 0 {
                continue;
            }
        }
        let n = sock.read(&mut inbuf).await?;
        if n == 0 {
            conn.handle_eof()?;
            while let Some(event) = conn.poll_event() {
                on_event(&mut conn, event);
            }
            return Ok(());
        }
        let k = conn.handle_input(&inbuf[..n])?;
        held.extend_from_slice(&inbuf[k..n]);
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut rng = rand_core::OsRng;
    let server_keys = Keypair::generate(&mut rng);
    let client_keys = Keypair::generate(&mut rng);
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server_pk = server_keys.public();
    let server_id = server_keys.feed_id().to_string();

    let server = tokio::spawn(async move {
        let (sock, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let conn = Connection::server_with_rng(
            NetworkKey::MAIN_NET,
            &server_keys,
            &mut rand_core::OsRng,
            Default::default(),
        );
        drive(conn, sock, |conn, event| match event {
            Event::Authenticate(_) => conn.accept().expect("accept"),
            Event::Rpc(Rpc::Request { id, request }) => {
                let rpc = conn.endpoint().expect("open");
                let r = if request.name == ["whoami"] {
                    rpc.respond(id, Ok(Body::json(json!({ "id": server_id }))))
                } else {
                    rpc.reject(id, RemoteError::no_such_method(request.kind, &request.name))
                };
                r.expect("answer");
            }
            _ => {}
        })
        .await
        .map_err(|e| e.to_string())
    });

    let sock = TcpStream::connect(addr).await?;
    let conn = Connection::client_with_rng(
        NetworkKey::MAIN_NET,
        &client_keys,
        server_pk,
        &mut rng,
        Default::default(),
    );
    let mut asked = None;
    drive(conn, sock, |conn, event| match event {
        Event::Connected { peer } => {
            println!("connected to {}", ssb_crypto::FeedId::from(peer));
            let rpc = conn.endpoint().expect("open");
            asked = Some(
                rpc.call(CallType::Async, &["whoami"], vec![])
                    .expect("call"),
            );
        }
        Event::Rpc(Rpc::Response { id, result }) if Some(id) == asked => {
            println!("whoami: {:?}", result);
            conn.close();
        }
        Event::Closed => println!("closed cleanly"),
        _ => {}
    })
    .await?;
    server.await??;
    Ok(())
}
