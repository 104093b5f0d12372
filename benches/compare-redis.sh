#!/usr/bin/env bash
# Compares zone-server with redis-server on this machine, over loopback, with
# the same load generator (zone-loadgen) and the same number of connections:
#
#   1. closed loop: N connections each send a command and wait for its reply
#      line: `?uptime` over ChatNet against inline `PING` to redis;
#   2. fan-out: one sender and RECEIVERS receivers: a public message in one
#      realm against `PUBLISH` to RECEIVERS subscribers; deliveries per second.
#
# Usage: benches/compare-redis.sh            (N=50 DURATION=10 RECEIVERS=1000 ROUNDS=3)
#        N=100 DURATION=20 benches/compare-redis.sh
# Installs the Debian package redis-server if it is missing. The last line is
# `ratio zone/redis: X.XX` (closed loop); the line before it is the fan-out's.
set -euo pipefail

N=${N:-50}
DURATION=${DURATION:-10}
RECEIVERS=${RECEIVERS:-1000}
ZONE_PORT=${ZONE_PORT:-5570}
REDIS_PORT=${REDIS_PORT:-6390}

cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null; then
    echo "installing redis-server (Debian package)" >&2
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
    $sudo apt-get install -y redis-server >/dev/null 2>&1 \
        || { $sudo apt-get update >/dev/null && $sudo apt-get install -y redis-server >/dev/null; }
fi

cargo build --release --quiet -p zone-server -p zone-loadgen
loadgen=target/release/zone-loadgen

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

wait_for_port() {
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "nothing listens on port $1" >&2
    exit 1
}

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --maxclients 20000 \
    >"$work/redis.log" 2>&1 &
pids+=($!)
target/release/zone-server --config benches/config --data "$work/data" --listen "127.0.0.1:$ZONE_PORT" \
    2>"$work/zone.log" &
pids+=($!)
wait_for_port "$REDIS_PORT"
wait_for_port "$ZONE_PORT"

result() { awk '/^result / { print $3 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Each scenario runs ROUNDS times, zone and redis alternating, and the median
# counts: the load generator shares the machine's cores with the server, so
# single runs vary.
ROUNDS=${ROUNDS:-3}
zone_runs=()
redis_runs=()
zone_fanout_runs=()
redis_fanout_runs=()
for round in $(seq "$ROUNDS"); do
    echo "== round $round of $ROUNDS: closed loop, $N connections, $DURATION s ==" >&2
    "$loadgen" --mode chatnet --addr "127.0.0.1:$ZONE_PORT" -n "$N" -d "$DURATION" 2>/dev/null >"$work/zone.out"
    grep -E '^(throughput|latency)' "$work/zone.out" | sed 's/^/zone-server  /'
    zone_runs+=("$(result <"$work/zone.out")")
    "$loadgen" --mode raw --line PING --addr "127.0.0.1:$REDIS_PORT" -n "$N" -d "$DURATION" 2>/dev/null >"$work/redis.out"
    grep -E '^(throughput|latency)' "$work/redis.out" | sed 's/^/redis-server /'
    redis_runs+=("$(result <"$work/redis.out")")

    echo "== round $round of $ROUNDS: fan-out, 1 sender, $RECEIVERS receivers, $DURATION s ==" >&2
    zone_fanout_runs+=("$("$loadgen" --mode fanout --addr "127.0.0.1:$ZONE_PORT" --realm "fanout$round" \
        --receivers "$RECEIVERS" -d "$DURATION" 2>/dev/null | result)")
    echo "zone-server  deliveries: ${zone_fanout_runs[-1]}/s"
    redis_fanout_runs+=("$("$loadgen" --mode fanout --redis --addr "127.0.0.1:$REDIS_PORT" \
        --receivers "$RECEIVERS" -d "$DURATION" 2>/dev/null | result)")
    echo "redis-server deliveries: ${redis_fanout_runs[-1]}/s"
done

zone=$(printf '%s\n' "${zone_runs[@]}" | median)
redis=$(printf '%s\n' "${redis_runs[@]}" | median)
zone_fanout=$(printf '%s\n' "${zone_fanout_runs[@]}" | median)
redis_fanout=$(printf '%s\n' "${redis_fanout_runs[@]}" | median)
echo "== medians of $ROUNDS rounds =="
echo "zone-server  closed loop: $zone requests/s (?uptime over ChatNet, N=$N)"
echo "redis-server closed loop: $redis requests/s (inline PING, N=$N)"
echo "zone-server  fan-out: $zone_fanout deliveries/s (SEND:PUB to $RECEIVERS players)"
echo "redis-server fan-out: $redis_fanout deliveries/s (PUBLISH to $RECEIVERS subscribers)"
awk -v z="$zone_fanout" -v r="$redis_fanout" 'BEGIN { printf "ratio fanout zone/redis: %.2f\n", z / r }'
awk -v z="$zone" -v r="$redis" 'BEGIN { printf "ratio zone/redis: %.2f\n", z / r }'
