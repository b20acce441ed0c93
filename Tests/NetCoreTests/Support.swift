import Testing
import Foundation
@testable import NetCore
import Net

/// Runs `body` on a fresh loop, then runs the loop until nothing is left, failing the test if
/// that takes longer than `timeout` milliseconds (every handle is then closed so the test ends).
/// Afterwards no handle may be left open.
func withLoop(
    timeout: UInt64 = 5000, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: (EventLoop) throws -> Void
) rethrows {
    let loop = EventLoop()
    loop.onUnhandledError = { error, source in
        Issue.record("unhandled 'error' on \(source): \(error)", sourceLocation: sourceLocation)
    }
    try body(loop)
    var timedOut = false
    let guardTimer = Timeout(loop: loop) {
        timedOut = true
        loop.remote.setRef(false)
        loop.closeAllHandles()
    }
    guardTimer.unref()
    guardTimer.start(timeout: timeout)
    loop.run()
    guardTimer.close()
    loop.run()
    #expect(!timedOut, "the loop was still busy after \(timeout) ms", sourceLocation: sourceLocation)
    #expect(loop.liveHandles == 0, "\(loop.liveHandles) handles left open", sourceLocation: sourceLocation)
    #expect(loop.liveEmitters == 0, "\(loop.liveEmitters) sockets or servers never released", sourceLocation: sourceLocation)
}

/// Records what happened, in order, for assertions on event order.
final class Log {
    var entries: [String] = []
    func callAsFunction(_ entry: String) { entries.append(entry) }
}

/// Listens on 127.0.0.1 with a free port and calls `ready` with the port once listening.
@discardableResult
func listenLocal(
    _ server: Server, host: String = "127.0.0.1", _ ready: @escaping (Int) -> Void
) -> Server {
    do {
        try server.listen(port: 0, host: host) { ready((try? server.address())?.port ?? 0) }
    } catch {
        Issue.record("listen threw \(error)")
    }
    return server
}

/// A plain TCP socket bound to 127.0.0.1 on a port the OS picked (not listening yet); the caller
/// closes `fd`.
func boundLoopbackSocket() -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return (fd, Int(UInt16(bigEndian: addr.sin_port)))
}

/// A port on 127.0.0.1 with nothing listening: bound and released by the OS just now.
func closedPort() -> Int {
    let (fd, port) = boundLoopbackSocket()
    close(fd)
    return port
}

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
func patternBytes(_ count: Int, seed: UInt64 = 0x9E3779B97F4A7C15) -> [UInt8] {
    var x = seed
    var out = [UInt8](repeating: 0, count: count)
    for i in 0..<count {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17
        out[i] = UInt8(truncatingIfNeeded: x)
    }
    return out
}

/// Connects a new socket to `host:port`, recording a test issue (not crashing) if connect throws.
@discardableResult
func dial(
    _ port: Int, host: String = "127.0.0.1", loop: EventLoop, options: SocketOptions = SocketOptions(),
    sourceLocation: SourceLocation = #_sourceLocation, onConnect: (() -> Void)? = nil
) -> Socket {
    let socket = Socket(options, loop: loop)
    do {
        try socket.connect(port: port, host: host, onConnect: onConnect)
    } catch {
        Issue.record("connect threw \(error)", sourceLocation: sourceLocation)
    }
    return socket
}

/// A loopback server whose side of each connection reads everything and ends once the client
/// has ended (a Node peer written `c.resume(); c.on('end', () => c.end())`); `body` gets a client
/// dialled to it, and the server, to close when done.
func dialHalfClosingPeer(loop: EventLoop, _ body: @escaping (Socket, Server) -> Void) {
    let server = Server(loop: loop) { peer in
        peer.resume()
        peer.on(.end) { peer.end() }
    }
    listenLocal(server) { port in body(dial(port, loop: loop), server) }
}
