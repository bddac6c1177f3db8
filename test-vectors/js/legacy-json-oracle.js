'use strict'
// Differential-testing oracle for ssb-legacy-json (used by
// ssb-legacy-json/tests/node_differential.rs). Pure node, no packages.
//
// stdin: one case per line, the hex of the raw input bytes (UTF-8 as received on the wire).
// stdout: one line per case, in order:
//   "0"                                   JSON.parse(buffer.toString('utf8')) threw
//   "1 <signing> <compact> <len> <sha>"   otherwise, where <signing>/<compact> are the hex of
//                                         the UTF-8 of JSON.stringify(v, null, 2) /
//                                         JSON.stringify(v), <len> is the signing string's
//                                         .length (UTF-16 units) and <sha> the hex SHA-256
//                                         of Buffer.from(signing, 'latin1') (the message-id hash)
//   "E <message>"                         JSON.stringify threw (e.g. too deep)
const crypto = require('crypto')

function handle (line) {
  const text = Buffer.from(line, 'hex').toString('utf8')
  let v
  try { v = JSON.parse(text) } catch (e) { return '0' }
  let signing, compact
  try {
    signing = JSON.stringify(v, null, 2)
    compact = JSON.stringify(v)
  } catch (e) {
    return 'E ' + String(e && e.message).replace(/\s+/g, '_')
  }
  const sha = crypto.createHash('sha256').update(Buffer.from(signing, 'latin1')).digest('hex')
  return '1 ' + Buffer.from(signing, 'utf8').toString('hex') + ' ' +
    Buffer.from(compact, 'utf8').toString('hex') + ' ' + signing.length + ' ' + sha
}

let pending = ''
process.stdin.setEncoding('latin1')
process.stdin.on('data', (chunk) => {
  pending += chunk
  const lines = pending.split('\n')
  pending = lines.pop()
  if (lines.length === 0) return
  const out = new Array(lines.length)
  for (let i = 0; i < lines.length; i++) out[i] = handle(lines[i].trim())
  process.stdout.write(out.join('\n') + '\n')
})
process.stdin.on('end', () => {
  if (pending.trim() !== '') process.stdout.write(handle(pending.trim()) + '\n')
})
