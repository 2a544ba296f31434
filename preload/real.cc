#include "preload/real.h"

#include <dlfcn.h>

#include "preload/log.h"

namespace ustack::preload::real {

#define USTACK_REAL_DEFINE(name, ret, params) std::atomic<name##_fn> name##_ptr{nullptr};
USTACK_REAL_FUNCTIONS(USTACK_REAL_DEFINE)
#undef USTACK_REAL_DEFINE

namespace detail {
void* resolve(const char* name) {
    void* p = dlsym(RTLD_NEXT, name);
    if (p == nullptr) USTACK_LOG_ERROR("libc has no %s; calls to it fail with ENOSYS", name);
    return p;
}
}  // namespace detail

void resolve_all() {
#define USTACK_REAL_RESOLVE(name, ret, params) (void)name##_get();
    USTACK_REAL_FUNCTIONS(USTACK_REAL_RESOLVE)
#undef USTACK_REAL_RESOLVE
}

}  // namespace ustack::preload::real
