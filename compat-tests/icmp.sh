#!/usr/bin/env bash
# icmp.sh tap|packet: the stack answers the Linux peer's ICMP and UDP.
# With udp_echo running under the shim in the lab's host namespace:
#   - the peer's `ping -c 3` gets 3 echo replies from the stack;
#   - the peer's udp_client (kernel stack) gets its datagram echoed by udp_echo;
#   - a datagram to a closed port draws ICMP port unreachable: the peer's connected UDP socket
#     sees ECONNREFUSED, and the capture holds the ICMP error;
#   - every packet in the capture has correct checksums (peer offload off).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 1 ]] || fail "usage: icmp.sh tap|packet"
compat_device "$1"
COMPAT_NAME="icmp.$1"
compat_require_root
compat_require_tools tcpdump python3 ethtool ping
compat_require_files "$LIBUSTACK" "$BIN_DIR/udp_echo" "$BIN_DIR/udp_client"
compat_tmpdir
compat_lab_up "ic${1:0:1}"
compat_peer_no_offload "$PEER_IF"
compat_prepare_stack_side

ECHO_PORT=7777
CLOSED_PORT=7778

capture_start "$PEER_NS" "$PEER_IF" "$TMP/cap.pcap"

shim_cmd "$DEVICE" "$STACK_CIDR" "$BIN_DIR/udp_echo" "$ECHO_PORT"
bg_start "$TMP/echo.out" "$TMP/echo.err" ip netns exec "$HOST_NS" "${CMD_LINE[@]}"
ECHO_PID=$BG_PID
wait_for_line "$TMP/echo.out" '^ready$' 20 "$ECHO_PID" ||
    fail "udp_echo under the shim did not get ready: $(cat "$TMP/echo.err")"

# Echo: three requests, three replies.
ip netns exec "$PEER_NS" ping -n -c 3 -W 2 "$STACK_ADDR" >"$TMP/ping.out" 2>&1
grep -q '3 packets transmitted, 3 received' "$TMP/ping.out" || fail "ping: $(cat "$TMP/ping.out")"
say "ping: $(grep 'packets transmitted' "$TMP/ping.out")"

# UDP echo through the stack, from the peer's kernel.
reply=$(ip netns exec "$PEER_NS" "$BIN_DIR/udp_client" "$STACK_ADDR" "$ECHO_PORT" hello-from-peer 3000 2>"$TMP/client.err") ||
    fail "udp_client got no echo: $(cat "$TMP/client.err")"
[[ $reply == hello-from-peer ]] || fail "udp_client got '$reply', expected 'hello-from-peer'"
say "udp echo: ok"

# Closed port: RFC 1122 4.1.3.1 says a host SHOULD answer with ICMP port unreachable, and
# Linux reports that to a connected UDP socket as ECONNREFUSED.
refused=$(ip netns exec "$PEER_NS" python3 - "$STACK_ADDR" "$CLOSED_PORT" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.connect((sys.argv[1], int(sys.argv[2])))
s.send(b"anyone there?")
try:
    s.recv(64)
    print("reply")
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("timeout")
EOF
)
[[ $refused == refused ]] || fail "datagram to closed port $CLOSED_PORT: expected ECONNREFUSED, got '$refused'"
say "closed port: ECONNREFUSED"

capture_stop "$TMP/cap.pcap" "$STACK_ADDR"
bg_stop "$ECHO_PID" TERM
[[ ! -s "$TMP/echo.err" ]] || fail "udp_echo or the stack wrote to stderr: $(cat "$TMP/echo.err")"

tcpdump -r "$TMP/cap.pcap" -nn 2>/dev/null >"$TMP/cap.txt"
replies=$(grep -c "IP $STACK_ADDR > $PEER_ADDR: ICMP echo reply" "$TMP/cap.txt")
((replies >= 3)) || fail "capture holds $replies ICMP echo replies from the stack, expected 3"
grep -q "IP $STACK_ADDR.$ECHO_PORT > $PEER_ADDR\.[0-9]*: UDP, length 15" "$TMP/cap.txt" ||
    fail "capture holds no UDP echo from the stack"
grep -q "IP $STACK_ADDR > $PEER_ADDR: ICMP $STACK_ADDR udp port $CLOSED_PORT unreachable" "$TMP/cap.txt" ||
    fail "capture holds no ICMP port unreachable for udp port $CLOSED_PORT"

capture_check "$TMP/cap.pcap" "$STACK_ADDR"
if ((CAP_BAD > 0)); then
    head -5 "$TMP/cap.pcap.bad"
    fail "$CAP_BAD packets with bad checksums, $CAP_BAD_FROM_STACK of them from the stack"
fi
say "PASS: $CAP_PACKETS packets captured ($CAP_FROM_STACK from the stack), 0 bad checksums"
