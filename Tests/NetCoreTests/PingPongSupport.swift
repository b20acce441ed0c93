import Testing
@testable import NetCore

/// What a ping-pong run saw.
struct PingPongResult {
    var count = 0
    var sentPongs = 0
    var sentFinalPing = false
    var clientClosed = false
    var serverSawConnections: Int?
}

/// node: test/parallel/test-net-pingpong.js, for every transport: `n` PING/PONG round trips, then
/// a last PING with the client's end. The server allows half open, so it still answers after the
/// client's FIN and ends only in its `'end'` listener. Along the way: `socket.server` is the
/// server, `getConnections` reports 1 and returns the server, and `readable`/`writable` follow each
/// side's ends. `listen` starts the server and calls its second argument once listening;
/// `connect` connects the client; `checkAccepted` adds the transport's own checks.
func runPingPong(
    n: Int = 1000,
    listen: @escaping (Server, @escaping () -> Void) throws -> Void,
    connect: @escaping (Socket, Server) throws -> Void,
    checkAccepted: @escaping (Socket) -> Void
) -> PingPongResult {
    var r = PingPongResult()
    withLoop(timeout: 10_000) { loop in
        let server = Server(ServerOptions(allowHalfOpen: true), loop: loop)
        server.on(.connection) { socket in
            #expect(socket.server === server)
            checkAccepted(socket)
            let returned = server.getConnections { error, connections in
                #expect(error == nil)
                r.serverSawConnections = connections
            }
            #expect(returned === server)
            socket.setNoDelay()
            socket.on(.data) { chunk in
                // Each PING is answered before the next is sent, so nothing piles up.
                #expect((socket.bufferSize ?? 0) <= 4)
                #expect(socket.writable && socket.readable)
                #expect(r.count <= n)
                #expect(chunk.toString() == "PING")
                socket.write("PONG") { error in
                    #expect(error == nil)
                    r.sentPongs += 1
                }
            }
            socket.on(.end) {
                #expect(socket.allowHalfOpen)
                #expect(socket.writable)  // half open: our side is still open
                #expect(!socket.readable)
                socket.end()
            }
            socket.on(.error) { Issue.record("server socket error \($0)") }
            socket.on(.close) { _ in
                #expect(!socket.writable && !socket.readable)
                server.close()
            }
        }
        do {
            try listen(server) {
                let client = Socket(loop: loop)
                client.on(.connect) {
                    #expect(client.readable && client.writable)
                    client.write("PING")
                }
                client.on(.data) { chunk in
                    #expect(chunk.toString() == "PONG")
                    r.count += 1
                    if r.sentFinalPing {
                        #expect(!client.writable)
                        #expect(client.readable)
                        return
                    }
                    #expect(client.writable && client.readable)
                    if r.count < n {
                        client.write("PING")
                    } else {
                        r.sentFinalPing = true
                        client.write("PING")
                        client.end()
                    }
                }
                client.on(.error) { Issue.record("client error \($0)") }
                client.on(.close) { event in
                    #expect(!event.hadError)
                    r.clientClosed = true
                }
                do { try connect(client, server) } catch { Issue.record("connect threw \(error)") }
            }
        } catch {
            Issue.record("listen threw \(error)")
        }
    }
    #expect(r.count == n + 1)
    #expect(r.sentPongs == n + 1)
    #expect(r.sentFinalPing)
    #expect(r.clientClosed)
    return r
}
