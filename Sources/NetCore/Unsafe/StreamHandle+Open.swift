internal import CUV
#if canImport(Glibc)
import Glibc
#endif

/// Adopting a descriptor someone else opened: a TCP or Unix socket, bound, listening or
/// connected.
extension StreamHandle {
    /// A handle over `fd`, of the kind libuv sees it to be. Anything that is not a TCP or Unix
    /// stream socket is refused with `EINVAL` (or libuv's own error), and `fd` is left open.
    static func open(loop: EventLoop, fd: Int32) -> (StreamHandle?, Int32) {
        switch uv_guess_handle(fd) {
        case UV_TCP:
            let h = StreamHandle(loop: loop, kind: .tcp)
            let r = uv_tcp_init(loop.uv, h.tcp)
            if r < 0 { return (nil, r) }
            h.opened()
            let o = uv_tcp_open(h.tcp, fd)
            if o < 0 {
                h.close()
                return (nil, o)
            }
            return (h, 0)
        case UV_NAMED_PIPE:
            let (h, r) = StreamHandle.pipe(loop: loop)
            guard let h else { return (nil, r) }
            let o = uv_pipe_open(h.pipe, fd)
            if o < 0 {
                h.close()
                return (nil, o)
            }
            return (h, 0)
        default:
            return (nil, Int32(UV_EINVAL.rawValue))
        }
    }

    /// What `fd` is, in the words of Node's `guessHandleType`: `TCP`, `PIPE`, `UDP`, `TTY`,
    /// `FILE` or `UNKNOWN`.
    static func typeName(of fd: Int32) -> String {
        switch uv_guess_handle(fd) {
        case UV_TCP: return "TCP"
        case UV_NAMED_PIPE: return "PIPE"
        case UV_UDP: return "UDP"
        case UV_TTY: return "TTY"
        case UV_FILE: return "FILE"
        default: return "UNKNOWN"
        }
    }
}
