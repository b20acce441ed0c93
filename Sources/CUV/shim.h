#ifndef CUV_SHIM_H
#define CUV_SHIM_H

#include <uv.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif
#include <stddef.h>
#include <sys/un.h>

/* Views of one handle as its libuv "base classes", so Swift never type-puns. */
static inline uv_handle_t *cuv_handle(void *h) { return (uv_handle_t *)h; }
static inline uv_req_t *cuv_req(void *r) { return (uv_req_t *)r; }

/* The loop's millisecond clock, as uv_now answers it, read inline: an opaque call on the data
 * path makes Swift keep the objects around it alive with a retain and a release each. */
static inline uint64_t cuv_now(const uv_loop_t *loop) { return loop->time; }

/* The loop's read slab, as the read-memory callback below sees it: the bytes of the slab, how
 * many are used, and the constants Swift's `ReadSlab` (Sources/NetCore/Unsafe/ReadSlab.swift)
 * shares with it. The head is the first field of that Swift struct, which keeps it in step. */
enum { CUV_READ_SLAB_SIZE = 64 * 1024, CUV_READ_SLAB_RECYCLE_AFTER = 2 * 1024 };
typedef struct { char *base; intptr_t used; } cuv_slab_head_t;

/* Where a loop's read slab lives in the loop's memory: after the uv_loop_t (16-byte aligned). */
static inline size_t cuv_read_slab_offset(void) {
    return (sizeof(uv_loop_t) + 15) & ~(size_t)15;
}

/* Defined by NetCore (ReadSlab.swift): starts the slab over when nobody holds a view of it, or
 * moves on to another when its free tail is too small. */
void swiftnet_read_slab_recycle(cuv_slab_head_t *slab);

/* The free tail of the slab, as a read's memory. */
static inline void cuv_slab_fill(const cuv_slab_head_t *slab, uv_buf_t *buf) {
    buf->base = slab->base + slab->used;
    buf->len = (size_t)(CUV_READ_SLAB_SIZE - slab->used);
}

/* Past the first CUV_READ_SLAB_RECYCLE_AFTER bytes: ask Swift first. Out of line, so the usual
 * path below saves no registers and reaches this one by a tail call. */
static __attribute__((noinline)) void cuv_slab_alloc_recycling(cuv_slab_head_t *slab, uv_buf_t *buf) {
    swiftnet_read_slab_recycle(slab);
    cuv_slab_fill(slab, buf);
}

/* libuv asks for read memory for a stream: the free tail of its loop's slab, found from the
 * handle's own `loop` field. A C function, so libuv calls it with no thunk between: the usual
 * read costs about a dozen instructions here. */
static inline void cuv_slab_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    cuv_slab_head_t *slab = (cuv_slab_head_t *)((char *)h->loop + cuv_read_slab_offset());
    if (slab->used >= CUV_READ_SLAB_RECYCLE_AFTER) {
        cuv_slab_alloc_recycling(slab, buf);
        return;
    }
    cuv_slab_fill(slab, buf);
}

/* A system call of three arguments made directly, answering its result or -errno: on Linux,
 * glibc's read(2) and write(2) wrappers are cancellation points, which in a process with more
 * than one thread (a loop group, or a loop on its own thread under async code) cost about 90
 * instructions per call to enable and disable asynchronous cancellation, and no loop thread is
 * ever cancelled. */
