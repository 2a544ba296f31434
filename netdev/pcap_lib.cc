#include "netdev/pcap_lib.h"

#include <dlfcn.h>

namespace ustack::netdev {
namespace {

// The soname Debian's libpcap0.8 ships (the -dev package's libpcap.so is only a link to it).
constexpr const char* kSoname = "libpcap.so.0.8";

struct Loaded {
    PcapLib lib{};
    std::string error;  // empty when lib is complete
};

template <typename Fn>
bool resolve(void* handle, const char* name, Fn* out, std::string* error) {
    *out = reinterpret_cast<Fn>(dlsym(handle, name));
    if (*out == nullptr && error->empty()) *error = std::string(kSoname) + " has no " + name;
    return *out != nullptr;
}

Loaded load() {
    Loaded l;
    void* handle = dlopen(kSoname, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* why = dlerror();
        l.error = std::string("cannot load ") + kSoname + " for the capture (" + (why ? why : "unknown") +
                  "); install the libpcap0.8 package";
        return l;
    }
    resolve(handle, "pcap_open_dead", &l.lib.open_dead, &l.error);
    resolve(handle, "pcap_dump_fopen", &l.lib.dump_fopen, &l.error);
    resolve(handle, "pcap_dump_open", &l.lib.dump_open, &l.error);
    resolve(handle, "pcap_dump", &l.lib.dump, &l.error);
    resolve(handle, "pcap_dump_flush", &l.lib.dump_flush, &l.error);
    resolve(handle, "pcap_dump_close", &l.lib.dump_close, &l.error);
    resolve(handle, "pcap_close", &l.lib.close, &l.error);
    resolve(handle, "pcap_geterr", &l.lib.geterr, &l.error);
    return l;  // the handle stays open for the life of the process, as a linked library would
}

}  // namespace

const PcapLib* pcap_lib(std::string* error) {
    static const Loaded loaded = load();
    if (!loaded.error.empty()) {
        if (error != nullptr) *error = loaded.error;
        return nullptr;
    }
    return &loaded.lib;
}

}  // namespace ustack::netdev
