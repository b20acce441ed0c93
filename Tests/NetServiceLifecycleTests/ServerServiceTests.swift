import Testing
import Foundation
import Logging
import InMemoryLogging
import ServiceLifecycle
import NetCore
import NetServiceLifecycle

/// `ServerService` in a `ServiceGroup`: it serves on every loop, graceful shutdown closes it,
/// and a server that cannot listen makes `run()` throw.
@Suite(.serialized) struct ServerServiceTests {
    /// Polls `condition` every 10 ms for up to `seconds`; whether it became true. Generous: the
    /// rest of the suite runs in parallel, and its synchronous tests can hold both threads of the
    /// concurrency pool on a 2-CPU machine for several seconds.
    private func eventually(_ seconds: Double = 60, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test func servesOnEveryLoopAndStopsOnGracefulShutdown() async throws {
        let log = InMemoryLogHandler()
        let logger = Logger(label: "test") { _ in log }
        let echo = ServerService(host: "127.0.0.1", group: EventLoopGroup(count: 2), logger: logger) { socket in
            socket.pipe(socket)
        }
        let group = ServiceGroup(services: [echo], logger: logger)
        let running = Task { try await group.run() }
        #expect(await eventually { echo.port != nil }, "the service never listened")
        let port = try #require(echo.port)
        for i in 0..<8 {
            #expect(try BlockingClient.roundTrip("ping \(i)", port: port) == "ping \(i)")
        }
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(echo.port == nil)
        #expect(throws: (any Error).self, "the port still accepts after shutdown") {
            try BlockingClient.roundTrip("late", port: port)
        }
        #expect(log.entries.contains { $0.message.description == "listening" })
        await echo.group.shutdown(gracePeriod: 0)
    }

    @Test func aPortInUseMakesRunThrow() async throws {
        // SO_REUSEPORT shares a port only among sockets that all set it; a plain listener on
        // the port makes the service's listen fail with EADDRINUSE.
        let blocker = try BlockingClient.listener()
        defer { close(blocker.fd) }
        let service = ServerService(port: blocker.port, host: "127.0.0.1", group: EventLoopGroup(count: 1)) { $0.pipe($0) }
        let error = await #expect(throws: NetError.self) { try await service.run() }
        #expect(error?.code == .EADDRINUSE)
        #expect(error?.syscall == "listen")
        #expect(service.port == nil)
        await service.group.shutdown(gracePeriod: 0)
        // The server that failed to listen is gone, not kept alive by its own listeners.
        #expect(service.group.loops[0].liveEmitters == 0, "a server that failed to listen was never released")
    }
}

/// Plain blocking POSIX sockets with timeouts, independent of the loops under test.
enum BlockingClient {
    struct Failure: Error { let what: String }

    /// Connects to 127.0.0.1:`port`, sends `text`, half-closes, and returns all that comes back.
    static func roundTrip(_ text: String, port: Int) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(what: "socket") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(what: "connect errno \(errno)") }
        let bytes = Array(text.utf8)
        guard send(fd, bytes, bytes.count, 0) == bytes.count else { throw Failure(what: "send") }
        shutdown(fd, Int32(SHUT_WR))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { break }
            guard n > 0 else { throw Failure(what: "recv errno \(errno)") }
            received += buffer[..<n]
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// A listening socket on 127.0.0.1 with a free port, without `SO_REUSEPORT`.
    static func listener() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = loopback(0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard fd >= 0, ok else { throw Failure(what: "listen errno \(errno)") }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    private static func loopback(_ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
