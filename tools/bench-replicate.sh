#!/usr/bin/env bash
# Whole-process replication benchmark (README "Performance"): FEEDS feeds x MSGS messages
# made by the JS reference (test-vectors/js/peer/make-feed.js), imported into a store and
# served by our `ssb serve --store`; then, ROUNDS times, interleaved so that both see the
# same machine: `ssb verify-feed` of all the messages (exact validation: the floor) and
# `ssb replicate` of every feed into an empty store over EBT (and with --legacy). Prints
# msgs/s of each, the ratio replicate / verify-feed of each round and the replicate's peak
# RSS. With --js, also the same transfer from the JS server (secret-stack + ssb-db +
# ssb-ebt 9, test-vectors/js/peer/server.js --ebt).
#
#   cargo build --release -p ssb-cli && (cd test-vectors/js && npm ci)
#   tools/bench-replicate.sh [--js] [--rounds N] [--feeds N] [--msgs N] [--dir DIR]
#
# Every server listens on 127.0.0.1 and is stopped at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ssb=${SSB:-$root/target/release/ssb}
js=0 rounds=5 feeds=100 msgs=1000 dir=
while [ $# -gt 0 ]; do
  case "$1" in
    --js) js=1 ;;
    --rounds) rounds=$2; shift ;;
    --feeds) feeds=$2; shift ;;
    --msgs) msgs=$2; shift ;;
    --dir) dir=$2; shift ;;
    *) echo "usage: $0 [--js] [--rounds N] [--feeds N] [--msgs N] [--dir DIR]" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$ssb" ] || { echo "build first: cargo build --release -p ssb-cli" >&2; exit 2; }
dir=${dir:-$(mktemp -d)}
mkdir -p "$dir"
cd "$dir"
total=$((feeds * msgs))
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

if [ ! -s "all-$feeds-$msgs.jsonl" ]; then
  : > "all-$feeds-$msgs.jsonl"
  for i in $(seq 1 "$feeds"); do
    node "$root/test-vectors/js/peer/make-feed.js" --seed "$(printf '%064x' $((i + 1000)))" \
      --count "$msgs" --out "f$i.jsonl"
    cat "f$i.jsonl" >> "all-$feeds-$msgs.jsonl"
  done
fi
all="all-$feeds-$msgs.jsonl"
[ -f srv.secret ] || "$ssb" keygen --secret srv.secret --seed "$(printf '%064x' 1)" > /dev/null
[ -f cli.secret ] || "$ssb" keygen --secret cli.secret --seed "$(printf '%064x' 2)" > /dev/null
rm -rf src
"$ssb" import --store src "$all" > /dev/null 2> import.err || { cat import.err >&2; exit 1; }
args=()
for i in $(seq 1 "$feeds"); do
  args+=(--feed "$(head -1 "f$i.jsonl" | sed -E 's/.*"author":"([^"]+)".*/\1/')")
done

"$ssb" serve --listen 127.0.0.1:0 --store src --secret srv.secret > serve.addr 2> serve.err &
pids+=($!)
for _ in $(seq 1 100); do [ -s serve.addr ] && break; sleep 0.1; done
ours=$(head -1 serve.addr)

# Seconds and peak RSS (KiB) of one replicate into an empty store.
run() {
  rm -rf dst
  /usr/bin/time -f "%e %M" -o rep.time "$ssb" replicate "$1" "${args[@]}" --store dst \
    --secret cli.secret "${@:2}" > rep.out 2> rep.err
  local complete
  complete=$(grep -c "\"sequence\":$msgs}" rep.out || true)
  [ "$complete" = "$feeds" ] || { echo "replicate incomplete ($complete of $feeds feeds)" >&2; cat rep.err >&2; exit 1; }
  cat rep.time
}
rate() { python3 -c "print(f'{$total / $1:.0f}')"; }

printf 'round  verify-feed msgs/s  EBT msgs/s  ratio  peak RSS  legacy msgs/s  ratio\n'
for r in $(seq 1 "$rounds"); do
  v=$("$ssb" verify-feed "$all" 2>&1 | tail -1 | sed -E 's/.* in ([0-9.]+) s.*/\1/')
  read -r e erss < <(run "$ours")
  read -r l _ < <(run "$ours" --legacy)
  printf '%5s  %18s  %10s  %5.2f  %5d MiB  %13s  %5.2f\n' "$r" "$(rate "$v")" "$(rate "$e")" \
    "$(python3 -c "print($v / $e)")" $((erss / 1024)) "$(rate "$l")" "$(python3 -c "print($v / $l)")"
done

if [ "$js" = 1 ]; then
  files=()
  for i in $(seq 1 "$feeds"); do files+=(--feed "$dir/f$i.jsonl"); done
  (cd "$root/test-vectors/js" && exec node peer/server.js --seed "$(printf '06%.0s' $(seq 1 32))" \
    --max-seconds 900 --ebt --ignore-stdin "${files[@]}") > js.addr 2> js.err &
  pids+=($!)
  for _ in $(seq 1 6000); do [ -s js.addr ] && break; sleep 0.1; done
  jsaddr=$(sed -E 's/.*"address":"([^"]+)".*/\1/' js.addr | head -1)
  printf 'from the JS server: round  EBT msgs/s  peak RSS  legacy msgs/s\n'
  for r in $(seq 1 "$rounds"); do
    read -r e erss < <(run "$jsaddr")
    read -r l _ < <(run "$jsaddr" --legacy)
    printf '%26s  %10s  %5d MiB  %13s\n' "$r" "$(rate "$e")" $((erss / 1024)) "$(rate "$l")"
  done
fi
