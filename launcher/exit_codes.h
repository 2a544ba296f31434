// The launcher's exit statuses. Each misconfiguration has its own, documented in ustack(1)
// (EXIT STATUS) and in `ustack run --help`, so scripts can tell them apart.
#pragma once

namespace ustack::launcher {

inline constexpr int kExitUsage = 2;              // bad option, missing command, invalid USTACK_* value
inline constexpr int kExitConfigUnreadable = 10;  // --config FILE cannot be read or parsed
inline constexpr int kExitDevicePermission = 11;  // the device exists but we may not open it (or it is busy)
inline constexpr int kExitNoSuchInterface = 12;   // tap:NAME / packet:IFACE names no interface here
inline constexpr int kExitAddressInUse = 13;      // the kernel has the stack's address on an interface here
inline constexpr int kExitArpConflict = 14;       // another host answered ARP for the stack's address
inline constexpr int kExitNoLibrary = 15;         // the preload library was not found
inline constexpr int kExitLab = 16;               // the embedded lab could not be created (needs root)
inline constexpr int kExitNoProcess = 20;         // ss/stat/capture: no such ustack process
inline constexpr int kExitCapture = 21;           // capture: the process could not start recording
inline constexpr int kExitCannotExecute = 126;    // CMD exists but cannot be run
inline constexpr int kExitNotFound = 127;         // CMD not found

}  // namespace ustack::launcher
