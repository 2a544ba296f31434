#!/usr/bin/env bash
# busy_poll.sh LAUNCHER IO_CASES: "blocking calls under `ustack run --busy-poll` return the
# same data as on the kernel, and really spin; without the option they never spin".
# io_cases (blocking connect, recv with MSG_PEEK/MSG_WAITALL, ...) runs against socat echo
# servers on the peer: once on the kernel, once under --busy-poll 1000000 and once without;
# stdout must match the kernel's each time. The runtime's counters, printed at exit with
# USTACK_LOG=info, show whether the spin path was taken (busy_poll_spins) and whether a wait
# ended while spinning (busy_poll_wakeups): a blocking connect always waits for the SYN-ACK,
# so a run under --busy-poll must count spins, and a run without it must count none. Without
# it, that wait sleeps on the device fd itself (the driving waiter, runtime.h), so the SYN-ACK
# wakes it directly: driver_device_wakeups must count.
# Exit 77 (skipped) without root or socat.
set -uo pipefail
launcher=$1
program=$2
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/echo_lab.sh"
echo_lab_up busy_poll "bp$$"

status=0
fail() { echo "busy_poll: FAIL $*"; status=1; }

lab_peer "$lab" timeout 120 "$program" 10.77.0.1 $port >"$tmp/kernel.out" 2>&1 || fail "io_cases failed on the kernel"

# run NAME [LAUNCHER OPTIONS...]: io_cases under the stack; stdout to NAME.out, stderr to NAME.err.
run() {
    local name=$1
    shift
    lab_host "$lab" timeout 120 "$launcher" run --device tap:tap0 --address 10.77.0.2/24 --log info "$@" -- \
        "$program" 10.77.0.1 $port >"$tmp/$name.out" 2>"$tmp/$name.err" || fail "$name: io_cases exited $?"
    diff -u --label kernel --label "$name" "$tmp/kernel.out" "$tmp/$name.out" || fail "$name: output differs from the kernel's"
}
counter() { sed -n "s/^ustack: counter $2 \([0-9]*\)$/\1/p" "$tmp/$1.err"; }

run spin --busy-poll 1000000
spins=$(counter spin busy_poll_spins)
wakeups=$(counter spin busy_poll_wakeups)
echo "busy_poll: --busy-poll 1000000: busy_poll_spins=${spins:-0} busy_poll_wakeups=${wakeups:-0} busy_poll_sleeps=$(counter spin busy_poll_sleeps)"
[[ ${spins:-0} -gt 0 ]] || { fail "--busy-poll 1000000 never spun"; cat "$tmp/spin.err"; }
[[ ${wakeups:-0} -gt 0 ]] || fail "--busy-poll 1000000: no wait ended while spinning"

run idle
grep -q '^ustack: counter link_rx_frames' "$tmp/idle.err" || fail "no counters at exit under USTACK_LOG=info (the test cannot see spins)"
if grep -q '^ustack: counter busy_poll_' "$tmp/idle.err"; then
    fail "without --busy-poll the runtime spun:"
    grep '^ustack: counter busy_poll_' "$tmp/idle.err"
fi
driven=$(counter idle driver_device_wakeups)
echo "busy_poll: without --busy-poll: driver_device_wakeups=${driven:-0}"
[[ ${driven:-0} -gt 0 ]] || fail "without --busy-poll no blocked call was woken by the device fd itself (the driver, runtime.h)"

[[ $status -eq 0 ]] && echo "busy_poll: output matches the kernel's with and without busy polling; spins only when asked"
exit $status
