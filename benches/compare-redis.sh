#!/usr/bin/env bash
# Compares zone-server with redis-server on this machine, over loopback, with
# the same load generator (zone-loadgen) and the same number of connections:
#
#   1. closed loop: N connections each send a command and wait for its reply
#      line: `?uptime` over ChatNet against inline `PING` to redis; requests
#      per second, latency, and each server's CPU time per request (user and
#      system time of its process over the measured run, from /proc/PID/stat,
#      divided by the requests);
#   2. fan-out: one sender and RECEIVERS receivers: a public message in one
#      realm against `PUBLISH` to RECEIVERS subscribers; deliveries per second
#      and the latency from send to delivery at each message's slowest
#      receiver.
#
# Usage: benches/compare-redis.sh            (N=50 DURATION=10 RECEIVERS=1000 ROUNDS=5)
#        N=100 DURATION=20 benches/compare-redis.sh
#        ZONE_BIN=/other/build/zone-server FANOUT=0 benches/compare-redis.sh
#          (another build of the zone; the closed loop only)
# Installs the Debian package redis-server if it is missing. Rounds alternate
# the two servers; medians count. A run of the load generator that fails
# stops the script with its error. The last lines are `ratio fanout
# zone/redis`, `ratio p99 zone/redis`, `ratio cpu/request zone/redis` and
# `ratio zone/redis` (closed-loop throughput).
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
redis_pid=$!
"${ZONE_BIN:-target/release/zone-server}" --config benches/config --data "$work/data" --listen "127.0.0.1:$ZONE_PORT" \
    2>"$work/zone.log" &
pids+=($!)
zone_pid=$!
wait_for_port "$REDIS_PORT"
wait_for_port "$ZONE_PORT"

# Runs the load generator, its report into $work/NAME.out; if it fails,
# says which run and why (its error, without the progress lines) and stops.
run_loadgen() {
    local name=$1
    shift
    if ! "$loadgen" "$@" >"$work/$name.out" 2>"$work/$name.err"; then
        echo "zone-loadgen failed ($name, round $round): $*" >&2
        grep -Ev '^ *[0-9]+s ' "$work/$name.err" | head -3 >&2
        exit 1
    fi
}

result() { awk '/^result / { print $3 }'; }
cpu() { awk '/^server cpu:/ { print $3 }'; }
p99() { awk '/^latency µs:/ { print $8 }'; }
slowest_p99() { awk '/^latency µs, slowest receiver/ { print $(NF-2) }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Each scenario runs ROUNDS times, zone and redis alternating, and the median
# counts: the load generator shares the machine's cores with the server, so
# single runs vary.
ROUNDS=${ROUNDS:-5}
zone_runs=() redis_runs=() zone_cpu=() redis_cpu=() zone_p99=() redis_p99=()
zone_fanout_runs=() redis_fanout_runs=() zone_fanout_p99=() redis_fanout_p99=()
for round in $(seq "$ROUNDS"); do
    echo "== round $round of $ROUNDS: closed loop, $N connections, $DURATION s ==" >&2
    run_loadgen zone --mode chatnet --addr "127.0.0.1:$ZONE_PORT" -n "$N" -d "$DURATION" --server-pid "$zone_pid"
    grep -E '^(throughput|latency|server cpu|lost)' "$work/zone.out" | sed 's/^/zone-server  /'
    zone_runs+=("$(result <"$work/zone.out")")
    zone_cpu+=("$(cpu <"$work/zone.out")")
    zone_p99+=("$(p99 <"$work/zone.out")")
    run_loadgen redis --mode raw --line PING --addr "127.0.0.1:$REDIS_PORT" -n "$N" -d "$DURATION" \
        --server-pid "$redis_pid"
    grep -E '^(throughput|latency|server cpu|lost)' "$work/redis.out" | sed 's/^/redis-server /'
    redis_runs+=("$(result <"$work/redis.out")")
    redis_cpu+=("$(cpu <"$work/redis.out")")
    redis_p99+=("$(p99 <"$work/redis.out")")

    [ "${FANOUT:-1}" = 0 ] && continue
    echo "== round $round of $ROUNDS: fan-out, 1 sender, $RECEIVERS receivers, $DURATION s ==" >&2
    run_loadgen zone-fanout --mode fanout --addr "127.0.0.1:$ZONE_PORT" --realm "fanout$round" \
        --receivers "$RECEIVERS" -d "$DURATION"
    grep -E '^(deliveries|latency)' "$work/zone-fanout.out" | sed 's/^/zone-server  /'
    zone_fanout_runs+=("$(result <"$work/zone-fanout.out")")
    zone_fanout_p99+=("$(slowest_p99 <"$work/zone-fanout.out")")
    run_loadgen redis-fanout --mode fanout --redis --addr "127.0.0.1:$REDIS_PORT" \
        --receivers "$RECEIVERS" -d "$DURATION"
    grep -E '^(deliveries|latency)' "$work/redis-fanout.out" | sed 's/^/redis-server /'
    redis_fanout_runs+=("$(result <"$work/redis-fanout.out")")
    redis_fanout_p99+=("$(slowest_p99 <"$work/redis-fanout.out")")
done

m() { printf '%s\n' "$@" | median; }
zone=$(m "${zone_runs[@]}"); redis=$(m "${redis_runs[@]}")
zone_c=$(m "${zone_cpu[@]}"); redis_c=$(m "${redis_cpu[@]}")
zone_l=$(m "${zone_p99[@]}"); redis_l=$(m "${redis_p99[@]}")
echo "== medians of $ROUNDS rounds =="
echo "zone-server  closed loop: $zone requests/s, p99 $zone_l µs, $zone_c µs CPU/request (?uptime over ChatNet, N=$N)"
echo "redis-server closed loop: $redis requests/s, p99 $redis_l µs, $redis_c µs CPU/request (inline PING, N=$N)"
# FANOUT=0 ran no fan-out: nothing to report of it.
if [ "${#zone_fanout_runs[@]}" -gt 0 ]; then
    zone_fanout=$(m "${zone_fanout_runs[@]}"); redis_fanout=$(m "${redis_fanout_runs[@]}")
    zone_fl=$(m "${zone_fanout_p99[@]}"); redis_fl=$(m "${redis_fanout_p99[@]}")
    echo "zone-server  fan-out: $zone_fanout deliveries/s, slowest receiver p99 $zone_fl µs (SEND:PUB to $RECEIVERS players)"
    echo "redis-server fan-out: $redis_fanout deliveries/s, slowest receiver p99 $redis_fl µs (PUBLISH to $RECEIVERS subscribers)"
    awk -v z="$zone_fanout" -v r="$redis_fanout" 'BEGIN { printf "ratio fanout zone/redis: %.2f\n", z / r }'
fi
awk -v z="$zone_l" -v r="$redis_l" 'BEGIN { printf "ratio p99 zone/redis: %.2f\n", z / r }'
awk -v z="$zone_c" -v r="$redis_c" 'BEGIN { printf "ratio cpu/request zone/redis: %.2f\n", z / r }'
awk -v z="$zone" -v r="$redis" 'BEGIN { printf "ratio zone/redis: %.2f\n", z / r }'
