#!/usr/bin/env bash
# differential.sh LAUNCHER PROGRAM: "PROGRAM prints the same on the kernel as under the preload".
# Builds its own lab (unique name), runs socat echo servers on the peer (TCP on 7000, UDP on
# 7001), runs PROGRAM
# against it once on the kernel (in the peer namespace, to the peer's own address) and once
# under the stack (in the host namespace, over the TAP), and diffs the two outputs.
# Exit 77 (skipped) without root or network namespaces.
set -uo pipefail
launcher=$1
program=$2
name=$(basename "$program")
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/echo_lab.sh"
echo_lab_up "$name" "pd$$"

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
