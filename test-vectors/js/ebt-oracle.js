'use strict'
// The EBT oracle: replays one node's event log through the JS reference and records, after
// every event, what that node emitted and a canonical dump of its replication state.
//
//   node ebt-oracle.js [--diff] [LOG.json]        (the log on stdin when no file is given)
//
// prints one JSON line per event (keys sorted), with the whole state dump, or with --diff
// only its changes since the previous event (the form the vector files use). As a module:
// run(log, {diff}) returns the steps.
//
// The state machine is epidemic-broadcast-trees 9.0.4's events.js with its v3 note encoding,
// driven with explicit time (every event that needs a clock carries `ts`, in ms). Around it,
// each event applies exactly the adaptations the real JS stack applies before and after
// calling the state function, so that a log means what it would mean inside a running
// ssb-ebt 9.1.2 peer:
//
//   epidemic-broadcast-trees index.js   request / block / onAppend / _retrive / update()
//   epidemic-broadcast-trees stream.js  connect, the clock arriving, write (message or notes?),
//                                       end, resume (what gets written, in which order)
//   ssb-ebt index.js + formats/classic  isFeed filtering (request, block, the vector clock,
//                                       stored peer clocks), isMsg, unblock only if blocked
//
// No I/O, clock or randomness happens here: everything asynchronous in JS (loading a stored
// clock, reading a message from the database, validating and appending a received message,
// the transport becoming writable) is an event of the log, so the host decides its timing.
// The log format and every output field are documented in docs/EBT-NOTES.md (§ Event log).
const fs = require('fs')
const Events = require('epidemic-broadcast-trees/events')
const v3 = require('epidemic-broadcast-trees/v3')
const progress = require('epidemic-broadcast-trees/progress')
const classic = require('ssb-ebt/formats/classic')

const reference = {
  'epidemic-broadcast-trees': require('epidemic-broadcast-trees/package.json').version,
  'ssb-ebt': require('ssb-ebt/package.json').version,
  'ssb-classic': require('ssb-classic/package.json').version,
  'ssb-ref': require('ssb-ref/package.json').version
}

// epidemic-broadcast-trees index.js's default (opts.timeout || 3000); ssb-ebt passes none.
const DEFAULT_TIMEOUT = 3000

// Values JSON cannot carry, as they appear in the JS state: tagged so that they differ from
// every JSON value (a missing key is simply absent).
function tag (v) {
  if (v === undefined) return { $js: 'undefined' }
  if (typeof v === 'number' && !Number.isFinite(v)) return { $js: String(v) }
  return null
}

// A canonical copy: object keys sorted, non-JSON values tagged.
function canonical (v) {
  const t = tag(v)
  if (t) return t
  if (v === null || typeof v !== 'object') return v
  if (Array.isArray(v)) return v.map(canonical)
  const out = {}
  for (const k of Object.keys(v).sort()) out[k] = canonical(v[k])
  return out
}

// A message as it appears in a state dump: its author and sequence (what events.js reads).
const msgRef = (m) => canonical({ author: classic.getMsgAuthor(m), sequence: classic.getMsgSequence(m) })

// The replication state as events.js keeps it, field for field, with two simplifications:
// a peer's `blocked` (set from a lookup that gives undefined for "no") as a boolean, since
// only its truth is ever read (stream.js canSend / resume), and without `recvNotes`, a
// counter events.js writes (notes(), line 408) and nothing reads.
function dump (state) {
  const peers = {}
  for (const id of Object.keys(state.peers).sort()) {
    const p = state.peers[id]
    const o = {}
    for (const k of Object.keys(p).sort()) {
      if (k === 'msgs') o.msgs = p.msgs.map(msgRef)
      else if (k === 'blocked') o.blocked = !!p.blocked
      else if (k !== 'recvNotes') o[k] = canonical(p[k])
    }
    peers[id] = o
  }
  let prog
  try { prog = canonical(progress(state)) } catch (e) { prog = { error: errorClass(e) } }
  return {
    blocks: canonical(state.blocks),
    clock: canonical(state.clock),
    follows: canonical(state.follows),
    peers,
    progress: prog,
    receive: state.receive.map((ev) => ({ msg: msgRef(ev.value), peer: ev.id, ts: canonical(ev.ts) }))
  }
}

// The dump of a node before its first event (index.js: initialize, then clock = {}).
const INITIAL = { blocks: {}, clock: {}, follows: {}, peers: {}, progress: { current: 0, start: 0, target: 0 }, receive: [] }

