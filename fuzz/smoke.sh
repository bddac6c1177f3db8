#!/usr/bin/env bash
# Short fuzz smoke run of every target (CI): seeds from the vectors plus the checked-in
# regression inputs (fuzz/regressions/<target>/), then SECONDS_PER_TARGET seconds each, under
# the memory limits SECURITY.md documents. Needs the nightly toolchain; installs the pinned
# cargo-fuzz if it is missing or another version.
#
#   SECONDS_PER_TARGET=N   seconds per target (default 20)
#   TARGETS="a b"          only these targets
set -euo pipefail
cd "$(dirname "$0")"
secs="${SECONDS_PER_TARGET:-20}"
CARGO_FUZZ_VERSION=0.13.2
if [ "$(cargo +nightly fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  cargo +nightly install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --quiet --force
fi
node seed.js
# The fuzz workspace builds with its own target dir, whatever the caller set.
unset CARGO_TARGET_DIR
for t in ${TARGETS:-$(cargo +nightly fuzz list)}; do
  # Feeds get inputs large enough for amplification to show (the signing text of a 58 KiB
  # message nesting 250 arrays once took a 16 MiB buffer: regressions/feed_validate/
  # deep-array-amplification); 4 KiB elsewhere.
  case "$t" in
    feed_*) max_len=65536 ;;
    *) max_len=4096 ;;
  esac
  mkdir -p "corpus/$t" "regressions/$t"
  echo "fuzz: $t for ${secs}s (max_len $max_len)"
  # -rss_limit_mb: the whole process; -malloc_limit_mb: any single allocation. A 64 KiB input
  # may cost its parse tree and a bounded signing text, never tens of MiB (SECURITY.md).
  cargo +nightly fuzz run -O "$t" "corpus/$t" "regressions/$t" -- \
    -max_total_time="$secs" -max_len="$max_len" -rss_limit_mb=1024 -malloc_limit_mb=8 \
    -print_final_stats=0 2>&1 | tail -n 3
done
