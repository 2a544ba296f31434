#!/usr/bin/env bash
# pcap_match.sh tap|packet: the capture the stack writes with --pcap (USTACK_PCAP) is readable by
# tcpdump with no malformed packets and matches, packet for packet, a capture taken on the Linux
# peer's interface during the same transfer (same frames in the same order, byte for byte apart
# from timestamps). Peer offloads are off so the peer's frames on the wire are the ones the
# stack receives. The stack's own TAP offloads are off too (USTACK_OFFLOADS=off): with them the
# pcap records what the stack hands the TAP, 64 KiB TCP frames with partial checksums that the
# kernel segments and completes on the way out (as tcpdump on a Linux sender with TSO shows),
# so it cannot match the wire frame for frame.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 1 ]] || fail "usage: pcap_match.sh tap|packet"
compat_device "$1"
COMPAT_NAME="pcap_match.$1"
compat_require_root
compat_require_tools tcpdump python3 ethtool
compat_require_files "$LIBUSTACK"
compat_tmpdir
compat_lab_up "pm${1:0:1}"
compat_peer_no_offload "$PEER_IF"

head -c $((2 << 20)) /dev/urandom >"$TMP/file"
PORT=8089
bg_start "$TMP/http.out" "$TMP/http.err" ip netns exec "$PEER_NS" python3 -m http.server "$PORT" --bind "$PEER_ADDR" --directory "$TMP"
wait_for_tcp_port "$PEER_NS" "$PEER_ADDR" "$PORT" 20 || fail "peer http.server did not start"

# Only the transfer's traffic on both sides: ARP and TCP between the two addresses.
capture_start "$PEER_NS" "$PEER_IF" "$TMP/peer.pcap" "host $STACK_ADDR and (tcp port $PORT or arp)"
# USTACK_PCAP is what `ustack run --pcap` sets; the preload records every frame in and out.
shim_cmd "$DEVICE" "$STACK_CIDR" curl -sS -o "$TMP/got" "http://$PEER_ADDR:$PORT/file"
ip netns exec "$HOST_NS" env USTACK_PCAP="$TMP/stack.pcap" USTACK_OFFLOADS=off timeout 60 "${CMD_LINE[@]}" 2>"$TMP/curl.err" ||
    fail "curl under the shim: $(cat "$TMP/curl.err")"
cmp -s "$TMP/file" "$TMP/got" || fail "the fetched file differs"
capture_stop "$TMP/peer.pcap" "$STACK_ADDR"

tcpdump -r "$TMP/stack.pcap" -nn -vv >"$TMP/stack.txt" 2>"$TMP/stack.err" || fail "tcpdump cannot read the stack's pcap: $(cat "$TMP/stack.err")"
if grep -qiE 'truncated|malformed|bad cksum|incorrect|invalid' "$TMP/stack.txt"; then
    fail "malformed packets in the stack's pcap: $(grep -iE 'truncated|malformed|bad cksum|incorrect|invalid' "$TMP/stack.txt" | head -3)"
fi
# Byte-exact frame sequences, from both files, restricted to the same filter.
python3 - "$TMP/stack.pcap" "$TMP/peer.pcap" "$STACK_ADDR" "$PORT" <<'PY' || fail "captures differ (see above)"
import struct, sys
def frames(path):
    data = open(path, "rb").read()
    off, out = 24, []
    while off < len(data):
        _, _, incl, _ = struct.unpack("<IIII", data[off:off + 16]); off += 16
        out.append(data[off:off + incl]); off += incl
    return out
stack_ip = bytes(int(x) for x in sys.argv[3].split("."))
port = int(sys.argv[4])
def ours(f):  # the peer capture's filter, applied to the stack's file
    if f[12:14] == b"\x08\x06": return f[28:32] == stack_ip or f[38:42] == stack_ip
    if f[12:14] != b"\x08\x00" or f[23] != 6: return False
    ihl = (f[14] & 15) * 4
    sport, dport = struct.unpack(">HH", f[14 + ihl:18 + ihl])
    return (f[26:30] == stack_ip or f[30:34] == stack_ip) and port in (sport, dport)
# Frames crossing in opposite directions may be seen in either order at the two ends, so the
# match is per direction: everything the stack sent, and everything it received, in order.
def from_stack(f):
    if f[12:14] == b"\x08\x06": return f[28:32] == stack_ip
    return f[26:30] == stack_ip
a = [f for f in frames(sys.argv[1]) if ours(f)]
b = [f for f in frames(sys.argv[2]) if ours(f)]
print(f"stack pcap: {len(a)} frames; peer capture: {len(b)} frames")
ok = True
for name, keep in (("sent by the stack", from_stack), ("received by the stack", lambda f: not from_stack(f))):
    x = [f for f in a if keep(f)]
    y = [f for f in b if keep(f)]
    if x == y:
        print(f"{name}: {len(x)} frames, identical")
        continue
    ok = False
    for i, (p, q) in enumerate(zip(x, y)):
        if p != q:
            print(f"{name}: first difference at frame {i}: stack {p[:54].hex()} peer {q[:54].hex()}")
            break
    else:
        print(f"{name}: {len(x)} vs {len(y)} frames, one a prefix of the other")
sys.exit(0 if ok and a else 1)
PY
say "stack pcap and peer capture match packet for packet ($(grep -c . "$TMP/stack.txt") tcpdump lines)"
say "PASS"