const isTree = (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && !('$js' in v)

// The changes from dump `a` to dump `b`, as a list of [path] (delete that key) and
// [path, value] (set it), paths being lists of object keys, in sorted key order; arrays and
// tagged values are replaced whole. Applying them to `a` in order gives `b`.
function diff (a, b, at = [], out = []) {
  const keys = new Set(Object.keys(a).concat(Object.keys(b)))
  for (const k of [...keys].sort()) {
    const p = at.concat(k)
    if (!(k in b)) out.push([p])
    else if (!(k in a)) out.push([p, b[k]])
    else if (isTree(a[k]) && isTree(b[k])) diff(a[k], b[k], p, out)
    else if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) out.push([p, b[k]])
  }
  return out
}

function patch (dumpValue, changes) {
  const d = JSON.parse(JSON.stringify(dumpValue))
  for (const [p, ...v] of changes) {
    let o = d
    for (const k of p.slice(0, -1)) o = o[k]
    if (v.length) o[p[p.length - 1]] = v[0]
    else delete o[p[p.length - 1]]
  }
  return d
}

// Error classes for what the state functions throw (their own messages, and a TypeError where
// a value of the wrong type is dereferenced). Anything else is a bug in the log or here.
function errorClass (e) {
  const m = String(e && e.message)
  if (/^already connected to peer:/.test(m)) return 'already_connected'
  if (/^lost state of peer:|^lost peer state:|^peerClock called for:/.test(m)) return 'not_connected'
  if (/^received notes, but has not set the peer's clock yet$/.test(m)) return 'clock_not_loaded'
  if (e instanceof TypeError) return 'type_error'
  throw e
}

function keepFeeds (clock) {
  // ssb-ebt index.js cleanClock: deletes every key that is not a feed id (in place).
  for (const k in clock) if (!classic.isFeed(k)) delete clock[k]
  return clock
}

function createNode (id, timeout) {
  const events = Events(v3) // a fresh copy, as index.js makes one per EBT instance
  const state = events.initialize(id, classic.getMsgAuthor, classic.getMsgSequence)
  state.timeout = timeout === undefined ? DEFAULT_TIMEOUT : timeout
  state.clock = {}
  const live = new Set() // peers with an open EBTStream (stream.js), i.e. not ended

  // stream.js end(): ends the stream; if the peer is still in the state, disconnects it and
  // hands its clock to setClock (which ssb-ebt cleans of non-feed keys and stores).
  function endStream (peer, out) {
    live.delete(peer)
    const p = state.peers[peer]
    if (!p) return
    events.disconnect(state, { id: peer })
    out.persist = { peer, clock: canonical(p.clock === null ? null : keepFeeds(p.clock)) }
  }

  const handlers = {
    // ssb-ebt getVectorClock callback: the feed-id entries of the db's clock become the state's.
    clock (ev, out) {
      const valid = {}
      for (const k in ev.clock) if (classic.isFeed(k)) valid[k] = ev.clock[k]
      state.clock = valid
    },
    // ssb-ebt request -> index.js request -> events.follow.
    follow (ev, out) {
      if (!classic.isFeed(ev.feed)) { out.ignored = true; return }
      events.follow(state, { id: ev.feed, value: ev.value !== false, ts: ev.ts })
    },
    // ssb-ebt block: both ids must be feeds; an unblock only if that block is recorded.
    block (ev, out) {
      if (!classic.isFeed(ev.from) || !classic.isFeed(ev.to)) { out.ignored = true; return }
      if (ev.value) events.block(state, { id: ev.from, target: ev.to, value: true, ts: ev.ts })
      else if (state.blocks[ev.from] && state.blocks[ev.from][ev.to]) {
        events.block(state, { id: ev.from, target: ev.to, value: false, ts: ev.ts })
      } else out.ignored = true
    },
    // index.js createStream: a stream already open to this peer is ended first
    // ('reconnected to peer'), then stream.js's constructor calls events.connect.
    connect (ev, out) {
      if (live.has(ev.peer)) { endStream(ev.peer, out); out.replaced = true }
      live.add(ev.peer)
      events.connect(state, { id: ev.peer, client: ev.client, ts: ev.ts })
    },
    // The stored clock arrives (index.js createStream's getClock callback, which ssb-ebt
    // cleans): applied only if the peer is (still) connected.
    peer_clock (ev, out) {
      if (!state.peers[ev.peer]) { out.ignored = true; return }
      events.peerClock(state, { id: ev.peer, value: keepFeeds(ev.clock), ts: ev.ts })
    },
    disconnect (ev, out) {
      if (!live.has(ev.peer)) { out.ignored = true; return }
      endStream(ev.peer, out)
    },
    // stream.js write: a message if ssb-ebt's classic isMsg says so, else notes.
    recv (ev, out) {
      if (!live.has(ev.peer)) { out.error = 'not_connected'; return }
      if (classic.isMsg(ev.data)) {
        out.kind = 'msg'
        events.receive(state, { id: ev.peer, value: ev.data, ts: ev.ts })
      } else {
        out.kind = 'notes'
        events.notes(state, { id: ev.peer, value: ev.data, ts: ev.ts })
      }
    },
    // The db appended a message (ssb-ebt's post/onMsgAdded hook -> index.js onAppend).
    append (ev, out) {
      if (!classic.isFeed(classic.getMsgAuthor(ev.msg))) { out.ignored = true; return }
      events.append(state, ev.msg)
    },
    // A getAt answered (index.js _retrive); a null msg is a failed read, which JS only logs.
    retrieved (ev, out) {
      if (!ev.msg) { out.ignored = true; return }
      events.retrive(state, ev.msg)
    },
    timeout (ev, out) {
      events.timeout(state, { ts: ev.ts })
    },
    // The first half of index.js update(): every peer's retrive queue becomes getAt reads.
    get (ev, out) {
      out.get = []
      for (const peer in state.peers) {
        const p = state.peers[peer]
        while (p.retrive.length) {
          const feed = p.retrive.shift()
          if (p.replicating[feed]) out.get.push({ peer, feed, seq: canonical(p.replicating[feed].sent + 1) })
        }
      }
    },
    // The second half of update(): one received message goes to validation and append.
    validate (ev, out) {
      const r = state.receive.shift()
      out.validate = r ? { peer: r.id, msg: canonical(r.value) } : null
    },
    // stream.js resume() with a writable sink: a blocked peer's stream ends; otherwise every
    // queued message, then the pending notes (if any, even {}), are written, in that order.
    send (ev, out) {
      out.sent = []
      if (!live.has(ev.peer)) { out.ignored = true; return }
      const p = state.peers[ev.peer]
      for (;;) {
        if (p.blocked) { out.ended = true; endStream(ev.peer, out); return }
        if (p.msgs.length) out.sent.push({ msg: canonical(p.msgs.shift()) })
        else if (p.notes) { out.sent.push({ notes: canonical(p.notes) }); p.notes = null } else return
      }
    }
  }

  function apply (ev) {
    const out = { t: ev.t }
    const h = Object.prototype.hasOwnProperty.call(handlers, ev.t) && handlers[ev.t]
    if (!h) throw new Error('unknown event type ' + JSON.stringify(ev.t))
    try { h(ev, out) } catch (e) { out.error = errorClass(e) }
    out.state = dump(state)
    return out
  }

  return { apply, state }
}

// Replays a log {id, timeout?, events: [...]}; returns one output per event. Each event is
// taken as a deep copy, so the log itself is never mutated by the state functions. With
// opts.diff, each output has `changes` (from the previous state dump; the first from
// INITIAL) instead of the whole `state`.
function run (log, opts = {}) {
  const node = createNode(log.id, log.timeout)
  let prev = INITIAL
  return log.events.map((ev) => {
    const out = node.apply(JSON.parse(JSON.stringify(ev)))
    if (opts.diff) {
      out.changes = diff(prev, out.state)
      prev = out.state
      delete out.state
    }
    return out
  })
}

// Stable JSON text: keys sorted at every level (the outputs are already canonical).
function stableStringify (v) { return JSON.stringify(canonical(v)) }

module.exports = { run, createNode, canonical, diff, patch, INITIAL, reference, DEFAULT_TIMEOUT, stableStringify }

if (require.main === module) {
  // A reader that stops early (`| head`) is not an error.
  process.stdout.on('error', (e) => { if (e.code === 'EPIPE') process.exit(0); throw e })
  const args = process.argv.slice(2)
  const useDiff = args[0] === '--diff'
  if (useDiff) args.shift()
  const text = args[0] ? fs.readFileSync(args[0], 'utf8') : fs.readFileSync(0, 'utf8')
  for (const step of run(JSON.parse(text), { diff: useDiff })) process.stdout.write(stableStringify(step) + '\n')
}
