import Testing
@testable import NetCore
import Net

/// `maxConnections` as Node's own tests check it.
@Suite struct ServerMaxConnectionsTests {
    // node: test/parallel/test-net-server-max-connections.js — 20 connections, made one after
    // another, to a server that takes 10: the first 10 get the server's data, the other 10 get
    // none and are the first to close; then the accepted ones are ended and all 20 close.
    @Test func twentyConnectionsToALimitOfTen() {
        let n = 20
        var closeOrder: [Int] = []
        var gotData = [Bool](repeating: false, count: n)
        var accepted = 0
        withLoop(timeout: 10000) { loop in
            var waits: [Socket] = []
            let server = Server(loop: loop)
            server.maxConnections = n / 2
            server.on(.connection) { connection in
                accepted += 1
                connection.write("hello")
                waits.append(connection)
            }
            listenLocal(server) { port in
                func makeConnection(_ index: Int) {
                    let c = dial(port, loop: loop)
                    c.on(.data) { chunk in if chunk.count > 0 { gotData[index] = true } }
                    c.on(.end) { c.end() }
                    c.on(.error) { _ in }
                    c.on(.connect) {
                        if index + 1 < n { makeConnection(index + 1) }
                        c.on(.close) { _ in
                            closeOrder.append(index)
                            if closeOrder.count == n / 2 {
                                for w in waits { w.end() }
                                waits = []
                                server.close()
                            }
                        }
                    }
                }
                makeConnection(0)
            }
        }
        #expect(accepted == n / 2)
        #expect(closeOrder.count == n)
        #expect(Set(closeOrder.prefix(n / 2)) == Set(n / 2..<n), "the rejected ones close first: \(closeOrder)")
        #expect(gotData == (0..<n).map { $0 < n / 2 })
    }

    // node: test/parallel/test-net-server-max-connections-close-makes-more-available.js — a
    // limit of 1: connection 0 is accepted, 1 rejected; once 0 has ended, 2 is accepted and 3
    // rejected. Every client sent its message; the server received only those of 0 and 2.
    @Test func closingAConnectionMakesRoomForTheNext() {
        var sent: [String] = []
        var received: [String] = []
        withLoop(timeout: 10000) { loop in
            let server = Server(loop: loop)
            server.maxConnections = 1
            server.on(.connection) { socket in
                socket.on(.data) { chunk in
                    received.append(chunk.toString())
                    socket.write("acknowledged")
                }
            }
            var connections: [Int: Socket] = [:]
            listenLocal(server) { port in
                // Resolves once the connection got a reply, ended or failed.
                func create(_ index: Int, then next: @escaping () -> Void) {
                    var done = false
                    func resolve() { if !done { done = true; next() } }
                    let c = dial(port, loop: loop) {
                        sent.append("\(index)")
                    }
                    c.on(.connect) { c.write("\(index)") }
                    c.on(.error) { e in
                        #expect(e.code == .ECONNRESET)
                        resolve()
                    }
                    c.on(.data) { _ in resolve() }
                    c.on(.end) { resolve() }
                    connections[index] = c
                }
                func close(_ index: Int, then next: @escaping () -> Void) {
                    guard let c = connections[index] else { return next() }
                    c.once(.end) { next() }
                    c.end()
                }
                create(0) {
                    create(1) {
                        close(0) {
                            create(2) {
                                create(3) {
                                    server.close()
                                    close(2) {
                                        for c in connections.values { c.destroy() }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        #expect(sent == ["0", "1", "2", "3"])
        #expect(received == ["0", "2"])
    }
}
