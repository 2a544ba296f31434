#!/usr/bin/env bash
# fallback.sh: "under the preload library, a program using AF_UNIX sockets and TCP to 127.0.0.1
# behaves exactly as without it". sockdiff runs its cases in the lab's host namespace three
# times: on the kernel alone, under the shim with the stack active on the lab's TAP, and under
# the shim again with USTACK_LOG=info. Standard output and exit status must be identical in all
# three, and standard error identical in the first two (the info run's stderr must instead say
# the stack came up, which proves that sockdiff's own process ran with the stack active).
# ::1 is enabled on the host namespace's lo so the IPv6 case exercises a real connection.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

compat_require_root
compat_require_files "$LIBUSTACK" "$BIN_DIR/sockdiff" "$BIN_DIR/udp_echo" "$BIN_DIR/udp_client"
compat_tmpdir
compat_lab_up fb
compat_device tap
ip netns exec "$HOST_NS" sysctl -q -w net.ipv6.conf.lo.disable_ipv6=0 || fail "cannot enable IPv6 on lo"

# The same shim environment reaches the peer through the stack: a kernel udp_echo on the peer
# answers a udp_client run under it (the host namespace's kernel has no address to do that).
bg_start "$TMP/echo.out" "$TMP/echo.err" ip netns exec "$PEER_NS" "$BIN_DIR/udp_echo" 7777
wait_for_line "$TMP/echo.out" '^ready$' 20 "$BG_PID" || fail "peer udp_echo did not start: $(cat "$TMP/echo.err")"
shim_cmd "$DEVICE" "$STACK_CIDR" "$BIN_DIR/udp_client" "$PEER_ADDR" 7777 stack-is-up 3000
reply=$(ip netns exec "$HOST_NS" timeout 30 "${CMD_LINE[@]}" 2>"$TMP/probe.err") ||
    fail "the shim environment does not reach the peer: $(cat "$TMP/probe.err")"
[[ $reply == stack-is-up ]] || fail "probe got '$reply'"

# run_sockdiff NAME [VAR=VALUE...]: NAME.out, NAME.err, NAME.rc. With no variables: the kernel.
run_sockdiff() {
    local name=$1
    shift
    local cmd=("$BIN_DIR/sockdiff")
    if [[ $name != kernel ]]; then
        shim_cmd "$DEVICE" "$STACK_CIDR" "$BIN_DIR/sockdiff"
        cmd=(env "$@" "${CMD_LINE[@]}")
    fi
    ip netns exec "$HOST_NS" timeout 120 "${cmd[@]}" >"$TMP/$name.out" 2>"$TMP/$name.err"
    echo $? >"$TMP/$name.rc"
}

run_sockdiff kernel
run_sockdiff shim
run_sockdiff shim-info USTACK_LOG=info

status=0
[[ $(cat "$TMP/kernel.rc") == 0 ]] || { say "sockdiff on the kernel exited $(cat "$TMP/kernel.rc")"; status=1; }
for name in shim shim-info; do
    if ! diff -u --label "without preload" --label "with preload ($name)" "$TMP/kernel.out" "$TMP/$name.out"; then
        say "stdout differs with the preload ($name)"
        status=1
    fi
    if ! cmp -s "$TMP/kernel.rc" "$TMP/$name.rc"; then
        say "exit status differs: $(cat "$TMP/kernel.rc") without, $(cat "$TMP/$name.rc") with the preload ($name)"
        status=1
    fi
done
if ! diff -u --label "stderr without preload" --label "stderr with preload" "$TMP/kernel.err" "$TMP/shim.err"; then
    say "stderr differs with the preload"
    status=1
fi
grep -q '^ustack: .*stack up on' "$TMP/shim-info.err" ||
    { say "with USTACK_LOG=info sockdiff's stderr does not say the stack came up: $(head -3 "$TMP/shim-info.err")"; status=1; }
((status == 0)) || fail "the preload changed what sockdiff observes (see above)"
say "PASS: $(wc -l <"$TMP/kernel.out") lines identical with and without the preload"
