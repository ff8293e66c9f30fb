/* proc.c: proc_raise (elvm sends no signals: NOSYS for a signal, INVAL for a number
 * that is none) and proc_exit with a status, after flushing what was printed; an
 * atexit handler runs first, as in C.
 * EXIT: 7
 * NODE: skip node:wasi's proc_raise raises the signal in Node itself (NODE_DIFFERENCES.md)
 */
#include <stdlib.h>

#include "t.h"

/* Not in this wasi-libc's wasi/api.h. Signals: 9 kill, 15 term; 30 is the last. */
WASI_IMPORT(proc_raise) int raw_proc_raise(int sig);

static void bye(void) { printf("atexit handler ran\n"); }

int main(void) {
    W("proc_raise SIGTERM", raw_proc_raise(15));
    W("proc_raise SIGKILL", raw_proc_raise(9));
    W("proc_raise 31", raw_proc_raise(31));
    W("proc_raise 255", raw_proc_raise(255));
    atexit(bye);
    printf("exiting with 7\n");
    exit(7);
}