#if defined(__linux__) && defined(__x86_64__)
#define CUV_DIRECT_SYSCALLS 1
static inline intptr_t cuv_syscall3(intptr_t nr, intptr_t a, intptr_t b, intptr_t c) {
    intptr_t r;
    __asm__ volatile ("syscall" : "=a"(r) : "0"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}
#endif

/* write(2): the byte count or -errno. */
static inline intptr_t cuv_sys_write(int fd, const char *base, size_t len) {
#ifdef CUV_DIRECT_SYSCALLS
    return cuv_syscall3(SYS_write, fd, (intptr_t)base, (intptr_t)len);
#else
    intptr_t r = (intptr_t)write(fd, base, len);
    return r < 0 ? -errno : r;
#endif
}

/* read(2): the byte count, 0 at end of stream, or -errno. */
static inline intptr_t cuv_sys_read(int fd, char *base, size_t len) {
#ifdef CUV_DIRECT_SYSCALLS
    return cuv_syscall3(SYS_read, fd, (intptr_t)base, (intptr_t)len);
#else
    intptr_t r = (intptr_t)read(fd, base, len);
    return r < 0 ? -errno : r;
#endif
}

/* Reads what a readable stream holds into the free tail of its loop's slab (as libuv's read would
 * with cuv_slab_alloc's memory): the byte count, UV_EOF at end of stream, UV_EAGAIN when nothing
 * waits after all, or the read's error as a uv error. */
static inline intptr_t cuv_slab_read(uv_stream_t *s) {
    uv_buf_t buf;
    cuv_slab_alloc((uv_handle_t *)s, 0, &buf);
    intptr_t n;
    do { n = cuv_sys_read(s->io_watcher.fd, buf.base, buf.len); } while (n == -EINTR);
    if (n > 0) return n;
    if (n == 0) return UV_EOF;
    if (n == -EAGAIN || n == -EWOULDBLOCK) return UV_EAGAIN;
    return n;
}

/* uv_try_write for one buffer, with libuv's answers: the bytes the kernel took, UV_EAGAIN when
 * it would block or the stream is connecting or has writes queued, UV_EBADF without a
 * descriptor, UV_EPIPE when the stream is not writable (asked only once the write failed: a
 * stream libuv does not count writable has a descriptor opened read-only, which refuses the
 * write), or the write's error. */
static inline intptr_t cuv_try_write(uv_stream_t *s, const char *base, size_t len) {
    if (s->connect_req != NULL || s->write_queue_size != 0) return UV_EAGAIN;
    int fd = s->io_watcher.fd;
    if (fd < 0) return UV_EBADF;
    intptr_t n;
    do { n = cuv_sys_write(fd, base, len); } while (n == -EINTR);
    if (n >= 0) return n;
    if (!uv_is_writable(s)) return UV_EPIPE;
    if (n == -EAGAIN || n == -EWOULDBLOCK || n == -ENOBUFS) return UV_EAGAIN;
    return n;
}

/* Whether the calling thread is the process's main thread: on Linux, the one whose thread id is
   the process id. Elsewhere 0 (no thread counts as main). */
static inline int cuv_is_main_thread(void) {
#if defined(__linux__)
    return syscall(SYS_gettid) == getpid();
#else
    return 0;
#endif
}

/* Ignore SIGPIPE, as Node does: a peer reset must not kill the process. */
static inline void cuv_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

/* The fd behind a handle, or a negative uv error. */
static inline int cuv_fileno(const void *h) {
    uv_os_fd_t fd;
    int r = uv_fileno((const uv_handle_t *)h, &fd);
    return r < 0 ? r : (int)fd;
}

/* SO_REUSEPORT on a handle whose socket already exists (uv_tcp_init_ex). */
static inline int cuv_set_reuseport(uv_tcp_t *tcp) {
    int fd = cuv_fileno(tcp);
    if (fd < 0) return fd;
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
        return uv_translate_sys_error(errno);
    return 0;
}

/* Node's keep-alive probes: TCP_KEEPCNT=10, TCP_KEEPINTVL=1 on top of uv_tcp_keepalive. */
static inline int cuv_set_keepalive_probes(uv_tcp_t *tcp, int count, int interval) {
    int fd = cuv_fileno(tcp);
    if (fd < 0) return fd;
    if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count) != 0)
        return uv_translate_sys_error(errno);
    if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval) != 0)
        return uv_translate_sys_error(errno);
    return 0;
}

/* Port and family of a sockaddr, read in C so Swift needs no union access. */
static inline int cuv_sockaddr_family(const struct sockaddr *sa) { return sa->sa_family; }
static inline int cuv_sockaddr_port(const struct sockaddr *sa) {
    if (sa->sa_family == AF_INET) return ntohs(((const struct sockaddr_in *)sa)->sin_port);
    if (sa->sa_family == AF_INET6) return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    return 0;
}

/* Next entry of a getaddrinfo answer, and its fields. */
static inline const struct addrinfo *cuv_ai_next(const struct addrinfo *ai) { return ai->ai_next; }
static inline const struct sockaddr *cuv_ai_addr(const struct addrinfo *ai) { return ai->ai_addr; }

/* Binds, or connects, the Unix stream socket `fd` to `name` of `len` bytes. A name that starts
 * with NUL is in Linux's abstract namespace (libuv 1.44 cannot bind or connect those). Returns 0
 * or a negative uv error; `fd` stays open either way. */
static inline int cuv_unix_attach(int fd, const char *name, size_t len, int do_connect, int pad) {
    struct sockaddr_un sa;
    if (len == 0 || len > sizeof sa.sun_path) return UV_EINVAL;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, name, len);
    /* pad: the whole sun_path, NUL-filled, as libuv before 1.48 (Node 20) binds abstract names. */
    socklen_t sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (pad ? sizeof sa.sun_path : len));
    int r = do_connect ? connect(fd, (struct sockaddr *)&sa, sl) : bind(fd, (struct sockaddr *)&sa, sl);
    return r == 0 ? 0 : uv_translate_sys_error(errno);
}

/* A non-blocking Unix stream socket bound to, or connected to, `name` of `len` bytes (see
 * cuv_unix_attach). Returns the fd, or a negative uv error. */
static inline int cuv_unix_socket(const char *name, size_t len, int do_connect, int pad) {
    if (len == 0 || len > sizeof(((struct sockaddr_un *)0)->sun_path)) return UV_EINVAL;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return uv_translate_sys_error(errno);
    int r = cuv_unix_attach(fd, name, len, do_connect, pad);
    if (r != 0) {
        close(fd);
        return r;
    }
    return fd;
}

/* The longest path a sockaddr_un holds with its terminating NUL. */
static inline size_t cuv_max_pipe_path(void) { return sizeof(((struct sockaddr_un *)0)->sun_path) - 1; }

#endif
