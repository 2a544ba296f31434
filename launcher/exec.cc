#include "launcher/exec.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ustack::launcher {

int exec_command(const std::vector<std::string>& command) {
    std::vector<char*> argv;
    argv.reserve(command.size() + 1);
    for (const std::string& word : command) argv.push_back(const_cast<char*>(word.c_str()));
    argv.push_back(nullptr);

    execvp(argv[0], argv.data());

    int err = errno;
    const std::string& name = command.front();
    bool not_found = err == ENOENT || err == ENOTDIR;
    if (not_found && name.find('/') == std::string::npos) {
        std::fprintf(stderr, "ustack: %s: command not found\n", name.c_str());
    } else {
        std::fprintf(stderr, "ustack: %s: %s\n", name.c_str(), std::strerror(err));
    }
    return not_found ? kExitNotFound : kExitCannotExecute;
}

}  // namespace ustack::launcher
