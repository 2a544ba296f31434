#!/usr/bin/env bash
# differential.sh LAUNCHER PROGRAM: "PROGRAM prints the same on the kernel as under the preload".
# Builds its own lab (unique name), runs socat echo servers on the peer (TCP on 7000, UDP on
# 7001), runs PROGRAM
# against it once on the kernel (in the peer namespace, to the peer's own address) and once
# under the stack (in the host namespace, over the TAP), and diffs the two outputs.
# Exit 77 (skipped) without root or network namespaces.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../../scripts/lab.sh"

launcher=$1
program=$2
name=$(basename "$program")
port=7000

if [[ $EUID -ne 0 ]] || ! command -v socat >/dev/null; then
    echo "$name: needs root and socat; skipped"
    exit 77
fi
lab="pd$$"
tmp=$(mktemp -d)
echo_pid=
udp_pid=
cleanup() {
    local p
    for p in $echo_pid $udp_pid; do
        # socat's per-connection children first: one whose client vanished with the lab
        # would otherwise poll its dead connection forever.
        pkill -P "$p" 2>/dev/null
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    lab_down "$lab" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
lab_up "$lab" || { echo "$name: cannot build lab $lab"; exit 77; }

# Not through lab_peer: a function in the background is a subshell, and killing it would
# leave socat running. ip netns exec execs, so $! is socat itself.
ip netns exec "$lab-peer" socat TCP-LISTEN:$port,fork,reuseaddr PIPE >/dev/null 2>&1 &
echo_pid=$!
ip netns exec "$lab-peer" socat UDP-RECVFROM:$((port + 1)),fork PIPE >/dev/null 2>&1 &
udp_pid=$!
for _ in $(seq 50); do
    lab_peer "$lab" bash -c "exec 3<>/dev/tcp/10.77.0.1/$port" 2>/dev/null && break
    sleep 0.1
done

lab_peer "$lab" timeout 120 "$program" 10.77.0.1 $port >"$tmp/kernel.out" 2>&1
kernel_rc=$?
lab_host "$lab" timeout 120 "$launcher" run --device tap:tap0 --address 10.77.0.2/24 -- \
    "$program" 10.77.0.1 $port >"$tmp/shim.out" 2>&1
shim_rc=$?

status=0
if [[ $kernel_rc -ne 0 ]]; then
    echo "$name: exited $kernel_rc on the kernel:"
    cat "$tmp/kernel.out"
    status=1
fi
if ! diff -u --label "kernel" --label "under the preload" "$tmp/kernel.out" "$tmp/shim.out"; then
    echo "$name: output differs under the preload"
    status=1
fi
[[ $shim_rc -eq $kernel_rc ]] || { echo "$name: exit status $kernel_rc on the kernel, $shim_rc under the preload"; status=1; }
[[ $status -eq 0 ]] && echo "$name: kernel and preload agree ($(grep -c . "$tmp/kernel.out") lines)"
exit $status
