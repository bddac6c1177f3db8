'use strict'
// Small shared helpers for the peer scripts: argv parsing, keys and network keys.
const fs = require('fs')
const ssbKeys = require('ssb-keys')
const caps = require('ssb-caps')

// Parses `--name value` pairs and bare `--flag`s. `spec` maps each option name to
// 'string', 'list' (repeatable), 'number' or 'flag'; an unknown option or a missing value
// throws, so a typo never silently changes what a test runs.
function parseArgs (argv, spec) {
  const out = {}
  for (const [name, kind] of Object.entries(spec)) if (kind === 'list') out[name] = []
  const positional = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith('--')) { positional.push(a); continue }
    const name = a.slice(2)
    const kind = spec[name]
    if (!kind) throw new Error('unknown option ' + a)
    if (kind === 'flag') { out[name] = true; continue }
    if (i + 1 >= argv.length) throw new Error('option ' + a + ' needs a value')
    const v = argv[++i]
    if (kind === 'list') out[name].push(v)
    else if (kind === 'number') {
      const n = Number(v)
      if (!Number.isFinite(n) || n < 0) throw new Error('option ' + a + ' needs a non-negative number, got ' + v)
      out[name] = n
    } else out[name] = v
  }
  out._ = positional
  return out
}

// ssb-keys key pair from `--seed HEX` (a 32-byte Ed25519 seed) or `--secret FILE` (an
// ssb-keys secret file); a fresh random key pair when neither is given.
function loadKeys (opts) {
  if (opts.seed && opts.secret) throw new Error('give --seed or --secret, not both')
  if (opts.seed) {
    if (!/^[0-9a-fA-F]{64}$/.test(opts.seed)) throw new Error('--seed must be 64 hex digits')
    return ssbKeys.generate('ed25519', Buffer.from(opts.seed, 'hex'))
  }
  if (opts.secret) return ssbKeys.loadSync(opts.secret)
  return ssbKeys.generate()
}

// The 32-byte network key from `--caps` (64 hex digits or base64); default: the main net
// key of ssb-caps. Returned as base64, the form secret-stack's config takes.
function networkKey (text) {
  if (text === undefined) return caps.shs
  let key
  if (/^[0-9a-fA-F]{64}$/.test(text)) key = Buffer.from(text, 'hex')
  else key = Buffer.from(text, 'base64')
  if (key.length !== 32) throw new Error('--caps must be a 32-byte key in hex or base64')
  return key.toString('base64')
}

function readJsonl (file) {
  const out = []
  fs.readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (line.trim() === '') return
    try { out.push(JSON.parse(line)) } catch (e) { throw new Error(file + ':' + (i + 1) + ': ' + e.message) }
  })
  return out
}

module.exports = { parseArgs, loadKeys, networkKey, readJsonl }
