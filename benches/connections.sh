#!/usr/bin/env bash
# Memory per idle player: zone-server with CONNECTIONS (default 10000) players
# logged in, spread over REALMS realms (default one per 100 players), idle.
# Prints the server's resident memory (VmRSS): before, with them, 10 s after
# they leave, and 10 s after a fan-out run (one sender, 1,000 receivers, 10 s)
# that follows; the bytes each player costs; and how far each "after" is from
# the baseline.
#
# Usage: benches/connections.sh          (CONNECTIONS=10000 REALMS=100)
#        ZONE_BIN=/other/build/zone-server benches/connections.sh   (another build)
#        ZONE_LOG=/tmp/zone.log benches/connections.sh   (keep the server's log)
# Needs `ulimit -n` above CONNECTIONS for both processes (it raises the soft
# limit to the hard one); SOURCES (default: one per 20,000 players) spreads
# the players over 127.0.0.1, .2, ... past one address's ephemeral ports.
set -euo pipefail

CONNECTIONS=${CONNECTIONS:-10000}
REALMS=${REALMS:-$(( (CONNECTIONS + 99) / 100 ))}
SOURCES=${SOURCES:-$(( (CONNECTIONS + 19999) / 20000 ))}
ZONE_PORT=${ZONE_PORT:-5571}

cd "$(dirname "$0")/.."
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -le "$((CONNECTIONS + 100))" ]; then
    echo "open files are limited to $(ulimit -n) a process (hard limit): too few for $CONNECTIONS players" >&2
    exit 1
fi
cargo build --release --quiet -p zone-server -p zone-loadgen
loadgen=target/release/zone-loadgen

work=$(mktemp -d)
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The bench config with room for this many players and realms.
mkdir "$work/config"
sed -e "s/connections: 20000/connections: $((CONNECTIONS + 2000))/" \
    -e "s/realms: 100,/realms: $((REALMS + 10)),/" benches/config/zone.ron >"$work/config/zone.ron"

"${ZONE_BIN:-target/release/zone-server}" --config "$work/config" --data "$work/data" --listen "127.0.0.1:$ZONE_PORT" \
    2>"${ZONE_LOG:-$work/zone.log}" &
server=$!
for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$ZONE_PORT") 2>/dev/null; then break; fi
    sleep 0.1
done

# VmRSS, and its anonymous part (RssAnon): the rest is the binary's and
# libraries' pages, which grow as code runs for the first time and are not
# memory the zone holds.
rss() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$server/status"; }
anon() { awk '/^RssAnon:/ { print $2 * 1024 }' "/proc/$server/status"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
sleep 2
before=$(rss); before_anon=$(anon)

# The load generator logs everyone in, prints `result idle N`, then holds
# the connections (reading what they are sent) until it is killed.
"$loadgen" --mode idle --addr "127.0.0.1:$ZONE_PORT" -n "$CONNECTIONS" --realms "$REALMS" \
    --sources "$SOURCES" --login-concurrency 256 -d 3600 >"$work/idle.out" 2>/dev/null &
idle=$!
until grep -q '^result idle' "$work/idle.out" 2>/dev/null; do
    if ! kill -0 "$idle" 2>/dev/null; then cat "$work/idle.out"; echo "the load generator failed" >&2; exit 1; fi
    sleep 0.5
done
sleep 5
with=$(rss); with_anon=$(anon)
grep '^connections' "$work/idle.out"
kill "$idle" 2>/dev/null || true
wait "$idle" 2>/dev/null || true
sleep 10
left=$(rss); left_anon=$(anon)

"$loadgen" --mode fanout --addr "127.0.0.1:$ZONE_PORT" --receivers 1000 -d 10 --realm fanout \
    2>/dev/null | grep -E '^(deliveries|result)' || { echo "the fan-out run failed" >&2; exit 1; }
sleep 10
fanned=$(rss); fanned_anon=$(anon)

echo "server RSS: $(mib "$before") before, $(mib "$with") with $CONNECTIONS players in $REALMS realms"
echo "server RSS 10 s after they left: $(mib "$left"); 10 s after a fan-out run: $(mib "$fanned")"
echo "anonymous: $(mib "$before_anon") before, $(mib "$with_anon") with, $(mib "$left_anon") after they left, $(mib "$fanned_anon") after the fan-out"
awk -v b="$before" -v w="$with" -v l="$left" -v f="$fanned" -v n="$CONNECTIONS" \
    -v ba="$before_anon" -v wa="$with_anon" -v la="$left_anon" -v fa="$fanned_anon" 'BEGIN {
    printf "bytes per player: %.0f (anonymous: %.0f)\n", (w - b) / n, (wa - ba) / n
    printf "after leaving: %+.1f %% of the baseline; after the fan-out: %+.1f %%\n", (l - b) * 100 / b, (f - b) * 100 / b
    printf "anonymous, after leaving: %+.1f MiB; after the fan-out: %+.1f MiB\n", (la - ba) / 1048576, (fa - ba) / 1048576
}'
