#include "launcher/run_command.h"

#include <dlfcn.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "launcher/config_check.h"
#include "launcher/config_file.h"
#include "launcher/exec.h"
#include "launcher/lab.h"
#include "launcher/preflight.h"
#include "launcher/preload_path.h"
#include "launcher/run_args.h"
#include "launcher/usage.h"
#include "preload/config.h"

namespace ustack::launcher {

#if defined(__SANITIZE_ADDRESS__)
extern "C" void __asan_init();
#endif

namespace {

// In an ASan build, libustack.so is instrumented and needs the ASan runtime loaded before it
// (ahead of libc) in whatever program it goes into. The launcher is built the same way, so
// its own runtime is the right one: put it first, and turn leak checking off for programs
// that are not ours. A no-op in a normal build, and in a TSan build (USTACK_TSAN): there
// libtsan.so is a dependency of libustack.so and initialises before it, and must not come
// first in LD_PRELOAD, or its initialisation calls the instrumented sigaction() of
// libustack.so (through its REAL() lookup) before TSan can record anything, and crashes.
void sanitizer_runtime_first([[maybe_unused]] std::string* preload) {
#if defined(__SANITIZE_ADDRESS__)
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&__asan_init), &info) == 0 || info.dli_fname == nullptr) return;
    *preload = std::string(info.dli_fname) + " " + *preload;
    std::string options = std::getenv("ASAN_OPTIONS") ? std::getenv("ASAN_OPTIONS") : "";
    options += (options.empty() ? "" : ":") + std::string("detect_leaks=0:verify_asan_link_order=0");
    setenv("ASAN_OPTIONS", options.c_str(), 1);
#endif
}

}  // namespace
namespace {

int fail(int code, const std::string& message) {
    std::fprintf(stderr, "ustack: %s\n", message.c_str());
    return code;
}

bool unset_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return v == nullptr || *v == '\0';
}

volatile sig_atomic_t g_child = 0;
void forward_signal(int sig) {
    if (g_child > 0) kill(g_child, sig);
}

// Runs the command as a child (the lab must outlive it), passing on SIGTERM and SIGHUP.
// SIGINT and SIGQUIT from a terminal reach the child directly (same process group); the
// launcher ignores them so that it lives to tear the lab down.
int run_child(const std::vector<std::string>& command) {
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    struct sigaction sa {};
    sa.sa_handler = forward_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0) return fail(kExitCannotExecute, std::string("cannot fork: ") + std::strerror(errno));
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        _exit(exec_command(command));
    }
    g_child = pid;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    g_child = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

int run_command(std::span<const std::string_view> args) {
    RunParse parsed = parse_run_args(args);
    if (parsed.request.help) {
        std::fwrite(kRunUsage.data(), 1, kRunUsage.size(), stdout);
        return 0;
    }
    if (!parsed.error.empty()) return fail(kExitUsage, parsed.error);
    const RunRequest& request = parsed.request;

    if (request.config_file) {
        ConfigFile file = read_config_file(*request.config_file);
        if (!file.error.empty()) return fail(kExitConfigUnreadable, file.error);
        for (const auto& [variable, value] : file.settings) setenv(variable.c_str(), value.c_str(), 1);
    }
    for (const Setting& s : request.settings) setenv(std::string(s.variable).c_str(), s.value.c_str(), 1);

    std::optional<std::filesystem::path> dir = self_dir();
    if (!dir && !request.library && std::getenv("USTACK_LIBRARY") == nullptr) {
        return fail(kExitNoLibrary, "cannot find this binary's directory (/proc/self/exe); pass --library PATH");
    }
    const std::filesystem::path library =
        choose_library(request.library, std::getenv("USTACK_LIBRARY"), dir.value_or("."));
    std::error_code ec;
    if (!std::filesystem::is_regular_file(library, ec)) {
        // ld.so would only warn and run the program on the kernel's stack: refuse instead.
        return fail(kExitNoLibrary, "preload library " + library.string() +
                                        " not found; build it (ninja -C build) or pass --library PATH");
    }

    if (library.string().find_first_of(": ") != std::string::npos) {
        // ld.so splits LD_PRELOAD at spaces and colons: such a path would load nothing.
        return fail(kExitNoLibrary, "preload library path " + library.string() +
                                        " has a space or colon, which LD_PRELOAD cannot carry; "
                                        "install or copy ustack under a path without them");
    }

    // Values that can never be right are refused before any lab exists.
    const bool embedded = unset_or_empty("USTACK_DEVICE");
    if (embedded) setenv("USTACK_DEVICE", EmbeddedLab::kDevice, 1);
    if (embedded && unset_or_empty("USTACK_ADDRESS")) setenv("USTACK_ADDRESS", EmbeddedLab::kStackAddress, 1);
    std::vector<std::string> problems = check_configuration();
    // The log file is named relative to where the launcher runs, not wherever CMD chdirs to
    // before it execs something else.
    if (const char* f = std::getenv("USTACK_LOG_FILE"); f != nullptr && *f != '\0' && *f != '/') {
        std::error_code abs_ec;
        if (auto abs = std::filesystem::absolute(f, abs_ec); !abs_ec) setenv("USTACK_LOG_FILE", abs.c_str(), 1);
    }
    for (const std::string& p : problems) std::fprintf(stderr, "ustack: %s\n", p.c_str());
    if (!problems.empty()) return kExitUsage;

    EmbeddedLab lab;  // torn down when this function returns, whatever the path
    if (embedded) {
        if (std::string err = lab.up(); !err.empty()) return fail(kExitLab, err);
    }

    preload::ConfigResult cr = preload::parse_config([](const char* n) { return std::getenv(n); });
    Preflight pf = preflight(cr.config, request.arp_probe);
    if (pf.exit_code != 0) return fail(pf.exit_code, pf.message);
    if (pf.tap_fd >= 0) setenv("USTACK_DEVICE", ("fd:" + std::to_string(pf.tap_fd)).c_str(), 1);

    const char* existing = std::getenv("LD_PRELOAD");
    std::string preload = prepend_preload(library.string(), existing ? existing : "");
    sanitizer_runtime_first(&preload);
    setenv("LD_PRELOAD", preload.c_str(), 1);
    if (!embedded) return exec_command(request.command);
    return run_child(request.command);
}

}  // namespace ustack::launcher
