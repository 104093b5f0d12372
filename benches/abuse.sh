#!/usr/bin/env bash
# Abuse and soak (issue 9): the release zone's resident memory (VmRSS) before,
# at its highest during, and 10 s after
#   1. 2,000 wrong-password logins, 200 connections at a time, with the
#      default argon2id cost (19 MiB a hash) and no per-address limit or
#      back-off (benches/abuse/zone.ron): only the hashing pool bounds memory;
#   2. the same burst against the default config (limits and back-off on);
#   3. 5,000 idle sockets that never log in, from 127.0.0.1, while a player
#      from 127.0.0.2 logs in and runs ?uptime (default config).
#
# Usage: benches/abuse.sh        (ATTEMPTS=2000 CONCURRENCY=200 IDLE=5000)
set -euo pipefail

ATTEMPTS=${ATTEMPTS:-2000}
CONCURRENCY=${CONCURRENCY:-200}
IDLE=${IDLE:-5000}
ZONE_PORT=${ZONE_PORT:-5572}
ADDR="127.0.0.1:$ZONE_PORT"

cd "$(dirname "$0")/.."
ulimit -n "$(ulimit -Hn)"
cargo build --release --quiet -p zone-server -p zone-loadgen

work=$(mktemp -d)
server=""
sampler=""
cleanup() {
    [ -n "$sampler" ] && kill "$sampler" 2>/dev/null || true
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

start_zone() {
    rm -rf "$work/data"
    target/release/zone-server "$@" --data "$work/data" --listen "$ADDR" 2>"$work/zone.log" &
    server=$!
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$ZONE_PORT") 2>/dev/null; then return; fi
        sleep 0.1
    done
    echo "the zone did not start" >&2
    exit 1
}
stop_zone() {
    kill "$server"
    wait "$server" || true
    server=""
}
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$server/status"; } # KiB
# Samples RSS every 50 ms into $work/peak until killed.
sample() {
    echo 0 >"$work/peak"
    while true; do
        now=$(rss)
        if [ "$now" -gt "$(cat "$work/peak")" ]; then echo "$now" >"$work/peak"; fi
        sleep 0.05
    done
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

burst() {
    local label=$1
    shift
    start_zone "$@"
    # The account exists, with another password than the one tried.
    target/release/zone-loadgen --mode probe --addr "$ADDR" --name victim >/dev/null
    sleep 1
    local before
    before=$(rss)
    sample &
    sampler=$!
    target/release/zone-loadgen --mode wrong-logins --addr "$ADDR" --name victim \
        -n "$CONCURRENCY" --attempts "$ATTEMPTS" >"$work/burst.out"
    kill "$sampler"
    wait "$sampler" 2>/dev/null || true
    sampler=""
    sleep 10
    echo "== $label"
    grep -v '^result' "$work/burst.out"
    echo "RSS: before $(mib "$before"), peak during $(mib "$(cat "$work/peak")"), 10 s after $(mib "$(rss)")"
    stop_zone
}

burst "$ATTEMPTS wrong logins, $CONCURRENCY at a time, no address limits or back-off" --config benches/abuse
burst "$ATTEMPTS wrong logins, $CONCURRENCY at a time, default config"

start_zone
before=$(rss)
sample &
sampler=$!
target/release/zone-loadgen --mode idle-raw --addr "$ADDR" --from 127.0.0.1 -n "$IDLE" -d 15 \
    >"$work/idle.out" 2>&1 &
idler=$!
until grep -q '^result idle-raw' "$work/idle.out" 2>/dev/null; do
    if ! kill -0 "$idler" 2>/dev/null; then cat "$work/idle.out"; echo "the idle sockets failed" >&2; exit 1; fi
    sleep 0.2
done
echo "== $IDLE idle sockets from 127.0.0.1, a player from 127.0.0.2"
grep -v '^result' "$work/idle.out"
target/release/zone-loadgen --mode probe --addr "$ADDR" --from 127.0.0.2 --name player | grep -v '^result'
during=$(rss)
wait "$idler"
kill "$sampler"
wait "$sampler" 2>/dev/null || true
sampler=""
sleep 10
echo "RSS: before $(mib "$before"), with the sockets $(mib "$during"), peak $(mib "$(cat "$work/peak")"), 10 s after $(mib "$(rss)")"
stop_zone
