//! Engines replicating over in-memory links: convergence in meshes, chains and stars with
//! values delivered in a scrambled (but per-link ordered) schedule, reconnection with stored
//! clocks, a peer switched away from when it stalls, forks blocked, and the bounds
//! (backpressure, the validation queue) never losing a message.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::collections::{BTreeMap, VecDeque};

use ssb_crypto::{FeedId, PublicKey};
use ssb_replication::{
    Config, Engine, Incoming, NotReceiving, PeerClock, Receiving, Role, StoredClock, Transmit,
    classify,
};

fn id(i: u8) -> String {
    FeedId(PublicKey([i; 32])).to_string()
}

/// A message as JSON text; `fork` marks a second, conflicting message at a sequence.
fn msg(author: &str, seq: u64, fork: bool) -> String {
    format!(r#"{{"author":"{author}","sequence":{seq},"content":{{"type":"test","fork":{fork}}}}}"#)
}

struct Node {
    id: String,
    ebt: Engine<String>,
    /// Per author, the messages we hold (index = sequence - 1).
    db: BTreeMap<String, Vec<String>>,
    /// Clocks stored at the end of sessions, by peer.
    stored: BTreeMap<String, StoredClock>,
}

impl Node {
    fn new(i: u8, own: u64, config: Config) -> Self {
        let id = id(i);
        let mut ebt = Engine::new(&id, config);
        let mine: Vec<String> = (1..=own).map(|s| msg(&id, s, false)).collect();
        ebt.set_local_clock([(id.as_str(), own)].into_iter().filter(|(_, n)| *n > 0));
        let mut db = BTreeMap::new();
        db.insert(id.clone(), mine);
        Self {
            id,
            ebt,
            db,
            stored: BTreeMap::new(),
        }
    }

    /// A local message of our own feed.
    fn publish(&mut self) {
        let feed = self.db.entry(self.id.clone()).or_default();
        let m = msg(&self.id, feed.len() as u64 + 1, false);
        feed.push(m.clone());
        let seq = feed.len() as u64;
        assert_eq!(
            self.ebt.on_append(&self.id.clone(), seq, m),
            ssb_replication::Append::Applied
        );
    }

    fn seq_of(&self, author: &str) -> u64 {
        self.db.get(author).map_or(0, |v| v.len() as u64)
    }

    /// Reads and validations until none is left (writes are the network's business).
    fn work(&mut self) {
        loop {
            let mut busy = false;
            while let Some(r) = self.ebt.poll_read() {
                busy = true;
                let Some(seq) = r.sequence_u64() else {
                    continue;
                };
                let m = self
                    .db
                    .get(&*r.feed)
                    .and_then(|v| v.get(seq as usize - 1))
                    .cloned();
                if let Some(m) = m {
                    self.ebt.on_read(&r.feed, seq, m);
                }
            }
            if let Some(v) = self.ebt.poll_validate() {
                busy = true;
                // The rule of this test network: a message is valid unless it is a fork.
                if v.msg.contains("\"fork\":true") {
                    self.ebt.on_invalid(&v.peer, &v.author);
                } else if v.sequence == self.seq_of(&v.author) + 1 {
                    self.db
                        .entry(v.author.to_string())
                        .or_default()
                        .push(v.msg.clone());
                    self.ebt.on_append(&v.author, v.sequence, v.msg);
                }
            }
            if !busy {
                return;
            }
        }
    }
}

/// A network: nodes, and per directed link the values in flight (FIFO).
struct Net {
    nodes: Vec<Node>,
    wires: BTreeMap<(usize, usize), VecDeque<String>>,
    now: u64,
    rng: u64,
}

impl Net {
    fn new(nodes: Vec<Node>) -> Self {
        Self {
            nodes,
            wires: BTreeMap::new(),
            now: 1_700_000_000_000,
            rng: 0x9e37_79b9_7f4a_7c15,
        }
    }

    fn rand(&mut self, n: usize) -> usize {
        // xorshift64*: a fixed sequence, so every run schedules the same way.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        (self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n.max(1)
    }

    fn node(&self, i: usize) -> &Node {
        &self.nodes[i]
    }

    /// `a` dials `b`.
    fn connect(&mut self, a: usize, b: usize) {
        let (ida, idb) = (self.nodes[a].id.clone(), self.nodes[b].id.clone());
        for (me, peer, role) in [(a, &idb, Role::Client), (b, &ida, Role::Server)] {
            let node = &mut self.nodes[me];
            if let Some(old) = node.ebt.connect(peer, role) {
                node.stored.insert(peer.clone(), old);
            }
            let clock = node
                .stored
                .get(peer)
                .and_then(|s| s.clock.clone())
                .unwrap_or_default();
            node.ebt.load_peer_clock(peer, &clock).unwrap();
        }
        self.wires.insert((a, b), VecDeque::new());
        self.wires.insert((b, a), VecDeque::new());
    }

    fn disconnect(&mut self, a: usize, b: usize) {
        let (ida, idb) = (self.nodes[a].id.clone(), self.nodes[b].id.clone());
        for (me, peer) in [(a, idb), (b, ida)] {
            if let Some(s) = self.nodes[me].ebt.disconnect(&peer) {
                self.nodes[me].stored.insert(peer, s);
            }
        }
        self.wires.remove(&(a, b));
        self.wires.remove(&(b, a));
    }

    /// Everything each node has to read, validate and write, onto the wires.
    fn flush(&mut self) -> (usize, usize) {
        let (mut notes, mut msgs) = (0, 0);
        let links: Vec<(usize, usize)> = self.wires.keys().copied().collect();
        for (from, to) in links {
            self.nodes[from].work();
            let peer = self.nodes[to].id.clone();
            while let Some(t) = self.nodes[from].ebt.poll_transmit(&peer) {
                let text = match t {
                    Transmit::Message(m) => {
                        msgs += 1;
                        m
                    }
                    Transmit::Notes(n) => {
                        notes += 1;
                        n.to_json_string()
                    }
                    Transmit::End(s) => {
                        self.nodes[from].stored.insert(peer.clone(), s);
                        break;
                    }
                };
                if let Some(w) = self.wires.get_mut(&(from, to)) {
                    w.push_back(text);
                }
            }
        }
        (notes, msgs)
    }

    /// Delivers one value on a random non-empty link; false when every wire is empty.
    fn deliver_one(&mut self) -> bool {
        let busy: Vec<(usize, usize)> = self
            .wires
            .iter()
            .filter(|(_, w)| !w.is_empty())
            .map(|(k, _)| *k)
            .collect();
        if busy.is_empty() {
            return false;
        }
        let (from, to) = busy[self.rand(busy.len())];
        let text = self
            .wires
            .get_mut(&(from, to))
            .unwrap()
            .pop_front()
            .unwrap();
        self.now += 1 + self.rand(40) as u64;
        let now = self.now;
        let peer = self.nodes[from].id.clone();
        let node = &mut self.nodes[to];
        if !node.ebt.is_connected(&peer) {
            return true;
        }
        let value = ssb_replication::ssb_legacy_json::parse(text.as_bytes()).unwrap();
        match classify(&value).unwrap() {
            Incoming::Message { author, sequence } => {
                node.ebt
                    .handle_message(&peer, author, sequence, text.clone(), now)
                    .unwrap();
            }
            Incoming::Notes(n) => node.ebt.handle_notes(&peer, &n, now).unwrap(),
            other => panic!("unexpected {other:?}"),
        }
        true
    }

    /// Runs until nothing moves; returns the notes and messages written.
    fn settle(&mut self) -> (usize, usize) {
        let (mut notes, mut msgs) = (0, 0);
        loop {
            let (n, m) = self.flush();
            notes += n;
            msgs += m;
            if !self.deliver_one() {
                let (n, m) = self.flush();
                notes += n;
                msgs += m;
                if n == 0 && m == 0 && self.wires.values().all(VecDeque::is_empty) {
                    return (notes, msgs);
                }
            }
        }
    }

    fn everyone_follows_everyone(&mut self) {
        let ids: Vec<String> = self.nodes.iter().map(|n| n.id.clone()).collect();
        for n in &mut self.nodes {
            for i in &ids {
                assert!(n.ebt.follow(i, true));
            }
        }
    }

    /// Every node holds the same messages of every feed (feeds without messages aside).
    fn assert_converged(&self) {
        let held = |n: &Node| -> BTreeMap<String, Vec<String>> {
            n.db.iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        let first = held(&self.nodes[0]);
        for n in &self.nodes[1..] {
            let other = held(n);
            for (k, v) in &first {
                let got = other.get(k).map_or(0, Vec::len);
                assert_eq!(
                    got,
                    v.len(),
                    "{} has {got} of {k}, node 0 {}",
                    n.id,
                    v.len()
                );
            }
            assert!(other == first, "{} holds other messages than node 0", n.id);
        }
    }
}

#[test]
fn two_nodes_exchange_their_feeds_with_six_notes() {
    // The package's test/two.js: two peers of 5 messages each.
    let mut net = Net::new(vec![
        Node::new(1, 5, Config::default()),
        Node::new(2, 5, Config::default()),
    ]);
    net.everyone_follows_everyone();
    net.connect(0, 1);
    let (notes, msgs) = net.settle();
    net.assert_converged();
    assert_eq!(msgs, 10);
    assert!(notes <= 6, "{notes} notes");
}

#[test]
fn meshes_chains_and_stars_converge() {
    for (name, edges) in [
        ("chain", vec![(0, 1), (1, 2), (2, 3), (3, 4)]),
        ("star", vec![(0, 1), (0, 2), (0, 3), (0, 4)]),
        (
            "mesh",
            vec![
                (0, 1),
                (0, 2),
                (0, 3),
                (0, 4),
                (1, 2),
                (1, 3),
                (1, 4),
                (2, 3),
                (2, 4),
                (3, 4),
            ],
        ),
    ] {
        let nodes = (0..5).map(|i| Node::new(i + 1, u64::from(i) * 3 + 1, Config::default()));
        let mut net = Net::new(nodes.collect());
        net.everyone_follows_everyone();
        for (a, b) in edges {
            net.connect(a, b);
        }
        net.settle();
        // Then everyone publishes while the links are up: live forwarding.
        for round in 0..3 {
            for i in 0..5 {
                if (i + round) % 2 == 0 {
                    net.nodes[i].publish();
                }
            }
            net.settle();
        }
        net.assert_converged();
        for n in &net.nodes {
            assert_eq!(n.db.len(), 5, "{name}: {} has every feed", n.id);
        }
    }
}

/// The feeds whose notes node `me` has pending for node `peer`.
fn pending_notes(net: &Net, me: usize, peer: usize) -> Vec<String> {
    let snap = net.node(me).ebt.snapshot();
    let p = snap
        .peers
        .iter()
        .find(|p| *p.id == net.node(peer).id)
        .expect("connected");
    p.notes
        .iter()
        .flatten()
        .map(|(k, _)| k.to_string())
        .collect()
}

#[test]
fn a_reconnection_mentions_only_what_changed() {
    // Nodes 0 and 1 both get everything through node 2, then meet: their claims agree, no
    // message moves. After a disconnection in which only node 0's feed grows, the server
    // (node 1) starts the next session with `{}` and the client mentions just that feed.
    let mut net = Net::new(vec![
        Node::new(1, 20, Config::default()),
        Node::new(2, 20, Config::default()),
        Node::new(3, 20, Config::default()),
    ]);
    net.everyone_follows_everyone();
    net.connect(0, 2);
    net.connect(1, 2);
    net.settle();
    net.disconnect(0, 2);
    net.disconnect(1, 2);
    net.assert_converged();
    net.connect(0, 1);
    assert_eq!(
        pending_notes(&net, 1, 0).len(),
        3,
        "a first session mentions every feed"
    );
    let (_, msgs) = net.settle();
    assert_eq!(msgs, 0);
    net.disconnect(0, 1);
    net.nodes[0].publish();
    net.connect(0, 1);
    assert!(
        pending_notes(&net, 1, 0).is_empty(),
        "nothing changed for node 1"
    );
    net.flush();
    assert!(net.deliver_one(), "the server's `{{}}`");
    assert_eq!(pending_notes(&net, 0, 1), [net.node(0).id.clone()]);
    let (_, msgs) = net.settle();
    assert_eq!(msgs, 1);
    assert_eq!(net.node(1).seq_of(&net.node(0).id.clone()), 21);
    // Without the stored clock (lost state) every followed feed is mentioned again.
    net.disconnect(0, 1);
    net.nodes[1].stored.clear();
    net.connect(0, 1);
    assert_eq!(pending_notes(&net, 1, 0).len(), 3);
}

#[test]
fn a_stalled_source_is_switched_after_the_timeout() {
    // Node 0 receives feed F (node 3's) from node 1 first; node 1 then stops sending
    // (its link is cut, but the session stays). After the timeout the feed goes to node 2.
    let config = Config {
        timeout_ms: 1000,
        ..Config::default()
    };
    let mut net = Net::new(vec![
        Node::new(1, 0, config.clone()),
        Node::new(2, 10, config.clone()),
        Node::new(3, 10, config.clone()),
        Node::new(4, 10, config),
    ]);
    net.everyone_follows_everyone();
    let f = net.node(3).id.clone();
    // Nodes 1 and 2 get F from node 3 first.
    net.connect(3, 1);
    net.connect(3, 2);
    net.settle();
    net.disconnect(3, 1);
    net.disconnect(3, 2);
    assert_eq!(net.node(1).seq_of(&f), 10);
    assert_eq!(net.node(2).seq_of(&f), 10);
    net.connect(0, 1);
    net.connect(0, 2);
    // Deliver only the notes, not the messages: node 1 claims 10 of F but sends nothing.
    for _ in 0..200 {
        net.flush();
        for w in net.wires.values_mut() {
            w.retain(|t| !t.contains("\"content\""));
        }
        if !net.deliver_one() {
            break;
        }
    }
    let from = |net: &Net| -> Vec<(String, bool)> {
        let now = net.now;
        net.node(0)
            .ebt
            .feed_status(&f, now)
            .peers
            .into_iter()
            .map(|p| {
                (
                    p.peer.to_string(),
                    matches!(p.receiving, Receiving::Yes { .. }),
                )
            })
            .collect()
    };
    let before = from(&net);
    assert_eq!(before.iter().filter(|(_, r)| *r).count(), 1, "{before:?}");
    let source = before.iter().find(|(_, r)| *r).unwrap().0.clone();
    net.now += 5000;
    let now = net.now;
    match &net
        .node(0)
        .ebt
        .feed_status(&f, now)
        .peers
        .iter()
        .find(|p| *p.peer == source)
        .unwrap()
        .receiving
    {
        Receiving::Yes { stalled_since, .. } => assert!(stalled_since.is_some()),
        other => panic!("{other:?}"),
    }
    net.nodes[0].ebt.tick(now);
    let after = from(&net);
    let new_source = after.iter().find(|(_, r)| *r).unwrap().0.clone();
    assert_ne!(new_source, source, "switched away from the stalled peer");
    // The old source now says why: another peer sends it.
    let status = net.node(0).ebt.feed_status(&f, now);
    let old = status.peers.iter().find(|p| *p.peer == source).unwrap();
    assert_eq!(
        old.receiving,
        Receiving::No(NotReceiving::FromOtherPeer(new_source.as_str().into()))
    );
    net.settle();
    assert_eq!(net.node(0).seq_of(&f), 10);
}

#[test]
fn a_fork_is_blocked_from_that_peer() {
    // Node 1 holds a forked copy of node 2's feed (its message 3 conflicts).
    let mut net = Net::new(vec![
        Node::new(1, 0, Config::default()),
        Node::new(2, 0, Config::default()),
        Node::new(3, 5, Config::default()),
    ]);
    let f = net.node(2).id.clone();
    let forked: Vec<String> = (1..=5).map(|s| msg(&f, s, s >= 3)).collect();
    net.nodes[1].db.insert(f.clone(), forked);
    net.nodes[1].ebt.set_local_clock([(f.as_str(), 5)]);
    net.everyone_follows_everyone();
    net.connect(0, 1);
    net.settle();
    assert_eq!(net.node(0).seq_of(&f), 2, "took the valid prefix only");
    let status = net.node(0).ebt.feed_status(&f, net.now);
    assert_eq!(
        status.peers[0].receiving,
        Receiving::No(NotReceiving::AuthorBlocksPeer)
    );
    // The real feed still arrives from its author.
    net.connect(0, 2);
    net.settle();
    assert_eq!(net.node(0).seq_of(&f), 5);
    assert!(
        !net.node(0).db[&f]
            .iter()
            .any(|m| m.contains("\"fork\":true"))
    );
}

#[test]
fn backpressure_loses_nothing() {
    // A queue of two messages per peer and room for one validation: a feed of 300 messages
    // still arrives whole and in order (reads for the peer wait while its queue is full).
    let tight = Config {
        max_queued_messages: 2,
        max_pending_validations: 1,
        ..Config::default()
    };
    let mut net = Net::new(vec![
        Node::new(1, 300, tight.clone()),
        Node::new(2, 0, tight),
    ]);
    net.everyone_follows_everyone();
    net.connect(1, 0);
    net.settle();
    let author = net.node(0).id.clone();
    let peer = net.node(1).id.clone();
    assert_eq!(net.node(1).seq_of(&author), 300);
    // Live: five appends while nothing is written. Two are queued; the third finds the queue
    // full and is deferred (its read waits for room), the last two are behind `sent` and come
    // through the same chain of reads, as messages behind do in JS.
    for _ in 0..5 {
        net.nodes[0].publish();
        assert!(net.node(0).ebt.queued_messages(&peer) <= Some(2));
    }
    assert_eq!(net.node(0).ebt.stats().sends_deferred, 1);
    net.settle();
    net.assert_converged();
    assert_eq!(net.node(1).seq_of(&author), 305);
}

#[test]
fn the_validation_queue_bound_drops_and_counts() {
    let config = Config {
        max_pending_validations: 3,
        ..Config::default()
    };
    let us = id(1);
    let peer = id(2);
    let mut e: Engine<()> = Engine::new(&us, config);
    e.follow(&peer, true);
    e.connect(&peer, Role::Server);
    e.load_peer_clock(&peer, &PeerClock::new()).unwrap();
    let n = ssb_replication::Notes::parse(format!(r#"{{"{peer}":21}}"#).as_bytes()).unwrap();
    e.handle_notes(&peer, &n, 1).unwrap();
    let mut outcomes = Vec::new();
    for s in 1..=5 {
        outcomes.push(e.handle_message(&peer, &peer, s, (), 2).unwrap());
    }
    use ssb_replication::Received::{Dropped, Queued};
    assert_eq!(outcomes, [Queued, Queued, Queued, Dropped, Dropped]);
    assert!(e.validation_queue_full());
    assert_eq!(e.stats().messages_dropped, 2);
    assert_eq!(e.poll_validate().map(|v| v.sequence), Some(1));
    assert!(!e.validation_queue_full());
}
