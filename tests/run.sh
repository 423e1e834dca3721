#!/usr/bin/env bash
# The project's test command (README, CI): installs jsysbox on this host, builds the test images, then runs
# every module's unit tests and the end-to-end tests against the real Docker engine, then the VM guest matrix
# (tests/vm: the installed jsysbox checked in Debian 12 and 13 guests with AppArmor and a Debian sid guest under qemu).
# Needs root; reads nothing from stdin. Exits non-zero if any step or test fails.
# JSYSBOX_VM=0 skips the guest matrix (quick local runs); JSYSBOX_VM_GUESTS picks guests (default "bookworm sid trixie"),
# JSYSBOX_VM_PARALLEL how many run at once (default 3).
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
started=$(date +%s)

step "installer/install.sh"
installer/install.sh </dev/null

step "test-only packages"
# containerd's CRI test (KubernetesCriTest) gives its pods a CNI bridge: Debian's CNI plugins, in /usr/lib/cni.
# apparmor: its parser compiles the shipped AppArmor profile in the installer's unit tests, also on a host whose kernel
# has no AppArmor (where install.sh does not install it).
missing=()
for pkg in containernetworking-plugins apparmor; do
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" = installed ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
fi

step "installer/images/build-images.sh"
installer/images/build-images.sh </dev/null

step "mvn verify (unit + end-to-end tests)"
# A failing host suite still lets the guests run: both results are worth having from one CI run.
host=0
mvn -B -ntp verify -Djsysbox.e2e=true </dev/null || host=$?

guests=0
if [ "${JSYSBOX_VM:-1}" != 0 ]; then
  # All three guests at once: qemu runs each guest's vCPUs on one host thread (run-guest.sh says why), so they share
  # the two cores; one after another they would take ~75 minutes (~25 each), side by side ~40. The checks' timeouts
  # are set for that (measured with four guests and the host suite at once). CI stops a run at 90 minutes: the guests must be done
  # 5 minutes before JSYSBOX_VM_BUDGET seconds after this script started (default 85 minutes). A guest gets what is
  # left when it starts, less those 5 minutes (about 66 when the host suite took its usual 14; a full guest run took
  # 53-57 minutes in rehearsals); a guest with less than 15 left is not run, and that counts as a failure.
  # Each guest's output goes to its own file, printed whole when it ends.
  budget=${JSYSBOX_VM_BUDGET:-5100}
  parallel=${JSYSBOX_VM_PARALLEL:-3}
  declare -A running=()
  vm_logs=$(mktemp -d /var/tmp/jsysbox-vm-logs.XXXXXX)
  # Reaps one finished guest (waits for one when $1 is "wait"), printing its output and result.
  reap_guest() {
    local guest pid
    while :; do
      for guest in "${!running[@]}"; do
        pid=${running[$guest]}
        kill -0 "$pid" 2>/dev/null && continue
        step "VM guest $guest"
        cat "$vm_logs/$guest.log"
        wait "$pid" || guests=1
        unset "running[$guest]"
        return 0
      done
      [ "$1" = wait ] || return 0
      sleep 5
    done
  }
  for guest in ${JSYSBOX_VM_GUESTS:-bookworm sid trixie}; do
    while [ "${#running[@]}" -ge "$parallel" ]; do reap_guest wait; done
    left=$((budget - ($(date +%s) - started)))
    if [ "$left" -lt 900 ]; then
      echo "tests/run.sh: guest $guest not run: ${left}s left of the ${budget}s budget" >&2
      guests=1
      continue
    fi
    timeout=$((left - 300))
    echo "starting VM guest $guest (tests/vm/run-guest.sh $guest, timeout ${timeout}s)"
    (
      SECONDS=0
      status=0
      JSYSBOX_VM_TIMEOUT=$timeout tests/vm/run-guest.sh "$guest" </dev/null || status=$?
      echo "guest $guest: ${SECONDS}s (build if needed, payload, boot, checks; timeout ${timeout}s)"
      exit "$status"
    ) >"$vm_logs/$guest.log" 2>&1 &
    running[$guest]=$!
    # The first guest saves the images (~30 s) and may build its disk: the next one starts after that.
    sleep 60
  done
  while [ "${#running[@]}" -gt 0 ]; do reap_guest wait; done
  rm -rf "$vm_logs"
fi
[ "$host" = 0 ] || { echo "tests/run.sh: the host suite failed (mvn exit $host)" >&2; exit 1; }
[ "$guests" = 0 ] || { echo "tests/run.sh: a VM guest check failed (above; logs in /var/tmp/jsysbox-vm/)" >&2; exit 1; }
