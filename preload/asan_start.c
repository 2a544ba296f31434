/* Sanitizer builds only: libustack-asan-start.so, a dependency of the instrumented libustack.so,
 * linked -z initfirst so that ld.so runs its constructor before every other one in the process.
 * Its one job is to start the ASan runtime there.
 *
 * Why: the runtime, preloaded first, otherwise starts lazily at the first malloc, and ld.so runs
 * preloaded objects' constructors last. In curl, python3 or coreutils some library constructor
 * (libgpg-error's bindtextdomain, setlocale) mallocs while holding a glibc locale lock for
 * writing; the runtime's start-up then calls dlerror(), which takes the same lock, and the
 * program hangs before main. Started here, the runtime is up before any such lock is held.
 * libustack.so itself cannot be INITFIRST: its own constructors would then run before libc's.
 */
void __asan_init(void);

__attribute__((constructor)) static void start_asan_runtime(void) {
    __asan_init();  /* idempotent: the runtime's own later calls return at once */
}
