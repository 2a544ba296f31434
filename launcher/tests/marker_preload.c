/* Preloaded by launcher/tests/cli_test.sh: proves ld.so loaded the library the launcher named. */
#include <stdlib.h>

__attribute__((constructor)) static void mark_preloaded(void) {
    setenv("LAUNCHER_TEST_PRELOADED", "1", 1);
}
