'use strict'
// legacy-json: what node does to a classic SSB message's JSON:
// JSON.stringify(JSON.parse(text), null, 2) (the signing form), JSON.stringify(v) (compact),
// the signing form's .length (UTF-16 units, the 8192 rule) and
// sha256(Buffer.from(signing, 'latin1')) (the message-id hash). docs/PROTOCOL.md §5.2–5.9.
const crypto = require('crypto')
const assert = require('assert')
const { Rng, hex } = require('../common')

const description = 'JSON.parse / JSON.stringify(v, null, 2) as node does them: signing form, ' +
  'compact form, UTF-16 length and latin1 SHA-256 (message id hash) of transport JSON texts'
const reference = { node: '>=20 JSON.parse(buffer.toString("utf8")), JSON.stringify(v, null, 2), JSON.stringify(v)' }

// ---- reference ----------------------------------------------------------------------------

function stringify (input) {
  let text
  if (typeof input.json === 'string') text = input.json
  else if (typeof input.json_hex === 'string') text = Buffer.from(input.json_hex, 'hex').toString('utf8')
  else throw new Error('input needs `json` or `json_hex`')
  let v
  // Error class: JSON.parse throwing a SyntaxError -> `syntax` (JS has nothing finer).
  try { v = JSON.parse(text) } catch (e) {
    if (e instanceof SyntaxError) return { error: 'syntax' }
    throw e
  }
  const signing = JSON.stringify(v, null, 2)
  return {
    ok: {
      signing,
      compact: JSON.stringify(v),
      utf16_len: signing.length,
      legacy_sha256: crypto.createHash('sha256').update(Buffer.from(signing, 'latin1')).digest('hex')
    }
  }
}

function run (op, input) {
  if (op === 'stringify') return stringify(input)
  throw new Error('unknown op ' + op)
}

// ---- cases --------------------------------------------------------------------------------

const cases = []
function add (id, input) {
  for (const k of Object.keys(input)) {
    assert(input[k].isWellFormed(), id + ': input must be well-formed (use json_hex)')
  }
  const expect = run('stringify', input)
  if (expect.ok) {
    assert(expect.ok.signing.isWellFormed() && expect.ok.compact.isWellFormed(), id)
  }
  cases.push({ id, op: 'stringify', input, expect })
  return expect
}
const json = (id, text) => add(id, { json: text })
const jsonHex = (id, bytes) => add(id, { json_hex: hex(bytes) })
const pad = (n) => String(n).padStart(4, '0')
const u4 = (n) => '\\u' + n.toString(16).padStart(4, '0')
const b64ofHash = (r) => Buffer.from(r.ok.legacy_sha256, 'hex').toString('base64')

// docs/PROTOCOL.md §5.7.3 worked example (content alone) and §9.3 messages 1 and 2 (ids and lengths checked
// against the protocol notes).
const WORKED = '{"type":"test","b":[],"a":{},"10":"ten","2":"two","x":[1,{"y":null}],' +
  '"s":"\\u00df\\u20ac\\ud83d\\ude00\\n\\t\\"\\\\\\u0001","n":[1e21,1e20,1e-7,0.000001,100,1.5,123.456e5]}'
json('spec-5.7.3/worked-example', WORKED)
const AUTHOR = '@iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=.ed25519'
const MSG1 = '{"previous":null,"author":"' + AUTHOR + '","sequence":1,"timestamp":1514517067954,' +
  '"hash":"sha256","content":{"type":"post","text":"hello"},"signature":' +
  '"5WbjMArOht8EvV87s3mkZ9yLLqA7NVTx+DD6iQ7jCIJ6q6rEZ7y2fi7MyKenImnuY5HCWUug93KHcwQWeuJlCQ==.sig.ed25519"}'
let r = json('spec-9.3/message-1', MSG1)
assert.strictEqual('%' + b64ofHash(r) + '.sha256', '%mFeoIDeddAIGwvGNuchZtlNbyVbkc5stlbHtOPfu0d0=.sha256')
assert.strictEqual(r.ok.utf16_len, 337)
const MSG2 = '{"previous":"%mFeoIDeddAIGwvGNuchZtlNbyVbkc5stlbHtOPfu0d0=.sha256","author":"' + AUTHOR +
  '","sequence":2,"timestamp":1514517078157.5,"hash":"sha256","content":' + WORKED + ',"signature":' +
  '"KVB0VbFMupirNmBqDCXBQK2Nie0nxMBU6mG/mnH8QEAlirLzLBehEYKHazkPObGQeDTU8nAmTqPYrZV8cfOSDg==.sig.ed25519"}'
