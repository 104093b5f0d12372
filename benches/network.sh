#!/usr/bin/env bash
# The zone network over PostgreSQL (issue 12), on this machine: for 2, 4 and
# 8 zone-server processes sharing one throwaway database,
#   1. propagation: an smod's ?grant/?revoke in zone 1, from its
#      acknowledgement to the change in the slowest other zone (p50, p99);
#   2. cross-zone private messages per second, zone 1 to zone 2.
#
# Usage: benches/network.sh                  (ZONES="2 4 8" EDITS=200 DURATION=10)
# Installs Debian's postgresql if it is missing; runs the server as the
# postgres user when run as root. Prints one `zones N: …` line per count.
set -euo pipefail

ZONES=${ZONES:-"2 4 8"}
EDITS=${EDITS:-200}
DURATION=${DURATION:-10}
PG_PORT=${PG_PORT:-5499}
BASE_PORT=${BASE_PORT:-5600}

cd "$(dirname "$0")/.."

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ]; then
    echo "installing postgresql (Debian package)" >&2
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
    $sudo apt-get install -y postgresql >/dev/null 2>&1 \
        || { $sudo apt-get update >/dev/null && $sudo apt-get install -y postgresql >/dev/null; }
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

cargo build --release --quiet -p zone-server -p zone-loadgen
server=target/release/zone-server
loadgen=target/release/zone-loadgen

work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    as_pg "$bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

mkdir "$work/pg"
if [ "$(id -u)" = 0 ]; then chown postgres "$work/pg"; fi
as_pg "$bin/initdb" -A trust -U zone -E UTF8 --no-sync -D "$work/pg" >/dev/null
as_pg "$bin/pg_ctl" -w -D "$work/pg" -l "$work/pg/log" \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $work/pg -c fsync=off" start >/dev/null

wait_for_port() {
    for _ in $(seq 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    echo "nothing listens on $1" >&2
    return 1
}
result() { awk '/^result / { print $3 }'; }

for zones in $ZONES; do
    db="zones$zones"
    "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U zone "$db"
    export DATABASE_URL="postgres://zone@127.0.0.1:$PG_PORT/$db"
    "$server" --data "$work/data" staff set BenchMod smod >/dev/null
    addrs=()
    zone_pids=()
    for i in $(seq "$zones"); do
        port=$((BASE_PORT + i))
        mkdir -p "$work/conf$zones-$i"
        printf '(name: "zone%s", limits: (lines_per_second: 100000, outbound_queue: 65536))\n' "$i" \
            >"$work/conf$zones-$i/zone.ron"
        "$server" --config "$work/conf$zones-$i" --data "$work/data$zones-$i" \
            --listen "127.0.0.1:$port" 2>"$work/zone$zones-$i.log" &
        zone_pids+=($!)
        pids+=($!)
        addrs+=("127.0.0.1:$port")
    done
    for addr in "${addrs[@]}"; do wait_for_port "${addr##*:}"; done
    peers=$(IFS=,; echo "${addrs[*]:1}")
    "$loadgen" --mode propagation --addr "${addrs[0]}" --peers "$peers" --name BenchMod \
        --attempts "$EDITS" 2>/dev/null >"$work/propagation.out"
    propagation=$(grep '^propagation' "$work/propagation.out")
    "$loadgen" --mode cross-private --addr "${addrs[0]}" --peers "${addrs[1]}" -d "$DURATION" \
        2>/dev/null >"$work/private.out"
    private=$(result <"$work/private.out")
    echo "zones $zones: $propagation; cross-zone private messages: $private/s"
    for pid in "${zone_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${zone_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
done
