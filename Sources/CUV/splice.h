#ifndef CUV_SPLICE_H
#define CUV_SPLICE_H

/* Kernel splicing for `Socket.pipe` between two sockets (Sources/NetCore/Unsafe/KernelPipe.swift):
 * bytes move from one socket into a kernel pipe and from there into the other socket without
 * being copied through user space. Linux only; elsewhere every call answers UV_ENOSYS and the
 * sockets copy as usual. Every function returns a count or a negative uv error. The calls go
 * through syscall(2) so that no header needs _GNU_SOURCE before the first include. */

#include <uv.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/ioctl.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

enum { CUV_SPLICE_F_MOVE = 1, CUV_SPLICE_F_NONBLOCK = 2, CUV_F_SETPIPE_SZ = 1031, CUV_F_GETPIPE_SZ = 1032 };

/* A non-blocking, close-on-exec pipe of about `size` bytes (what the kernel gives when it
 * refuses that size, as it does past a user's pipe-user-pages-soft): fds[0] reads, fds[1]
 * writes. Returns its capacity in bytes. */
static inline int cuv_kernel_pipe_open(int fds[2], int size) {
#if defined(__linux__)
    if (syscall(SYS_pipe2, fds, O_NONBLOCK | O_CLOEXEC) != 0) return uv_translate_sys_error(errno);
    int capacity = fcntl(fds[1], CUV_F_SETPIPE_SZ, size);
    if (capacity < 0) capacity = fcntl(fds[1], CUV_F_GETPIPE_SZ);
    if (capacity <= 0) capacity = 4096;
    return capacity;
#else
    (void)fds; (void)size;
    return UV_ENOSYS;
#endif
}

/* Moves up to `count` bytes from `from` to `to` (one of them a pipe) without blocking: the
 * bytes moved, 0 at the end of `from`, UV_EAGAIN when nothing can move now. */
static inline long cuv_splice(int from, int to, size_t count) {
#if defined(__linux__)
    long n = syscall(SYS_splice, from, (void *)0, to, (void *)0, count,
                     (unsigned int)(CUV_SPLICE_F_MOVE | CUV_SPLICE_F_NONBLOCK));
    return n >= 0 ? n : uv_translate_sys_error(errno);
#else
    (void)from; (void)to; (void)count;
    return UV_ENOSYS;
#endif
}

/* read(2) and close(2) as uv results, for the pipe's ends. */
static inline long cuv_fd_read(int fd, void *into, size_t count) {
    long n = (long)read(fd, into, count);
    return n >= 0 ? n : uv_translate_sys_error(errno);
}
static inline void cuv_fd_close(int fd) { (void)close(fd); }

/* How many bytes wait to be read from `fd` (FIONREAD), or a negative uv error. */
static inline int cuv_fd_pending(int fd) {
    int n = 0;
    return ioctl(fd, FIONREAD, &n) == 0 ? n : uv_translate_sys_error(errno);
}

/* Read memory of no bytes: libuv then calls the read callback with UV_ENOBUFS whenever the
 * stream is readable, without reading, which is how a spliced source learns it has data. */
static inline void cuv_no_read_memory(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)h; (void)suggested;
    buf->base = 0;
    buf->len = 0;
}

#endif
