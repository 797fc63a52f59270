#!/usr/bin/env bash
# The issue's benchmark, in one run on one machine, against the same echo upstream
# (bench/upstream) and the same IdP (`oidclab idp`), with wrk:
#
#   1. session-authenticated requests (a valid session cookie, 32 connections) through
#      - oidclab up (openid-connect plugin, session auth method), access log off (--json
#        --log-level warn: no line per request, as oauth2-proxy with --request-logging=false),
#      - the same with the access log on (the default; stderr to /dev/null),
#      - a plain httputil.ReverseProxy (bench/plainproxy),
#      - oauth2-proxy v7.15.6 (when installed: go install github.com/oauth2-proxy/oauth2-proxy/v7@v7.15.6),
#      in alternating rounds (the order rotates each round), requests/s, p50, p99 and the
#      proxy's CPU time per request (from /proc/PID/stat);
#   2. complete logins (redirect -> IdP form -> callback -> token -> session) through oidclab
#      and oauth2-proxy with oidclab's HTTP browser driver (bench/login), sequential, in
#      alternating rounds: logins/s and the relying party's CPU time per login;
#   3. start-up: `oidclab up` (embedded IdP, the tutorial file) from exec to its first answered
#      request (bench/startup);
#   and the peak RSS (VmHWM) of every process at the end.
#
#   bench/run.sh                          # defaults below; about 2.5 minutes
#   ROUNDS=3 DURATION=5s LOGINS=100 LOGIN_ROUNDS=2 bench/run.sh
#   SIDES="plain oidclab" SKIP_LOGINS=1 SKIP_STARTUP=1 ROUNDS=6 bench/run.sh   # a subset
#   OIDCLAB_BEFORE=/path/to/old/oidclab bench/run.sh   # also an older build, in the same run
#
# Each cookie-based side logs in again right before each of its rounds, as a browser that
# stores the cookies it is given: a session cookie replayed for more than a minute makes
# oidclab re-issue it on every request (the idle-timeout touch, once a minute per browser).
# The plain proxy gets the same Cookie header as oidclab (the same request).
#
# Everything listens on loopback ports 18000-18600. Every wrk run is bounded by DURATION.
set -euo pipefail

