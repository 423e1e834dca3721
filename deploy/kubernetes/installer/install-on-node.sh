#!/bin/sh
# Runs in the installer DaemonSet's privileged pod (hostPID, the node's / at /host): copies the jsysbox tree to the
# node and runs its installer in the node's mount, UTS, IPC, network and PID namespaces, then idles.
set -eu
rsync -a --delete --exclude target /jsysbox/ /host/opt/jsysbox/
nsenter --target 1 --mount --uts --ipc --net --pid -- /opt/jsysbox/installer/install.sh --containerd
echo "jsysbox installed on $(cat /host/etc/hostname 2>/dev/null || hostname)"
exec sleep infinity
