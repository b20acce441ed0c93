import Testing
import Foundation
@testable import NetCore
import Net

/// Each program under `Examples/` started as a user would start it and used over loopback: the
/// README quotes these programs, so what it shows is known to build and work.
@Suite(.serialized) struct ExampleSmokeTests {
    /// Starts the example `product` with `arguments` and returns it with the port in its first
    /// line (`… on port N …`).
    private func start(_ product: String, _ arguments: [String]) throws -> (ChildProcess, Int) {
        let path = builtProduct(product)
        try #require(FileManager.default.isExecutableFile(atPath: path), "\(product) is not built at \(path)")
        let child = try #require(ChildProcess(path, arguments))
        let line = child.readLine()
        guard let line, let range = line.range(of: "on port "),
              let port = Int(line[range.upperBound...].prefix { $0.isNumber }) else {
            child.stop()
            throw ExampleFailure("\(product) printed \(line ?? "nothing") instead of its port")
        }
        return (child, port)
    }

    /// Sends `data` on a new connection to `port`, ends it, and returns every byte received
    /// until the peer ended.
    private func exchange(_ data: Buffer, port: Int) -> Buffer? {
        var received: [Buffer] = []
        var ended = false
        withLoop(timeout: 10_000) { loop in
            let socket = dial(port, loop: loop)
            socket.on(.data) { received.append($0) }
            socket.on(.end) { ended = true }
            socket.on(.error) { Issue.record("client: \($0)") }
            socket.end(data)
        }
        return ended ? Buffer.concat(received) : nil
    }

    @Test func chatBroadcastsLinesJoinsLeavesAndCountsConnections() throws {
        let (chat, port) = try start("net-chat", ["0"])
        defer { kill(chat) }
        var alice = "", bob = "", bobName = ""
        withLoop(timeout: 10_000) { loop in
            let a = dial(port, loop: loop)
            a.setEncoding(.utf8)
            var b: Socket?
            a.on(.text) { text in
                alice += text
                if b == nil {
                    let socket = dial(port, loop: loop)
                    b = socket
                    socket.setEncoding(.utf8)
                    socket.on(.connect) { bobName = "127.0.0.1:\(socket.address()?.port ?? 0)" }
                    socket.on(.text) { text in
                        bob += text
                        if text.hasPrefix("Welcome") { socket.write("hi all\n/who\n") }
                        if text.contains("2 connected") { socket.end() }
                    }
                }
                if alice.contains(" left\n") { a.end() }
            }
        }
        let aliceLines = alice.split(separator: "\n").map(String.init)
        #expect(aliceLines.first?.hasPrefix("Welcome, 127.0.0.1:") == true)
        #expect(Array(aliceLines.dropFirst()) == ["\(bobName) joined", "\(bobName)> hi all", "\(bobName) left"])
        #expect(bob == "Welcome, \(bobName)\n2 connected\n")
    }

    @Test func proxyCarriesBothDirectionsAndTheHalfClose() throws {
        let (echo, echoPort) = try start("net-echo-faces", ["callbacks", "0"])
        defer { kill(echo) }
        let (proxy, port) = try start("net-proxy", ["0", "\(echoPort)"])
        defer { kill(proxy) }
        let data = Buffer(patternBytes(1 << 20))
        #expect(exchange(data, port: port) == data, "the proxied echo differs from what was sent")
    }

    @Test func httpResponderAnswersARequest() throws {
        let (http, port) = try start("net-http", ["0"])
        defer { kill(http) }
        let reply = exchange(Buffer("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n"), port: port)?.toString()
        let body = "Hello from swift-net: GET /hello\n"
        #expect(reply?.hasPrefix("HTTP/1.1 200 OK\r\n") == true, "reply: \(reply ?? "none")")
        #expect(reply?.contains("\r\nContent-Length: \(body.utf8.count)\r\n") == true)
        #expect(reply?.hasSuffix("\r\n\r\n" + body) == true)
        let bad = exchange(Buffer("nonsense\r\n\r\n"), port: port)?.toString()
        #expect(bad?.hasPrefix("HTTP/1.1 400 Bad Request\r\n") == true, "reply: \(bad ?? "none")")
    }

