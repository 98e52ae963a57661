// Lets rpcnet-bench run under valgrind (benchmarks/tools/instructions-per-call.sh):
// the benchmark re-executes /proc/self/exe for its server process, which
// under valgrind names the tool rather than the program, and valgrind 3.19
// does not know epoll_pwait2 (syscall 441), which the transport waits in.
// Preloaded with SHIM_EXE naming the benchmark; nothing else uses it.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

static int (*real_execv)(const char*, char* const[]);
static const char* target;

__attribute__((constructor)) static void init(void) {
  real_execv = (int (*)(const char*, char* const[]))dlsym(RTLD_NEXT, "execv");
  target = getenv("SHIM_EXE");
}

int execv(const char* path, char* const argv[]) {
  if (target && strcmp(path, "/proc/self/exe") == 0)
    path = target;
  return real_execv(path, argv);
}

// epoll_pwait2 through epoll_pwait, the timeout rounded up to whole
// milliseconds (a wait never ends early).
int epoll_pwait2(int epfd, struct epoll_event* events, int maxevents,
                 const struct timespec* timeout, const sigset_t* sigmask) {
  int ms = -1;
  if (timeout) {
    long long t = (long long)timeout->tv_sec * 1000 + (timeout->tv_nsec + 999999) / 1000000;
    ms = t > 2147483647 ? 2147483647 : (int)t;
  }
  return epoll_pwait(epfd, events, maxevents, ms, sigmask);
}
