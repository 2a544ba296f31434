// Bad user pointers: the kernel answers EFAULT when a send/recv buffer is not mapped (or not
// writable); a user-space stack that simply copies would take the program down with SIGSEGV.
//
// The check costs no system call. Before the stack copies to or from the program's buffers,
// the calls touch one byte per page of the bytes that will be copied (a read for send, an
// atomic add of 0 for recv, which faults on a read-only page without changing the byte) under
// a per-thread sigsetjmp guard. Our SIGSEGV/SIGBUS handler, installed when the stack comes up
// with SA_NODEFER (so jumping out leaves nothing blocked), sees the guard armed and jumps back:
// the call fails with EFAULT before the stack has changed any state. A fault with no guard
// armed is the program's own: the handler passes it to the program's handler, or restores the
// default action and lets the instruction fault again (the core dump shows the real place).
//
// sigaction()/signal() for SIGSEGV and SIGBUS are kept in our record once the guard is
// installed (the kernel keeps our handler); oldact reports the program's. Residual gap: a
// buffer unmapped by another thread between the probe and the copy still faults for real.
#pragma once

#include <signal.h>
#include <sys/uio.h>

#include <cstddef>

namespace ustack::preload::fault_guard {

// Installs the handler for SIGSEGV and SIGBUS (once; when the stack comes up).
void install();

// True when sig's disposition is ours to keep (the guard is installed and sig is SIGSEGV or
// SIGBUS); then sigaction() below answers for it.
bool owns(int sig);
int sigaction(int sig, const struct sigaction* act, struct sigaction* oldact);

// 0 when the first `limit` bytes of the iovec array can be read (writable: written), else
// -EFAULT. Async-signal-safe; no system call unless a page faults.
int probe(const iovec* iov, int iovcnt, size_t limit, bool writable);

}  // namespace ustack::preload::fault_guard
