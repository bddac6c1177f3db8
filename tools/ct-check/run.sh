#!/usr/bin/env bash
# Constant-time check of ssb-crypto under valgrind memcheck (see src/main.rs). Needs valgrind.
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --quiet --locked
VG="valgrind --quiet --error-exitcode=1 --suppressions=public-verdicts.supp"
if $VG ./target/release/ct-check --self-test >/dev/null 2>&1; then
  echo "ct-check: the self-test branch on a secret went unreported: the check is not working" >&2
  exit 1
fi
$VG ./target/release/ct-check
