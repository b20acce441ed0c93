internal import CUV
#if canImport(Glibc)
import Glibc
#endif

/// What differs for Unix domain sockets: creation, bind, connect and permissions. Paths that
/// start with NUL live in Linux's abstract namespace; paths too long for `sun_path` are refused
/// with `EINVAL` rather than silently cut short (libuv 1.44 would truncate them).
extension StreamHandle {
    /// A new, unbound pipe handle.
    static func pipe(loop: EventLoop) -> (StreamHandle?, Int32) {
        let h = StreamHandle(loop: loop, kind: .pipe)
        let r = uv_pipe_init(loop.uv, h.pipe, 0)
        if r < 0 { return (nil, r) }
        h.opened()
        return (h, 0)
    }

    /// Whether a path names an abstract socket.
    static func isAbstract(_ path: String) -> Bool { path.utf8.first == 0 }

    /// `EINVAL` unless the path fits `sun_path`.
    static func checkPipePath(_ path: String) -> Int32 {
        let n = path.utf8.count
        let limit = isAbstract(path) ? cuv_max_pipe_path() + 1 : cuv_max_pipe_path()
        return n == 0 || n > limit ? Int32(UV_EINVAL.rawValue) : 0
    }

    /// Binds the pipe to a path (or abstract name).
    func bind(path: String) -> Int32 {
        let check = StreamHandle.checkPipePath(path)
        if check < 0 { return check }
        if StreamHandle.isAbstract(path) {
            let fd = StreamHandle.unixSocket(path, connect: false)
            if fd < 0 { return fd }
            let r = uv_pipe_open(pipe, fd)
            if r < 0 { Glibc.close(fd) }
            return r
        }
        return uv_pipe_bind(pipe, path)
    }

    /// Connects the pipe to a path (or abstract name); `done` gets 0 or a uv error, always
    /// asynchronously.
    func connect(path: String, _ done: @escaping (Int32) -> Void) {
        let check = StreamHandle.checkPipePath(path)
        if check < 0 || StreamHandle.isAbstract(path) {
            var status = check
            if status == 0, let fd = descriptor {
                // A descriptor adopted unconnected (Socket(fd:)) connects itself.
                status = StreamHandle.attach(fd, path, padded: false)
                if status == Int32(UV_ECONNREFUSED.rawValue) {
                    status = StreamHandle.attach(fd, path, padded: true)
                }
            } else if status == 0 {
                var fd = StreamHandle.unixSocket(path, connect: true)
                if fd == Int32(UV_ECONNREFUSED.rawValue) {
                    // A server on libuv < 1.48 (Node 20) bound the name NUL-padded to sun_path.
                    let padded = StreamHandle.unixSocket(path, connect: true, padded: true)
                    if padded >= 0 { fd = padded }
                }
                status = fd < 0 ? fd : uv_pipe_open(pipe, fd)
                if fd >= 0 && status < 0 { Glibc.close(fd) }
            }
            loop.nextTick { done(status) }
            return
        }
        let request = ConnectRequest(done: done)
        let unmanaged = Unmanaged.passRetained(request)
        uv_req_set_data(cuv_req(request.req), unmanaged.toOpaque())
        uv_pipe_connect(request.req, pipe, path, connectCompleted)
    }

    /// Lets everyone read and/or write the socket file (Node's `readableAll`/`writableAll`).
    func chmod(readable: Bool, writable: Bool) -> Int32 {
        var flags: Int32 = 0
        if readable { flags |= Int32(UV_READABLE.rawValue) }
        if writable { flags |= Int32(UV_WRITABLE.rawValue) }
        return uv_pipe_chmod(pipe, flags)
    }

    /// The path (or abstract name) a pipe handle is bound to, as `getsockname` reports it.
    var pipeName: String? {
        guard kind == .pipe, isOpen, !isClosing else { return nil }
        var size = 256
        var bytes = [UInt8](repeating: 0, count: size)
        let r = bytes.withUnsafeMutableBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: size) { uv_pipe_getsockname(pipe, $0, &size) }
        }
        guard r == 0 else { return nil }
        return String(decoding: bytes[..<size], as: UTF8.self)
    }

    /// Whether the pipe is connected to a peer (`getpeername` succeeds).
    var pipeHasPeer: Bool {
        guard kind == .pipe, isOpen, !isClosing else { return false }
        var size = 256
        var bytes = [CChar](repeating: 0, count: size)
        let r = uv_pipe_getpeername(pipe, &bytes, &size)
        return r == 0 || r == Int32(UV_ENOBUFS.rawValue)
    }

    /// The descriptor under the handle, once it has one.
    var descriptor: Int32? {
        var fd: uv_os_fd_t = -1
        return uv_fileno(handle, &fd) == 0 ? fd : nil
    }

    /// Connects the existing socket `fd` to the abstract name `path`: 0 or a uv error.
    private static func attach(_ fd: Int32, _ path: String, padded: Bool) -> Int32 {
        var name = Array(path.utf8)
        return name.withUnsafeMutableBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) {
                cuv_unix_attach(fd, $0, p.count, 1, padded ? 1 : 0)
            }
        }
    }

    private static func unixSocket(_ path: String, connect: Bool, padded: Bool = false) -> Int32 {
        var name = Array(path.utf8)
        return name.withUnsafeMutableBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) {
                cuv_unix_socket($0, p.count, connect ? 1 : 0, padded ? 1 : 0)
            }
        }
    }
}