DURATION=${DURATION:-5s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
ROUNDS=${ROUNDS:-3}
LOGINS=${LOGINS:-100}
LOGIN_ROUNDS=${LOGIN_ROUNDS:-2}
STARTUPS=${STARTUPS:-10}
UP_PORT=18200 PLAIN_PORT=18100 GW_PORT=18000 GWLOG_PORT=18010 IDP_PORT=18400 O2P_PORT=18500
START_PORT=18600 START_IDP_PORT=18601

cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
O2P=${O2P:-$(command -v oauth2-proxy || echo "$(go env GOPATH)/bin/oauth2-proxy")}
[[ -x $O2P ]] || { echo "oauth2-proxy not found (go install github.com/oauth2-proxy/oauth2-proxy/v7@v7.15.6); measuring without it" >&2; O2P=""; }

# shellcheck source=bench/lib.sh
source bench/lib.sh

echo "building..." >&2
for cmd in ./cmd/oidclab ./bench/plainproxy ./bench/upstream ./bench/login ./bench/startup; do
	go build -o "$work/$(basename "$cmd")" "$cmd"
done

# Secrets live in the 0700 work directory and the processes' environment only.
rnd() { head -c "$1" /dev/urandom | base64 | tr -d '/+=\n' | head -c "$1"; }
client_secret=$(rnd 32)
export DECK_ISSUER_URL="http://127.0.0.1:${IDP_PORT}/oauth2/default" DECK_CLIENT_SECRET="$client_secret" DECK_SESSION_SECRET="$(rnd 32)"

cat >"$work/kong.yaml" <<YAML
_format_version: "3.0"
services:
  - name: bench-upstream
    url: http://127.0.0.1:${UP_PORT}/anything
routes:
  - name: bench-route
    paths: [/anything]
    service: bench-upstream
plugins:
  - name: openid-connect
    service: bench-upstream
    config:
      issuer: \${{ env "DECK_ISSUER_URL" }}
      client_id: [bench]
      client_secret: [\${{ env "DECK_CLIENT_SECRET" }}]
      redirect_uri: [\${{ env "DECK_REDIRECT_URI" }}]
      scopes: [openid, email, profile]
      auth_methods: [authorization_code, session]
      session_secret: \${{ env "DECK_SESSION_SECRET" }}
      token_endpoint_auth_method: client_secret_basic
      response_mode: query
YAML

"$work/upstream" -listen "127.0.0.1:${UP_PORT}" & pids+=($!)
"$work/oidclab" idp --listen "127.0.0.1:${IDP_PORT}" --client-id bench --client-secret "$client_secret" \
	--redirect-uri "http://127.0.0.1:${GW_PORT}/anything" --redirect-uri "http://127.0.0.1:${GWLOG_PORT}/anything" \
	--redirect-uri "http://127.0.0.1:${O2P_PORT}/oauth2/callback" --redirect-uri "http://127.0.0.1:18020/anything" >/dev/null 2>&1 &
idp_pid=$!
pids+=($idp_pid)
"$work/plainproxy" -listen "127.0.0.1:${PLAIN_PORT}" -target "http://127.0.0.1:${UP_PORT}" 2>/dev/null &
plain_pid=$!
pids+=($plain_pid)
sleep 0.3 # the IdP's discovery must answer before the gateway's first request
DECK_REDIRECT_URI="http://127.0.0.1:${GW_PORT}/anything" "$work/oidclab" up -c "$work/kong.yaml" --idp none --tunnel none --admin-listen off \
	--listen "127.0.0.1:${GW_PORT}" --json --log-level warn >/dev/null 2>&1 &
gw_pid=$!
pids+=($gw_pid)
DECK_REDIRECT_URI="http://127.0.0.1:${GWLOG_PORT}/anything" "$work/oidclab" up -c "$work/kong.yaml" --idp none --tunnel none --admin-listen off \
	--listen "127.0.0.1:${GWLOG_PORT}" >/dev/null 2>&1 &
gwlog_pid=$!
pids+=($gwlog_pid)
BEFORE_PORT=18020
if [[ -n ${OIDCLAB_BEFORE:-} ]]; then
	DECK_REDIRECT_URI="http://127.0.0.1:${BEFORE_PORT}/anything" "$OIDCLAB_BEFORE" up -c "$work/kong.yaml" --idp none --tunnel none --admin-listen off \
		--listen "127.0.0.1:${BEFORE_PORT}" --json --log-level warn >/dev/null 2>&1 &
	before_pid=$!
	pids+=($before_pid)
fi
if [[ -n $O2P ]]; then
	OAUTH2_PROXY_CLIENT_SECRET="$client_secret" OAUTH2_PROXY_COOKIE_SECRET="$(rnd 32)" "$O2P" \
		--http-address="127.0.0.1:${O2P_PORT}" --upstream="http://127.0.0.1:${UP_PORT}/" \
		--provider=oidc --oidc-issuer-url="$DECK_ISSUER_URL" --client-id=bench \
		--redirect-url="http://127.0.0.1:${O2P_PORT}/oauth2/callback" --scope="openid email profile" \
		--code-challenge-method=S256 --email-domain='*' --cookie-secure=false --skip-provider-button=true \
		--pass-access-token=true --request-logging=false --auth-logging=false >"$work/o2p.log" 2>&1 &
	o2p_pid=$!
	pids+=($o2p_pid)
fi

wait_for "http://127.0.0.1:${PLAIN_PORT}/anything"
wait_for "http://127.0.0.1:${GW_PORT}/anything"
wait_for "http://127.0.0.1:${GWLOG_PORT}/anything"
[[ -n $O2P ]] && wait_for "http://127.0.0.1:${O2P_PORT}/ping" "$work/o2p.log"
[[ -n ${OIDCLAB_BEFORE:-} ]] && wait_for "http://127.0.0.1:${BEFORE_PORT}/anything"

# login SIDE: a fresh login; the Cookie header goes to a 0600 file, never to the terminal.
login() {
	case $1 in
	plain) login oidclab && cp "$work/oidclab.cookie" "$work/plain.cookie" ;; # the same request as oidclab's
	*) "$work/login" -url "http://127.0.0.1:${PORT[$1]}/anything" -cookie-out "$work/$1.cookie" ;;
	esac
}

