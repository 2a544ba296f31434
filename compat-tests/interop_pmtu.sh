#!/usr/bin/env bash
# interop_pmtu.sh tap|packet: path MTU discovery and fragmentation against Linux, through a
# Linux router. A third namespace ("far") hangs off the lab's peer namespace, which forwards
# between the stack's link (MTU 1500) and the far link (MTU 1280). Proves:
#   - a bulk TCP transfer from the stack to the far peer completes byte-exact (sha256): the
#     stack's 1500-byte DF segments draw ICMP fragmentation needed from the router and the
#     stack lowers its MSS (tcp_pmtu_mss_reductions in the stack's exit counters);
#   - 8000-byte UDP datagrams go both ways intact: the stack's fragments are refragmented by
#     the router; the far peer's 1280-byte fragments are reassembled by the stack.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 1 ]] || fail "usage: interop_pmtu.sh tap|packet"
compat_device "$1"
COMPAT_NAME="interop_pmtu.$1"
compat_require_root
compat_require_tools python3
compat_require_files "$LIBUSTACK"
compat_tmpdir
compat_lab_up "pm${1:0:1}"

FAR_NS="$LAB-far"
FAR_NET=10.79.0
FAR_ADDR=$FAR_NET.2
compat_on_exit "ip netns del '$FAR_NS' 2>/dev/null"
ip netns add "$FAR_NS" || fail "could not create $FAR_NS"
ip link add pmr0 netns "$PEER_NS" type veth peer name pmf0 netns "$FAR_NS" || fail "veth to $FAR_NS"
ip -n "$PEER_NS" link set pmr0 mtu 1280 up
ip -n "$FAR_NS" link set pmf0 mtu 1280 up
ip -n "$FAR_NS" link set lo up
ip -n "$PEER_NS" addr add $FAR_NET.1/24 dev pmr0
ip -n "$FAR_NS" addr add $FAR_ADDR/24 dev pmf0
# advmss 1460: the far peer offers the MSS of a 1500-byte link, as a host behind a tunnel or a
# smaller hop elsewhere on the path does, so only PMTUD can find the 1280-byte hop.
ip -n "$FAR_NS" route add default via $FAR_NET.1 advmss 1460
ip netns exec "$PEER_NS" sysctl -qw net.ipv4.ip_forward=1 || fail "could not enable forwarding in $PEER_NS"
compat_prepare_stack_side

# (a) bulk TCP, stack -> far peer, through PMTUD.
MIB=${INTEROP_MIB:-8}
PORT=9200
PEER_TOOL="$(dirname "${BASH_SOURCE[0]}")/tools/bulk_peer.py"
head -c $((MIB << 20)) /dev/urandom >"$TMP/up.bin"
head -c 1024 /dev/urandom >"$TMP/down.bin"
up_sha=$(sha256sum <"$TMP/up.bin" | cut -d' ' -f1)
bg_start "$TMP/server.out" "$TMP/server.err" ip netns exec "$FAR_NS" python3 "$PEER_TOOL" server "$FAR_ADDR" "$PORT" "$TMP/down.bin"
SERVER_PID=$BG_PID
wait_for_line "$TMP/server.out" '^ready$' 20 "$SERVER_PID" || fail "far server did not start: $(cat "$TMP/server.err")"
shim_cmd "$DEVICE" "$STACK_CIDR" "$SHIM_PYTHON" "$PEER_TOOL" client "$FAR_ADDR" "$PORT" "$TMP/up.bin"
ip netns exec "$HOST_NS" env USTACK_GATEWAY="$PEER_ADDR" USTACK_LOG=info timeout 40 "${CMD_LINE[@]}" \
    >"$TMP/client.out" 2>"$TMP/client.err"
rc=$?
((rc == 0)) || fail "TCP client under the shim failed (exit $rc): $(tail -5 "$TMP/client.err")"
timeout 20 tail --pid="$SERVER_PID" -f /dev/null || fail "far server did not finish"
read -r _ got_up_sha got_up_n < <(grep '^received' "$TMP/server.out")
[[ "$got_up_sha" == "$up_sha" ]] || fail "upload corrupted: far peer got $got_up_n bytes, sha $got_up_sha, expected $up_sha"
grep -Eq 'tcp_pmtu_mss_reductions[^0-9]*[1-9]' "$TMP/client.err" ||
    fail "the transfer completed but the stack never lowered its MSS: $(grep -E "counter (icmp|ip_|tcp_pmtu|tcp_retr)" "$TMP/client.err" | tr "\n" " ")"
say "${MIB} MiB stack -> far peer byte-exact through a 1280-byte hop (MSS lowered by PMTUD)"

# (b) 8000-byte UDP datagrams both ways: the far peer echoes each.
UDP_PORT=9201
cat >"$TMP/udp_echo.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
print("ready", flush=True)
for _ in range(int(sys.argv[3])):
    data, peer = s.recvfrom(65535)
    s.sendto(data, peer)
PY
cat >"$TMP/udp_client.py" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
for i in range(int(sys.argv[3])):
    data = os.urandom(8000)
    s.sendto(data, (sys.argv[1], int(sys.argv[2])))
    back, _ = s.recvfrom(65535)
    if back != data:
        print(f"datagram {i}: {len(back)} bytes came back, not the 8000 sent", flush=True)
        sys.exit(1)
print("ok", flush=True)
PY
N=5
bg_start "$TMP/echo.out" "$TMP/echo.err" ip netns exec "$FAR_NS" python3 "$TMP/udp_echo.py" "$FAR_ADDR" "$UDP_PORT" "$N"
wait_for_line "$TMP/echo.out" '^ready$' 20 "$BG_PID" || fail "far UDP echo did not start: $(cat "$TMP/echo.err")"
shim_cmd "$DEVICE" "$STACK_CIDR" "$SHIM_PYTHON" "$TMP/udp_client.py" "$FAR_ADDR" "$UDP_PORT" "$N"
ip netns exec "$HOST_NS" env USTACK_GATEWAY="$PEER_ADDR" USTACK_LOG=info timeout 30 "${CMD_LINE[@]}" \
    >"$TMP/udp.out" 2>"$TMP/udp.err"
rc=$?
((rc == 0)) && grep -q '^ok$' "$TMP/udp.out" ||
    fail "UDP echo under the shim failed (exit $rc): $(cat "$TMP/udp.out") $(tail -5 "$TMP/udp.err")"
grep -Eq 'ip_reasm_oks[^0-9]*[1-9]' "$TMP/udp.err" || fail "no datagram was reassembled by the stack"
say "$N x 8000-byte UDP datagrams both ways intact (stack fragments out, reassembly in)"
say PASS
