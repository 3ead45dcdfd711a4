#!/usr/bin/env bash
# CPU per /ask as instructions, not seconds: the built service (`pnpm start`'s command) of each
# checkout runs under valgrind's callgrind, answers a warm-up, then SMALL or LARGE more requests
# in two runs; (instructions(LARGE) - instructions(SMALL)) / (LARGE - SMALL) is its cost per
# request, start-up and warm-up cancelled. Counts do not depend on what else the machine does;
# they still vary run to run with when V8 collects garbage, so take several rounds.
#
#   bench/instructions.sh ROUNDS DIR[@VAR=value,...]...
#     e.g. bench/instructions.sh 3 /tmp/before .          two checkouts
#          bench/instructions.sh 2 .@METRICS=true .@METRICS=false   one checkout, two settings
#   (each DIR a checkout with node_modules; env WARM, SMALL, LARGE, CONCURRENCY)
set -euo pipefail
rounds=$1; shift
warm=${WARM:-200}; small=${SMALL:-100}; large=${LARGE:-600}; clients=${CONCURRENCY:-32}
bench=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v valgrind >/dev/null || { echo "instructions: valgrind is not installed (apt-get install -y valgrind)" >&2; exit 1; }
export USER=${USER:-root}
keeper=$((100000 + $$))

# Instructions for a whole run of DIR's service: start, WARM requests, then COUNT more.
run() {
  local dir=$1 count=$2 settings=$3 out
  local -a extra=()
  [ -n "$settings" ] && IFS=, read -r -a extra <<<"$settings"
  out=$(mktemp -d)
  ( cd "$dir" && node scripts/build.ts >/dev/null )
  # The upstream exits when its stdin closes: a `sleep` keeps the pipe open until we stop it (a
  # length of this script's own, so that two scripts at once stop only their own).
  ( sleep "$keeper" | PORT=0 node "$bench/upstream.ts" >"$out/upstream" ) &
  for _ in $(seq 1 50); do grep -q port "$out/upstream" 2>/dev/null && break; sleep 0.1; done
  local upstream service
  upstream=$(grep -o '[0-9]\+' "$out/upstream")
  service=$(node -e 'const s=require("net").createServer().listen(0,()=>{console.log(s.address().port);s.close()})')
  local start
  start=$(cd "$dir" && node -e 'console.log(require("./package.json").scripts.start.replace(/^node /, ""))')
  ( cd "$dir" && exec env -i PATH="$PATH" HOME="$HOME" USER="$USER" DATA_DIR="$out/data" PORT="$service" HOST=127.0.0.1 \
      LOG_LEVEL=Warn LLM_CONCURRENCY=64 BATCH_CONCURRENCY=64 OPENAI_BASE_URL="http://127.0.0.1:$upstream/v1" \
      OPENAI_API_KEY=sk-bench "${extra[@]}" valgrind --tool=callgrind --vgdb=no --smc-check=all-non-file \
      --callgrind-out-file="$out/callgrind" node $start ) >"$out/valgrind" 2>&1 &
  local pid=$!
  for _ in $(seq 1 1200); do curl -sf "http://127.0.0.1:$service/health" >/dev/null && break; sleep 0.5; done
  node "$bench/instructionsLoad.ts" "$service" "$warm" "$clients" "warm-$RANDOM" >/dev/null
  node "$bench/instructionsLoad.ts" "$service" "$count" "$clients" "measure-$RANDOM" >"$out/load"
  kill -TERM "$pid"; wait "$pid" || true
  # valgrind writes its counts as the service exits.
  for _ in $(seq 1 600); do grep -q '^totals:' "$out/callgrind" 2>/dev/null && break; sleep 0.1; done
  pkill -xf "sleep $keeper" || true
  grep -q '"failed":0' "$out/load" || echo "instructions: $(cat "$out/load") in $dir (a retried request counts)" >&2
  awk '/^(summary|totals):/ { print $2; exit }' "$out/callgrind"
  rm -rf "$out"
}

for round in $(seq 1 "$rounds"); do
  for target in "$@"; do
    dir=${target%%@*}; settings=""
    [ "$dir" != "$target" ] && settings=${target#*@}
    a=$(run "$dir" "$small" "$settings"); b=$(run "$dir" "$large" "$settings")
    echo "round $round  $(cd "$dir" && git rev-parse --short HEAD)  $target  $(( (b - a) / (large - small) )) instructions per /ask"
  done
done