TICK=$(getconf CLK_TCK)

declare -A PORT PID NAME
PORT[plain]=$PLAIN_PORT PID[plain]=$plain_pid NAME[plain]="httputil.ReverseProxy"
PORT[oidclab]=$GW_PORT PID[oidclab]=$gw_pid NAME[oidclab]="oidclab (no access log)"
[[ -n ${OIDCLAB_BEFORE:-} ]] && PORT[before]=$BEFORE_PORT PID[before]=$before_pid NAME[before]="oidclab before (no access log)"
PORT[oidclablog]=$GWLOG_PORT PID[oidclablog]=$gwlog_pid NAME[oidclablog]="oidclab (access log on)"
sides=(plain oidclab oidclablog)
[[ -n ${OIDCLAB_BEFORE:-} ]] && sides+=(before)
if [[ -n $O2P ]]; then PORT[o2p]=$O2P_PORT PID[o2p]=$o2p_pid NAME[o2p]="oauth2-proxy v7.15.6"; sides+=(o2p); fi
# SIDES="plain oidclab" measures a subset (while profiling); the ratios need their sides.
[[ -n ${SIDES:-} ]] && read -r -a sides <<<"$SIDES"

# run SIDE DURATION -> "rps p50 p99 requests cpu_ticks non2xx"
run() {
	local side=$1 out hdr=() before after
	login "$side" # a fresh session, as a browser has (see the top)
	hdr=(-H "$(cat "$work/$side.cookie")")
	before=$(cpu_ticks "${PID[$side]}")
	out=$(wrk -t"$THREADS" -c"$CONNS" -d"$2" --latency "${hdr[@]}" "http://127.0.0.1:${PORT[$side]}/anything")
	after=$(cpu_ticks "${PID[$side]}")
	awk -v cpu=$((after - before)) '
		/^Requests\/sec:/ {rps = $2} $1 == "50%" {p50 = $2} $1 == "99%" {p99 = $2}
		/requests in/ {n = $1} /Non-2xx/ {bad = $NF}
		END {print rps, p50, p99, n, cpu, bad + 0}' <<<"$out"
}

echo "warming up..." >&2
for side in "${sides[@]}"; do run "$side" 2s >/dev/null; done

