#!/usr/bin/env bash
# docker exec latency, jsysbox vs runc, in one run: N execs of `true` into an idle busybox container of each runtime,
# interleaved in rounds of 5. Prints the median per exec and the ratio. Usage: bench/exec-latency.sh [N] (default 30)
set -euo pipefail
n=${1:-30}
image=jsysbox/busybox
docker image inspect "$image" >/dev/null 2>&1 || { echo "no $image: run installer/images/build-images.sh" >&2; exit 1; }
j=$(docker run -d --runtime=jsysbox "$image" sleep 100000)
r=$(docker run -d "$image" sleep 100000)
trap 'docker rm -f "$j" "$r" >/dev/null' EXIT
for c in "$j" "$r"; do docker exec "$c" true; done # warm-up
declare -A times=([jsysbox]="" [runc]="")
for ((round = 0; round < n; round += 5)); do
  for runtime in jsysbox runc; do
    c=$j; [ "$runtime" = runc ] && c=$r
    for ((i = 0; i < 5; i++)); do
      s=$(date +%s%N); docker exec "$c" true; e=$(date +%s%N)
      times[$runtime]+="$(( (e - s) / 100000 )) "
    done
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; printf "%.1f", m/10}'; }
mj=$(echo "${times[jsysbox]}" | median)
mr=$(echo "${times[runc]}" | median)
echo "docker exec (median of $n): runc $mr ms, jsysbox $mj ms, ratio $(awk -v a="$mj" -v b="$mr" 'BEGIN {printf "%.2f", a/b}')x"
