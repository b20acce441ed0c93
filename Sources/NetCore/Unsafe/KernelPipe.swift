internal import CUV

/// A kernel pipe between two sockets: what `Socket.pipe` splices through when both ends are
/// sockets on one loop (`Socket/Socket+Splice.swift`). Bytes move from the source socket into
/// the pipe and from the pipe into the destination with `splice(2)`, never through user space.
/// Between two read callbacks the pipe is always empty: what the destination does not take at
/// once is read out of it and queued as an ordinary write. So one pipe per loop serves every
/// socket of the loop (`EventLoop.kernelPipe`).
///
/// Linux only: elsewhere `open` answers nil and the sockets copy as usual. The two descriptors
/// are closed by `close()` (when the loop closes) or, at the latest, when the pipe goes away.
final class KernelPipe {
    /// The pipe's read end and write end; -1 once closed.
    private var readEnd: Int32
    private var writeEnd: Int32
    /// How many bytes the pipe holds at most (the kernel may round up what was asked for).
    let capacity: Int

    /// The size asked for: four times the kernel's default, so one move carries what libuv's
    /// read loop would take in four 64 KiB reads (an unprivileged process may ask up to 1 MiB).
    static let preferredSize: Int32 = 256 * 1024

    /// A pipe over descriptors the caller opened (`open()` makes the real one; a test gives two
    /// ends splice refuses, to see the copying fallback).
    init(readEnd: Int32, writeEnd: Int32, capacity: Int) {
        self.readEnd = readEnd
        self.writeEnd = writeEnd
        self.capacity = capacity
    }

    /// A new non-blocking pipe, or nil when the system has none to give (out of descriptors, or
    /// no `splice` here): the caller then copies.
    static func open() -> KernelPipe? {
        var fds: (Int32, Int32) = (-1, -1)
        let capacity = withUnsafeMutableBytes(of: &fds) {
            cuv_kernel_pipe_open($0.baseAddress!.assumingMemoryBound(to: Int32.self), preferredSize)
        }
        guard capacity > 0 else { return nil }
        return KernelPipe(readEnd: fds.0, writeEnd: fds.1, capacity: Int(capacity))
    }

    deinit { close() }

    /// Closes both ends; the pipe is unusable afterwards.
    func close() {
        if readEnd >= 0 { cuv_fd_close(readEnd) }
        if writeEnd >= 0 { cuv_fd_close(writeEnd) }
        readEnd = -1
        writeEnd = -1
    }

    /// Moves what `fd` has to read into the pipe, up to its capacity: the bytes moved, 0 at the
    /// end of the stream, or a negative uv error (`UV_EAGAIN` when nothing waits).
    func fill(from fd: Int32) -> Int {
        Int(cuv_splice(fd, writeEnd, capacity))
    }

    /// Moves up to `count` bytes from the pipe into `fd` without blocking: the bytes moved, or a
    /// negative uv error (`UV_EAGAIN` when `fd` takes nothing now).
    func drain(into fd: Int32, count: Int) -> Int {
        var moved = 0
        while moved < count {
            let n = Int(cuv_splice(readEnd, fd, count - moved))
            if n <= 0 { return moved > 0 ? moved : n }
            moved += n
        }
        return moved
    }

    /// Reads `count` bytes the pipe holds into a buffer (what a destination did not take).
    func take(_ count: Int) -> Buffer {
        Buffer(unsafeUninitializedCapacity: count) { memory in
            var got = 0
            while got < count {
                let n = Int(cuv_fd_read(readEnd, memory.baseAddress! + got, count - got))
                if n <= 0 { break }
                got += n
            }
            return got
        }
    }

    /// Empties the pipe, dropping what it holds (its destination failed).
    func discard(_ count: Int) { _ = take(count) }

    /// Whether a splice error means this kernel cannot splice these descriptors at all (a
    /// sandbox that filters the call, a kernel without it), rather than a failure of the stream.
    static func isUnsupported(_ error: Int) -> Bool {
        error == Int(UV_EINVAL.rawValue) || error == Int(UV_ENOSYS.rawValue)
            || error == Int(UV_EPERM.rawValue) || error == Int(UV_ENOTSUP.rawValue)
    }

    /// How many bytes the pipe holds now (`FIONREAD`): 0 between callbacks.
    var pendingBytes: Int { Int(cuv_fd_pending(readEnd)) }
}