echo "## Session-authenticated requests: ${ROUNDS} rounds of ${DURATION} per proxy, wrk -t${THREADS} -c${CONNS}"
echo
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| round | proxy | requests/s | p50 | p99 | CPU µs/request | non-2xx |"
echo "|---|---|---|---|---|---|---|"
results=()
for ((i = 0; i < ROUNDS; i++)); do
	n=${#sides[@]}
	for ((j = 0; j < n; j++)); do
		side=${sides[$(((i + j) % n))]}
		read -r rps p50 p99 reqs ticks bad < <(run "$side" "$DURATION")
		cpu=$(awk -v t="$ticks" -v n="$reqs" -v hz="$TICK" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
		echo "| $((i + 1)) | ${NAME[$side]} | $rps | $p50 | $p99 | $cpu | $bad |"
		results+=("$side $rps $cpu")
		[[ $bad == 0 ]] || echo "WARNING: ${NAME[$side]} answered $bad requests with a non-2xx status" >&2
	done
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '%s\n' "${results[@]}" | awk '
	{ rps[$1] += $2; cpu[$1] += $3; n[$1]++ }
	END {
		printf "| ratio (means of the rounds) | requests/s | CPU per request |\n|---|---|---|\n"
		printf "| oidclab / plain proxy (target >= 0.90) | **%.2f** | %.2f |\n", rps["oidclab"] / rps["plain"], cpu["oidclab"] / cpu["plain"]
		printf "| oidclab with access log / plain proxy | %.2f | %.2f |\n", rps["oidclablog"] / rps["plain"], cpu["oidclablog"] / cpu["plain"]
		if (n["before"]) printf "| oidclab before / plain proxy | %.2f | %.2f |\n", rps["before"] / rps["plain"], cpu["before"] / cpu["plain"]
		if (n["o2p"]) printf "| oidclab / oauth2-proxy (target >= 3) | **%.2f** | %.2f |\n", rps["oidclab"] / rps["o2p"], cpu["oidclab"] / cpu["o2p"]
	}'

[[ -n ${SKIP_LOGINS:-} ]] || {
echo
echo "## Complete logins: ${LOGIN_ROUNDS} rounds of ${LOGINS} sequential logins per relying party, HTTP driver"
echo
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| round | relying party | logins/s | RP CPU ms/login | IdP CPU ms/login |"
echo "|---|---|---|---|---|"
login_sides=(oidclab)
[[ -n $O2P ]] && login_sides+=(o2p)
[[ -n ${OIDCLAB_BEFORE:-} ]] && login_sides+=(before)
lresults=()
for ((i = 0; i < LOGIN_ROUNDS; i++)); do
	n=${#login_sides[@]}
	for ((j = 0; j < n; j++)); do
		side=${login_sides[$(((i + j) % n))]}
		out=$("$work/login" -url "http://127.0.0.1:${PORT[$side]}/anything" -n "$LOGINS" -rp-pid "${PID[$side]}" -idp-pid "$idp_pid")
		read -r lps rpcpu idpcpu < <(sed -E 's/.*: ([0-9.]+) logins\/s, RP CPU ([0-9.]+) ms\/login, IdP CPU ([0-9.]+).*/\1 \2 \3/' <<<"$out")
		echo "| $((i + 1)) | ${NAME[$side]%% (*} | $lps | $rpcpu | $idpcpu |"
		lresults+=("$side $lps $rpcpu")
	done
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -n $O2P ]]; then
	echo
	printf '%s\n' "${lresults[@]}" | awk '
		{ lps[$1] += $2; cpu[$1] += $3 }
		END {
			printf "| ratio (means of the rounds) | value |\n|---|---|\n"
			printf "| oidclab / oauth2-proxy logins/s (target >= 1) | **%.2f** |\n", lps["oidclab"] / lps["o2p"]
			printf "| oidclab / oauth2-proxy RP CPU per login (target <= 0.5) | **%.2f** |\n", cpu["oidclab"] / cpu["o2p"]
			if (cpu["before"]) printf "| oidclab before / oauth2-proxy RP CPU per login | %.2f |\n", cpu["before"] / cpu["o2p"]
		}'
fi

}
echo
echo "## Peak RSS (VmHWM) after the runs above"
echo
echo "| process | peak RSS |"
echo "|---|---|"
for side in "${sides[@]}"; do
	echo "| ${NAME[$side]} | $(awk '/VmHWM/ {printf "%.1f MiB", $2 / 1024}' "/proc/${PID[$side]}/status") |"
done
echo "| oidclab idp (the IdP) | $(awk '/VmHWM/ {printf "%.1f MiB", $2 / 1024}' "/proc/${idp_pid}/status") |"

[[ -n ${SKIP_STARTUP:-} ]] && exit 0
echo
echo "## Start-up: \`oidclab up\` (embedded IdP, tutorial file) to the first answered request, ${STARTUPS} runs"
echo
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo '```'
"$work/startup" -url "http://127.0.0.1:${START_PORT}/anything" -n "$STARTUPS" -- "$work/oidclab" up \
	--listen "127.0.0.1:${START_PORT}" --idp-listen "127.0.0.1:${START_IDP_PORT}" --admin-listen off --tunnel none
echo '```'
if [[ -n ${OIDCLAB_BEFORE:-} ]]; then
	echo
	echo "The older build (OIDCLAB_BEFORE), right after:"
	echo
	echo '```'
	"$work/startup" -url "http://127.0.0.1:${START_PORT}/anything" -n "$STARTUPS" -- "$OIDCLAB_BEFORE" up \
		--listen "127.0.0.1:${START_PORT}" --idp-listen "127.0.0.1:${START_IDP_PORT}" --admin-listen off --tunnel none
	echo '```'
fi
