import Testing
import NetTestSupport
import Foundation
@testable import NetCore
import Net

/// swift-net and Node's `net` talking to each other over Unix domain sockets, both ways.
///
/// Abstract names: Node 20's libuv (< 1.48) binds them padded with NULs to the whole of
/// sun_path, libuv ≥ 1.48 (Node ≥ 22) and swift-net bind the exact name. Our client falls back
/// to the padded name, so it reaches a Node 20 abstract server; a Node 20 client cannot reach our
/// exact-length abstract server, so that direction is not tested.
@Suite(.serialized) struct PipeInteropTests {
    /// A Node client that sends SIZE random bytes to the Unix socket PATH (a leading `@` means
    /// the abstract name) and checks the echo byte for byte; prints `ok` or `mismatch`.
    static let nodeClient = """
        const net = require('net'), crypto = require('crypto');
        const [where, size] = process.argv.slice(-2);
        const path = where.startsWith('@') ? '\\0' + where.slice(1) : where;
        const data = crypto.randomBytes(Number(size)), got = [];
        const c = net.connect(path, () => c.end(data));
        c.on('data', (d) => got.push(d));
        c.on('end', () => { const ok = Buffer.concat(got).equals(data); console.log(ok ? 'ok' : 'mismatch'); process.exit(ok ? 0 : 1); });
        c.on('error', (e) => { console.log('error ' + e.code); process.exit(1); });
        setTimeout(() => { console.log('timeout'); process.exit(2); }, 20000).unref();
        """

    /// Node's documentation echo server on the Unix socket PATH (`@name` for the abstract
    /// `\0name`); prints `listening PATH`.
    static let nodeEchoServer = """
        const net = require('net');
        const [where] = process.argv.slice(-1);
        const path = where.startsWith('@') ? '\\0' + where.slice(1) : where;
        const server = net.createServer((c) => c.pipe(c));
        server.listen(path, () => console.log('listening ' + where));
        process.on('SIGTERM', () => server.close(() => process.exit(0)));
        """

    private func startNetEcho(_ path: String) throws -> ChildProcess {
        let binary = builtProduct("net-echo")
        try #require(FileManager.default.isExecutableFile(atPath: binary), "net-echo is not built at \(binary)")
        let echo = try #require(ChildProcess(binary, ["--path", path]))
        let line = echo.readLine()
        guard line == "listening \(path)" else {
            echo.stop()
            throw InteropFailure("net-echo printed \(line ?? "nothing") instead of 'listening \(path)'")
        }
        return echo
    }

    /// Sends `size` pattern bytes to `path` with our client and returns whether they came back
    /// byte-exact.
    private func echoThrough(_ path: String, size: Int, timeout: UInt64 = 30_000) -> Bool {
        let data = Buffer(patternBytes(size, seed: UInt64(size)))
        var received: [Buffer] = []
        var matched = false
        withLoop(timeout: timeout) { loop in
            let c = Socket(loop: loop)
            c.on(.data) { received.append($0) }
            c.on(.end) { matched = Buffer.concat(received) == data }
            c.on(.error) { Issue.record("client: \($0)") }
            do {
                try c.connect(path: path) { c.end(data) }
            } catch {
                Issue.record("connect threw \(error)")
            }
        }
        return matched
    }

    // A Node client sends 4 MiB of random bytes through `net-echo --path` and gets them back
    // byte-exact; on SIGTERM net-echo closes, removes its socket file and exits 0.
    @Test(.enabled(if: NodeOracle.available, "node is not installed")) func nodeClientSends4MiBThroughNetEchoOnAPath() throws {
        try withTempDir { dir in
            let path = dir.file("echo.sock")
            let echo = try startNetEcho(path)
            defer { echo.stop() }
            #expect(isSocketFile(path))
            let client = try #require(ChildProcess.node(Self.nodeClient, [path, "\(4 << 20)"]))
            #expect(client.readLine(timeout: 30) == "ok")
            #expect(client.waitForExit() == 0)
            kill(echo.process.processIdentifier, SIGTERM)
            #expect(echo.waitForExit(timeout: 10) == 0)
            #expect(fileMode(path) == nil, "net-echo left its socket file behind")
        }
    }

    // Our client sends 4 MiB through Node's echo server on a Unix socket and gets them back.
    @Test(.enabled(if: NodeOracle.available, "node is not installed")) func ourClientSends4MiBThroughNodeEchoOnAPath() throws {
        try withTempDir { dir in
            let path = dir.file("node-echo.sock")
            let server = try #require(ChildProcess.node(Self.nodeEchoServer, [path]))
            defer { server.stop() }
            try #require(server.readLine() == "listening \(path)")
            #expect(echoThrough(path, size: 4 << 20))
        }
    }

    // Our client reaches Node 20's echo server on an abstract name (bound NUL-padded by its
    // libuv): the exact name is refused, the padded one answers.
    @Test(.enabled(if: NodeOracle.available, "node is not installed")) func ourClientReachesANodeAbstractServer() throws {
        let name = uniqueAbstractName("node-echo")
        let shown = "@" + name.dropFirst()
        let server = try #require(ChildProcess.node(Self.nodeEchoServer, [shown]))
        defer { server.stop() }
        try #require(server.readLine() == "listening \(shown)")
        #expect(echoThrough(name, size: 256 << 10))
    }

    // `net-echo --path @name` listens on the abstract name \0name, says `listening @name`, and
    // echoes what our client sends there; on SIGTERM it exits 0.
    @Test func netEchoOnAnAbstractName() throws {
        let name = uniqueAbstractName("net-echo")
        let shown = "@" + name.dropFirst()
        let echo = try startNetEcho(shown)
        defer { echo.stop() }
        #expect(echoThrough(name, size: 256 << 10))
        kill(echo.process.processIdentifier, SIGTERM)
        #expect(echo.waitForExit(timeout: 10) == 0)
    }
}
