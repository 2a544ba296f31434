#!/usr/bin/env bash
# conform.sh [--device packet|tap] [--results FILE] [REGEX]: the differential
# conformance suite. Every case of build/bin/conform (or those whose name matches REGEX) runs
# twice in one lab, against the same conform_peer on the Linux peer:
#
#   kernel: the host namespace's kernel owns the stack's address for this pass only
#           (10.78.0.2/24 added to pkt0, or 10.77.0.2/24 to br0 for --device tap), and the
#           program runs without the preload;
#   shim:   the address is removed again, the peer's ARP entry flushed, and the same program
#           runs under libustack.so on packet:pkt0 (or tap:tap0) with that address.
#
# Same wire, same peer, same address: a difference in stdout or exit status is the preload or
# the stack behaving unlike Linux. Cases listed in known_differences.txt are expected to
# differ: they are reported as KNOWN (with their reason) and do not fail the run; one that
# passes is reported as XPASS and fails the run, so the list cannot go stale (unless its reason
# says [flaky]: a difference that comes and goes). A difference
# not in the list is FAIL, printed with its diff.
#
# COMPAT_KERNEL_STACK=1 runs both passes on the kernel: every case must then agree with itself
# (the suite's own determinism check). Exit 0 when there is no FAIL and no XPASS; 77 (skipped)
# without root or namespaces.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
compat_suite_args packet 18 "$@"

compat_require_root
compat_require_files "$BIN_DIR/conform" "$BIN_DIR/conform_peer" "$LIBUSTACK"
compat_tmpdir
compat_lab_up cf
compat_device "$device"
case "$device" in
    packet) kernel_if=pkt0 ;;
    tap) kernel_if=br0 ;;
esac
KNOWN_FILE=$COMPAT_DIR/known_differences.txt
CASE_TIMEOUT=20

bg_start "$TMP/peer.out" "$TMP/peer.err" ip netns exec "$PEER_NS" "$BIN_DIR/conform_peer"
PEER_PID=$BG_PID
wait_for_line "$TMP/peer.out" '^ready$' 10 "$PEER_PID" || fail "conform_peer did not start: $(cat "$TMP/peer.err")"

mapfile -t cases < <("$BIN_DIR/conform" --list | grep -E -- "$filter")
[[ ${#cases[@]} -gt 0 ]] || fail "no case matches '$filter'"
say "${#cases[@]} cases, device $device, peer $PEER_ADDR, stack address $STACK_CIDR"

# run_pass NAME PORT_BASE CMD...: every case once, stdout to NAME/CASE.out (plus its exit status),
# stderr to NAME/CASE.err.
run_pass() {
    local name=$1 base=$2 c rc
    shift 2
    mkdir -p "$TMP/$name"
    for c in "${cases[@]}"; do
        # In a subshell so bash's own "Segmentation fault" notice stays out of the report; the
        # exit status (139) is in the output and so in the diff.
        # ("exit $?" keeps bash from exec'ing the command in place of the subshell.)
        (ip netns exec "$HOST_NS" timeout -k 2 "$CASE_TIMEOUT" "$@" --peer "$PEER_ADDR" --self "$STACK_ADDR" --port-base "$base" "$c" \
            >"$TMP/$name/$c.out" 2>"$TMP/$name/$c.err" </dev/null; exit $?) 2>/dev/null
        rc=$?
        [[ $rc -eq 124 || $rc -eq 137 ]] && echo "TIMEOUT after ${CASE_TIMEOUT}s" >>"$TMP/$name/$c.out"
        echo "exit=$rc" >>"$TMP/$name/$c.out"
    done
}

start=$SECONDS
ip -n "$HOST_NS" addr add "$STACK_CIDR" dev "$kernel_if" || fail "cannot give $kernel_if the kernel address"
compat_on_exit "ip -n '$HOST_NS' addr del '$STACK_CIDR' dev '$kernel_if'"
run_pass kernel 7500 "$BIN_DIR/conform"
kernel_s=$((SECONDS - start))
start=$SECONDS
if [[ "${COMPAT_KERNEL_STACK:-0}" == 1 ]]; then
    # A check of the suite itself: both passes on the kernel must agree (determinism).
    say "COMPAT_KERNEL_STACK=1: the second pass runs on the kernel too; this does not test ustack"
    run_pass shim 7600 "$BIN_DIR/conform"
else
    ip -n "$HOST_NS" addr del "$STACK_CIDR" dev "$kernel_if" || fail "cannot remove the kernel address"
    ip -n "$PEER_NS" neigh flush dev "$PEER_IF" >/dev/null 2>&1
    shim_cmd "$DEVICE" "$STACK_CIDR" "$BIN_DIR/conform"
    run_pass shim 7600 "${CMD_LINE[@]}"
fi
shim_s=$((SECONDS - start))

# known_differences.txt: "case | reason | who fixes it", '#' comments. A line may start with
# "tap:" or "packet:" to apply to one device only.
declare -A known=()
if [[ -f "$KNOWN_FILE" ]]; then
    while IFS='|' read -r name reason owner; do
        name=$(trim "$name")
        [[ -z "$name" || "$name" == \#* ]] && continue
        if [[ "$name" == *:* ]]; then
            [[ "${name%%:*}" == "$device" ]] || continue
            name=${name#*:}
        fi
        known[$name]="$(trim "$reason") [fix: $(trim "$owner")]"
    done <"$KNOWN_FILE"
fi

pass=0 failed=0 kdiff=0 xpass=0
: >"$TMP/results.txt"
for c in "${cases[@]}"; do
    if diff -q "$TMP/kernel/$c.out" "$TMP/shim/$c.out" >/dev/null; then
        if [[ -n "${known[$c]:-}" && "${known[$c]}" == *"[flaky]"* ]]; then
            pass=$((pass + 1))
            echo "$c PASS" >>"$TMP/results.txt"
        elif [[ -n "${known[$c]:-}" ]]; then
            xpass=$((xpass + 1))
            echo "XPASS $c: listed in known_differences.txt but now matches the kernel; remove the line"
            echo "$c XPASS" >>"$TMP/results.txt"
        else
            pass=$((pass + 1))
            echo "$c PASS" >>"$TMP/results.txt"
        fi
        continue
    fi
    if [[ -n "${known[$c]:-}" ]]; then
        kdiff=$((kdiff + 1))
        echo "KNOWN $c: ${known[$c]}"
        echo "$c KNOWN" >>"$TMP/results.txt"
        continue
    fi
    failed=$((failed + 1))
    echo "FAIL $c"
    diff -u --label "kernel" --label "shim ($device)" "$TMP/kernel/$c.out" "$TMP/shim/$c.out" | sed 's/^/    /'
    if [[ -s "$TMP/shim/$c.err" ]]; then
        echo "    shim stderr:"
        head -5 "$TMP/shim/$c.err" | sed 's/^/      /'
    fi
    echo "$c FAIL" >>"$TMP/results.txt"
done
# Known differences whose case no longer exists are stale too.
for c in "${!known[@]}"; do
    [[ "$filter" == . ]] || break
    grep -qx -- "$c" < <(printf '%s\n' "${cases[@]}") || { echo "STALE known_differences.txt entry: $c (no such case)"; xpass=$((xpass + 1)); }
done
[[ -n "$results" ]] && cp "$TMP/results.txt" "$results"

say "device $device: ${#cases[@]} cases: $pass pass, $kdiff known differences, $failed fail, $xpass xpass/stale (kernel pass ${kernel_s}s, shim pass ${shim_s}s)"
[[ $failed -eq 0 && $xpass -eq 0 ]]
