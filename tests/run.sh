#!/usr/bin/env bash
# The project's test command (README, CI): installs jsysbox on this host, builds the test images, then runs
# every module's unit tests and the end-to-end tests against the real Docker engine.
# Needs root; reads nothing from stdin. Exits non-zero if any step or test fails.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

if [ "$(id -u)" != 0 ]; then
  echo "tests/run.sh: run as root (sudo tests/run.sh): it installs jsysbox and drives the host's Docker engine" >&2
  exit 1
fi

export CI=true
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
export PATH="$JAVA_HOME/bin:$PATH"

step() { printf '\n=== %s\n' "$*"; }

step "installer/install.sh"
installer/install.sh </dev/null

step "test-only packages"
# containerd's CRI test (KubernetesCriTest) gives its pods a CNI bridge: Debian's CNI plugins, in /usr/lib/cni.
if [ "$(dpkg-query -W -f='${db:Status-Status}' containernetworking-plugins 2>/dev/null)" != installed ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq --no-install-recommends containernetworking-plugins </dev/null >/dev/null
fi

step "installer/images/build-images.sh"
installer/images/build-images.sh </dev/null

step "mvn verify (unit + end-to-end tests)"
mvn -B -ntp verify -Djsysbox.e2e=true </dev/null
