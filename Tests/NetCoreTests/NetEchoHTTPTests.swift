import Foundation
import Testing

/// `net-echo --http` (callback face) and `net-echo --http --async` (async face): every request
/// head gets the one fixed response, pipelined requests in order, a head split over writes once
/// whole, and the connection stays open for the next request.
@Suite struct NetEchoHTTPTests {
    static let response = Array(
        "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, world!".utf8)
    static let request = Array("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: test\r\n\r\n".utf8)

    @Test(arguments: [[], ["--async"]] as [[String]])
    func netEchoHTTPAnswersPipelinedAndSplitRequests(face: [String]) throws {
        let path = builtProduct("net-echo")
        try #require(FileManager.default.isExecutableFile(atPath: path), "net-echo is not built at \(path)")
        let server = try #require(ChildProcess(path, ["--http", "--port", "0", "--host", "127.0.0.1"] + face))
        defer { server.stop() }
        let port = try #require(ChildProcess.port(fromListeningLine: server.readLine(timeout: 20)),
                                "net-echo \(face) printed no listening line within 20 s")
        let client = try #require(BlockingClient(from: "127.0.0.1", to: port, timeoutSeconds: 10),
                                  "cannot connect to net-echo --http on port \(port)")
        var one: Int32 = 1
        setsockopt(client.fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let response = Self.response, request = Self.request

        // Two pipelined requests in one write: two responses, in order.
        #expect(send(client, request + request) == 2 * request.count)
        #expect(client.read(count: 2 * response.count) == response + response,
                "two pipelined requests did not get exactly two responses within 10 s")

        // One request split inside its blank line: no answer to the first part, one to the whole.
        let cut = request.count - 2
        #expect(send(client, Array(request[..<cut])) == cut)
        #expect(pendingBytes(client, waitingMilliseconds: 200).isEmpty, "a partial head was answered")
        #expect(send(client, Array(request[cut...])) == request.count - cut)
        #expect(client.read(count: response.count) == response,
                "the request split over two writes got no exact response within 10 s")

        // Nothing more was sent, and the connection is still open: the next request is answered.
        #expect(pendingBytes(client, waitingMilliseconds: 0).isEmpty, "bytes beyond the three responses")
        #expect(send(client, request) == request.count)
        #expect(client.read(count: response.count) == response,
                "the keep-alive connection did not answer a fourth request within 10 s")
        #expect(server.process.isRunning, "net-echo \(face) exited")
        // Our end closes first, so the server has no open connection to wait for when it stops.
        shutdown(client.fd, Int32(SHUT_RDWR))
        #expect(pendingBytes(client, waitingMilliseconds: 5_000, expectingEnd: true).isEmpty)
    }

    private func send(_ client: BlockingClient, _ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { Foundation.send(client.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Bytes readable within `waitingMilliseconds` (none read if none come); fails the test if
    /// the connection ended, unless `expectingEnd` (then it fails if it did not end in time).
    private func pendingBytes(_ client: BlockingClient, waitingMilliseconds: Int32, expectingEnd: Bool = false,
                              sourceLocation: SourceLocation = #_sourceLocation) -> [UInt8] {
        var p = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, waitingMilliseconds) > 0 else {
            if expectingEnd { Issue.record("the connection did not end within \(waitingMilliseconds) ms", sourceLocation: sourceLocation) }
            return []
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(client.fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        if n == 0 && !expectingEnd { Issue.record("net-echo closed the connection", sourceLocation: sourceLocation) }
        return n > 0 ? Array(buffer[..<n]) : []
    }
}
