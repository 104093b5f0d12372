#!/usr/bin/env bash
# Memory per connection: zone-server with CONNECTIONS (default 10000) players
# logged in and idle. Prints the server's resident memory (VmRSS) before and
# with them, and the bytes each connection costs.
#
# Usage: benches/connections.sh          (CONNECTIONS=10000)
# Needs `ulimit -n` above CONNECTIONS for both processes (it raises the soft
# limit to the hard one).
set -euo pipefail

CONNECTIONS=${CONNECTIONS:-10000}
ZONE_PORT=${ZONE_PORT:-5571}

cd "$(dirname "$0")/.."
ulimit -n "$(ulimit -Hn)"
cargo build --release --quiet -p zone-server -p zone-loadgen

work=$(mktemp -d)
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

target/release/zone-server --config benches/config --data "$work/data" --listen "127.0.0.1:$ZONE_PORT" \
    2>"$work/zone.log" &
server=$!
for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$ZONE_PORT") 2>/dev/null; then break; fi
    sleep 0.1
done

rss() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$server/status"; }
before=$(rss)

# The load generator logs everyone in, prints `result idle N`, then holds
# the connections for 30 s.
target/release/zone-loadgen --mode idle --addr "127.0.0.1:$ZONE_PORT" -n "$CONNECTIONS" -d 30 \
    >"$work/idle.out" 2>/dev/null &
loadgen=$!
until grep -q '^result idle' "$work/idle.out" 2>/dev/null; do
    if ! kill -0 "$loadgen" 2>/dev/null; then cat "$work/idle.out"; echo "the load generator failed" >&2; exit 1; fi
    sleep 0.5
done
sleep 2
with=$(rss)
grep '^connections' "$work/idle.out"
kill "$loadgen" 2>/dev/null || true

awk -v b="$before" -v w="$with" -v n="$CONNECTIONS" 'BEGIN {
    printf "server RSS: %.1f MiB idle, %.1f MiB with %d connections\n", b / 1048576, w / 1048576, n
    printf "bytes per connection: %.0f\n", (w - b) / n
}'
