# Shared by bench/run.sh and bench/wrk.sh (sourced, not run): a private work directory that
# goes away with every process started into `pids`, waiting for a server, and a process's CPU.

work=$(mktemp -d)
chmod 700 "$work" # secrets (client and cookie secrets) live here and in environments only
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# wait_for URL [LOG]: until URL answers (10 s at most); on failure the tail of LOG helps.
wait_for() {
	for _ in $(seq 100); do
		curl -sS -o /dev/null "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "not answering: $1" >&2
	[[ -n ${2:-} && -f $2 ]] && tail -5 "$2" >&2
	exit 1
}

# cpu_ticks PID -> user+system CPU clock ticks the process has used so far
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
