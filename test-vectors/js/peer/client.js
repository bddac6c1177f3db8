'use strict'
// A one-call JS SSB client for interop tests: dials a multiserver address with multiserver's
// net + shs plugins (secret-handshake, pull-box-stream) and speaks muxrpc over it: the
// stack secret-stack's connect() builds, without secret-stack's fixed manifest, so any
// method name (including unknown ones) can be called with the type given.
//
//   node peer/client.js --address ADDR (--async METHOD | --source METHOD) [ARGS_JSON] [options]
//
//   --address ADDR         net:HOST:PORT~shs:KEY (as server.js prints it)
//   --async METHOD         call METHOD as an async request (a sync method is called so too)
//   --source METHOD        call METHOD as a source stream
//                          METHOD may be dotted (a.b) for a nested method
//   ARGS_JSON              a JSON array: the call's argument list (default [])
//   --seed HEX             the client's Ed25519 seed (64 hex digits)  } default: a random
//   --secret FILE          or an ssb-keys secret file                 } key pair
//   --caps KEY             network key, 64 hex digits or base64 (default: ssb-caps main net)
//   --timeout-seconds N    hard timeout for the whole run (default 20)
//
// Output on stdout: for --async one line, the result as JSON; for --source one line per
// item, each as JSON. Then the client closes the connection (muxrpc goodbye) and exits 0.
// On any error (connection, handshake, the call, or a stream ending in an error, after the
// items it delivered) it prints one line {"error":{"name":...,"message":...}} and exits 1.
// On the timeout it prints {"error":{"name":"Timeout",...}} and exits 2; on bad usage it
// prints a message on stderr and exits 64.
const pull = require('pull-stream')
const MultiServer = require('multiserver')
const Net = require('multiserver/plugins/net')
const Shs = require('multiserver/plugins/shs')
const Muxrpc = require('muxrpc')
const { parseArgs, loadKeys, networkKey } = require('./args')

function print (value) {
  process.stdout.write(JSON.stringify(value === undefined ? null : value) + '\n')
}

function fail (err, code) {
  const e = err && typeof err === 'object' ? err : { name: 'Error', message: String(err) }
  print({ error: { name: e.name || 'Error', message: String(e.message) } })
  process.exit(code || 1)
}

let opts
try {
  opts = parseArgs(process.argv.slice(2), {
    address: 'string',
    async: 'string',
    source: 'string',
    seed: 'string',
    secret: 'string',
    caps: 'string',
    'timeout-seconds': 'number'
  })
  if (!opts.address) throw new Error('--address is required')
  if (!opts.async === !opts.source) throw new Error('give exactly one of --async METHOD, --source METHOD')
  if (opts._.length > 1) throw new Error('unexpected argument ' + opts._[1])
  opts.args = opts._.length ? JSON.parse(opts._[0]) : []
  if (!Array.isArray(opts.args)) throw new Error('ARGS_JSON must be a JSON array (the argument list)')
} catch (e) {
  process.stderr.write('client.js: ' + e.message + '\n')
  process.exit(64)
}

const timeoutSeconds = opts['timeout-seconds'] === undefined ? 20 : opts['timeout-seconds']
setTimeout(() => fail({ name: 'Timeout', message: 'no result within ' + timeoutSeconds + ' s' }, 2), timeoutSeconds * 1000).unref()

const keys = loadKeys(opts)
const sodiumKeys = {
  publicKey: Buffer.from(keys.public.replace(/\.ed25519$/, ''), 'base64'),
  secretKey: Buffer.from(keys.private.replace(/\.ed25519$/, ''), 'base64')
}
const type = opts.async ? 'async' : 'source'
const method = (opts.async || opts.source).split('.')

// The remote manifest: just the one method, with the type asked for.
const manifest = {}
let at = manifest
method.forEach((part, i) => { at = at[part] = i === method.length - 1 ? type : {} })

const ms = MultiServer([[Net({}), Shs({ keys: sodiumKeys, appKey: Buffer.from(networkKey(opts.caps), 'base64'), timeout: timeoutSeconds * 1000 })]])

ms.client(opts.address, (err, stream) => {
  if (err) return fail(err)
  // No local API: the client answers any call from the server with an error.
  const rpc = Muxrpc(manifest, {}, {}, null)
  pull(stream, rpc.stream, stream)
  let fn = rpc
  for (const part of method) fn = fn[part]

  const done = (err) => {
    rpc.close((closeErr) => {
      // The close callback may repeat the call's own error (or get `true`); report others.
      if (closeErr instanceof Error && !(err && closeErr.message === err.message)) {
        process.stderr.write('client.js: close: ' + closeErr.message + '\n')
      }
      if (err) fail(err)
      else process.exit(0)
    })
  }

  if (type === 'async') {
    fn(...opts.args, (err, value) => {
      if (err) return done(err)
      print(value)
      done()
    })
  } else {
    pull(fn(...opts.args), pull.drain(print, (err) => done(err && err !== true ? err : null)))
  }
})