r = json('spec-9.3/message-2', MSG2)
assert.strictEqual('%' + b64ofHash(r) + '.sha256', '%Yw3JqwuZ1zcxcbxJyZo7uHvtnZVGyveRoft37ckm8I0=.sha256')
assert.strictEqual(r.ok.utf16_len, 644)
// The same messages with the signature deleted: the signed bytes.
const unsigned = (m) => { const v = JSON.parse(m); delete v.signature; return JSON.stringify(v) }
r = json('spec-9.3/message-1-unsigned', unsigned(MSG1))
assert.strictEqual(Buffer.byteLength(r.ok.signing), 218)
r = json('spec-9.3/message-2-unsigned', unsigned(MSG2))
assert.strictEqual(Buffer.byteLength(r.ok.signing), 530)

// docs/PROTOCOL.md §5.6 key order.
json('spec-5.6/key-order', '{"b":1,"a":2,"10":3,"2":4,"4294967294":5,"4294967295":6,"-1":7,"01":8}')
json('spec-5.6/nested-key-order', '{"z":{"b":1,"1":2,"0":3},"a":[{"x":1,"9":2,"10":3}]}')
json('spec-5.6/index-keys-only', '{"3":1,"20":2,"100":3,"0":4,"4294967294":5,"7":6}')
json('spec-5.6/index-like-keys', '{"4294967296":1,"00":2,"1.5":3," 1":4,"1 ":5,"+1":6,"1e3":7,"9007199254740993":8,"2":9}')
json('spec-5.6/proto-key', '{"__proto__":{"a":1},"constructor":2,"toString":3}')

// docs/PROTOCOL.md §5.7.1 escaping table: every row, written escaped and (where JSON allows) raw.
const ESCAPE_ROWS = [
  ['quote', 0x22], ['backslash', 0x5c], ['backspace', 0x08], ['tab', 0x09], ['newline', 0x0a],
  ['formfeed', 0x0c], ['return', 0x0d], ['slash', 0x2f], ['delete', 0x7f], ['u2028', 0x2028],
  ['u2029', 0x2029], ['latin1-e9', 0xe9], ['latin1-ff', 0xff], ['u0100', 0x100], ['euro', 0x20ac],
  ['ufeff', 0xfeff], ['ufffd', 0xfffd], ['uffff', 0xffff], ['ud7ff', 0xd7ff], ['ue000', 0xe000]
]
for (let c = 0; c < 0x20; c++) ESCAPE_ROWS.push(['control-' + c.toString(16).padStart(2, '0'), c])
for (const [name, cp] of ESCAPE_ROWS) {
  json('spec-5.7.1/' + name + '/escaped', '"a' + u4(cp) + 'b"')
  json('spec-5.7.1/' + name + '/escaped-upper', '"a' + u4(cp).toUpperCase().replace('\\U', '\\u') + 'b"')
  const raw = String.fromCodePoint(cp)
  if (cp >= 0x20 && cp !== 0x22 && cp !== 0x5c) json('spec-5.7.1/' + name + '/raw', '"a' + raw + 'b"')
  else json('spec-5.7.1/' + name + '/raw-rejected', '"a' + raw + 'b"')
  json('spec-5.7.1/' + name + '/as-key', '{"' + u4(cp) + '":' + '"' + u4(cp) + '"}')
}
for (const [name, e] of [['quote', '\\"'], ['backslash', '\\\\'], ['slash', '\\/'], ['b', '\\b'],
  ['f', '\\f'], ['n', '\\n'], ['r', '\\r'], ['t', '\\t']]) json('spec-5.7.1/short-escape/' + name, '"' + e + '"')
for (const [name, s] of [['emoji-pair', '\\ud83d\\ude00'], ['max-pair', '\\udbff\\udfff'], ['min-pair', '\\ud800\\udc00'],
  ['emoji-raw', '😀'], ['u10ffff-raw', '\u{10ffff}']]) json('spec-5.7.1/astral/' + name, '"' + s + '"')
// Lone surrogates: JSON.parse keeps them, node >= 12 JSON.stringify escapes them lowercase.
for (const [name, s] of [['high', '\\ud800'], ['high-max', '\\uDBFF'], ['low', '\\udc00'], ['low-max', '\\uDFFF'],
  ['high-then-char', '\\ud83dx'], ['low-then-high', '\\ude00\\ud83d'], ['high-high-low', '\\ud800\\ud800\\udc00'],
  ['high-then-escape', '\\ud800\\n'], ['high-at-end-of-key', '{"\\ud800":1}'], ['between-text', 'a\\udfffb']]) {
  json('spec-5.7.1/lone-surrogate/' + name, s.startsWith('{') ? s : '"' + s + '"')
}

