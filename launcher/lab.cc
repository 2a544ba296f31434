#include "launcher/lab.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "launcher/exec.h"
#include "launcher/exit_codes.h"
#include "launcher/preload_path.h"
#include "launcher/usage.h"

namespace ustack::launcher {
namespace {

// Runs argv, stdout and stderr to /dev/null unless keep_output; returns the exit status.
int run_quiet(const std::vector<std::string>& argv, bool keep_output = false) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        // The lab's own tools (bash, ip) run on the kernel: by teardown the launcher has already
        // set LD_PRELOAD for the user's command, and it must not reach them.
        unsetenv("LD_PRELOAD");
        if (!keep_output) {
            int null = open("/dev/null", O_WRONLY);
            dup2(null, 1);
            dup2(null, 2);
        }
        std::vector<char*> v;
        for (const std::string& s : argv) v.push_back(const_cast<char*>(s.c_str()));
        v.push_back(nullptr);
        execvp(v[0], v.data());
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool enter_netns(const std::string& ns) {
    int fd = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = setns(fd, CLONE_NEWNET) == 0;
    close(fd);
    return ok;
}

// True once something in the server's namespace listens on TCP port 80 (/proc/PID/net/tcp
// is the table of the namespace PID is in).
bool listening_on_80(pid_t pid) {
    std::ifstream tcp("/proc/" + std::to_string(pid) + "/net/tcp");
    std::string line;
    while (std::getline(tcp, line)) {
        if (line.find(":0050 00000000:0000 0A") != std::string::npos) return true;
    }
    return false;
}

}  // namespace

std::optional<std::filesystem::path> find_lab_script() {
    std::optional<std::filesystem::path> dir = self_dir();
    if (!dir) return std::nullopt;
    for (const char* rel : {"../share/ustack/lab.sh", "../../scripts/lab.sh"}) {
        std::filesystem::path p = (*dir / rel).lexically_normal();
        std::error_code ec;
        if (std::filesystem::is_regular_file(p, ec)) return p;
    }
    return std::nullopt;
}

int lab_command(std::span<const std::string_view> args) {
    if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
        std::fwrite(kLabUsage.data(), 1, kLabUsage.size(), args.empty() ? stderr : stdout);
        return args.empty() ? kExitUsage : 0;
    }
    std::optional<std::filesystem::path> script = find_lab_script();
    if (!script) {
        std::fprintf(stderr, "ustack: lab script not found (looked for ../share/ustack/lab.sh and "
                     "../../scripts/lab.sh from this binary's directory); reinstall ustack\n");
        return 1;
    }
    std::vector<std::string> command{"bash", script->string()};
    if (args[0] == "exec") {
        // `lab exec [NAME] host|peer -- CMD`: lab.sh wants the name.
        size_t i = 1;
        std::string name = "ustack";
        if (i < args.size() && args[i] != "host" && args[i] != "peer") name = std::string(args[i++]);
        command.push_back("exec");
        command.push_back(name);
        for (; i < args.size(); ++i) command.emplace_back(args[i]);
    } else {
        for (std::string_view a : args) command.emplace_back(a);
    }
    return exec_command(command);
}

std::string EmbeddedLab::up() {
    if (geteuid() != 0) {
        return "the embedded lab needs root (it creates network namespaces); run as root, or name a device "
               "you may open with --device and --address";
    }
    std::optional<std::filesystem::path> script = find_lab_script();
    if (!script) return "lab script not found (../share/ustack/lab.sh or ../../scripts/lab.sh); reinstall ustack, or pass --device";
    script_ = *script;
    name_ = "ur" + std::to_string(getpid());
    if (run_quiet({"bash", script_.string(), "up", name_}) != 0) {
        run_quiet({"bash", script_.string(), "down", name_});
        return "cannot create the embedded lab " + name_ + " (run 'bash " + script_.string() + " up " + name_ +
               "' to see why); or pass --device";
    }
    created_ = true;

    char tmpl[] = "/tmp/ustack-www-XXXXXX";
    if (mkdtemp(tmpl) != nullptr) {
        www_ = tmpl;
        std::ofstream(www_ / "index.html") << "<!doctype html>\n<title>ustack lab peer</title>\n"
                                           << "<p>Hello from the ustack lab peer (" << kPeerAddress << ").</p>\n";
        chmod(tmpl, 0755);
    }
    // The peer's HTTP server, in its own process group so teardown stops all of it.
    server_ = fork();
    if (server_ == 0) {
        setpgid(0, 0);
        if (!enter_netns(name_ + "-peer")) _exit(126);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execlp("python3", "python3", "-m", "http.server", "80", "--bind", kPeerAddress, "--directory", www_.c_str(),
               static_cast<char*>(nullptr));
        _exit(127);
    }
    if (server_ > 0) {
        setpgid(server_, server_);
        for (int i = 0; i < 100 && !listening_on_80(server_); ++i) {
            int status;
            if (waitpid(server_, &status, WNOHANG) == server_) {
                server_ = -1;
                break;
            }
            timespec ts{0, 50'000'000};
            nanosleep(&ts, nullptr);
        }
    }
    if (server_ <= 0) {
        std::fprintf(stderr, "ustack: warning: no HTTP server on the lab peer (python3 -m http.server failed); "
                     "the lab works without it\n");
    }
    if (!enter_netns(name_ + "-host")) {
        std::string why = std::strerror(errno);
        down();
        return "cannot enter the lab namespace " + name_ + "-host: " + why;
    }
    return {};
}

void EmbeddedLab::down() {
    if (server_ > 0) {
        kill(-server_, SIGTERM);
        int status;
        while (waitpid(server_, &status, 0) < 0 && errno == EINTR) {
        }
        server_ = -1;
    }
    if (created_) {
        run_quiet({"bash", script_.string(), "down", name_});
        created_ = false;
    }
    if (!www_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(www_, ec);
        www_.clear();
    }
}

EmbeddedLab::~EmbeddedLab() { down(); }

}  // namespace ustack::launcher
