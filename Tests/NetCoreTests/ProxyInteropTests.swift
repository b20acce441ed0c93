import Testing
import NetTestSupport
import Foundation
@testable import NetCore

/// `net-echo --proxy-to` between Node programs: Node clients, our proxy (splicing, and copying
/// with `--no-splice`), Node's echo server behind it. Each client ends its side after sending, so
/// the proxy must pass the end on and still relay every byte of the answer.
@Suite(.serialized) struct ProxyInteropTests {
    @Test(.enabled(if: NodeOracle.available, "node is not installed"), arguments: [[], ["--no-splice"]])
    func nodeClientsThroughOurProxyToNodeEcho(_ extra: [String]) throws {
        let backend = try #require(ChildProcess.node(InteropTests.nodeEchoServer))
        defer { backend.stop() }
        let backendPort = try #require(ChildProcess.port(fromListeningLine: backend.readLine()))

        let path = builtProduct("net-echo")
        try #require(FileManager.default.isExecutableFile(atPath: path), "net-echo is not built at \(path)")
        let proxy = try #require(ChildProcess(path, ["--port", "0", "--host", "127.0.0.1",
                                                     "--proxy-to", "127.0.0.1:\(backendPort)"] + extra))
        defer { proxy.stop() }
        let line = proxy.readLine()
        let proxyPort = try #require(ChildProcess.port(fromListeningLine: line), "net-echo printed \(line ?? "nothing")")

        // Eight clients of 1 MiB each, every echo checked byte for byte after the client's end.
        let client = try #require(ChildProcess.node(InteropTests.nodeClient, ["\(proxyPort)", "8", "\(1 << 20)"]))
        #expect(client.readLine(timeout: 30) == "ok 8")
        #expect(client.waitForExit() == 0)

        kill(proxy.process.processIdentifier, SIGTERM)
        #expect(proxy.waitForExit(timeout: 10) == 0)
    }
}
