import Testing
@testable import NetCore

@Suite struct LargeWriteTests {
    static let size = 10_000_000

    /// Runs a server whose connection listener is `serve` and a client that reads everything;
    /// returns the client's bytesRead at 'close'.
    private func receiveAll(_ serve: @escaping (Socket) -> Void) -> Int? {
        var bytesRead: Int?
        withLoop(timeout: 15_000) { loop in
            let server = Server(loop: loop, connectionListener: serve)
            listenLocal(server) { port in
                let client = Socket(loop: loop)
                client.resume()
                client.on(.error) { Issue.record("client error \($0)") }
                client.on(.close) { _ in
                    bytesRead = client.bytesRead
                    server.close()
                }
                _ = try? client.connect(port: port, host: "127.0.0.1")
            }
        }
        return bytesRead
    }

    // node: test/parallel/test-net-bytes-written-large.js (variant 1, a Buffer)
    // A write bigger than the kernel takes at once is partly written now and partly queued:
    // bytesWritten counts all of it right after the call, and in the end callback.
    @Test func bytesWrittenCountsALargeBufferAtOnce() {
        let n = LargeWriteTests.size
        var finished = false
        let read = receiveAll { socket in
            socket.end(Buffer(count: n)) {
                #expect(socket.bytesWritten == n)
                finished = true
            }
            #expect(socket.bytesWritten == n)
            #expect(socket.writableLength > 0, "10 MB should not fit the kernel buffers at once")
        }
        #expect(read == n)
        #expect(finished)
    }

    // node: test/parallel/test-net-bytes-written-large.js (variant 2, a string)
    @Test func bytesWrittenCountsALargeStringAtOnce() {
        let n = LargeWriteTests.size
        var finished = false
        let read = receiveAll { socket in
            socket.end(String(repeating: "a", count: n)) {
                #expect(socket.bytesWritten == n)
                finished = true
            }
            #expect(socket.bytesWritten == n)
        }
        #expect(read == n)
        #expect(finished)
    }

    // node: test/parallel/test-net-bytes-written-large.js (variant 3, corked string + Buffer)
    @Test func bytesWrittenCountsCorkedMixedWrites() {
        let n = LargeWriteTests.size
        var finished = false
        let read = receiveAll { socket in
            socket.cork()
            socket.write(String(repeating: "a", count: n))
            #expect(socket.bytesWritten == n)
            socket.write(Buffer(count: n))
            #expect(socket.bytesWritten == 2 * n)
            socket.end("") {
                #expect(socket.bytesWritten == 2 * n)
                finished = true
            }
            socket.uncork()
        }
        #expect(read == 2 * n)
        #expect(finished)
    }

    // node: test/parallel/test-net-large-string.js
    // 40 K three-byte characters written with an encoding name arrive intact.
    @Test(arguments: ["UTF-8", "utf16le"])
    func largeMultiByteStringArrivesIntact(encodingName: String) throws {
        let encoding = try #require(BufferEncoding(name: encodingName))
        let count = 40 * 1024
        let data = String(repeating: "あ", count: count)
        var received = Buffer()
        var serverEnded = false
        withLoop { loop in
            let server = Server(loop: loop) { socket in
                var chunks: [Buffer] = []
                socket.on(.data) { chunks.append($0) }
                socket.on(.end) {
                    received = Buffer.concat(chunks)
                    serverEnded = true
                    socket.end()
                }
            }
            listenLocal(server) { port in
                let client = Socket(loop: loop)
                client.on(.end) { server.close() }
                client.resume()
                _ = try? client.connect(port: port, host: "127.0.0.1")
                client.write(data, encoding: encoding)
                #expect(client.bytesWritten == Buffer.byteLength(data, encoding: encoding))
                client.end()
            }
        }
        #expect(serverEnded)
        #expect(received.count == (encoding == .utf8 ? 3 : 2) * count)
        let text = received.toString(encoding)
        #expect(text.unicodeScalars.count == count)
        #expect(text == data)
    }

    // node: test/parallel/test-net-binary.js
    // All 256 byte values as a latin1 string (255 down to 0) go to an echo server that decodes
    // and re-encodes latin1; then one character per byte received, 0 up to 255. The 512
    // characters that come back are the two sequences, unchanged.
    @Test func latin1RoundTripOfEveryByte() {
        var binary = ""
        for i in (0...255).reversed() { binary.unicodeScalars.append(Unicode.Scalar(UInt8(i))) }
        #expect(binary.unicodeScalars.count == 256)
        var received: [Unicode.Scalar] = []
        withLoop { loop in
            let echo = Server(loop: loop) { connection in
                connection.on(.data) { connection.write($0.toString(.latin1), encoding: .latin1) }
                connection.on(.end) { connection.end() }
            }
            listenLocal(echo) { port in
                let c = Socket(loop: loop)
                var j = 0
                c.on(.data) { chunk in
                    let text = chunk.toString(.latin1)
                    let n = j + text.unicodeScalars.count
                    while j < n && j < 256 {
                        c.write(String(Unicode.Scalar(UInt8(j))), encoding: .latin1)
                        j += 1
                    }
                    if j == 256 { c.end() }
                    received.append(contentsOf: text.unicodeScalars)
                }
                c.on(.connect) { c.write(binary, encoding: .latin1) }
                c.on(.close) { _ in echo.close() }
                _ = try? c.connect(port: port, host: "127.0.0.1")
            }
        }
        #expect(received.count == 512)
        let values = received.map(\.value)
        #expect(Array(values.prefix(256)) == (0...255).reversed().map { UInt32($0) })
        #expect(Array(values.dropFirst(256)) == (0...255).map { UInt32($0) })
    }
}
