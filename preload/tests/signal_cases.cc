// signal_cases ADDRESS PORT: how blocking socket calls meet signal handlers (signal(7):
// restart under SA_RESTART unless the socket has a timeout; poll/epoll never restart), that
// sigaction reports the program's own handler back, and that a handler calling into sockets
// while its thread is busy in socket calls does not deadlock. Output is deterministic, for
// diffing a kernel run against a run under the preload. Needs an echo server at ADDRESS:PORT.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

sockaddr_in g_server{};
std::atomic<int> g_handled{0};
int g_handler_fd = -1;           // the handler sends a byte here when >= 0
std::atomic<int> g_handler_sent{0};

void die(const char* what) {
    std::printf("FATAL %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

int connect_echo() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    if (connect(fd, reinterpret_cast<sockaddr*>(&g_server), sizeof g_server) != 0) die("connect");
    return fd;
}

void on_alarm(int) {
    const int saved = errno;
    g_handled.fetch_add(1);
    if (g_handler_fd >= 0 && send(g_handler_fd, "h", 1, MSG_NOSIGNAL) == 1) g_handler_sent.fetch_add(1);
    errno = saved;
}

void install(int flags) {
    struct sigaction sa {};
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = flags;
    if (sigaction(SIGALRM, &sa, nullptr) != 0) die("sigaction");
}

void alarm_in_ms(int ms, int interval_ms = 0) {
    itimerval it{};
    it.it_value.tv_sec = ms / 1000;
    it.it_value.tv_usec = (ms % 1000) * 1000;
    it.it_interval.tv_usec = interval_ms * 1000;
    setitimer(ITIMER_REAL, &it, nullptr);
}

// After the next handler run, sends one byte on fd (so that a restarted recv finds the echo).
struct SendAfterSignal {
    int fd;
    int seen;
    pthread_t tid;
    static void* run(void* p) {
        auto* self = static_cast<SendAfterSignal*>(p);
        while (g_handled.load() == self->seen) usleep(5000);
        usleep(50000);  // let the interrupted call go back to sleep (restart) or return
        if (send(self->fd, "s", 1, MSG_NOSIGNAL) != 1) die("helper send");
        return nullptr;
    }
    void start() {
        seen = g_handled.load();
        // Only the main thread may take SIGALRM.
        sigset_t m, old;
        sigemptyset(&m);
        sigaddset(&m, SIGALRM);
        pthread_sigmask(SIG_BLOCK, &m, &old);
        pthread_create(&tid, nullptr, run, this);
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
    }
    void join() { pthread_join(tid, nullptr); }
};

void report(const char* label, long r) {
    std::printf("%s: %ld %s\n", label, r, r < 0 ? strerrorname_np(errno) : "");
}

void drain(int fd, int n) {
    char c;
    for (int i = 0; i < n; ++i) {
        if (recv(fd, &c, 1, 0) != 1) die("drain");
    }
}

void case_sigaction_reports_program_handler() {
    std::printf("== sigaction and signal report the program's handler\n");
    install(SA_RESTART);
    struct sigaction old {};
    sigaction(SIGALRM, nullptr, &old);
    std::printf("handler is ours: %s, SA_RESTART: %s, SA_SIGINFO: %s\n", old.sa_handler == on_alarm ? "yes" : "no",
                (old.sa_flags & SA_RESTART) ? "yes" : "no", (old.sa_flags & SA_SIGINFO) ? "yes" : "no");
    sighandler_t prev = signal(SIGALRM, SIG_IGN);
    std::printf("signal() returned the handler: %s\n", prev == on_alarm ? "yes" : "no");
    prev = signal(SIGALRM, on_alarm);
    std::printf("then SIG_IGN: %s\n", prev == SIG_IGN ? "yes" : "no");
    sigaction(SIGALRM, nullptr, &old);
    std::printf("signal() sets SA_RESTART: %s\n", (old.sa_flags & SA_RESTART) ? "yes" : "no");
}

void case_recv(const char* label, int flags, bool rcvtimeo) {
    int s = connect_echo();
    if (rcvtimeo) {
        timeval tv{5, 0};
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    install(flags);
    SendAfterSignal helper{s, 0, {}};
    helper.start();
    alarm_in_ms(100);
    char c;
    const long r = recv(s, &c, 1, 0);
    report(label, r);
    helper.join();
    if (r < 0) drain(s, 1);
    close(s);
}

void case_never_restart() {
    install(SA_RESTART);
    int s = connect_echo();
    pollfd pf{s, POLLIN, 0};
    alarm_in_ms(100);
    report("poll with SA_RESTART", poll(&pf, 1, 5000));
    int ep = epoll_create1(0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
    alarm_in_ms(100);
    report("epoll_wait with SA_RESTART", epoll_wait(ep, &ev, 1, 5000));
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(s, &rd);
    timeval tv{5, 0};
    alarm_in_ms(100);
    report("select with SA_RESTART", select(s + 1, &rd, nullptr, nullptr, &tv));
    close(ep);
    close(s);
}

void case_accept_interrupted() {
    install(0);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in any{};
    any.sin_family = AF_INET;
    if (bind(l, reinterpret_cast<sockaddr*>(&any), sizeof any) != 0 || listen(l, 4) != 0) die("listen");
    alarm_in_ms(100);
    report("accept without SA_RESTART", accept(l, nullptr, nullptr));
    close(l);
}

void case_handler_uses_sockets_while_thread_is_inside() {
    std::printf("== a handler sends while its thread is busy in socket calls\n");
    int s = connect_echo();
    int t = connect_echo();
    install(SA_RESTART);
    g_handler_fd = t;
    g_handled = 0;
    alarm_in_ms(1, 1);
    int bytes = 0;
    // Busy in socket calls until 50 handlers ran (bounded at 10 s).
    timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (now = start; g_handled.load() < 50 && now.tv_sec - start.tv_sec < 10; clock_gettime(CLOCK_MONOTONIC, &now)) {
        ioctl(s, FIONREAD, &bytes);
        pollfd pf{s, POLLIN, 0};
        poll(&pf, 1, 0);
    }
    alarm_in_ms(0);
    g_handler_fd = -1;
    std::printf("handlers ran: %s, every handler's send succeeded: %s\n", g_handled.load() >= 50 ? "yes" : "no",
                g_handled.load() == g_handler_sent.load() ? "yes" : "no");
    close(t);
    close(s);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: signal_cases ADDRESS PORT\n");
        return 2;
    }
    setvbuf(stdout, nullptr, _IOLBF, 0);
    g_server.sin_family = AF_INET;
    g_server.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
    if (inet_pton(AF_INET, argv[1], &g_server.sin_addr) != 1) return 2;
    case_sigaction_reports_program_handler();
    std::printf("== blocking recv interrupted\n");
    case_recv("recv, SA_RESTART", SA_RESTART, false);
    case_recv("recv, no SA_RESTART", 0, false);
    case_recv("recv, SA_RESTART, SO_RCVTIMEO", SA_RESTART, true);
    std::printf("== waits never restart\n");
    case_never_restart();
    case_accept_interrupted();
    case_handler_uses_sockets_while_thread_is_inside();
    std::printf("done\n");
    return 0;
}