// docs/PROTOCOL.md §5.7.2 number table: every example, plus the docs/PROTOCOL.md §5.8 number rows.
const NUMBER_ROWS = ['100', '1e20', '18446744073709551616', '1.5', '12345678.9', '1514517078157.5', '0.1',
  '0.000001', '0.0000012345', '1e21', '1e-7', '5e-324', '1.5e-7', '1.23e-18', '1.7976931348623157e+308',
  '12345678901234567890', '-0', '-0.0', '1e400', '-1e400', '-1e-400', '6e-486', '1.0', '1E3', '0.10', '123.456e5',
  '1e+21', '999999999999999999999', '100000000000000000000', '0.0000001', '-1.5', '9007199254740993',
  '748923331465116.25', '-217386602750241.125', '2.2250738585072014e-308', '4.9406564584124654e-324',
  '2.4703282292062327e-324', '2.4703282292062328e-324', '1.7976931348623158e308', '1.7976931348623159e308']
for (const n of NUMBER_ROWS) json('spec-5.7.2/' + n, '[' + n + ']')
for (const n of ['NaN', 'Infinity', '-Infinity', '+1', '01', '-01', '.5', '5.', '0x10', '1e', '1e+', '-', '1.e5', '00'])
  json('spec-5.8/not-json-number/' + n, '[' + n + ']')

// docs/PROTOCOL.md §5.8 other input rules.
json('spec-5.8/duplicate-key', '{"a":1,"b":2,"a":3}')
json('spec-5.8/duplicate-index-key', '{"b":0,"1":1,"1":2}')
json('spec-5.8/duplicate-nested', '{"a":{"x":1,"x":[2]},"a":{"y":3}}')
json('spec-5.8/whitespace', ' \t\n\r{ "a" :\n[ 1 ,\t2 ] }\r\n ')
for (const [name, bytes] of [['bom', [0xef, 0xbb, 0xbf, 0x7b, 0x7d]], ['nbsp', [0xc2, 0xa0, 0x31]],
  ['vertical-tab', [0x0b, 0x31]], ['formfeed', [0x0c, 0x31]], ['nul', [0x31, 0x00]]]) jsonHex('spec-5.8/not-whitespace/' + name, bytes)
const BAD_UTF8 = [[0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf0, 0x9f, 0x98], [0xe2, 0x82], [0xc3], [0xc0, 0xaf],
  [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe0, 0x80, 0xaf], [0x80], [0xbf, 0xbf], [0xff], [0xfe],
  [0xe0, 0xa0], [0xf0, 0x90, 0x80], [0xc3, 0xc3, 0xa9]]
BAD_UTF8.forEach((b, i) => {
  jsonHex('spec-5.8/invalid-utf8-in-string/' + pad(i), [0x22, 0x61, ...b, 0x62, 0x22])
  jsonHex('spec-5.8/invalid-utf8-in-key/' + pad(i), [0x7b, 0x22, ...b, 0x22, 0x3a, 0x31, 0x7d])
  jsonHex('spec-5.8/invalid-utf8-outside-string/' + pad(i), [0x5b, ...b, 0x5d])
})
jsonHex('spec-5.8/invalid-utf8-before-quote', [0x22, 0xe2, 0x82, 0x22])
for (const [name, t] of [['empty', ''], ['ws-only', '  '], ['trailing-comma-array', '[1,]'],
  ['trailing-comma-object', '{"a":1,}'], ['single-quotes', "{'a':1}"], ['unquoted-key', '{a:1}'],
  ['trailing-data', '{} {}'], ['comment', '[1 /* c */]'], ['bad-escape', '"\\x41"'], ['short-unicode', '"\\u12"'],
  ['unterminated', '"abc'], ['true-prefix', 'tru'], ['top-scalar', '42'], ['top-string', '"x"'], ['top-null', 'null']]) {
  json('spec-5.8/misc/' + name, t)
}
// Deep nesting (within any sane limit; JS itself cannot stringify a few thousand levels).
for (const d of [1, 10, 64, 128, 200]) {
  json('nesting/array-' + d, '['.repeat(d) + '1' + ']'.repeat(d))
  json('nesting/object-' + d, '{"a":'.repeat(d) + '1' + '}'.repeat(d))
}

// ---- deterministic generated cases --------------------------------------------------------

