import Testing
import CMallocCounter
@testable import NetCore
import Net

/// Heap allocations per round trip on the hot paths, with server and client on one loop in this
/// process, so the loop thread's count covers both ends. Each test runs a ping-pong of 64-byte
/// messages: after a warm-up of 200 round trips the count is read, then again after 1,000 more;
/// the difference must be 0. The client is an ordinary `'data'` listener writing one of two
/// prebuilt `Buffer`s, so the window measures the client's read and write paths as well as the
/// server's.
@Suite(.serialized) struct HotPathAllocationTests {
    static let warmUp = 200
    static let window = 1000
    static let size = 64
    static let counting = cmc_counting_enabled() != 0

    /// What a ping-pong run saw.
    struct Run {
        var roundTrips = 0
        var corrupt = 0
        /// Allocations on the loop thread at the end of the warm-up and of the window.
        var marks: [UInt64] = []
        var windowAllocations: Int? { marks.count == 2 ? Int(marks[1] - marks[0]) : nil }
    }

    /// Connects a client to `port` on `loop` and runs the ping-pong; when the window is over it
    /// destroys the client and calls `finished`.
    static func pingPong(port: Int, loop: EventLoop, finished: @escaping (Run) -> Void) {
        let messages = [Buffer(count: size, fill: 0x41), Buffer(count: size, fill: 0x42)]
        var state = Run()
        state.marks.reserveCapacity(2)
        var received = 0
        var options = SocketConnectOptions(port: port, host: "127.0.0.1")
        options.noDelay = true
        guard let client = try? Net.connect(options, loop: loop) else {
            Issue.record("connect threw")
            return
        }
        client.on(.connect) { client.write(messages[0]) }
        client.on(.data) { chunk in
            let current = messages[state.roundTrips & 1]
            let end = received + chunk.count
            guard end <= size, chunk == current[received..<end] else {
                state.corrupt += 1
                client.destroy()
                finished(state)
                return
            }
            received = end
            guard end == size else { return }
            received = 0
            state.roundTrips += 1
            if state.roundTrips == warmUp || state.roundTrips == warmUp + window {
                state.marks.append(cmc_thread_allocations())
            }
            if state.roundTrips == warmUp + window {
                client.destroy()
                finished(state)
                return
            }
            client.write(messages[state.roundTrips & 1])
        }
        client.on(.error) { Issue.record("client error \($0)") }
    }

    static func check(_ run: Run?, _ what: String) {
        guard let run else {
            Issue.record("\(what): the ping-pong never finished")
            return
        }
        print("\(what): \(run.windowAllocations.map(String.init) ?? "?") allocations over \(window) round trips")
        #expect(run.corrupt == 0, "\(what): an echo differed from its message")
        #expect(run.roundTrips == warmUp + window, "\(what): \(run.roundTrips) round trips")
        #expect(run.windowAllocations == 0, "\(what): \(run.windowAllocations ?? -1) allocations in \(window) round trips")
    }

    // (a) An echo served by a `'data'` listener, `socket.on(.data) { socket.write($0) }`.
    @Test(.enabled(if: counting, "allocation counting is off under sanitizers"))
    func dataListenerEchoAllocatesNothingPerRoundTrip() {
        var result: Run?
        withLoop(timeout: 20_000) { loop in
            let server = Net.createServer(loop: loop) { socket in
                socket.setNoDelay()
                socket.on(.data) { socket.write($0) }
            }
            server.on(.connection) { _ in server.close() }
            listenLocal(server) { port in
                Self.pingPong(port: port, loop: loop) { result = $0 }
            }
        }
        Self.check(result, "data-listener echo")
    }

    // (b) A TCP proxy in front of an in-process echo: each client connection gets an upstream
    // connection, and bytes flow both ways through `pipe`. Per round trip the loop thread runs
    // the client, both proxy sockets and the echo.
    @Test(.enabled(if: counting, "allocation counting is off under sanitizers"))
    func pipeProxyAllocatesNothingPerRoundTrip() {
        var result: Run?
        withLoop(timeout: 20_000) { loop in
            let echo = Net.createServer(loop: loop) { socket in
                socket.setNoDelay()
                socket.on(.data) { socket.write($0) }
            }
            echo.on(.connection) { _ in echo.close() }
            listenLocal(echo) { echoPort in
                let proxy = Net.createServer(loop: loop) { c in
                    c.setNoDelay()
                    guard let u = try? Net.connect(port: echoPort, host: "127.0.0.1", loop: loop) else {
                        Issue.record("upstream connect threw")
                        c.destroy()
                        return
                    }
                    u.setNoDelay()
                    c.pipe(u)
                    u.pipe(c)
                }
                proxy.on(.connection) { _ in proxy.close() }
                listenLocal(proxy) { proxyPort in
                    Self.pingPong(port: proxyPort, loop: loop) { result = $0 }
                }
            }
        }
        Self.check(result, "pipe proxy")
    }
}
