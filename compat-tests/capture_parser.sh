#!/usr/bin/env bash
# capture_parser.sh: checks the capture checker the other tests rely on, without the stack.
# The host namespace's KERNEL plays the stack (10.78.0.2 on pkt0) and fetches a file from the
# peer over HTTP while the peer captures. The checker must
#   1. find no bad checksum in that capture when both kernels have tx offload off, and all of
#      the file's bytes in TCP segments to 10.78.0.2 (the capture has no tail missing),
#   2. find exactly the four bad checksums corrupt_pcap.py plants in packets from 10.78.0.2
#      (TCP, IP header, UDP, ICMP) and attribute them to that address,
#   3. see the peer's own offloaded packets as bad, and not blame 10.78.0.2 for them, once the
#      peer turns tx checksum offload back on (the reason the other tests turn it off).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

compat_require_root
compat_require_tools tcpdump python3 ethtool curl sha256sum
compat_tmpdir
compat_lab_up cp
compat_device packet
KERNEL_ADDR=$STACK_ADDR  # no stack here: the host kernel takes the stack's address

ip -n "$HOST_NS" addr add "$KERNEL_ADDR/24" dev pkt0 || fail "cannot address pkt0"
ip netns exec "$HOST_NS" ethtool -K pkt0 tx off tso off gso off gro off >/dev/null || fail "ethtool on pkt0"
compat_peer_no_offload "$PEER_IF"

mkdir "$TMP/www"
head -c $((4 << 20)) /dev/urandom >"$TMP/www/blob"
bg_start "$TMP/http.out" "$TMP/http.err" \
    ip netns exec "$PEER_NS" python3 -m http.server --bind "$PEER_ADDR" --directory "$TMP/www" 8000
wait_for_tcp_port "$PEER_NS" "$PEER_ADDR" 8000 20 || fail "http.server did not listen: $(cat "$TMP/http.err")"

fetch() {
    ip netns exec "$HOST_NS" curl -sS --noproxy '*' --max-time 60 -o "$TMP/got" "http://$PEER_ADDR:8000/blob" ||
        fail "kernel-to-kernel fetch failed"
    [[ $(sha256sum <"$TMP/got") == $(sha256sum <"$TMP/www/blob") ]] || fail "fetched file differs"
}

# 1. Clean capture: nothing bad, and every byte of the transfer is there.
capture_start "$PEER_NS" "$PEER_IF" "$TMP/clean.pcap" tcp port 8000
fetch
capture_stop "$TMP/clean.pcap" "$KERNEL_ADDR"
capture_check "$TMP/clean.pcap" "$KERNEL_ADDR"
say "clean: packets=$CAP_PACKETS tcp=$CAP_TCP from_addr=$CAP_FROM_STACK bad=$CAP_BAD" \
    "bytes_to_addr=$CAP_TCP_BYTES_TO_STACK dropped=$CAPTURE_DROPPED"
[[ $CAP_BAD -eq 0 ]] || fail "clean capture reported bad checksums: $(head -3 "$TMP/clean.pcap.bad")"
[[ $CAPTURE_DROPPED -eq 0 ]] || fail "the kernel dropped $CAPTURE_DROPPED packets before tcpdump saw them"
((CAP_TCP_BYTES_TO_STACK >= 4 << 20)) ||
    fail "capture holds $CAP_TCP_BYTES_TO_STACK TCP payload bytes to $KERNEL_ADDR, fewer than the file's $((4 << 20))"
((CAP_FROM_STACK > 0)) || fail "no packet attributed to $KERNEL_ADDR"

# 2. Planted bad checksums, all from KERNEL_ADDR.
planted=$(python3 "$COMPAT_DIR/tools/corrupt_pcap.py" "$TMP/clean.pcap" "$TMP/corrupt.pcap" "$KERNEL_ADDR") ||
    fail "corrupt_pcap.py failed"
capture_check "$TMP/corrupt.pcap" "$KERNEL_ADDR"
say "corrupted: planted=$planted bad=$CAP_BAD bad_from_addr=$CAP_BAD_FROM_STACK"
[[ $CAP_BAD -eq $planted && $CAP_BAD_FROM_STACK -eq $planted ]] ||
    fail "planted $planted bad checksums, checker found $CAP_BAD ($CAP_BAD_FROM_STACK from $KERNEL_ADDR)"
for kind in 'incorrect ->' 'bad cksum' 'bad udp cksum' 'wrong icmp cksum'; do
    grep -q "$kind" "$TMP/corrupt.pcap.bad" || fail "no '$kind' packet among the bad ones"
done

# 3. Real offloaded checksums from the peer: bad, but not blamed on KERNEL_ADDR.
ip netns exec "$PEER_NS" ethtool -K "$PEER_IF" tx on >/dev/null || fail "ethtool tx on"
capture_start "$PEER_NS" "$PEER_IF" "$TMP/offload.pcap" tcp port 8000
fetch
capture_stop "$TMP/offload.pcap" "$KERNEL_ADDR"
capture_check "$TMP/offload.pcap" "$KERNEL_ADDR"
say "peer offload on: bad=$CAP_BAD bad_from_addr=$CAP_BAD_FROM_STACK"
((CAP_BAD > 0)) || fail "peer tx offload on, yet no packet of the peer shows a bad checksum"
[[ $CAP_BAD_FROM_STACK -eq 0 ]] || fail "peer's offloaded packets blamed on $KERNEL_ADDR"
say "PASS"
