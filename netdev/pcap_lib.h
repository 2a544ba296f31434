// libpcap's capture-file writer, loaded with dlopen() the first time a capture starts.
//
// Why not link it: libpcap.so pulls libdbus, libsystemd, libgcrypt, libgpg-error, liblzma,
// libzstd, liblz4 and libcap into every program the library is preloaded into, whether it
// records or not, and their constructors run before the program's main. Loaded on demand, only
// a process that records pays for it. (Sanitizer builds still link it: netdev/CMakeLists.txt.)
#pragma once

#include <pcap/pcap.h>

#include <cstdio>
#include <string>

namespace ustack::netdev {

// The libpcap entry points the recorders use; the names are libpcap's without "pcap_".
struct PcapLib {
    pcap_t* (*open_dead)(int linktype, int snaplen);
    pcap_dumper_t* (*dump_fopen)(pcap_t*, FILE*);
    pcap_dumper_t* (*dump_open)(pcap_t*, const char* path);
    void (*dump)(u_char* dumper, const pcap_pkthdr*, const u_char* bytes);
    int (*dump_flush)(pcap_dumper_t*);
    void (*dump_close)(pcap_dumper_t*);
    void (*close)(pcap_t*);
    char* (*geterr)(pcap_t*);
};

// libpcap, loaded (RTLD_LOCAL) on the first call; thread-safe. Null if it cannot be loaded,
// with *error naming the library and the fix. Call it before taking the stack lock: dlopen
// takes the loader's lock and runs constructors.
const PcapLib* pcap_lib(std::string* error);

}  // namespace ustack::netdev
