#!/usr/bin/env bash
# Compare, in one run, `oidclab up` (no plugin) with a bare httputil.ReverseProxy, both
# proxying GET /anything to the same loopback echo upstream over the network
# (--real-upstreams, so the gateway does the same network work as the baseline).
#
#   bench/wrk.sh                      # 4 alternating rounds of 5 s per side, 2 threads, 32 conns
#   ROUNDS=6 DURATION=10s CONNS=64 bench/wrk.sh
#
# Prints requests/s, p99 latency and CPU time per request of both, and the gateway/plain
# throughput ratio (target: >= 0.85). CPU per request is the steadier figure on a shared
# machine: it does not move with other processes' load. Needs wrk (apt-get install wrk).
set -euo pipefail

DURATION=${DURATION:-5s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
UP_PORT=${UP_PORT:-18200}
GW_PORT=${GW_PORT:-18000}
PLAIN_PORT=${PLAIN_PORT:-18100}

cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
	echo "wrk not found; installing (apt-get install wrk)" >&2
	sudo apt-get install -y wrk >/dev/null 2>&1 || apt-get install -y wrk >/dev/null
fi

# shellcheck source=bench/lib.sh
source bench/lib.sh

echo "building..." >&2
go build -o "$work/oidclab" ./cmd/oidclab
go build -o "$work/plainproxy" ./bench/plainproxy
go build -o "$work/upstream" ./bench/upstream

cat >"$work/kong.yaml" <<YAML
_format_version: "3.0"
services:
  - name: bench-upstream
    url: http://127.0.0.1:${UP_PORT}/anything
routes:
  - name: bench-route
    paths: [/anything]
    service: bench-upstream
YAML

"$work/upstream" -listen "127.0.0.1:${UP_PORT}" & pids+=($!)
"$work/plainproxy" -listen "127.0.0.1:${PLAIN_PORT}" -target "http://127.0.0.1:${UP_PORT}" 2>/dev/null &
plain_pid=$!
pids+=($plain_pid)
# The access log goes to stderr as in real use; here to /dev/null.
"$work/oidclab" up -c "$work/kong.yaml" --real-upstreams --listen "127.0.0.1:${GW_PORT}" \
	--admin-listen off 2>/dev/null &
gw_pid=$!
pids+=($gw_pid)

wait_for "http://127.0.0.1:${PLAIN_PORT}/anything"
wait_for "http://127.0.0.1:${GW_PORT}/anything"

TICK=$(getconf CLK_TCK)

# run URL PID -> "rps p99 requests cpu_ticks": one wrk run and the proxy's CPU during it
run() {
	local out rps p99 reqs before after
	before=$(cpu_ticks "$2")
	out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$1")
	after=$(cpu_ticks "$2")
	rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
	p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
	reqs=$(awk '/requests in/ {print $1}' <<<"$out")
	echo "$rps $p99 $reqs $((after - before))"
}

echo "warming up..." >&2
wrk -t"$THREADS" -c"$CONNS" -d2s "http://127.0.0.1:${PLAIN_PORT}/anything" >/dev/null
wrk -t"$THREADS" -c"$CONNS" -d2s "http://127.0.0.1:${GW_PORT}/anything" >/dev/null

# Alternate plain and gateway runs (ABBA...) so changes in machine load hit both alike.
ROUNDS=${ROUNDS:-4}
echo "measuring: ${ROUNDS} rounds of ${DURATION} per side, ${THREADS} threads, ${CONNS} connections..." >&2
printf '%-6s %-24s %12s %10s %16s\n' round proxy requests/s p99 "CPU µs/request"
results=()
for ((i = 1; i <= ROUNDS; i++)); do
	order=("plain" "gateway")
	((i % 2 == 0)) && order=("gateway" "plain")
	for side in "${order[@]}"; do
		if [[ $side == plain ]]; then port=$PLAIN_PORT pid=$plain_pid name="httputil.ReverseProxy"; else port=$GW_PORT pid=$gw_pid name="oidclab up (no plugin)"; fi
		read -r rps p99 reqs ticks < <(run "http://127.0.0.1:${port}/anything" "$pid")
		cpu=$(awk -v t="$ticks" -v n="$reqs" -v hz="$TICK" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
		printf '%-6s %-24s %12s %10s %16s\n' "$i" "$name" "$rps" "$p99" "$cpu"
		results+=("$side $rps $cpu")
	done
done

printf '%s\n' "${results[@]}" | awk '
	{ rps[$1] += $2; cpu[$1] += $3; n[$1]++ }
	END {
		r = rps["gateway"] / rps["plain"]
		printf "\nmean requests/s: plain %.0f, gateway %.0f\n", rps["plain"] / n["plain"], rps["gateway"] / n["gateway"]
		printf "mean CPU µs/request: plain %.1f, gateway %.1f\n", cpu["plain"] / n["plain"], cpu["gateway"] / n["gateway"]
		printf "gateway/plain throughput: %.2f (target >= 0.85)%s\n", r, (r >= 0.85 ? "" : "  BELOW TARGET")
		printf "plain/gateway CPU per request: %.2f\n", (cpu["plain"] / n["plain"]) / (cpu["gateway"] / n["gateway"])
	}'
