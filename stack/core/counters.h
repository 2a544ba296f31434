// Stack-wide counters in the spirit of `netstat -s`. One X-macro list so that `ustack stat`,
// logs and tests name them identically.
#pragma once

#include <cstdint>

namespace ustack {

#define USTACK_COUNTERS(X)                                                                        \
    X(link_rx_frames, "frames received from the device")                                          \
    X(link_rx_bytes, "bytes received from the device")                                            \
    X(link_tx_frames, "frames sent to the device")                                                \
    X(link_tx_bytes, "bytes sent to the device")                                                  \
    X(link_tx_dropped, "frames the device would not take")                                        \
    X(link_rx_malformed, "frames too short for an Ethernet header")                               \
    X(link_rx_not_for_us, "frames for another MAC")                                               \
    X(link_rx_unknown_ethertype, "frames with an EtherType we do not carry")                      \
    X(arp_rx, "ARP packets received")                                                             \
    X(arp_rx_malformed, "ARP packets that did not parse")                                         \
    X(arp_requests_sent, "ARP requests sent")                                                     \
    X(arp_replies_sent, "ARP replies sent")                                                       \
    X(arp_pending_dropped, "packets dropped waiting for ARP (queue full or resolution failed)")   \
    X(ip_rx, "IPv4 packets received")                                                             \
    X(ip_rx_malformed, "IPv4 packets that did not parse")                                         \
    X(ip_rx_bad_checksum, "IPv4 packets with a bad header checksum")                              \
    X(ip_rx_not_for_us, "IPv4 packets for another address")                                       \
    X(ip_reasm_reqds, "IPv4 fragments received for reassembly (Linux ReasmReqds)")              \
    X(ip_reasm_oks, "IPv4 datagrams reassembled (Linux ReasmOKs)")                                \
    X(ip_reasm_fails, "IPv4 datagrams given up in reassembly (Linux ReasmFails)")                 \
    X(ip_reasm_timeouts, "IPv4 reassembly queues timed out (Linux ReasmTimeout)")                 \
    X(ip_reasm_overlaps, "IPv4 datagrams dropped for overlapping fragments (Linux ReasmOverlaps)") \
    X(ip_reasm_duplicates, "IPv4 fragments ignored: repeat data already held")                   \
    X(ip_rx_unknown_protocol, "IPv4 packets for a protocol we do not carry")                      \
    X(ip_tx, "IPv4 packets sent")                                                                 \
    X(ip_frag_oks, "IPv4 datagrams sent as fragments (Linux FragOKs)")                              \
    X(ip_frag_creates, "IPv4 fragments sent (Linux FragCreates)")                                 \
    X(ip_tx_no_route, "IPv4 packets with no route")                                               \
    X(icmp_rx, "ICMP messages received")                                                          \
    X(icmp_rx_malformed, "ICMP messages that did not parse or had a bad checksum")                \
    X(icmp_echo_replies_sent, "ICMP echo replies sent")                                           \
    X(icmp_dest_unreachable_sent, "ICMP destination unreachable sent")                            \
    X(icmp_time_exceeded_sent, "ICMP time exceeded sent (fragment reassembly timed out)")         \
    X(icmp_frag_needed_rx, "ICMP fragmentation needed received (RFC 1191)")                         \
    X(icmp_frag_needed_ignored, "ICMP fragmentation needed ignored: no connection or sequence not in flight (Linux OutOfWindowIcmps)") \
    X(ip_pmtu_updates, "path MTU entries lowered by ICMP fragmentation needed")                   \
    X(tcp_pmtu_mss_reductions, "TCP connections whose MSS was lowered to a new path MTU (Linux tcp_simple_retransmit)") \
    X(icmp_dest_unreachable_rx, "ICMP destination unreachable received")                          \
    X(udp_rx, "UDP datagrams received")                                                           \
    X(udp_rx_malformed, "UDP datagrams that did not parse")                                       \
    X(udp_rx_bad_checksum, "UDP datagrams with a bad checksum")                                   \
    X(udp_rx_no_port, "UDP datagrams to a port nobody listens on")                                \
    X(udp_rx_buffer_full, "UDP datagrams dropped: receive buffer full")                           \
    X(udp_tx, "UDP datagrams sent")                                                               \
    X(tcp_rx_segments, "TCP segments received")                                                   \
    X(tcp_rx_malformed, "TCP segments that did not parse")                                        \
    X(tcp_rx_bad_checksum, "TCP segments with a bad checksum")                                    \
    X(tcp_rx_out_of_window, "TCP segments outside the receive window")                            \
    X(tcp_rx_no_socket, "TCP segments for no connection (answered with RST)")                     \
    X(tcp_tx_segments, "TCP segments sent")                                                       \
    X(tcp_retransmits, "TCP segments retransmitted")                                              \
    X(tcp_rto_expirations, "TCP retransmission timeouts")                                         \
    X(tcp_resets_sent, "TCP RSTs sent")                                                           \
    X(tcp_resets_received, "TCP RSTs accepted")                                                   \
    X(tcp_active_opens, "TCP connections opened by connect")                                      \
    X(tcp_passive_opens, "TCP connections opened by a listener")                                  \
    X(tcp_established_resets, "TCP connections reset while established")                          \
    X(tcp_listen_overflows, "SYNs and final ACKs dropped: accept queue full")                    \
    X(tcp_syncookies_sent, "TCP SYN cookies sent: SYN queue full (Linux SyncookiesSent)")        \
    X(tcp_syncookies_recv, "TCP SYN cookies accepted in a final ACK (Linux SyncookiesRecv)")     \
    X(tcp_syncookies_failed, "TCP ACKs to a listener with an invalid SYN cookie (answered with RST)") \
    X(tcp_timeouts, "TCP connections given up after too many retransmissions")                   \
    X(tcp_fast_retransmits, "TCP fast retransmits (entering loss recovery without a timeout)")    \
    X(tcp_sack_recoveries, "TCP loss recoveries driven by the SACK scoreboard")                   \
    X(tcp_paws_rejected, "TCP segments rejected by PAWS (old timestamp)")                         \
    X(tcp_challenge_acks, "TCP challenge ACKs sent (RFC 5961)")                                   \
    X(tcp_challenge_acks_suppressed, "TCP challenge ACKs not sent: rate limit")                 \
    X(tcp_keepalive_probes, "TCP keepalive probes sent")                                          \
    X(tcp_keepalive_timeouts, "TCP connections reset: keepalive probes unanswered")              \
    X(tcp_linger_resets, "TCP connections reset by close() with SO_LINGER 0")                   \
    X(tcp_loss_probes, "TCP tail loss probes sent (RFC 8985 TLP)")                               \
    X(tcp_persist_probes, "TCP zero-window probes sent by the persist timer")                     \
    X(tcp_lost_retransmits, "TCP retransmissions found lost by time and sent again (RACK)")      \
    X(tcp_rack_lost, "TCP segments marked lost by RACK (RFC 8985)")                              \
    X(tcp_rack_reorder_timeouts, "TCP RACK reordering timer expirations (RFC 8985 6.3)")        \
    X(tcp_reordering_seen, "TCP connections that saw reordering (RACK reo_wnd opens)")          \
    X(tcp_dsacks_received, "TCP ACKs carrying a D-SACK block (RFC 2883)")                        \
    X(tcp_dsacks_ignored, "TCP D-SACKs not taken as proof: for data never resent, or more than we resent (Linux TCPDSACKIgnoredDubious)") \
    X(tcp_dsack_undos, "TCP window reductions undone: D-SACKs showed every retransmission needless (Linux TCPDSACKUndo)") \
    X(tcp_dsacks_sent, "TCP ACKs we sent with a D-SACK block for a duplicate segment")         \
    X(tcp_spurious_rto_undos, "TCP timeouts found spurious by timestamps, window restored (Linux TCPLossUndo)") \
    X(tcp_rcvbuf_autotuned, "TCP receive buffers grown by auto-tuning (Linux tcp_rcv_space_adjust)") \
    X(tcp_idle_restarts, "TCP congestion windows cut back after an idle period longer than the RTO") \
    X(tcp_full_undos, "TCP fast retransmits found spurious by timestamps, window restored (Linux TCPFullUndo)")

struct Counters {
#define USTACK_COUNTER_FIELD(name, help) uint64_t name = 0;
    USTACK_COUNTERS(USTACK_COUNTER_FIELD)
#undef USTACK_COUNTER_FIELD
};

}  // namespace ustack
