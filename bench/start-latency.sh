#!/usr/bin/env bash
# Container start latency of jsysbox against plain runc: `docker run --rm jsysbox/busybox true` under each
# runtime, interleaved so both see the same machine state; then jsysbox's own steps on the create path, each
# measured alone: the launcher's netcat round trip to the manager, the manager's Prepare and Started (from its log,
# for the containers of this run), and the Java CLI's start for comparison (only exec and fallbacks pay it).
# Usage: bench/start-latency.sh [N]   (N runs per runtime, default 20). Needs root and an installed jsysbox.
set -euo pipefail

n=${1:-20}
image=jsysbox/busybox:latest
. "$(dirname "$0")/preconditions.sh"
need_positive N "$n"
need_root
need_images "$image"
command -v jsysbox-runc >/dev/null || bench_fail "jsysbox-runc not installed: run installer/install.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# time_into FILE CMD...: runs CMD once (it must succeed) and appends its wall time in ms to FILE.
time_into() {
  local out=$1 start end
  shift
  start=$(now_ms)
  "$@" >/dev/null 2>"$work/last.err" || { echo "start-latency: '$*' failed:" >&2; cat "$work/last.err" >&2; exit 1; }
  end=$(now_ms)
  echo $((end - start)) >>"$out"
}

# median and p90 (nearest rank) of the numbers in a file
stats() {
  sort -n "$1" | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    r = int(NR * 0.9 + 0.999999); if (r < 1) r = 1
    printf "%s %s\n", m, v[r] }'
}

run_container() { docker run --rm --label jsysbox.test=bench --runtime="$1" "$image" true; }

# The daemons are JVMs: their create path runs interpreted until it is compiled, so the first containers after a
# daemon start are slower. Both runtimes get the same warm-up.
echo "warm-up (5 runs per runtime) ..."
for _ in 1 2 3 4 5; do
  run_container runc >/dev/null
  run_container jsysbox >/dev/null
done
log_lines_before=$(wc -l </var/log/jsysbox/mgr.log)

echo "docker run --rm $image true, $n runs per runtime, interleaved ..."
for _ in $(seq "$n"); do
  time_into "$work/runc" run_container runc
  time_into "$work/jsysbox" run_container jsysbox
done
# The manager's own timings of this run's containers ("created from BUNDLE in N ms": spec read and checked,
# Prepare, spec rewritten; "started as pid P in N ms").
tail -n +"$((log_lines_before + 1))" /var/log/jsysbox/mgr.log | sed -n 's/.*: created from .* in \([0-9]*\) ms$/\1/p' >"$work/prepare"
tail -n +"$((log_lines_before + 1))" /var/log/jsysbox/mgr.log | sed -n 's/.*: started as pid [0-9]* in \([0-9]*\) ms.*/\1/p' >"$work/started"
for _ in $(seq "$n"); do
  # A release of an id the manager does not know: the endpoint's round trip and nothing else (as the launcher asks).
  time_into "$work/netcat" sh -c "printf 'release\nid=start-latency-none\n\n' | nc.openbsd -U /run/jsysbox/launcher.sock"
  time_into "$work/runc-version" runc --version
  time_into "$work/jsysbox-runc-version" jsysbox-runc --version
done

read -r runc_median runc_p90 < <(stats "$work/runc")
read -r jsysbox_median jsysbox_p90 < <(stats "$work/jsysbox")
read -r runc_version_median _ < <(stats "$work/runc-version")
read -r jsysbox_version_median _ < <(stats "$work/jsysbox-runc-version")
read -r netcat_median _ < <(stats "$work/netcat")
read -r prepare_median prepare_p90 < <(stats "$work/prepare")
read -r started_median started_p90 < <(stats "$work/started")

printf '\n%-34s %10s %10s\n' "" "median ms" "p90 ms"
printf '%-42s %10s %10s\n' "docker run --runtime=runc" "$runc_median" "$runc_p90"
printf '%-42s %10s %10s\n' "docker run --runtime=jsysbox" "$jsysbox_median" "$jsysbox_p90"
printf '\njsysbox-runc create, step by step (what runc create does not pay):\n'
printf '%-42s %10s\n' "netcat round trip to the manager (x2)" "$netcat_median"
printf '%-42s %10s %10s\n' "manager Create (check, Prepare, rewrite)" "$prepare_median" "$prepare_p90"
printf '%-42s %10s %10s\n' "manager Started" "$started_median" "$started_p90"
printf '%-42s %10s\n' "runc --version" "$runc_version_median"
printf '%-42s %10s\n' "jsysbox-runc --version (a JVM)" "$jsysbox_version_median"
awk -v j="$jsysbox_median" -v r="$runc_median" 'BEGIN { printf "\nratio jsysbox/runc (median): %.2f\n", (r > 0 ? j / r : 0) }'