const rng = new Rng('legacy-json/generated')
const SPECIAL_NUMBERS = ['0', '-0', '1e400', '6e-486', '-1e-400', '5e-324', '9007199254740993', '1e21', '1e-7',
  '0.000001', '123.456e5', '1.0', '1E3', '0.10', '1.7976931348623157e308', '2.2250738585072011e-308', '0.1']
const KEYS = ['a', 'b', 'type', '0', '1', '2', '10', '01', '-1', '4294967294', '4294967295', '1.5', ' 1', '__proto__', 'é', '😀', '']
const PIECES = ['x', 'hello', ' ', '/', '\\"', '\\\\', '\\/', '\\b', '\\f', '\\n', '\\r', '\\t', '\\u0000', '\\u001F',
  '\\u007f', '\\u2028', '\u2028', '\u2029', 'é', '€', '😀', '\\ud83d\\ude00', '\\ud800', '\\uDC00', 'ß', '\u007f', '\u00ff']
const WS = ['', '', '', ' ', '\n', '\t', '\r\n  ']

function genNumber () {
  switch (rng.below(5)) {
    case 0: return rng.pick(SPECIAL_NUMBERS)
    case 1: { // a random double from random bits, as toString or toExponential
      const b = rng.bytes(8)
      let f = b.readDoubleBE(0)
      if (!Number.isFinite(f)) f = b.readUInt32BE(0)
      return rng.below(2) ? String(f) : f.toExponential()
    }
    case 2: return String((rng.below(2) ? -1 : 1) * rng.u32() * (rng.below(3) ? 1 : 1000003))
    case 3: return String(rng.u32() / (1 + rng.below(1000)))
    default: { // grammar
      let s = rng.below(4) ? '' : '-'
      s += rng.below(5) ? String(1 + rng.below(9)) + String(rng.u32()).slice(0, rng.below(12)) : '0'
      if (rng.below(2)) s += '.' + String(rng.u32()).slice(0, 1 + rng.below(9))
      if (rng.below(3) === 0) s += rng.pick(['e', 'E']) + rng.pick(['', '+', '-']) + String(rng.below(400))
      return s
    }
  }
}
function genString () {
  let s = '"'
  const n = rng.below(5)
  for (let i = 0; i < n; i++) s += rng.below(4) ? rng.pick(PIECES) : u4(rng.below(0x10000))
  return s + '"'
}
function genValue (depth) {
  const k = rng.below(depth > 4 ? 6 : 9)
  if (k === 0) return rng.pick(['null', 'true', 'false'])
  if (k <= 2) return genNumber()
  if (k <= 5) return genString()
  const w = () => rng.pick(WS)
  const n = rng.below(5)
  const items = []
  if (k <= 6) {
    for (let i = 0; i < n; i++) items.push(w() + genValue(depth + 1) + w())
    return '[' + items.join(',') + w() + ']'
  }
  for (let i = 0; i < n; i++) {
    const key = rng.below(3) ? JSON.stringify(rng.pick(KEYS)) : genString()
    items.push(w() + key + w() + ':' + w() + genValue(depth + 1) + w())
  }
  return '{' + items.join(',') + w() + '}'
}
const MUTATION = '"\\,:{}[] 0123456789eE+-.u'
function mutate (s) {
  const pos = rng.below(s.length + 1)
  switch (rng.below(4)) {
    case 0: return s.slice(0, pos) + s.slice(pos + 1)
    case 1: return s.slice(0, pos) + rng.pick(MUTATION) + s.slice(pos)
    case 2: return s.slice(0, pos) + rng.pick(MUTATION) + s.slice(pos + 1)
    default: return s.slice(0, pos)
  }
}
for (let i = 0; i < 2000; i++) json('generated/value/' + pad(i), rng.pick(WS) + genValue(0) + rng.pick(WS))
for (let i = 0; i < 600; i++) {
  let t = genValue(0)
  // never cut a surrogate pair in half: inputs must stay well-formed strings
  do { t = mutate(t) } while (!t.isWellFormed())
  json('generated/mutated/' + pad(i), t)
}
for (let i = 0; i < 600; i++) json('generated/number/' + pad(i), '[' + genNumber() + ']')
for (let i = 0; i < 200; i++) {
  const bytes = [...Buffer.from(genString())]
  const at = 1 + rng.below(Math.max(1, bytes.length - 1))
  bytes.splice(at, 0, ...rng.pick(BAD_UTF8))
  jsonHex('generated/invalid-utf8/' + pad(i), bytes)
}

function generate () { return cases }

module.exports = { description, reference, generate, run }
