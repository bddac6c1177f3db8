'use strict'
// Self-test of the JS peer harness: server.js and client.js against each other on
// 127.0.0.1, every step bounded in time. Prints "ok"/"FAIL" per check, then the texts JS
// returned (worth knowing on the Rust side) as one JSON object, then "N passed, N failed";
// exits 1 on any failure.
//
//   node peer/selftest.js
const fs = require('fs')
const os = require('os')
const path = require('path')
const assert = require('assert')
const { spawn, spawnSync } = require('child_process')
const ssbKeys = require('ssb-keys')
const validate = require('ssb-validate')
const { makeFeed, DEFAULT_SEED, DEFAULT_START } = require('./make-feed')

const TOTAL_SECONDS = 120 // the whole self-test
const READY_SECONDS = 30 // server start, feeds loaded
const CLIENT_SECONDS = 20 // one client run
const EXIT_SECONDS = 10 // server exit after stdin closes
const FEED_COUNT = 9

const SERVER_SEED = '02'.repeat(32)
const MASTER_SEED = '03'.repeat(32) // a client given master permissions with --master
const ANON_SEED = '04'.repeat(32) // a client with anonymous permissions
const OTHER_NET = 'ab'.repeat(32)

let passed = 0
let failed = 0
const recorded = {}
function check (name, fn) {
  try {
    fn()
    passed++
    console.log('ok - ' + name)
  } catch (e) {
    failed++
    console.log('FAIL - ' + name + ': ' + (e && e.message))
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssb-js-peer-selftest-'))
const feedFile = path.join(dir, 'feed.jsonl')
const feed = makeFeed(DEFAULT_SEED, FEED_COUNT, DEFAULT_START)
fs.writeFileSync(feedFile, feed.map((m) => JSON.stringify(m) + '\n').join(''))
const author = feed[0].author
const serverId = ssbKeys.generate('ed25519', Buffer.from(SERVER_SEED, 'hex')).id
const masterId = ssbKeys.generate('ed25519', Buffer.from(MASTER_SEED, 'hex')).id

let server = null
let serverErr = ''
function finish () {
  if (server && server.exitCode === null) server.kill('SIGKILL')
  fs.rmSync(dir, { recursive: true, force: true })
  console.log('recorded: ' + JSON.stringify(recorded, null, 2))
  console.log(passed + ' passed, ' + failed + ' failed')
  process.exit(failed ? 1 : 0)
}
setTimeout(() => {
  failed++
  console.log('FAIL - the self-test did not finish within ' + TOTAL_SECONDS + ' s')
  finish()
}, TOTAL_SECONDS * 1000).unref()

function client (address, args) {
  const r = spawnSync(process.execPath, [path.join(__dirname, 'client.js'), '--address', address,
    '--timeout-seconds', String(CLIENT_SECONDS)].concat(args), { encoding: 'utf8', timeout: (CLIENT_SECONDS + 5) * 1000 })
  const lines = (r.stdout || '').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l))
  return { status: r.status, lines, stderr: r.stderr }
}
// A successful call: exit 0 and no error line.
function ok (r) {
  assert.strictEqual(r.status, 0, 'client exit status ' + r.status + ': ' + JSON.stringify(r.lines) + ' ' + r.stderr)
  return r.lines
}
// A failed call: exit 1 and exactly one line, {"error":{name,message}}.
function err (r) {
  assert.strictEqual(r.status, 1, 'client exit status ' + r.status + ': ' + JSON.stringify(r.lines))
  assert.strictEqual(r.lines.length, 1, 'one error line, got ' + JSON.stringify(r.lines))
  const e = r.lines[0].error
  assert.ok(e && typeof e.name === 'string' && typeof e.message === 'string', 'error line ' + JSON.stringify(r.lines[0]))
  return e
}
const kvt = (m) => ({ key: validate.id(m), value: m })
// createHistoryStream with keys gives {key, value, timestamp} where timestamp is the
// server's receive time: compare key and value exactly, timestamp is a number.
function assertKvts (lines, msgs) {
  assert.strictEqual(lines.length, msgs.length, 'got ' + lines.length + ' items, want ' + msgs.length)
  lines.forEach((l, i) => {
    assert.deepStrictEqual(Object.keys(l), ['key', 'value', 'timestamp'])
    assert.deepStrictEqual({ key: l.key, value: l.value }, kvt(msgs[i]))
    assert.strictEqual(typeof l.timestamp, 'number')
  })
}

