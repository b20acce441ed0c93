import Testing
@testable import NetCore
import Net

/// The `signal` option of a client socket: an abort destroys it with Node's `AbortError`.
/// Compared with node 20 (`net.connect({ port, signal })` and `new net.Socket({ signal })`):
/// `'error'` is an `AbortError` with code `ABORT_ERR` and message "The operation was aborted",
/// then `'close'`.
@Suite struct SocketAbortTests {
    enum When: String, CaseIterable { case before, rightAfter, nextTurn, connected }
    enum How: String, CaseIterable { case connectFunction, constructor }

    /// Connects to a live server with a signal aborted `when`; logs the socket's story and the
    /// signal's listener count at each step.
    static func run(_ when: When, _ how: How) -> [String] {
        let log = Log()
        withLoop { loop in
            var peers: [Socket] = []
            let server = Net.createServer(loop: loop) { peers.append($0) }
            listenLocal(server) { port in
                let controller = AbortController()
                let signal = controller.signal
                if when == .before { controller.abort() }
                var options = SocketConnectOptions(port: port, host: "127.0.0.1")
                options.signal = signal
                let socket: Socket
                do {
                    switch how {
                    case .connectFunction:
                        socket = try Net.connect(options, loop: loop)
                    case .constructor:
                        socket = Socket(SocketOptions(signal: signal), loop: loop)
                        try socket.connect(port: port, host: "127.0.0.1")
                    }
                } catch {
                    Issue.record("connect threw \(error)")
                    server.close()
                    return
                }
                log("listeners \(signal.listenerCount)")
                // A handle is opened for the attempt ('connectionAttempt').
                socket.on(.connectionAttempt) { _ in
                    log("attempt")
                    if when == .nextTurn { loop.nextTick { controller.abort() } }
                }
                socket.on(.connect) {
                    log("connect")
                    if when == .connected { controller.abort() }
                }
                socket.on(.error) { log("error \($0.name) \($0.code) \($0.message)") }
                socket.on(.close) { e in
                    log("close \(e.hadError) listeners \(signal.listenerCount)")
                    for p in peers { p.destroy() }
                    server.close()
                }
                if when == .rightAfter { controller.abort() }
            }
        }
        return log.entries
    }

    // node: test/parallel/test-net-connect-abort-controller.js — a signal aborted before the
    // connect, right after it, or later (here: the tick after the attempt started, and once
    // connected), given to `net.connect` or to the
    // constructor: 'error' (AbortError) then 'close'. Beyond Node's test: an aborted signal opens
    // no handle, and the socket's listener leaves the signal when it closes.
    @Test(arguments: When.allCases, How.allCases)
    func abortDestroysWithAnAbortError(when: When, how: How) {
        let abortError = "error AbortError ABORT_ERR The operation was aborted"
        let expected: [String]
        switch when {
        case .before: expected = ["listeners 0", abortError, "close true listeners 0"]
        case .rightAfter: expected = ["listeners 1", abortError, "close true listeners 0"]
        case .nextTurn: expected = ["listeners 1", "attempt", abortError, "close true listeners 0"]
        case .connected: expected = ["listeners 1", "attempt", "connect", abortError, "close true listeners 0"]
        }
        #expect(Self.run(when, how) == expected)
    }

    // A socket made with an aborted signal that never connects is destroyed on the next tick:
    // 'error' then 'close' (without hadError, as Node's socket without a handle).
    @Test func abortedSignalDestroysAnIdleSocket() {
        let log = Log()
        withLoop { loop in
            let socket = Socket(SocketOptions(signal: AbortSignal.abort()), loop: loop)
            socket.on(.error) { log("error \($0.code)") }
            socket.on(.close) { log("close \($0.hadError)") }
            log("destroyed \(socket.destroyed)")
        }
        #expect(log.entries == ["destroyed false", "error ABORT_ERR", "close false"])
    }

    // A socket whose signal never fires leaves no listener on it once closed.
    @Test func closingRemovesTheListener() {
        let signal = AbortController().signal
        var countAtConnect = -1
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.end() }
            listenLocal(server) { port in
                let socket = Socket(SocketOptions(signal: signal), loop: loop)
                _ = try? socket.connect(port: port, host: "127.0.0.1") { countAtConnect = signal.listenerCount }
                socket.resume()
                socket.on(.close) { _ in server.close() }
            }
        }
        #expect(countAtConnect == 1)
        #expect(signal.listenerCount == 0)
    }
}
