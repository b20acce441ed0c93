internal import CUV
#if canImport(Glibc)
import Glibc
#endif

/// What differs for TCP: creation, bind, listen, connect, addresses and socket options.
extension StreamHandle {
    /// A new TCP handle; with a family, its socket is created at once (needed to set options
    /// such as `SO_REUSEPORT` before bind). Returns nil and the uv error when libuv refuses.
    static func tcp(loop: EventLoop, family: Int32 = AF_UNSPEC) -> (StreamHandle?, Int32) {
        let h = StreamHandle(loop: loop, kind: .tcp)
        let r = uv_tcp_init_ex(loop.uv, h.tcp, UInt32(family))
        if r < 0 { return (nil, r) }
        h.opened()
        return (h, 0)
    }

    /// Binds to an IP literal and port; `ipv6Only` sets `IPV6_V6ONLY`.
    func bind(ip: String, port: Int, ipv6Only: Bool = false) -> Int32 {
        guard let address = IPAddress(ip) else { return Int32(UV_EINVAL.rawValue) }
        return bind(address, port: port, ipv6Only: ipv6Only)
    }

    /// Binds to an address and port; `ipv6Only` sets `IPV6_V6ONLY`.
    func bind(_ address: IPAddress, port: Int, ipv6Only: Bool = false) -> Int32 {
        let flags: UInt32 = ipv6Only ? UInt32(UV_TCP_IPV6ONLY.rawValue) : 0
        return address.withSockaddr(port: port) { uv_tcp_bind(tcp, $0, flags) }
    }

    /// Connects to an address and port; `done` gets 0 or a uv error.
    func connect(to address: IPAddress, port: Int, _ done: @escaping (Int32) -> Void) -> Int32 {
        let request = ConnectRequest(done: done)
        let unmanaged = Unmanaged.passRetained(request)
        uv_req_set_data(cuv_req(request.req), unmanaged.toOpaque())
        let r = address.withSockaddr(port: port) {
            uv_tcp_connect(request.req, tcp, $0, connectCompleted)
        }
        if r < 0 { unmanaged.release() }
        return r
    }

    /// The local address of a TCP handle.
    var localName: AddressInfo? {
        var status: Int32 = 0
        return localName(status: &status)
    }

    /// The local address of a TCP handle, with `getsockname`'s status (0 or a negative libuv
    /// error) in `status`; `nil` and status 0 when the handle is not an open TCP handle.
    func localName(status: inout Int32) -> AddressInfo? {
        guard kind == .tcp, isOpen, !isClosing else { return nil }
        return IPAddress.name({ uv_tcp_getsockname(tcp, $0, $1) }, status: &status)
            .map { AddressInfo($0.address, port: $0.port) }
    }

    /// The peer's address of a TCP handle.
    var peerName: AddressInfo? {
        peerAddress.map { AddressInfo($0.address, port: $0.port) }
    }

    /// The peer's address and port of a TCP handle, read from its socket address.
    var peerAddress: (address: IPAddress, port: Int)? {
        guard kind == .tcp, isOpen, !isClosing else { return nil }
        return IPAddress.name { uv_tcp_getpeername(tcp, $0, $1) }
    }

    /// `TCP_NODELAY` on or off.
    func setNoDelay(_ on: Bool) -> Int32 {
        guard kind == .tcp, isOpen, !isClosing else { return 0 }
        return uv_tcp_nodelay(tcp, on ? 1 : 0)
    }

    /// Keep-alive on or off, with the initial delay in seconds and Node's probe settings
    /// (`TCP_KEEPCNT` 10, `TCP_KEEPINTVL` 1).
    func setKeepAlive(_ on: Bool, delaySeconds: UInt32) -> Int32 {
        guard kind == .tcp, isOpen, !isClosing else { return 0 }
        let r = uv_tcp_keepalive(tcp, on ? 1 : 0, delaySeconds)
        if r == 0 && on { return cuv_set_keepalive_probes(tcp, 10, 1) }
        return r
    }
}

/// A `uv_connect_t` in flight and what to do when it completes.
final class ConnectRequest {
    let req: UnsafeMutablePointer<uv_connect_t> = .allocate(capacity: 1)
    let done: (Int32) -> Void
    init(done: @escaping (Int32) -> Void) { self.done = done }
    deinit { req.deallocate() }
}

/// libuv's connect callback for TCP and pipes.
let connectCompleted: uv_connect_cb = { req, status in
    guard let req else { return }
    let request = Unmanaged<ConnectRequest>.fromOpaque(uv_req_get_data(cuv_req(req))!).takeRetainedValue()
    let loop = EventLoop.from(req.pointee.handle.pointee.loop)
    request.done(status)
    loop.drainTicks()
}
