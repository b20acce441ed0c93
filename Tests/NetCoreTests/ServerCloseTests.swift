import Testing
import Foundation
@testable import NetCore

/// Whether this machine can bind a socket to the IPv6 loopback address `::1`.
let hasIPv6Loopback: Bool = {
    let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var addr = sockaddr_in6()
    addr.sin6_family = sa_family_t(AF_INET6)
    addr.sin6_addr = in6addr_loopback
    let r = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
    }
    return r == 0
}()

@Suite struct ServerCloseTests {
    // node: test/parallel/test-net-server-close.js
    // close() returns the server at once, but 'close' waits until every accepted connection has
    // been destroyed: one destroyed connection is not enough.
    @Test func closeWaitsForEveryConnection() {
        let log = Log()
        withLoop { loop in
            var accepted: [Socket] = []
            let server = Server(loop: loop)
            server.on(.close) {
                log("server close")
                #expect(accepted.allSatisfy { $0.destroyed })
                #expect(server.connections == 0)
            }
            server.on(.connection) { socket in
                socket.on(.close) { _ in log("connection close") }
                accepted.append(socket)
                guard accepted.count == 2 else { return }
                #expect(server.close() === server)
                #expect(!server.listening)
                accepted[0].destroy()
                // Give 'close' every chance to come early: two loop turns later it still must not.
                loop.setTimeout(20) {
                    log("second destroyed")
                    #expect(server.connections == 1)
                    accepted[1].destroy()
                }
            }
            listenLocal(server) { port in
                for _ in 0..<2 {
                    let client = Socket(loop: loop)
                    client.resume()
                    _ = try? client.connect(port: port, host: "127.0.0.1")
                }
            }
        }
        let entries = log.entries
        #expect(entries.filter { $0 == "server close" }.count == 1)
        #expect(entries.filter { $0 == "connection close" }.count == 2)
        let second = entries.firstIndex(of: "second destroyed") ?? Int.max
        let serverClose = entries.firstIndex(of: "server close") ?? -1
        #expect(serverClose > second)
    }

    // node: test/parallel/test-net-server-close.js (close before listen): the callback hears
    // ERR_SERVER_NOT_RUNNING when 'close' is emitted, on a later tick.
    @Test func closeOnAServerThatNeverListened() {
        let log = Log()
        withLoop { loop in
            let server = Server(loop: loop)
            server.on(.close) { log("close event") }
            let returned = server.close { error in
                log("callback \(error?.code.rawValue ?? "nil")")
                #expect(error?.message == "Server is not running.")
                #expect(error?.name == "Error")
            }
            #expect(returned === server)
            log("after close()")
        }
        #expect(log.entries == ["after close()", "close event", "callback ERR_SERVER_NOT_RUNNING"])
    }

    @Test func closeCallbackOfAListeningServerGetsNoError() {
        let log = Log()
        withLoop { loop in
            let server = Server(loop: loop)
            listenLocal(server) { _ in
                server.close { error in log("closed \(error == nil)") }
            }
        }
        #expect(log.entries == ["closed true"])
    }

    // node: test/parallel/test-net-pingpong.js over TCP on IPv4 loopback.
    @Test func pingPongIPv4() {
        pingPong(host: "127.0.0.1", family: "IPv4")
    }

    // node: test/parallel/test-net-pingpong.js over TCP on IPv6 loopback.
    @Test(.enabled(if: hasIPv6Loopback, "no IPv6 loopback on this machine"))
    func pingPongIPv6() {
        pingPong(host: "::1", family: "IPv6")
    }

    private func pingPong(host: String, family: String) {
        let r = runPingPong(
            listen: { server, ready in try server.listen(port: 0, host: host, onListening: ready) },
            connect: { client, server in try client.connect(port: server.address()?.port ?? 0, host: host) },
            checkAccepted: { socket in #expect(socket.remoteFamily == family) })
        #expect(r.serverSawConnections == 1)
    }
}
