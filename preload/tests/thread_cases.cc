// thread_cases ADDRESS PORT: application threads and the runtime's service thread on the same
// stack sockets, printed for a kernel-vs-preload diff, and run under ThreadSanitizer by
// scripts/test (the TSan step). Needs a TCP echo server at ADDRESS:PORT.
//
// * one socket, two threads: a writer thread streams a pattern while a reader thread (blocked
//   in recv most of the time, woken by the service thread's polls or the writer's) reads the
//   echo back on the same fd;
// * several connections, one thread each, doing blocking round trips at once (the waiter list
//   under contention);
// * one thread blocked in poll() on a socket another thread then writes to.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace {

sockaddr_in g_echo{};

[[noreturn]] void die(const char* what) {
    std::printf("FATAL %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

int connect_echo() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    if (connect(fd, reinterpret_cast<const sockaddr*>(&g_echo), sizeof g_echo) != 0) die("connect");
    return fd;
}

unsigned char pattern(size_t i) { return static_cast<unsigned char>((i * 7 + i / 251) & 0xff); }

// The writer keeps at most kInFlight bytes ahead of the reader: socat's PIPE echo deadlocks
// when its pipe fills (a blocking 8 KiB write into a pipe with less room than that, which only
// it would drain), and that must not pass for a stack bug.
void reader_and_writer_share_a_socket() {
    std::printf("== one socket, a writer thread and a reader thread\n");
    constexpr size_t kTotal = 4 << 20;
    constexpr size_t kInFlight = 32 << 10;
    const int fd = connect_echo();
    std::mutex mu;
    std::condition_variable cv;
    size_t got = 0;  // guarded by mu
    std::thread writer([fd, &mu, &cv, &got] {
        unsigned char buf[3000];
        size_t sent = 0;
        while (sent < kTotal) {
            {
                std::unique_lock<std::mutex> lock(mu);
                cv.wait(lock, [&] { return sent - got + sizeof buf <= kInFlight; });
            }
            const size_t n = std::min(sizeof buf, kTotal - sent);
            for (size_t i = 0; i < n; ++i) buf[i] = pattern(sent + i);
            const ssize_t w = send(fd, buf, n, 0);
            if (w <= 0) die("send");
            sent += static_cast<size_t>(w);
        }
    });
    size_t received = 0, mismatches = 0;
    unsigned char buf[5000];
    while (received < kTotal) {
        const ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r <= 0) die("recv");
        for (ssize_t i = 0; i < r; ++i) mismatches += buf[i] != pattern(received + static_cast<size_t>(i));
        received += static_cast<size_t>(r);
        {
            std::lock_guard<std::mutex> lock(mu);
            got = received;
        }
        cv.notify_one();
    }
    writer.join();
    std::printf("echoed %zu bytes, %zu mismatched\n", received, mismatches);
    close(fd);
}

void one_thread_per_connection() {
    std::printf("== four connections, one thread each, blocking round trips\n");
    constexpr int kThreads = 4, kRounds = 200;
    std::atomic<int> done{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([t, &done] {
            const int fd = connect_echo();
            for (int i = 0; i < kRounds; ++i) {
                char out[16], in[16];
                const int n = std::snprintf(out, sizeof out, "t%d r%d", t, i);
                if (send(fd, out, static_cast<size_t>(n), 0) != n) die("send");
                int got = 0;
                while (got < n) {
                    const ssize_t r = recv(fd, in + got, static_cast<size_t>(n - got), 0);
                    if (r <= 0) die("recv");
                    got += static_cast<int>(r);
                }
                if (std::memcmp(in, out, static_cast<size_t>(n)) != 0) die("echo differs");
            }
            close(fd);
            done.fetch_add(1);
        });
    }
    for (auto& th : threads) th.join();
    std::printf("%d threads finished %d round trips each\n", done.load(), kRounds);
}

void poll_woken_by_another_threads_send() {
    std::printf("== poll in one thread, send in another\n");
    const int fd = connect_echo();
    std::atomic<bool> polling{false};
    std::thread poller([fd, &polling] {
        pollfd p{fd, POLLIN, 0};
        polling.store(true);
        const int r = poll(&p, 1, 10000);
        std::printf("poll: %d revents %s\n", r, (p.revents & POLLIN) ? "POLLIN" : "none");
    });
    while (!polling.load()) std::this_thread::yield();
    // The poller may not be asleep yet; either way the echo must make it readable.
    if (send(fd, "x", 1, 0) != 1) die("send");
    poller.join();
    char c;
    std::printf("recv: %zd\n", recv(fd, &c, 1, 0));
    close(fd);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: thread_cases ADDRESS PORT\n");
        return 2;
    }
    g_echo.sin_family = AF_INET;
    g_echo.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
    if (inet_pton(AF_INET, argv[1], &g_echo.sin_addr) != 1) die("address");
    setvbuf(stdout, nullptr, _IOLBF, 0);
    reader_and_writer_share_a_socket();
    one_thread_per_connection();
    poll_woken_by_another_threads_send();
    std::printf("done\n");
    return 0;
}
