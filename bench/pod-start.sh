#!/usr/bin/env bash
# Kubernetes pod start latency of jsysbox against runc, through containerd's CRI as the kubelet drives it:
# RunPodSandbox, CreateContainer + StartContainer of one busybox container, until it answers an ExecSync. A
# private containerd (Debian's package) with both runtime handlers, pods interleaved; prints medians and the ratio.
# Usage: bench/pod-start.sh [N]   (N pods per handler, default 10). Needs root, an installed jsysbox, the test
# images (installer/images/build-images.sh) and containernetworking-plugins.
set -euo pipefail

n=${1:-10}
. "$(dirname "$0")/preconditions.sh"
need_positive N "$n"
need_root
command -v jsysbox-runc >/dev/null || bench_fail "jsysbox-runc not installed: run installer/install.sh"
[ -x /usr/lib/cni/bridge ] || bench_fail "CNI plugins missing: apt-get install containernetworking-plugins"

cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! mvn -B -q -ntp install -DskipTests </dev/null >"$log" 2>&1 \
   || ! mvn -B -ntp verify -pl tests -Djsysbox.bench=pod-start -Djsysbox.bench.rounds="$n" -Dtest=PodStartBench \
        -Dsurefire.failIfNoSpecifiedTests=false </dev/null >"$log" 2>&1; then
  echo "pod-start: the benchmark failed; its Maven output:" >&2
  tail -60 "$log" >&2
  exit 1
fi
sed -n "/^pod start (/,/^ratio jsysbox/p" "$log"
