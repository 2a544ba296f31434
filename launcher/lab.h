// The lab (scripts/lab.sh): `ustack lab ...`, and the private lab `ustack run` makes when it
// is given no device.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ustack::launcher {

// lab.sh: <bin>/../share/ustack/lab.sh when installed, else <bin>/../../scripts/lab.sh in a
// build tree inside the repository. nullopt if neither exists.
std::optional<std::filesystem::path> find_lab_script();

// `ustack lab up|down|status [NAME]` and `ustack lab exec [NAME] host|peer -- CMD...`.
int lab_command(std::span<const std::string_view> args);

// A lab of its own for one `ustack run`: namespaces ur<pid>-host and ur<pid>-peer, with an
// HTTP server (python3 -m http.server) on the peer at 10.77.0.1:80 serving a generated
// index.html. The destructor stops the server and removes the lab, so nothing is left
// behind however the program ends (short of SIGKILL of the launcher itself).
class EmbeddedLab {
public:
    static constexpr const char* kPeerAddress = "10.77.0.1";
    static constexpr const char* kStackAddress = "10.77.0.2/24";
    static constexpr const char* kDevice = "tap:tap0";

    EmbeddedLab() = default;
    ~EmbeddedLab();
    EmbeddedLab(const EmbeddedLab&) = delete;
    EmbeddedLab& operator=(const EmbeddedLab&) = delete;

    // Creates the lab and starts the server; moves this process into the host namespace.
    // On failure returns one line (cause and fix) and leaves nothing behind.
    std::string up();
    void down();
    const std::string& name() const { return name_; }

private:
    std::string name_;
    std::filesystem::path script_;
    std::filesystem::path www_;
    pid_t server_ = -1;
    bool created_ = false;
};

}  // namespace ustack::launcher