function startServer (cb) {
  server = spawn(process.execPath, [path.join(__dirname, 'server.js'), '--seed', SERVER_SEED, '--feed', feedFile,
    '--master', masterId, '--max-seconds', String(TOTAL_SECONDS)], { stdio: ['pipe', 'pipe', 'pipe'] })
  server.stderr.on('data', (d) => { serverErr += d })
  let out = ''
  const timer = setTimeout(() => cb(new Error('server not ready within ' + READY_SECONDS + ' s; stderr: ' + serverErr)), READY_SECONDS * 1000)
  server.stdout.on('data', (d) => {
    out += d
    const nl = out.indexOf('\n')
    if (nl < 0) return
    clearTimeout(timer)
    server.stdout.removeAllListeners('data')
    server.stdout.on('data', (d) => { out += d })
    let ready
    try { ready = JSON.parse(out.slice(0, nl)) } catch (e) { return cb(e) }
    cb(null, ready, () => out.slice(nl + 1))
  })
  server.on('exit', (code) => { clearTimeout(timer); if (!out.includes('\n')) cb(new Error('server exited ' + code + ': ' + serverErr)) })
}

startServer((e, ready, laterStdout) => {
  if (e) { failed++; console.log('FAIL - server start: ' + e.message); return finish() }
  const A = ready.address
  const H = (opts, seed) => ['--source', 'createHistoryStream', JSON.stringify([opts])].concat(seed ? ['--seed', seed] : [])

  check('ready line: exactly {address, id, port} for the given seed, on 127.0.0.1', () => {
    assert.deepStrictEqual(Object.keys(ready), ['address', 'id', 'port'])
    assert.strictEqual(ready.id, serverId)
    assert.strictEqual(ready.address, 'net:127.0.0.1:' + ready.port + '~shs:' + serverId.slice(1, -8))
  })
  check('whoami (master client) is the server id', () => {
    assert.deepStrictEqual(ok(client(A, ['--async', 'whoami', '[]', '--seed', MASTER_SEED])), [{ id: serverId }])
  })
  check('whoami (the server\'s own key) is the server id', () => {
    assert.deepStrictEqual(ok(client(A, ['--async', 'whoami', '[]', '--seed', SERVER_SEED])), [{ id: serverId }])
  })
  check('whoami (anonymous client) is refused by permissions', () => {
    const e = err(client(A, ['--async', 'whoami', '[]', '--seed', ANON_SEED]))
    recorded.anonymous_whoami = e
    assert.strictEqual(e.message, 'method:whoami is not in list of allowed methods')
  })
  check('manifest (anonymous) lists createHistoryStream as source and whoami as sync', () => {
    const [m] = ok(client(A, ['--async', 'manifest', '[]', '--seed', ANON_SEED]))
    recorded.manifest = m
    assert.strictEqual(m.createHistoryStream, 'source')
    assert.strictEqual(m.whoami, 'sync')
  })
  check('createHistoryStream {id, keys: true}: exactly the feed, as {key, value, timestamp}', () => {
    assertKvts(ok(client(A, H({ id: author, keys: true }, ANON_SEED))), feed)
  })
  check('createHistoryStream {id, keys: false}: exactly the feed values', () => {
    assert.deepStrictEqual(ok(client(A, H({ id: author, keys: false }, ANON_SEED))), feed)
  })
  check('createHistoryStream {id} (keys not given): as keys: true', () => {
    const lines = ok(client(A, H({ id: author }, ANON_SEED)))
    recorded.history_keys_default = lines.length && Object.keys(lines[0])
    assertKvts(lines, feed)
  })
  check('createHistoryStream values re-hash to their ids (JSON.stringify(v, null, 2))', () => {
    ok(client(A, H({ id: author, keys: false }, ANON_SEED))).forEach((v, i) => assert.strictEqual(validate.id(v), validate.id(feed[i])))
  })
  check('createHistoryStream {id, seq: 3, limit: 2, keys: false}: messages 3 and 4 (seq inclusive)', () => {
    assert.deepStrictEqual(ok(client(A, H({ id: author, seq: 3, limit: 2, keys: false }, ANON_SEED))), feed.slice(2, 4))
  })
  check('createHistoryStream {id, seq: 9, keys: true}: the last message only', () => {
    assertKvts(ok(client(A, H({ id: author, seq: 9, keys: true }, ANON_SEED))), feed.slice(8))
  })
  check('createHistoryStream {id, seq: 10}: nothing', () => {
    assert.deepStrictEqual(ok(client(A, H({ id: author, seq: 10 }, ANON_SEED))), [])
  })
  check('createHistoryStream {id, seq: 0, limit: 1, keys: false}: message 1', () => {
    assert.deepStrictEqual(ok(client(A, H({ id: author, seq: 0, limit: 1, keys: false }, ANON_SEED))), feed.slice(0, 1))
  })
  check('createHistoryStream of an unknown feed: an empty stream, no error', () => {
    const lines = ok(client(A, H({ id: masterId, keys: true }, ANON_SEED)))
    recorded.history_unknown_feed = lines
    assert.deepStrictEqual(lines, [])
  })
  check('createHistoryStream without an id: an error', () => {
    recorded.history_no_id = err(client(A, H({}, ANON_SEED)))
  })
  check('unknown async method (master): "no async:<name>"', () => {
    const e = err(client(A, ['--async', 'noSuchMethod', '[]', '--seed', MASTER_SEED]))
    recorded.unknown_async_master = e
    assert.strictEqual(e.message, 'no async:noSuchMethod')
  })
  check('unknown source method (master): "no source:<name>"', () => {
    const e = err(client(A, ['--source', 'noSuchMethod', '[]', '--seed', MASTER_SEED]))
    recorded.unknown_source_master = e
    assert.strictEqual(e.message, 'no source:noSuchMethod')
  })
  check('unknown nested async method (master)', () => {
    recorded.unknown_nested_async_master = err(client(A, ['--async', 'no.such', '[]', '--seed', MASTER_SEED]))
  })
  check('unknown async method (anonymous): refused by permissions', () => {
    const e = err(client(A, ['--async', 'noSuchMethod', '[]', '--seed', ANON_SEED]))
    recorded.unknown_async_anonymous = e
    assert.strictEqual(e.message, 'method:noSuchMethod is not in list of allowed methods')
  })
  check('unknown source method (anonymous): refused by permissions', () => {
    const e = err(client(A, ['--source', 'noSuchMethod', '[]', '--seed', ANON_SEED]))
    recorded.unknown_source_anonymous = e
    assert.strictEqual(e.message, 'method:noSuchMethod is not in list of allowed methods')
  })
  check('createHistoryStream called as async (master): "no async:createHistoryStream"', () => {
    const e = err(client(A, ['--async', 'createHistoryStream', JSON.stringify([{ id: author }]), '--seed', MASTER_SEED]))
    recorded.source_called_as_async_master = e
    assert.strictEqual(e.message, 'no async:createHistoryStream')
  })
  check('whoami called as source (master): "no source:whoami"', () => {
    const e = err(client(A, ['--source', 'whoami', '[]', '--seed', MASTER_SEED]))
    recorded.sync_called_as_source_master = e
    assert.strictEqual(e.message, 'no source:whoami')
  })
  check('wrong network key: the client fails in the handshake, cleanly', () => {
    const e = err(client(A, ['--async', 'whoami', '[]', '--seed', ANON_SEED, '--caps', OTHER_NET]))
    recorded.wrong_network_key = e
    assert.match(e.message, /^shs\.client: /)
  })
  check('wrong server key: the client fails in the handshake, cleanly', () => {
    const wrong = A.replace(/~shs:.*$/, '~shs:' + masterId.slice(1, -8))
    const e = err(client(wrong, ['--async', 'whoami', '[]', '--seed', ANON_SEED]))
    recorded.wrong_server_key = e
    assert.match(e.message, /^shs\.client: /)
  })
  check('nothing listens on the address: the client fails cleanly', () => {
    const closed = A.replace(/^net:127\.0\.0\.1:\d+/, 'net:127.0.0.1:1')
    recorded.connection_refused = err(client(closed, ['--async', 'whoami', '[]', '--seed', ANON_SEED]))
  })
  check('the server still answers after the failed handshakes', () => {
    assert.deepStrictEqual(ok(client(A, ['--async', 'whoami', '[]', '--seed', MASTER_SEED])), [{ id: serverId }])
  })

  proxied(A, () => closeServer(laterStdout))
})

