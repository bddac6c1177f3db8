'use strict'
// Differential oracle for ssb-feed: reads one JSON request per line on stdin,
// {"messages": [text, ...], "mode": "append"|"ooo", "hmac_key": null|string}, runs it through
// ssb-validate exactly as the `feed` vector layer does, and writes one JSON line per request:
// {"results": [{"valid": true, "id": ...} | {"valid": false, "error": code}, ...]}.
const readline = require('readline')
const { run } = require('./layers/feed')

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
const out = []
rl.on('line', (line) => {
  if (!line) return
  const req = JSON.parse(line)
  let res
  try { res = run('validate', req).ok } catch (e) { res = { crash: String(e && e.stack || e) } }
  out.push(JSON.stringify(res))
  if (out.length >= 256) { process.stdout.write(out.join('\n') + '\n'); out.length = 0 }
})
rl.on('close', () => { if (out.length) process.stdout.write(out.join('\n') + '\n') })
