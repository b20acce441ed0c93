import Testing
@testable import NetCore
import Net

/// `pipe`/`unpipe` between sockets.
@Suite struct PipeTests {
    // node: test/parallel/test-net-pingpong.js style echo through `socket.pipe(socket)`; the
    // sockets are released afterwards (withLoop checks that none is left alive).
    @Test func echoThroughPipeToItself() throws {
        let payload = Buffer(patternBytes(1 << 20))
        var received: [Buffer] = []
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.pipe($0) }
            listenLocal(server) { port in
                let c = dial(port, loop: loop)
                c.on(.data) { received.append($0) }
                c.on(.close) { _ in server.close() }
                c.end(payload)
            }
        }
        #expect(Buffer.concat(received) == payload)
    }

    // node: Readable.prototype.unpipe — after unpipe the destination gets nothing more.
    @Test func unpipeStopsForwarding() throws {
        var forwarded = ""
        withLoop { loop in
            let server = Server(loop: loop)
            var first: Socket?
            server.on(.connection) { socket in
                if let source = first {
                    // Second connection: `source` pipes into it, then stops after the first chunk.
                    source.pipe(socket, end: false)
                    source.once(.data) { _ in source.unpipe(socket) }
                    socket.on(.close) { _ in server.close() }
                    source.write("go")
                } else {
                    first = socket
                }
            }
            listenLocal(server) { port in
                let a = dial(port, loop: loop)
                a.on(.data) { chunk in
                    if chunk.toString() == "go" {
                        a.write("one")
                    }
                }
                let b = dial(port, loop: loop)
                b.on(.data) { chunk in
                    forwarded += chunk.toString()
                    if forwarded == "one" {
                        a.write("two")
                        loop.setTimeout(50) {
                            a.destroy()
                            b.destroy()
                            first?.destroy()
                            first = nil
                        }
                    }
                }
            }
        }
        #expect(forwarded == "one")
    }
}
