#!/usr/bin/env bash
# curl_fetch.sh tap|packet: an unmodified curl, run by `ustack run` in the lab's host namespace,
# downloads a 20 MiB random file from python's http.server on the Linux peer.
# Proves: the bytes arrive intact (SHA-256), the transfer went through the stack (the host
# namespace's kernel has no address to do it with), and every packet the stack put on the wire
# has correct IP and TCP checksums (tcpdump on the peer's interface, peer offload off).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 1 ]] || fail "usage: curl_fetch.sh tap|packet"
compat_device "$1"
COMPAT_NAME="curl_fetch.$1${USTACK_OFFLOADS:+ (USTACK_OFFLOADS=$USTACK_OFFLOADS)}"
compat_require_root
compat_require_tools tcpdump python3 ethtool curl sha256sum
compat_require_files "$LIBUSTACK" "$LAUNCHER"
compat_tmpdir
compat_lab_up "cf${1:0:1}"
compat_peer_no_offload "$PEER_IF"
compat_prepare_stack_side

SIZE=$((20 << 20))
PORT=8000
mkdir "$TMP/www"
head -c "$SIZE" /dev/urandom >"$TMP/www/blob"
bg_start "$TMP/http.out" "$TMP/http.err" \
    ip netns exec "$PEER_NS" python3 -m http.server --bind "$PEER_ADDR" --directory "$TMP/www" "$PORT"
wait_for_tcp_port "$PEER_NS" "$PEER_ADDR" "$PORT" 20 || fail "http.server did not listen: $(cat "$TMP/http.err")"

capture_start "$PEER_NS" "$PEER_IF" "$TMP/cap.pcap"

launcher_cmd "$DEVICE" "$STACK_CIDR" \
    curl -sS --noproxy '*' --max-time 150 -o "$TMP/got" -w '%{size_download} %{time_total}\n' \
    "http://$PEER_ADDR:$PORT/blob"
say "running:$(printf ' %q' "${CMD_LINE[@]}")"
ip netns exec "$HOST_NS" timeout 180 "${CMD_LINE[@]}" >"$TMP/curl.out" 2>"$TMP/curl.err"
rc=$?
capture_stop "$TMP/cap.pcap" "$STACK_ADDR"
[[ $rc -eq 0 ]] || fail "curl exited $rc: $(cat "$TMP/curl.err")"
[[ ! -s "$TMP/curl.err" ]] || fail "curl or the stack wrote to stderr: $(cat "$TMP/curl.err")"
read -r got_bytes seconds <"$TMP/curl.out"
[[ $(sha256sum <"$TMP/got") == $(sha256sum <"$TMP/www/blob") ]] ||
    fail "downloaded file differs from the served one ($got_bytes of $SIZE bytes;" \
        "$(cmp "$TMP/got" "$TMP/www/blob" 2>&1 | head -1); $(cmp -l "$TMP/got" "$TMP/www/blob" 2>/dev/null | wc -l) bytes differ)"

capture_check "$TMP/cap.pcap" "$STACK_ADDR"
if ((CAP_BAD > 0)); then
    say "packets with bad checksums (first 5):"
    head -5 "$TMP/cap.pcap.bad"
    fail "$CAP_BAD packets with bad checksums, $CAP_BAD_FROM_STACK of them from the stack ($STACK_ADDR)"
fi
((CAP_FROM_STACK > 0)) || fail "the capture holds no packet from the stack ($STACK_ADDR)"
# Every byte of the file crossed the captured link to the stack; packets the kernel dropped
# before tcpdump saw them (reported, normally 0) carry at most one MSS each.
((CAP_TCP_BYTES_TO_STACK + CAPTURE_DROPPED * 1460 >= SIZE)) ||
    fail "capture holds $CAP_TCP_BYTES_TO_STACK TCP payload bytes to the stack, fewer than the file's $SIZE"

mbits=$(awk -v b="$got_bytes" -v s="$seconds" 'BEGIN { printf "%.0f", (s > 0 ? b * 8 / s / 1e6 : 0) }')
say "PASS: $got_bytes bytes in ${seconds}s (${mbits} Mbit/s); capture: $CAP_PACKETS packets," \
    "$CAP_FROM_STACK from the stack, $CAP_TCP_BYTES_TO_STACK TCP payload bytes to it, 0 bad checksums," \
    "$CAPTURE_DROPPED dropped by the capture"
