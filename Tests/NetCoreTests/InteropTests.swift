import Testing
import NetTestSupport
import Foundation
@testable import NetCore
import Net

/// swift-net and Node's `net` talking to each other, both ways, on loopback.
@Suite(.serialized) struct InteropTests {
    /// A Node client that sends `size` random bytes on each of `clients` connections to PORT and
    /// checks each echo byte for byte; prints `ok N` on success.
    static let nodeClient = """
        const net = require('net'), crypto = require('crypto');
        const [port, clients, size] = process.argv.slice(-3).map(Number);
        let ok = 0, done = 0;
        for (let i = 0; i < clients; i++) {
          const data = crypto.randomBytes(size), got = [];
          let n = 0;
          const c = net.connect(port, '127.0.0.1', () => c.end(data));
          c.on('data', (d) => { got.push(d); n += d.length; });
          c.on('end', () => { if (Buffer.concat(got).equals(data)) ok++; });
          c.on('close', () => { if (++done === clients) { console.log('ok ' + ok); process.exit(ok === clients ? 0 : 1); } });
          c.on('error', (e) => console.error(e.message));
        }
        setTimeout(() => { console.log('timeout ' + ok); process.exit(2); }, 20000).unref();
        """

    /// Node's documentation echo server on a free port; prints `listening 127.0.0.1:PORT`.
    static let nodeEchoServer = """
        const net = require('net');
        const server = net.createServer((c) => c.pipe(c));
        server.listen(0, '127.0.0.1', () => console.log('listening 127.0.0.1:' + server.address().port));
        process.on('SIGTERM', () => process.exit(0));
        """

    private func startEcho() throws -> (ChildProcess, Int) {
        let path = builtProduct("net-echo")
        try #require(FileManager.default.isExecutableFile(atPath: path), "net-echo is not built at \(path)")
        let echo = try #require(ChildProcess(path, ["--port", "0", "--host", "127.0.0.1"]))
        let line = echo.readLine()
        guard let port = ChildProcess.port(fromListeningLine: line) else {
            echo.stop()
            throw InteropFailure("net-echo printed \(line ?? "nothing") instead of a listening line")
        }
        #expect(line == "listening 127.0.0.1:\(port)")
        return (echo, port)
    }

    @Test(.enabled(if: NodeOracle.available, "node is not installed")) func nodeClientSends4MiBThroughNetEcho() throws {
        let (echo, port) = try startEcho()
        defer { echo.stop() }
        let client = try #require(ChildProcess.node(Self.nodeClient, ["\(port)", "1", "\(4 << 20)"]))
        #expect(client.readLine(timeout: 30) == "ok 1")
        #expect(client.waitForExit() == 0)
        // net-echo exits 0 on SIGTERM.
        kill(echo.process.processIdentifier, SIGTERM)
        #expect(echo.waitForExit(timeout: 10) == 0)
    }

    @Test(.enabled(if: NodeOracle.available, "node is not installed")) func fiftyConcurrentNodeClientsThroughNetEcho() throws {
        let (echo, port) = try startEcho()
        defer { echo.stop() }
        let client = try #require(ChildProcess.node(Self.nodeClient, ["\(port)", "50", "\(256 << 10)"]))
        #expect(client.readLine(timeout: 30) == "ok 50")
        #expect(client.waitForExit() == 0)
    }

    @Test(.enabled(if: NodeOracle.available, "node is not installed")) func ourClientsSend4MiBThroughNodeEcho() throws {
        let server = try #require(ChildProcess.node(Self.nodeEchoServer))
        defer { server.stop() }
        let port = try #require(ChildProcess.port(fromListeningLine: server.readLine()))
        var matches = 0
        let clients = 50
        withLoop(timeout: 30_000) { loop in
            for i in 0..<clients {
                // One big transfer, the rest 64 KiB each.
                let data = Buffer(patternBytes(i == 0 ? 4 << 20 : 64 << 10, seed: UInt64(i + 1)))
                var received: [Buffer] = []
                let c = dial(port, loop: loop) { }
                c.on(.data) { received.append($0) }
                c.on(.end) { if Buffer.concat(received) == data { matches += 1 } }
                c.on(.error) { Issue.record("client \(i): \($0)") }
                c.end(data)
            }
        }
        #expect(matches == clients)
    }
}

struct InteropFailure: Error, CustomStringConvertible {
    let description: String
    init(_ text: String) { description = text }
}
