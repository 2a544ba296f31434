// `ustack run --config FILE`: USTACK_* settings kept in a file.
#pragma once

#include <string>
#include <vector>

#include "launcher/run_args.h"

namespace ustack::launcher {

struct ConfigFile {
    std::vector<std::pair<std::string, std::string>> settings;  // variable, value
    std::string error;  // non-empty: one line naming the file, the line and the fix
};

// Parses FILE: one VARIABLE=VALUE per line, VARIABLE one of the USTACK_* variables ustack(7)
// lists; blank lines and lines starting with '#' are ignored; no quoting. Any other line,
// or a file that cannot be read, is an error.
ConfigFile read_config_file(const std::string& path);
ConfigFile parse_config_text(const std::string& path, const std::string& text);

}  // namespace ustack::launcher
