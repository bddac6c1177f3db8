'use strict'
// JS oracle for the `ssb` command's tests (ssb-cli/tests/). Two modes:
//
//   node cli-oracle.js ids
//     stdin: one case per line, the hex of raw input bytes. stdout: one line per case:
//     "0" when JSON.parse(buffer.toString('utf8')) throws, "E <message>" when
//     JSON.stringify throws, else ssb-validate's id(value) ("%<base64>.sha256").
//
//   node cli-oracle.js validate FILE [HMAC_KEY_B64]
//     FILE: JSON lines of message values (blank lines skipped). Runs ssb-validate's append
//     over them in order, with one state, and writes one JSON line per message:
//     {"valid":true,"id":"%…"} or {"valid":false,"error":"<ssb-validate's message>"}.
const fs = require('fs')
const validate = require('ssb-validate')

function ids () {
  let pending = ''
  const handle = (line) => {
    const text = Buffer.from(line, 'hex').toString('utf8')
    let v
    try { v = JSON.parse(text) } catch (e) { return '0' }
    try { return validate.id(v) } catch (e) { return 'E ' + String(e && e.message).replace(/\s+/g, '_') }
  }
  process.stdin.setEncoding('latin1')
  process.stdin.on('data', (chunk) => {
    pending += chunk
    const lines = pending.split('\n')
    pending = lines.pop()
    if (lines.length) process.stdout.write(lines.map((l) => handle(l.trim())).join('\n') + '\n')
  })
  process.stdin.on('end', () => {
    if (pending.trim() !== '') process.stdout.write(handle(pending.trim()) + '\n')
  })
}

function validateFile (file, hmacKey) {
  const state = validate.initial()
  const out = []
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue
    let msg
    try { msg = JSON.parse(line) } catch (e) { out.push({ valid: false, error: 'JSON: ' + e.message }); continue }
    try {
      validate.append(state, hmacKey, msg)
      out.push({ valid: true, id: state.queue[state.queue.length - 1].key })
    } catch (e) {
      out.push({ valid: false, error: String(e && e.message) })
    }
  }
  process.stdout.write(out.map((o) => JSON.stringify(o)).join('\n') + (out.length ? '\n' : ''))
}

const [mode, ...args] = process.argv.slice(2)
if (mode === 'ids') ids()
else if (mode === 'validate') validateFile(args[0], args[1] || null)
else { console.error('usage: node cli-oracle.js ids | validate FILE [HMAC_KEY_B64]'); process.exit(2) }
