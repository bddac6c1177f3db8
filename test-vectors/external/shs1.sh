#!/usr/bin/env bash
# External secret-handshake suites, run against this workspace's code at test time:
#
#  * shs1-test@1.1.1 (npm, GPL-3.0: installed here at test time into an ignored directory,
#    never committed): `test-server.js` and `test-client.js` spawn `ssb shs1 server|client`
#    and run 45 cases each (20 good handshakes, 25 faulty peers), with fixed seeds and one
#    random seed.
#  * test-secret-handshake@1.0.2 (npm, MIT): its data.json (159 recorded crypto.js calls) is
#    replayed byte for byte by ssb-handshake/tests/test_secret_handshake.rs.
#
# Usage: test-vectors/external/shs1.sh        (from anywhere; needs node, npm, cargo, network
#                                               for the first npm install)
# Env:   SHS1_SEEDS="1 2 3 random"            seeds for shs1-test ("random" = no seed)
#        SSB_SKIP_EXTERNAL=1                  skip every external suite (says so; exit 0)
# Exit:  0 when every case of every suite passed, 1 otherwise; a suite that cannot be
#        installed is a failure (with how to install it), never a silent skip.
set -euo pipefail

if [ "${SSB_SKIP_EXTERNAL:-}" = 1 ]; then
  echo "SKIPPED (SSB_SKIP_EXTERNAL=1): shs1-test and test-secret-handshake"
  exit 0
fi
need() { # command, how to get it
  command -v "$1" >/dev/null 2>&1 || { echo "shs1.sh: $1 not found: $2 (or set SSB_SKIP_EXTERNAL=1 to skip the external suites)" >&2; exit 1; }
}
need node "install node >= 20 and npm (Debian: apt-get install nodejs npm)"
need npm "install npm (Debian: apt-get install npm)"
need cargo "install a Rust toolchain"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
prefix="$here/.npm"
shs1_version=1.1.1
tsh_version=1.0.2

installed() { # name version
  local pj="$prefix/node_modules/$1/package.json"
  [ -f "$pj" ] && node -e "process.exit(require('$pj').version === '$2' ? 0 : 1)"
}
if ! installed shs1-test "$shs1_version" || ! installed test-secret-handshake "$tsh_version"; then
  echo "installing shs1-test@$shs1_version and test-secret-handshake@$tsh_version into $prefix"
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$prefix" \
    "shs1-test@$shs1_version" "test-secret-handshake@$tsh_version" || {
    echo "shs1.sh: npm could not install shs1-test@$shs1_version and test-secret-handshake@$tsh_version into $prefix (needs the npm registry)" >&2
    exit 1
  }
fi

cd "$root"
cargo build --release --quiet -p ssb-cli
target_dir="${CARGO_TARGET_DIR:-$root/target}"
bin="$target_dir/release/ssb"
[ -x "$bin" ] || { echo "missing $bin" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# shs1-test spawns one executable with the suite's arguments; point it at our subcommands.
printf '#!/bin/sh\nexec "%s" shs1 server "$@"\n' "$bin" > "$tmp/server"
printf '#!/bin/sh\nexec "%s" shs1 client "$@"\n' "$bin" > "$tmp/client"
chmod +x "$tmp/server" "$tmp/client"

suite="$prefix/node_modules/shs1-test"
# The number of cases each suite runs: the sum of its `Array(N).fill(test)` entries.
count() { node -e "const s=require('fs').readFileSync('$1','utf8');let n=0;for(const m of s.matchAll(/Array\((\d+)\)\.fill/g))n+=+m[1];console.log(n)"; }
failures=0
for role in server client; do
  cases="$(count "$suite/test-$role.js")"
  for seed in ${SHS1_SEEDS:-1 2 3 random}; do
    args=()
    [ "$seed" = random ] || args=("$seed")
    log="$tmp/$role-$seed.log"
    if node "$suite/test-$role.js" "$tmp/$role" "${args[@]}" > "$log" 2> "$log.stderr"; then
      echo "shs1-test $role (seed $seed): $cases/$cases passed"
    else
      rc=$?
      echo "shs1-test $role (seed $seed): FAILED ($rc of $cases cases failed)"
      cat "$log"
      failures=$((failures + 1))
    fi
  done
done

echo "test-secret-handshake: replaying data.json"
# SSB_SKIP_EXTERNAL is unset here (see above), so a missing data.json fails the test.
if SSB_TEST_SECRET_HANDSHAKE_DATA="$prefix/node_modules/test-secret-handshake/data.json" \
  cargo test --release --quiet -p ssb-handshake --test test_secret_handshake -- --nocapture \
  > "$tmp/tsh.log" 2>&1; then
  grep -E 'replayed|test result' "$tmp/tsh.log" || true
else
  cat "$tmp/tsh.log"
  echo "test-secret-handshake: FAILED"
  failures=$((failures + 1))
fi

if [ "$failures" -ne 0 ]; then
  echo "external SHS suites: $failures failed"
  exit 1
fi
echo "external SHS suites: all passed"
