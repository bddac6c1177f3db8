#!/usr/bin/env bash
# Short fuzz smoke run of every target (CI): seeds from the vectors, then SECONDS_PER_TARGET
# seconds each. Needs the nightly toolchain; installs cargo-fuzz if missing.
set -euo pipefail
cd "$(dirname "$0")"
secs="${SECONDS_PER_TARGET:-20}"
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo +nightly install cargo-fuzz --locked --quiet
fi
node seed.js
for t in $(cargo +nightly fuzz list); do
  echo "fuzz: $t for ${secs}s"
  cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -print_final_stats=0 2>&1 | tail -n 3
done
