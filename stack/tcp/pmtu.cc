// TCP's reaction to a smaller path MTU (RFC 1191 6.2, Linux tcp_v4_mtu_reduced and
// tcp_simple_retransmit). The ICMP was validated by the caller (ip/icmp.cc).
#include <algorithm>

#include "stack/stack_impl.h"

namespace ustack {

void Stack::Impl::tcp_mtu_reduced(tcp::Tcb& t, size_t path_mtu) {
    if (t.state == tcp::State::kListen || t.state == tcp::State::kClosed) return;
    // The MSS the new MTU allows (IP and TCP headers, and timestamps when every segment
    // carries them); it only goes down, never below Linux's TCP_MIN_SND_MSS.
    size_t fits = path_mtu - wire::Ipv4Repr::kHeaderLen - wire::TcpView::kMinHeaderLen;
    if (t.ts_ok) fits -= 12;
    const auto mss = static_cast<uint16_t>(std::max<size_t>(fits, tcp::kMinSndMss));
    if (mss >= t.snd_mss) return;
    t.snd_mss = mss;
    ++counters.tcp_pmtu_mss_reductions;
    if (!t.synchronized() || t.flight_size() == 0) return;
    // Every segment in flight was too big and is gone: resend from snd_una at once in the new
    // size. Not a congestion signal (the network lost nothing to congestion), so the window
    // stays as it is, as Linux's tcp_simple_retransmit leaves it.
    t.rto_recovery = true;
    t.rtx_nxt = t.snd_una;
    t.recover = t.snd_max;
    tcp_output(t);
}

}  // namespace ustack
