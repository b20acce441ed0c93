import Testing
import Foundation
@testable import NetCore
import Net

/// A value shared between the test thread and the group's loops, behind a pthread mutex (which
/// ThreadSanitizer sees).
final class Shared<T>: @unchecked Sendable {
    // @unchecked Sendable: `value` is only touched inside `mutex.withLock`.
    private let mutex = PthreadMutex()
    private var value: T
    init(_ value: T) { self.value = value }
    func with<R>(_ body: (inout T) -> R) -> R { mutex.withLock { body(&value) } }
    var current: T { with { $0 } }
}

/// `EventLoopGroup.listen` reports listening or failing to listen exactly once; errors after that
/// go to each loop's server listeners; shutdown can be graceful.
@Suite struct EventLoopGroupTests {
    /// Starts an echo group of `count` loops on 127.0.0.1; the port, or a recorded failure.
    func listeningGroup(
        _ count: Int = 2, setUp: (@Sendable (Server) -> Void)? = nil,
        results: Shared<[Result<Int, NetError>]> = Shared([])
    ) throws -> (EventLoopGroup, Int) {
        let group = EventLoopGroup(count: count)
        let ready = DispatchSemaphore(value: 0)
        group.listen(host: "127.0.0.1", setUp: setUp, connectionListener: { $0.pipe($0) }, onListening: { result in
            results.with { $0.append(result) }
            ready.signal()
        })
        #expect(ready.wait(timeout: .now() + 10) == .success, "the group did not report listening")
        guard case .success(let port)? = results.current.first else {
            group.shutdown()
            throw NetError(code: "ERR_TEST", message: "the group failed to listen: \(results.current)")
        }
        return (group, port)
    }

    @Test func failingToListenIsReportedOnce() throws {
        // A plain listener (no SO_REUSEPORT) holds the port, so no loop of the group can join it.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var addr = BlockingClient.address("127.0.0.1", 0)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(holder, $0, &len) } }
        #expect(listen(holder, 8) == 0)
        let port = Int(UInt16(bigEndian: addr.sin_port))

        let group = EventLoopGroup(count: 3)
        let results = Shared<[Result<Int, NetError>]>([])
        let reported = DispatchSemaphore(value: 0)
        group.listen(port: port, host: "127.0.0.1", connectionListener: { _ in }, onListening: { result in
            results.with { $0.append(result) }
            reported.signal()
        })
        #expect(reported.wait(timeout: .now() + 10) == .success, "listen never reported")
        // Once the loops are joined nothing more can be reported.
        group.shutdown()
        let all = results.current
        #expect(all.count == 1, "listen reported \(all.count) times: \(all)")
        if case .failure(let error)? = all.first {
            #expect(error.code == .EADDRINUSE)
        } else {
            Issue.record("expected EADDRINUSE, got \(all)")
        }
    }

    @Test func runtimeErrorsReachTheLoopsListenersNotTheListenCallback() throws {
        let errors = Shared<[String]>([])
        let results = Shared<[Result<Int, NetError>]>([])
        let seen = DispatchSemaphore(value: 0)
        let (group, port) = try listeningGroup(setUp: { server in
            server.on(.error) { error in
                errors.with { $0.append(error.message) }
                seen.signal()
            }
            // Once listening, the server meets an accept error (as when descriptors run out).
            server.once(.listening) {
                server.loop.nextTick {
                    server.emitError(NetError(code: "EMFILE", message: "accept EMFILE"))
                }
            }
        }, results: results)
        defer { group.shutdown() }
        for _ in 0..<2 {
            #expect(seen.wait(timeout: .now() + 10) == .success, "an accept error never reached the server's listener")
        }
        #expect(errors.current == ["accept EMFILE", "accept EMFILE"])
        // Still serving, and listen reported once.
        let c = try #require(BlockingClient(from: "127.0.0.1", to: port))
        #expect(c.echo(Array("still here".utf8)) == Array("still here".utf8))
        #expect(results.current.count == 1)
    }

    @Test func gracefulShutdownLetsOpenConnectionsFinish() async throws {
        let (group, port) = try listeningGroup()
        let client = try #require(BlockingClient(from: "127.0.0.1", to: port))
        let hello = Array("hello".utf8)
        #expect(hello.withUnsafeBytes { send(client.fd, $0.baseAddress, $0.count, 0) } == 5)
        // Accepted and served (a connection still in the kernel's queue would be reset).
        #expect(client.read(count: 5) == hello)
        // What the client sees while the group shuts down, from a thread of its own (the
        // awaiting test must not block).
        struct Seen { var refused = false; var echoed = ""; var ended = false }
        let seen = Shared(Seen())
        let clientThread = Thread {
            var refused = false
            for _ in 0..<500 where !refused {
                // New connections are refused once every loop stopped accepting.
                if BlockingClient(from: "127.0.0.1", to: port) == nil { refused = true } else { usleep(10_000) }
            }
            // The open connection is still served to its end.
            let rest = client.echo(Array(" world".utf8))
            seen.with { $0 = Seen(refused: refused, echoed: String(decoding: rest, as: UTF8.self), ended: true) }
        }
        clientThread.start()
        await group.shutdown(gracePeriod: 20_000)
        let s = seen.current
        #expect(s.ended, "shutdown returned while a connection was open")
        #expect(s.refused, "the group kept accepting after shutdown began")
        #expect(s.echoed == " world")
    }