    /// Sends `data` on a new connection and returns what came back until the server closed it,
    /// whether it ended or reset the connection (a refused connection may do either).
    private func sendUntilClosed(_ data: Buffer, port: Int) -> String {
        var received = ""
        withLoop(timeout: 10_000) { loop in
            let socket = dial(port, loop: loop)
            socket.setEncoding(.latin1)
            socket.on(.text) { received += $0 }
            socket.on(.error) { _ in }
            socket.write(data)
        }
        return received
    }

    // The README's "Behind a load balancer" program: a trusted balancer's header names the real
    // client (printed, and its bytes echoed from the first one after the header); a blocked
    // client named by a header gets nothing; a connection without a header is refused and
    // reported, and the server goes on.
    @Test func behindBalancerSeesTheRealClientAndRefusesTheRest() throws {
        let (server, port) = try start("net-behind-balancer", ["0", "127.0.0.1"])
        defer { kill(server) }
        let echoed = exchange(Buffer("PROXY TCP4 198.51.100.7 127.0.0.1 4000 80\r\nhello"), port: port)
        #expect(echoed?.toString() == "hello")
        #expect(server.readLine() == "client 198.51.100.7:4000")
        let blocked = sendUntilClosed(Buffer("PROXY TCP4 203.0.113.9 127.0.0.1 4001 80\r\nhello"), port: port)
        #expect(blocked == "", "a blocked client got \(blocked)")
        let bare = sendUntilClosed(Buffer("GET / HTTP/1.1\r\n\r\n"), port: port)
        #expect(bare == "", "a connection without a header got \(bare)")
        let refused = server.readLine()
        #expect(refused?.hasPrefix("refused 127.0.0.1: ") == true, "printed \(refused ?? "nothing")")
        let again = exchange(Buffer("PROXY TCP4 198.51.100.8 127.0.0.1 4002 80\r\nstill here"), port: port)
        #expect(again?.toString() == "still here")
        #expect(server.readLine() == "client 198.51.100.8:4002")
    }

    @Test(arguments: ["callbacks", "async"]) func bothEchoFacesEchoEveryByte(face: String) throws {
        let (echo, port) = try start("net-echo-faces", [face, "0"])
        defer { kill(echo) }
        let data = Buffer(patternBytes(1 << 20, seed: 7))
        #expect(exchange(data, port: port) == data, "the \(face) echo differs from what was sent")
    }

    @Test func echoServiceServesAndStopsOnSIGTERM() throws {
        let (echo, port) = try start("net-echo-service", ["0"])
        defer { kill(echo) }
        let data = Buffer(patternBytes(64 << 10, seed: 3))
        #expect(exchange(data, port: port) == data, "the service's echo differs from what was sent")
        Glibc.kill(echo.process.processIdentifier, SIGTERM)
        #expect(echo.waitForExit(timeout: 10) == 0, "SIGTERM did not end the service cleanly")
    }

    @Test func unixSocketClientAndServer() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swift-net-unix-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("s.sock").path
        let binary = builtProduct("net-unix")
        try #require(FileManager.default.isExecutableFile(atPath: binary), "net-unix is not built at \(binary)")
        let server = try #require(ChildProcess(binary, ["server", path]))
        defer { server.stop() }
        #expect(server.readLine() == "listening on \(path)")
        let client = try #require(ChildProcess(binary, ["client", path, "hello", "there"]))
        defer { client.stop() }
        #expect(client.readLine() == "HELLO THERE")
        #expect(client.waitForExit(timeout: 10) == 0)
        // SIGTERM closes the server and its run() returns: a clean exit.
        Glibc.kill(server.process.processIdentifier, SIGTERM)
        #expect(server.waitForExit(timeout: 10) == 0)
    }

    // node: an 'error' with no listener on a server that cannot listen ends the process with 1.
    @Test func failedListenWithoutAnErrorListenerExitsNonZero() throws {
        let (first, port) = try start("net-chat", ["0"])
        defer { kill(first) }
        let second = try #require(ChildProcess(builtProduct("net-chat"), ["\(port)"]))
        defer { kill(second) }
        #expect(second.waitForExit(timeout: 10) == 1, "a second chat server on a busy port did not exit with 1")
    }
}

/// Ends an example that installs no signal handler. SIGKILL: the test runner may start children
/// with SIGTERM blocked, which such a program would then never see.
private func kill(_ child: ChildProcess) {
    if child.process.isRunning { Glibc.kill(child.process.processIdentifier, SIGKILL) }
    _ = child.waitForExit(timeout: 5)
}

/// Why an example could not be started.
struct ExampleFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
