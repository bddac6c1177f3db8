#!/usr/bin/env bash
# The one test command: everything CI checks, runnable on a fresh machine with Rust, node 20
# and npm. Installs the JS oracle (pinned, from package-lock.json) and the external suites
# first, then proves the vectors on JS, then runs the Rust checks and tests.
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n==> %s\n' "$*"; }

step "JS oracle: npm ci (test-vectors/js)"
if [ ! -d test-vectors/js/node_modules ] || [ test-vectors/js/package-lock.json -nt test-vectors/js/node_modules/.package-lock.json ]; then
  (cd test-vectors/js && npm ci --no-audit --no-fund)
fi

step "external suites: install at test time (never committed)"
test-vectors/external/validation-dataset.sh

step "external suites: shs1-test (client and server) against ssb shs1, test-secret-handshake data.json"
test-vectors/external/shs1.sh

step "JS oracle: every committed vector regenerates byte-identically and passes on the JS reference"
(cd test-vectors/js && node check.js)

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "the libraries without default features (ssb-crypto without graviola and std)"
cargo build --release --locked --no-default-features -p ssb-crypto -p ssb-sansio -p ssb-legacy-json \
  -p ssb-handshake -p ssb-boxstream -p ssb-muxrpc -p ssb-connection -p ssb-private-box -p ssb-feed

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace --locked --quiet

step "fuzz smoke run (nightly, cargo-fuzz; seeds from the vectors)"
SECONDS_PER_TARGET="${SECONDS_PER_TARGET:-15}" fuzz/smoke.sh

step "cargo test --release (unit, property, differential, conformance and doc tests)"
cargo test --release --workspace --locked

step "the same crypto, handshake, private-box, feed and vector tests on the dalek fallback (ssb-crypto/force-portable)"
cargo test --release --locked -p ssb-crypto -p ssb-feed -p ssb-handshake -p ssb-private-box \
  -p ssb-test-vectors --features ssb-crypto/force-portable

step "constant-time check of ssb-crypto's secret-key code (valgrind memcheck, secrets undefined)"
tools/ct-check/run.sh
