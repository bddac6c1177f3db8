'use strict'
// A live JS SSB peer for interop tests: secret-stack (core + multiserver net/shs) with the
// ssb-db plugin, listening only on 127.0.0.1.
//
//   node peer/server.js [options]
//
//   --seed HEX         the server's Ed25519 seed (64 hex digits)      } default: a random
//   --secret FILE      or an ssb-keys secret file                     } key pair
//   --caps KEY         network key, 64 hex digits or base64 (default: ssb-caps main net)
//   --port N           TCP port on 127.0.0.1 (default 0: a free ephemeral port)
//   --feed FILE        JSONL of signed message values (one JSON object per line, e.g. from
//                      make-feed.js), added to the db with ssb-db's `add` exactly as given
//                      (signatures untouched); repeatable, loaded in order
//   --master ID        a feed id granted master permissions (every method); repeatable. The
//                      server's own id always has them (as ssb-master does). Everyone else
//                      gets the anonymous permissions: manifest and createHistoryStream.
//   --path DIR         db directory (default: a fresh temporary directory, removed on exit)
//   --max-seconds N    hard lifetime cap (default 120); the server then closes and exits 0
//   --ignore-stdin     do not exit when stdin closes (by default it does, so a parent that
//                      dies takes the server with it)
//   --ebt              load ssb-ebt 9 (EBT replication, `ebt.replicate`); without it the
//                      server has no EBT and answers `ebt.replicate` with secret-stack's
//                      unknown-method error
//   --replicate ID     (with --ebt) ask EBT to replicate this feed (`ebt.request(ID, true)`);
//                      repeatable. The authors of --feed files are requested too, so the
//                      server offers them to peers.
//   --connect ADDR     once ready, dial this multiserver address (e.g. a Rust `ssb serve`);
//                      repeatable
//   --want ID:SEQ      print {"have":ID,"sequence":N} on stdout once the db holds feed ID up
//                      to sequence SEQ (polled every 100 ms); repeatable
//
// When listening and every feed is loaded, prints exactly one line of JSON on stdout:
//   {"address":"net:127.0.0.1:PORT~shs:KEY","id":"@KEY.ed25519","port":PORT}
// and nothing else on stdout but the --want lines. Diagnostics (connections, handshake failures) go to stderr.
// Exits on SIGTERM/SIGINT, stdin closing or --max-seconds; exits 1 (with a message on
// stderr) if it cannot start or a feed message is refused.
const fs = require('fs')
const os = require('os')
const net = require('net')
const path = require('path')
const SecretStack = require('secret-stack/bare')
const Net = require('multiserver/plugins/net')
const { parseArgs, loadKeys, networkKey, readJsonl } = require('./args')

const HOST = '127.0.0.1'
const CLOSE_GRACE_MS = 5000

function die (msg) {
  process.stderr.write('server.js: ' + msg + '\n')
  process.exit(1)
}

let opts
try {
  opts = parseArgs(process.argv.slice(2), {
    seed: 'string',
    secret: 'string',
    caps: 'string',
    port: 'number',
    feed: 'list',
    master: 'list',
    path: 'string',
    'max-seconds': 'number',
    'ignore-stdin': 'flag',
    ebt: 'flag',
    replicate: 'list',
    connect: 'list',
    want: 'list'
  })
  if (opts._.length) throw new Error('unexpected argument ' + opts._[0])
} catch (e) { die(e.message) }

const keys = loadKeys(opts)
const shsKey = networkKey(opts.caps)
const maxSeconds = opts['max-seconds'] === undefined ? 120 : opts['max-seconds']
const feeds = opts.feed.map(readJsonl)
const tempDir = opts.path ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'ssb-js-peer-'))
const dbPath = opts.path || tempDir

// secret-stack's own net plugin ignores a failure to listen; this one is multiserver's net
// transport with the failure reported (and fatal).
const checkedNet = {
  name: 'peer-net',
  version: '1.0.0',
  init (api) {
    api.multiserver.transport({
      name: 'net',
      create (netOpts) {
        const transport = Net(netOpts)
        const server = transport.server
        transport.server = (onConnection, startedCB) => server(onConnection, (err) => {
          if (err) die('cannot listen on ' + netOpts.host + ':' + netOpts.port + ': ' + err.message)
          if (startedCB) startedCB(err)
        })
        return transport
      }
    })
    return {}
  }
}

