#include "netdev/netns_fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <cstring>

namespace ustack::netdev::testing {

std::string sh(const std::string& command) {
    int status = std::system((command + " >/dev/null 2>&1").c_str());
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
    return "command failed: " + command;
}

namespace {

void write_all(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = write(fd, s.data() + off, s.size() - off);
        if (n <= 0) return;
        off += static_cast<size_t>(n);
    }
}

void quiet_ipv6() {
    for (const char* p : {"/proc/sys/net/ipv6/conf/all/disable_ipv6", "/proc/sys/net/ipv6/conf/default/disable_ipv6"}) {
        int fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0) continue;  // no IPv6 in this kernel: nothing to quiet
        write_all(fd, "1");
        close(fd);
    }
}

}  // namespace

std::string in_new_netns(const std::function<std::string()>& body) {
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) return "pipe failed";
    pid_t pid = fork();
    if (pid < 0) return "fork failed";
    if (pid == 0) {
        close(pipefd[0]);
        alarm(20);
        std::string result;
        if (unshare(CLONE_NEWNET) != 0) {
            result = std::string("unshare(CLONE_NEWNET) failed: ") + strerror(errno);
        } else {
            quiet_ipv6();
            result = body();
        }
        write_all(pipefd[1], result);
        _exit(0);
    }
    close(pipefd[1]);
    std::string result;
    char buf[512];
    ssize_t n;
    while ((n = read(pipefd[0], buf, sizeof buf)) > 0) result.append(buf, static_cast<size_t>(n));
    close(pipefd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) return "child died with signal " + std::to_string(WTERMSIG(status)) + "; " + result;
    return result;
}

std::vector<std::byte> arp_request(Mac sender_mac, Ip4 sender_ip, Ip4 target_ip) {
    std::vector<uint8_t> f(60, 0);
    std::memset(f.data(), 0xff, 6);                   // dst: broadcast
    std::memcpy(f.data() + 6, sender_mac.data(), 6);  // src
    f[12] = 0x08, f[13] = 0x06;                       // EtherType ARP
    const uint8_t fixed[] = {0, 1, 0x08, 0, 6, 4, 0, 1};  // Ethernet, IPv4, 6, 4, request
    std::memcpy(f.data() + 14, fixed, sizeof fixed);
    std::memcpy(f.data() + 22, sender_mac.data(), 6);
    std::memcpy(f.data() + 28, sender_ip.data(), 4);
    std::memcpy(f.data() + 38, target_ip.data(), 4);  // target hardware address stays zero
    std::vector<std::byte> out(f.size());
    std::memcpy(out.data(), f.data(), f.size());
    return out;
}

bool is_arp_reply(std::span<const std::byte> frame, Ip4 owner_ip, Mac to_mac, Ip4 to_ip) {
    if (frame.size() < 42) return false;
    auto at = [&](size_t i) { return static_cast<uint8_t>(frame[i]); };
    if (at(12) != 0x08 || at(13) != 0x06 || at(20) != 0 || at(21) != 2) return false;
    return std::memcmp(frame.data(), to_mac.data(), 6) == 0 && std::memcmp(frame.data() + 28, owner_ip.data(), 4) == 0 &&
           std::memcmp(frame.data() + 32, to_mac.data(), 6) == 0 && std::memcmp(frame.data() + 38, to_ip.data(), 4) == 0;
}

std::string wait_link_ready(const std::string& ifname) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
        std::string out;
        if (FILE* p = popen(("ip -o link show dev " + ifname).c_str(), "r")) {
            char buf[1024];
            while (fgets(buf, sizeof buf, p) != nullptr) out += buf;
            pclose(p);
        }
        if (out.find("LOWER_UP") != std::string::npos && out.find("qdisc noop") == std::string::npos) return "";
        usleep(10 * 1000);  // polling a kernel state we cannot wait on directly
    }
    return ifname + " did not become ready";
}

bool wait_readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, 5000) == 1;
}

std::optional<Received> receive_until(Device& dev, const std::function<bool(std::span<const std::byte>)>& match,
                                      std::vector<Received>* seen) {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    std::vector<std::vector<std::byte>> storage(8, std::vector<std::byte>(65536));
    std::vector<RxSlot> slots(storage.size());
    while (Clock::now() < deadline) {
        for (size_t i = 0; i < slots.size(); ++i) slots[i] = RxSlot{storage[i]};
        int n = dev.receive(slots);
        if (n < 0) return std::nullopt;
        for (int i = 0; i < n; ++i) {
            std::span<const std::byte> f = slots[i].buffer.first(slots[i].len);
            Received r{{f.begin(), f.end()}, slots[i].checksum_partial};
            if (seen != nullptr) seen->push_back(r);
            if (match(f)) return r;
        }
        if (n == 0) {
            pollfd p{dev.wait_fd(), POLLIN, 0};
            poll(&p, 1, 200);  // waits for the device, not for time: returns as soon as a frame is in
        }
    }
    return std::nullopt;
}

}  // namespace ustack::netdev::testing