    @Test func gracefulShutdownEndsConnectionsAfterTheGracePeriod() async throws {
        let (group, port) = try listeningGroup()
        let client = try #require(BlockingClient(from: "127.0.0.1", to: port))
        let started = Date()
        await group.shutdown(gracePeriod: 300)
        let took = Date().timeIntervalSince(started)
        // The upper bound is loose: the rest of the suite runs in parallel on 2 CPUs.
        #expect(took >= 0.25 && took < 60, "shutdown took \(took) s with a 300 ms grace period")
        #expect(client.readToEnd().isEmpty, "the idle connection was closed")
    }

    /// `net-echo --loops 2` under a low descriptor limit sheds connections, reports it, and keeps
    /// serving (as one loop does, see AcceptPressureTests).
    @Test func groupSurvivesRunningOutOfDescriptors() throws {
        let echoPath = builtProduct("net-echo")
        try #require(FileManager.default.isExecutableFile(atPath: echoPath), "net-echo is not built at \(echoPath)")
        let echo = try #require(ChildProcess("/bin/sh", ["-c", "ulimit -n 64; exec \"$0\" --loops 2 --port 0 --host 127.0.0.1 2>&1", echoPath]))
        defer { echo.stop() }
        let port = try #require(ChildProcess.port(fromListeningLine: echo.readLine()))
        // Far more connections than descriptors, all held open.
        var held: [BlockingClient] = []
        for _ in 0..<120 {
            if let c = BlockingClient(from: "127.0.0.1", to: port, timeoutSeconds: 2) { held.append(c) }
        }
        var served = 0, shed = 0
        for c in held {
            let ping = Array("x".utf8)
            _ = ping.withUnsafeBytes { send(c.fd, $0.baseAddress, 1, Int32(MSG_NOSIGNAL)) }
            var b: UInt8 = 0
            if recv(c.fd, &b, 1, 0) == 1 { served += 1 } else { shed += 1 }
        }
        var lines: [String] = []
        while let line = echo.readLine(timeout: 1) { lines.append(line) }
        #expect(served > 0 && shed > 0, "expected some connections served and some shed: \(served)/\(shed)")
        #expect(!lines.isEmpty && lines.allSatisfy { $0.contains("accept EMFILE") }, "stderr said \(lines)")
        #expect(lines.count <= 2, "the shortage was reported \(lines.count) times (once per loop at most)")
        #expect(echo.process.isRunning, "net-echo --loops 2 exited under descriptor pressure")
        // Descriptors free again: serving resumes.
        held = []
        var again: [UInt8] = []
        for _ in 0..<100 where again.isEmpty {
            if let c = BlockingClient(from: "127.0.0.1", to: port, timeoutSeconds: 2) { again = c.echo(Array("again".utf8)) }
            if again.isEmpty { usleep(20_000) }
        }
        #expect(String(decoding: again, as: UTF8.self) == "again")
    }

    /// `net-echo` (one loop or a group) on SIGTERM stops accepting, lets the open connection
    /// finish, exits 0.
    @Test(arguments: ["1", "2"])
    func netEchoStopsGracefullyOnSIGTERM(loops: String) throws {
        let echoPath = builtProduct("net-echo")
        try #require(FileManager.default.isExecutableFile(atPath: echoPath), "net-echo is not built at \(echoPath)")
        let echo = try #require(ChildProcess(echoPath, ["--loops", loops, "--port", "0", "--host", "127.0.0.1"]))
        defer { echo.stop() }
        let port = try #require(ChildProcess.port(fromListeningLine: echo.readLine()))
        let client = try #require(BlockingClient(from: "127.0.0.1", to: port))
        #expect(Array("one ".utf8).withUnsafeBytes { send(client.fd, $0.baseAddress, $0.count, 0) } == 4)
        #expect(client.read(count: 4) == Array("one ".utf8))
        kill(echo.process.processIdentifier, SIGTERM)
        var refused = false
        for _ in 0..<200 where !refused {
            if BlockingClient(from: "127.0.0.1", to: port) == nil { refused = true } else { usleep(10_000) }
        }
        #expect(refused, "net-echo kept accepting after SIGTERM")
        #expect(echo.process.isRunning, "net-echo exited with a connection open")
        let echoed = client.echo(Array("two".utf8))
        #expect(String(decoding: echoed, as: UTF8.self) == "two")
        #expect(echo.waitForExit(timeout: 10) == 0, "net-echo did not exit 0 after its last connection")
    }
}