// Master permissions for the server's own id and every --master id (what ssb-master does
// from config.master); anyone else falls through to secret-stack's anonymous permissions.
const master = {
  name: 'peer-master',
  version: '1.0.0',
  init (api, config, permissions) {
    const masters = new Set([api.id].concat(opts.master))
    api.auth.hook(function (fn, args) {
      const [id, cb] = args
      if (masters.has(id)) cb(null, permissions.master)
      else fn.apply(this, args)
    })
    return {}
  }
}

function freePort (cb) {
  const probe = net.createServer()
  probe.once('error', cb)
  probe.listen(0, HOST, () => {
    const port = probe.address().port
    probe.close(() => cb(null, port))
  })
}

function start (port) {
  let app = SecretStack({ caps: { shs: shsKey } })
    .use(require('secret-stack/plugins/shs'))
    .use(checkedNet)
    .use(require('ssb-db'))
  const withEbt = opts.ebt ? app.use(require('ssb-ebt')) : app
  const sbot = withEbt.use(master)({
      keys,
      path: dbPath,
      timers: { handshake: 15e3, inactivity: 600e3 },
      connections: {
        incoming: { net: [{ scope: 'device', transform: 'shs', host: HOST, port }] },
        outgoing: { net: [{ transform: 'shs' }] }
      }
    })
  app = sbot

  let closing = false
  function shutdown (why, code) {
    if (closing) return
    closing = true
    process.stderr.write('server.js: closing (' + why + ')\n')
    const force = setTimeout(finish, CLOSE_GRACE_MS)
    app.close((err) => {
      if (err) process.stderr.write('server.js: close: ' + err.message + '\n')
      clearTimeout(force)
      finish()
    })
    function finish () {
      if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true })
      process.exit(code)
    }
  }
  process.on('SIGTERM', () => shutdown('SIGTERM', 0))
  process.on('SIGINT', () => shutdown('SIGINT', 0))
  setTimeout(() => shutdown('--max-seconds ' + maxSeconds + ' reached', 0), maxSeconds * 1000).unref()
  if (!opts['ignore-stdin']) {
    process.stdin.on('end', () => shutdown('stdin closed', 0))
    process.stdin.on('error', () => shutdown('stdin error', 0))
    process.stdin.resume()
  }

  app.on('rpc:connect', (rpc, isClient) => {
    process.stderr.write('server.js: connection from ' + rpc.id + '\n')
    rpc.once('closed', () => process.stderr.write('server.js: connection from ' + rpc.id + ' closed\n'))
  })

  let listening = false
  let loaded = false
  let announced = false
  function ready () {
    if (!listening || !loaded || announced) return
    announced = true
    const address = app.getAddress('device')
    process.stdout.write(JSON.stringify({ address, id: app.id, port }) + '\n')
    if (opts.ebt) {
      const authors = new Set(messages.map(m => m.author).concat(opts.replicate))
      for (const id of authors) app.ebt.request(id, true)
    }
    for (const addr of opts.connect) {
      app.connect(addr, (err) => {
        if (err) process.stderr.write('server.js: connect ' + addr + ': ' + err.message + '\n')
      })
    }
    watchWants()
  }

  // --want ID:SEQ: report each feed once the db holds it up to SEQ.
  function watchWants () {
    const wants = opts.want.map((w) => {
      const at = w.lastIndexOf(':')
      return { id: w.slice(0, at), seq: Number(w.slice(at + 1)) }
    })
    if (!wants.length) return
    const timer = setInterval(() => {
      for (const w of wants) {
        if (w.done || w.busy) continue
        w.busy = true
        app.latestSequence(w.id, (err, seq) => {
          w.busy = false
          if (!err && seq >= w.seq && !w.done) {
            w.done = true
            process.stdout.write(JSON.stringify({ have: w.id, sequence: seq }) + '\n')
          }
          if (wants.every(x => x.done)) clearInterval(timer)
        })
      }
    }, 100)
    timer.unref()
  }
  app.once('multiserver:listening', () => { listening = true; ready() })

  // Every message of every feed, one after another (ssb-db validates each against its author's
  // latest state, so order within a feed matters).
  const messages = [].concat(...feeds)
  let i = 0
  ;(function next () {
    if (i >= messages.length) { loaded = true; return ready() }
    const msg = messages[i++]
    app.add(msg, (err) => {
      if (err) die('feed message ' + i + ' refused: ' + err.message)
      next()
    })
  })()
}

if (opts.port) start(opts.port)
else freePort((err, port) => err ? die('no free port: ' + err.message) : start(port))
