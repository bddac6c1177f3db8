'use strict'
// The vector layers, in the order generate.js writes them and check.js checks them.
// Each module exports { description, generate(): cases[], run(op, input): outcome }
// where an outcome is { ok: output } or { error: class } (see ../README.md).
module.exports = ['crypto', 'legacy-json', 'handshake', 'boxstream', 'feed', 'muxrpc', 'session', 'private-box']