// Over real TCP, through a recording proxy on 127.0.0.1 (which half-closes, so nothing is
// lost): one whoami call. Frame and packet sizes are known from the request and response
// JSON, so the byte counts show how each side ends: the client sends its packet-stream
// goodbye and then closes its socket without a box-stream goodbye; the server answers the
// goodbye with its own and a box-stream goodbye (layers/session.js records the same).
function proxied (A, next) {
  const net = require('net')
  const port = Number(/^net:127\.0\.0\.1:(\d+)~/.exec(A)[1])
  const counts = { c2s: 0, s2c: 0 }
  let open = 0
  let done = false
  const timer = setTimeout(() => finishProxy('timed out'), CLIENT_SECONDS * 1000)
  const proxy = net.createServer((c) => {
    const s = net.connect(port, '127.0.0.1')
    open += 2
    const closed = () => { if (--open === 0) setImmediate(() => finishProxy()) }
    c.on('data', (b) => { counts.c2s += b.length; s.write(b) })
    s.on('data', (b) => { counts.s2c += b.length; c.write(b) })
    c.on('end', () => s.end())
    s.on('end', () => c.end())
    c.on('error', () => {})
    s.on('error', () => {})
    c.on('close', closed)
    s.on('close', closed)
  })
  let clientStatus = null
  proxy.listen(0, '127.0.0.1', () => {
    const via = A.replace(/^net:127\.0\.0\.1:\d+~/, 'net:127.0.0.1:' + proxy.address().port + '~')
    const child = spawn(process.execPath, [path.join(__dirname, 'client.js'), '--address', via, '--async', 'whoami', '[]',
      '--seed', MASTER_SEED, '--timeout-seconds', String(CLIENT_SECONDS)], { stdio: ['ignore', 'pipe', 'pipe'] })
    child.on('exit', (code) => { clientStatus = code })
  })
  function finishProxy (why) {
    if (done) return
    done = true
    clearTimeout(timer)
    proxy.close()
    const req = Buffer.byteLength(JSON.stringify({ name: ['whoami'], args: [] }))
    const res = Buffer.byteLength(JSON.stringify({ id: serverId }))
    const frame = (n) => 34 + n
    const expected = {
      c2s: 64 + 112 + frame(9) + frame(req) + frame(9),
      s2c: 64 + 80 + frame(9) + frame(res) + frame(9) + 34
    }
    recorded.tcp_whoami_bytes = { got: counts, expected, note: 'c2s: handshake, 3 frames (request header, body, goodbye), no box goodbye; s2c: handshake, 3 frames (response header, body, goodbye), box goodbye (34)' }
    check('over TCP: the client sends no box-stream goodbye; the server sends goodbye and box goodbye', () => {
      assert.ok(!why, why)
      assert.deepStrictEqual(counts, expected)
    })
    // The client may still be exiting; give it a moment, bounded by the timer above.
    const wait = setInterval(() => {
      if (clientStatus === null) return
      clearInterval(wait)
      check('over TCP: the client call succeeded', () => assert.strictEqual(clientStatus, 0))
      next()
    }, 50)
    setTimeout(() => { clearInterval(wait); if (clientStatus === null) { check('over TCP: the client exited', () => assert.fail('still running')); next() } }, 5000).unref()
  }
}

function closeServer (laterStdout) {
  // Close the server's stdin: it must exit 0 by itself, having printed nothing more.
  const exitTimer = setTimeout(() => {
    failed++
    console.log('FAIL - server did not exit within ' + EXIT_SECONDS + ' s of stdin closing')
    finish()
  }, EXIT_SECONDS * 1000)
  server.on('exit', (code) => {
    clearTimeout(exitTimer)
    check('server exits 0 when stdin closes, with one line on stdout', () => {
      assert.strictEqual(code, 0, 'exit ' + code + '; stderr: ' + serverErr)
      assert.strictEqual(laterStdout(), '')
    })
    finish()
  })
  server.stdin.end()
}
