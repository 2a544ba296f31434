#!/usr/bin/env bash
# interop_loss.sh tap|packet: bulk TCP both ways between the stack and a Linux peer at 5% loss
# with reordering (USTACK_IMPAIR on the stack's device, both directions; this kernel has no
# netem). Proves:
#   - INTEROP_MIB MiB (default 100) each way arrive byte-exact (sha256 on both ends);
#   - the handshake negotiated SACK, window scaling and timestamps (peer-side capture);
#   - the stack's own recovery came mostly from fast retransmit/SACK, not from timeouts.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 1 ]] || fail "usage: interop_loss.sh tap|packet"
compat_device "$1"
COMPAT_NAME="interop_loss.$1"
compat_require_root
compat_require_tools tcpdump python3
compat_require_files "$LIBUSTACK"
compat_tmpdir
compat_lab_up "il${1:0:1}"
compat_prepare_stack_side

MIB=${INTEROP_MIB:-100}
compat_sanitized && MIB=${INTEROP_MIB:-20}  # ASan costs ~5x; the behaviour under test is the same
PORT=9100
PEER_TOOL="$(dirname "${BASH_SOURCE[0]}")/tools/bulk_peer.py"
head -c $((MIB << 20)) /dev/urandom >"$TMP/up.bin"
head -c $((MIB << 20)) /dev/urandom >"$TMP/down.bin"
up_sha=$(sha256sum <"$TMP/up.bin" | cut -d' ' -f1)
down_sha=$(sha256sum <"$TMP/down.bin" | cut -d' ' -f1)

capture_start "$PEER_NS" "$PEER_IF" "$TMP/syn.pcap" 'tcp[tcpflags] & tcp-syn != 0'

bg_start "$TMP/server.out" "$TMP/server.err" ip netns exec "$PEER_NS" python3 "$PEER_TOOL" server "$PEER_ADDR" "$PORT" "$TMP/down.bin"
SERVER_PID=$BG_PID
wait_for_line "$TMP/server.out" '^ready$' 20 "$SERVER_PID" || fail "peer server did not start: $(cat "$TMP/server.err")"

# The peer's own view of how its connections ended (Linux's TCPAbortOn* and reset counters),
# printed if the client fails: a reset from the peer names its reason there.
peer_aborts() { ip netns exec "$PEER_NS" nstat -az 2>/dev/null | awk '$1 ~ /Abort|RST|Rst|Reset|Orphan|OutRsts|EstabResets|Memory/ && $2 != 0 { printf " %s=%s", $1, $2 }'; }
shim_cmd "$DEVICE" "$STACK_CIDR" "$SHIM_PYTHON" "$PEER_TOOL" client "$PEER_ADDR" "$PORT" "$TMP/up.bin"
start=$(date +%s.%N)
ip netns exec "$HOST_NS" env USTACK_IMPAIR="drop=5,reorder=2,seed=11" USTACK_LOG=info timeout 600 "${CMD_LINE[@]}" \
    >"$TMP/client.out" 2>"$TMP/client.err"
rc=$?
secs=$(python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 1))" "$start" "$(date +%s.%N)")
((rc == 0)) || fail "client under the shim failed (exit $rc): $(tail -5 "$TMP/client.err"); peer counters:$(peer_aborts); stack counters: $(grep -E 'resets|rto_exp|paws|out_of_window' "$TMP/client.err" | tr '\n' ' ')"
# The peer prints its digest as it exits; wait for that exit (bounded), not for a fixed time.
timeout 60 tail --pid="$SERVER_PID" -f /dev/null || fail "peer server did not finish"

read -r _ got_down_sha got_down_n < <(grep '^received' "$TMP/client.out")
read -r _ got_up_sha got_up_n < <(grep '^received' "$TMP/server.out")
[[ "$got_up_sha" == "$up_sha" ]] || fail "upload corrupted: peer got $got_up_n bytes, sha $got_up_sha, expected $up_sha"
[[ "$got_down_sha" == "$down_sha" ]] || fail "download corrupted: stack got $got_down_n bytes, sha $got_down_sha, expected $down_sha"
say "${MIB} MiB each way byte-exact at 5% loss + 2% reordering in ${secs} s"

capture_stop "$TMP/syn.pcap" "$STACK_ADDR"
syns=$(tcpdump -r "$TMP/syn.pcap" -nn 2>/dev/null)
for who in "$STACK_ADDR.* > $PEER_ADDR.$PORT: Flags \[S\]" "$PEER_ADDR.$PORT > $STACK_ADDR.* Flags \[S\.\]"; do
    line=$(grep -E "$who" <<<"$syns" | head -1)
    [[ -n "$line" ]] || fail "no SYN matching '$who' in the capture"
    for opt in sackOK 'TS val' wscale; do
        [[ "$line" == *"$opt"* ]] || fail "handshake lacks $opt: $line"
    done
done
say "handshake negotiated SACK, timestamps and window scaling"

counter() { awk -v n="$1" '$1 == "ustack:" && $2 == "counter" && $3 == n { print $4 }' "$TMP/client.err" | tail -1; }
fast=$(counter tcp_fast_retransmits); fast=${fast:-0}
sack=$(counter tcp_sack_recoveries); sack=${sack:-0}
rto=$(counter tcp_rto_expirations); rto=${rto:-0}
retrans=$(counter tcp_retransmits); retrans=${retrans:-0}
say "stack as sender: retransmits $retrans, fast retransmits $fast (SACK-driven $sack), RTO expirations $rto"
((fast > 0)) || fail "no fast retransmit at 5% loss"
((fast > rto)) || fail "recovery came mostly from timeouts ($rto RTOs vs $fast fast retransmits)"
say "PASS"
