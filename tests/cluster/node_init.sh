#!/bin/sh
# PID 1 of one simulated cluster node. tests/cluster/nodes.py starts it inside the node's network
# namespace and fresh mount, UTS and PID namespaces:
#   nsenter --net=/run/netns/<node> unshare --mount --uts --pid --fork --mount-proc \
#     --propagation slave --kill-child node_init.sh <name> <node dir>
# Killing it (or its unshare parent) is a power cut: the kernel ends every process of the node
# (dockerd, containerd, shims, containers) and drops its mounts with its mount namespace.
set -eu
name=$1
dir=$2
hostname "$name"
# A private /run, empty as after a reboot: dockerd's exec-root and pid file, containerd's shim
# sockets (hard-coded to /run/containerd/s/, not configurable in 20.10) and the node's
# /run/docker.sock (which Traefik bind-mounts as /var/run/docker.sock) stay inside this node.
mount -t tmpfs -o mode=0755,size=128m "$name-run" /run
mkdir -p /run/docker /run/containerd /run/lock
# /etc/docker holds key.json, the engine's identity: a node of its own needs its own.
mount --bind "$dir/etc-docker" /etc/docker
# `ip netns exec` would remount /sys and lose the cgroup tree ("Devices cgroup isn't mounted");
# a fresh sysfs shows this namespace's interfaces, with the host's cgroup tree moved back in.
mkdir -p "$dir/cgroup-move"
mount --rbind /sys/fs/cgroup "$dir/cgroup-move"
mount -t sysfs "$name-sysfs" /sys
mount --move "$dir/cgroup-move" /sys/fs/cgroup
echo "$name: init $$ starts dockerd at $(date +%T)"
set +e
dockerd --config-file /etc/docker/daemon.json &
dockerd_pid=$!
trap 'kill -TERM $dockerd_pid 2>/dev/null' TERM INT
wait $dockerd_pid
# A trapped signal interrupts the first wait: wait again for dockerd to finish its shutdown.
wait $dockerd_pid
echo "$name: dockerd exited with $? at $(date +%T)"
