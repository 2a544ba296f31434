#include "stack/sim/exchange.h"

#include <algorithm>
#include <optional>
#include <cerrno>
#include <sstream>
#include <vector>

#include "stack/sim/host.h"
#include "stack/sim/trace.h"
#include "stack/sim/world.h"

namespace ustack::sim {

namespace {

constexpr uint16_t kServerPort = 80;
constexpr int kConnectAttempts = 5;

std::vector<std::byte> random_bytes(Rng& rng, size_t n) {
    std::vector<std::byte> v(n);
    for (size_t i = 0; i < n; i += 8) {
        const uint64_t x = rng.next();
        for (size_t j = 0; j < 8 && i + j < n; ++j) v[i + j] = static_cast<std::byte>(x >> (8 * j));
    }
    return v;
}

// Where two byte strings first differ, for a failure message.
std::string mismatch(const std::vector<std::byte>& want, const std::vector<std::byte>& got) {
    const size_t n = std::min(want.size(), got.size());
    size_t i = 0;
    while (i < n && want[i] == got[i]) ++i;
    std::ostringstream s;
    s << "sent " << want.size() << " bytes, received " << got.size() << ", first difference at offset " << i;
    return s.str();
}

}  // namespace

ExchangeResult run_exchange(uint64_t seed, const ExchangeConfig& cfg) {
    ExchangeResult res;
    std::vector<std::byte> client_got, server_got;  // outlive the world, whose tasks write them
    World world(seed);
    if (cfg.trace != nullptr) world.set_trace(cfg.trace);
    world.set_frame_limit(cfg.frame_limit);
    Host& client = world.add_host("client", {Ipv4Addr::from_octets(10, 0, 0, 1), 24});
    Host& server = world.add_host("server", {Ipv4Addr::from_octets(10, 0, 0, 2), 24});
    world.connect(client, server, cfg.client_to_server, cfg.server_to_client);

    const std::vector<std::byte> client_data = random_bytes(world.rng(), cfg.client_bytes);
    const std::vector<std::byte> server_data = random_bytes(world.rng(), cfg.server_bytes);
    const Instant start = world.now();

    // One side of the exchange: a reader task beside the writing one, then close.
    auto converse = [&](Socket& s, const std::vector<std::byte>& out, std::vector<std::byte>& in, Duration& eof_at) {
        Host& h = s.host();
        const TaskId reader = h.spawn(h.name() + "-reader", [&] {
            in = s.read_until_eof();
            eof_at = world.now() - start;
        });
        s.write_all(out);
        s.shutdown_write();
        h.join(reader);
        s.close();
    };
    server.spawn("server", [&] {
        Listener l = server.tcp_listen(kServerPort);
        Socket s = l.accept();
        converse(s, server_data, server_got, res.server_eof_at);
    });
    client.spawn("client", [&] {
        // When every ARP request or reply is lost the connect fails with EHOSTUNREACH after
        // about 3 s, and when all 7 SYNs or their answers are lost with ETIMEDOUT, as on Linux;
        // an application would try again, and so does this one.
        std::optional<Socket> s;
        for (int attempt = 1; !s; ++attempt) {
            try {
                s.emplace(client.tcp_connect({server.address(), kServerPort}));
            } catch (const SocketError& e) {
                if ((e.error() != EHOSTUNREACH && e.error() != ETIMEDOUT) || attempt == kConnectAttempts) throw;
            }
        }
        converse(*s, client_data, client_got, res.client_eof_at);
    });

    bool ok = world.run(cfg.limit);
    res.apps_done_at = world.now() - start;
    if (!ok) {
        res.failure = "applications did not finish: " + world.failure();
    } else if (server_got != client_data) {
        ok = false;
        res.failure = "client->server data corrupted: " + mismatch(client_data, server_got);
    } else if (client_got != server_data) {
        ok = false;
        res.failure = "server->client data corrupted: " + mismatch(server_data, client_got);
    } else {
        ok = world.run_until(
            [&] { return !client.stack().has_pending_output() && !server.stack().has_pending_output(); },
            cfg.close_limit);
        res.closed_at = world.now() - start;
        if (!ok) res.failure = "FINs not acknowledged within " + format_time(cfg.close_limit) + ": " + world.failure();
    }
    res.ok = ok;
    res.client = client.stack().counters();
    res.server = server.stack().counters();
    res.client_to_server = world.links()[0]->stats();
    res.server_to_client = world.links()[1]->stats();
    return res;
}

std::string summarize(const ExchangeResult& r) {
    std::ostringstream s;
    auto link = [&](const char* name, const LinkStats& l) {
        s << name << ": offered=" << l.offered << " queue_drops=" << l.queue_drops << " lost=" << l.lost
          << " dup=" << l.duplicated << " corrupt=" << l.corrupted << " reorder=" << l.reordered << "; ";
    };
    auto tcp = [&](const char* name, const Counters& c) {
        s << name << ": tx=" << c.tcp_tx_segments << " retx=" << c.tcp_retransmits << " rto=" << c.tcp_rto_expirations
          << " out_of_window=" << c.tcp_rx_out_of_window
          << " bad_csum=" << (c.tcp_rx_bad_checksum + c.ip_rx_bad_checksum) << " rst_tx=" << c.tcp_resets_sent
          << " rst_rx=" << c.tcp_resets_received << " dsack_rx=" << c.tcp_dsacks_received
          << " dsack_ignored=" << c.tcp_dsacks_ignored
          << " undos(ts_fr/ts_rto/dsack)=" << c.tcp_full_undos << "/" << c.tcp_spurious_rto_undos << "/"
          << c.tcp_dsack_undos << "; ";
    };
    link("c->s", r.client_to_server);
    link("s->c", r.server_to_client);
    tcp("client", r.client);
    tcp("server", r.server);
    s << "apps done at " << format_time(r.apps_done_at) << "s";
    return s.str();
}

}  // namespace ustack::sim
