import Testing
import Foundation
@testable import NetCore
import Net

/// Details where Node's `net` is exact and easy to get wrong; each was compared with node 20.
@Suite struct NodeFidelityTests {
    // resetAndDestroy() on a Unix domain socket throws ERR_INVALID_HANDLE_TYPE ("This handle
    // type cannot be sent", a TypeError) and leaves the socket as it was (node 20: destroyed false).
    @Test func resetAndDestroyOnAPipeThrows() throws {
        var outcome: [String] = []
        try withTempDir { dir in
            withLoop { loop in
                let server = Server(loop: loop) { $0.resume() }
                let path = dir.file("reset.sock")
                do { try server.listen(path: path) } catch { Issue.record("listen: \(error)") }
                let s = Socket(loop: loop)
                _ = try? s.connect(path: path) {
                    do throws(NetError) {
                        try s.resetAndDestroy()
                        outcome.append("no throw")
                    } catch {
                        outcome.append("\(error.code) \(error.name) \(error.message)")
                    }
                    outcome.append("destroyed \(s.destroyed) writable \(s.writable)")
                    s.destroy()
                    server.close()
                }
            }
        }
        #expect(outcome == ["ERR_INVALID_HANDLE_TYPE TypeError This handle type cannot be sent", "destroyed false writable true"])
    }

    // Lookup hints beyond ADDRCONFIG, ALL and V4MAPPED throw at once, as Node's dns.lookup
    // validates them (node 20: `net.connect({ port: 80, hints: 98 })`); the socket does not start.
    @Test func invalidHintsThrow() {
        let loop = EventLoop()
        let s = Socket(loop: loop)
        var options = SocketConnectOptions(port: 80, host: "localhost")
        options.hints = 98
        do throws(NetError) {
            try s.connect(options)
            Issue.record("no throw")
        } catch {
            #expect(error.code == .ERR_INVALID_ARG_VALUE)
            #expect(error.name == "TypeError")
            #expect(error.message == "The argument 'hints' is invalid. Received 98")
        }
        #expect(!s.connecting)
        options.hints = Int32(AI_ADDRCONFIG | AI_V4MAPPED | AI_ALL)
        options.lookup = fixedLookup([("127.0.0.1", 4)])
        #expect(throws: Never.self) { try s.connect(options) }
        s.destroy()
        loop.run()
    }

    // A queued string counts for its length in UTF-16 code units, as Node's Writable counts a
    // string chunk (node 20: "héllo€😀" queued while connecting gives writableLength 8,
    // bufferSize 8, bytesWritten 13; then 3 more bytes give 11). bufferSize is nil (Node's
    // undefined) on a socket that never connected.
    @Test func queuedStringsCountTheirLength() {
        var seen: [String] = []
        withLoop { loop in
            #expect(Socket(loop: loop).bufferSize == nil)
            let server = Server(loop: loop) { $0.resume() }
            listenLocal(server) { port in
                let c = dial(port, loop: loop)
                c.write("héllo€😀")
                seen.append("\(c.writableLength) \(c.bufferSize ?? -1) \(c.bytesWritten)")
                c.write(Buffer([1, 2, 3]))
                seen.append("\(c.writableLength)")
                c.end()
                c.on(.finish) { seen.append("finish \(c.writableLength)") }
                c.on(.close) { _ in server.close() }
            }
        }
        #expect(seen == ["8 8 13", "11", "finish 0"])
    }

    // Node compares before touching the handle: setNoDelay(false) on a fresh connection is no
    // change (the last value is false), nor is a keep-alive delay that rounds to the same whole
    // second, nor any delay while keep-alive is off. Observed by changing the option behind the
    // socket's back: a call that reached the handle would undo that.
    @Test func optionsReachTheHandleOnlyOnChange() {
        var seen: [String] = []
        withLoop { loop in
            let server = Server(loop: loop) { $0.resume() }
            listenLocal(server) { port in
                let c = dial(port, loop: loop)
                c.on(.connect) {
                    guard let fd = c.fileDescriptor else {
                        Issue.record("no fd")
                        return
                    }
                    func get(_ level: Int32, _ name: Int32) -> Int32 {
                        var v: Int32 = 0
                        var len = socklen_t(4)
                        getsockopt(fd, level, name, &v, &len)
                        return v
                    }
                    func set(_ level: Int32, _ name: Int32, _ value: Int32) {
                        var v = value
                        setsockopt(fd, level, name, &v, 4)
                    }
                    let tcp = Int32(IPPROTO_TCP)
                    set(tcp, TCP_NODELAY, 1)
                    c.setNoDelay(false)
                    seen.append("nodelay \(get(tcp, TCP_NODELAY))")
                    c.setKeepAlive(true, initialDelay: 5000)
                    set(tcp, TCP_KEEPIDLE, 77)
                    c.setKeepAlive(true, initialDelay: 5900)
                    seen.append("idle \(get(tcp, TCP_KEEPIDLE))")
                    c.setKeepAlive(true, initialDelay: 6000)
                    seen.append("idle \(get(tcp, TCP_KEEPIDLE))")
                    c.setKeepAlive(false, initialDelay: 1000)
                    set(SOL_SOCKET, SO_KEEPALIVE, 1)
                    c.setKeepAlive(false, initialDelay: 3000)
                    seen.append("keepalive \(get(SOL_SOCKET, SO_KEEPALIVE))")
                    c.end()
                }
                c.on(.close) { _ in server.close() }
            }
        }
        #expect(seen == ["nodelay 1", "idle 77", "idle 6", "keepalive 1"])
    }

    // listen({ fd: -1 }) and the other shapes without a usable port, path or descriptor throw
    // Node's ERR_INVALID_ARG_VALUE (node 20: "must have the property \"port\" or \"path\"").
    @Test func listenShapesWithoutATarget() {
        let loop = EventLoop()
        for options in [ListenOptions(fd: -1), ListenOptions(), ListenOptions(host: "x")] {
            do throws(NetError) {
                try Server(loop: loop).listen(options)
                Issue.record("no throw for \(options)")
            } catch {
                #expect(error.code == .ERR_INVALID_ARG_VALUE)
                #expect(error.message == "The argument 'options' must have the property \"port\" or \"path\". Received \(options)")
            }
        }
        #expect(ListenOptions(fd: -1).description == "{ fd: -1 }")
        loop.run()
    }

    // SocketAddress.isSocketAddress, as Node's.
    @Test func isSocketAddress() throws {
        #expect(SocketAddress.isSocketAddress(try SocketAddress()))
        #expect(!SocketAddress.isSocketAddress("127.0.0.1"))
        #expect(!SocketAddress.isSocketAddress(BlockList()))
    }
}

/// `end(callback)` with the error Node (≥ 15) passes, and `connect()` on a connected socket.
@Suite struct EndCallbackAndReconnectTests {
    // Compared with node 20: a refused connect gives the end callback ECONNREFUSED (before
    // 'error'); a destroy while ending gives ERR_STREAM_DESTROYED; end(cb) after 'finish' gives
    // ERR_STREAM_ALREADY_FINISHED; a clean end gives nil.
    @Test func endCallbackGetsNodesError() {
        var log: [String] = []
        withLoop { loop in
            let refused = Socket(loop: loop)
            refused.on(.error) { log.append("refused error \($0.code)") }
            _ = try? refused.connect(port: closedPort(), host: "127.0.0.1")
            refused.end { (error: NetError?) in log.append("refused endcb \(error?.code.rawValue ?? "nil")") }

            let server = Server(loop: loop) { peer in
                peer.resume()
                peer.on(.end) { peer.end() }
            }
            listenLocal(server) { port in
                let destroyed = dial(port, loop: loop)
                destroyed.end { (error: NetError?) in log.append("destroyed endcb \(error?.code.rawValue ?? "nil") \(error?.message ?? "")") }
                destroyed.destroy()

                let clean = dial(port, loop: loop)
                clean.resume()
                clean.end { (error: NetError?) in
                    log.append("clean endcb \(error?.code.rawValue ?? "nil")")
                    clean.end { (again: NetError?) in log.append("again endcb \(again?.code.rawValue ?? "nil")") }
                }
                clean.on(.close) { _ in server.close() }
            }
        }
        #expect(log.contains("refused endcb ECONNREFUSED"))
        #expect(log.firstIndex(of: "refused endcb ECONNREFUSED")! < log.firstIndex(of: "refused error ECONNREFUSED")!)
        #expect(log.contains("destroyed endcb ERR_STREAM_DESTROYED Cannot call end after a stream was destroyed"))
        #expect(log.contains("clean endcb nil"))
        #expect(log.contains("again endcb ERR_STREAM_ALREADY_FINISHED"))
    }

    // node 20: connect() on a connected socket returns it with `connecting` true, then
    // 'connect' (and the callback) again; the connection is kept and still carries data.
    @Test func connectOnAConnectedSocketConnectsAgainAtOnce() {
        var log: [String] = []
        var reply = ""
        withLoop { loop in
            let server = Server(loop: loop) { peer in
                peer.on(.data) { peer.write($0) }
                peer.on(.end) { peer.end() }
            }
            listenLocal(server) { port in
                let s = Socket(loop: loop)
                s.setEncoding(.utf8)
                s.on(.text) { reply += $0 }
                s.on(.error) { log.append("error \($0.code)") }
                s.on(.close) { log.append("close \($0.hadError)"); server.close() }
                _ = try? s.connect(port: port, host: "127.0.0.1") {
                    log.append("connect")
                    guard log.count == 1 else { return }
                    let returned = try? s.connect(port: port, host: "127.0.0.1") { log.append("callback") }
                    log.append("same \(returned === s) connecting \(s.connecting)")
                    s.write("still here")
                    s.once(.connect) {
                        log.append("connecting \(s.connecting)")
                        s.end()
                    }
                }
            }
        }
        #expect(log == ["connect", "same true connecting true", "callback", "connecting false", "close false"])
        #expect(reply == "still here")
    }
}

/// Writes on a socket whose handle was taken from under it.
@Suite struct WriteAfterHandleCloseTests {
    // node: test/parallel/test-net-socket-write-after-close.js — the handle closed under a
    // connected socket: a write fails with 'error' "write EBADF" (the descriptor is gone); with
    // the handle dropped too, it fails with ERR_SOCKET_CLOSED.
    @Test(arguments: [false, true])
    func writeAfterTheHandleClosed(dropHandle: Bool) {
        var error: NetError?
        withLoop { loop in
            let server = Server(loop: loop) { $0.resume() }
            listenLocal(server) { port in
                let client = dial(port, loop: loop)
                client.on(.connect) {
                    client.on(.error) { e in
                        error = e
                        server.close()
                    }
                    client.handle?.close()
                    if dropHandle { client.handle = nil }
                    client.write("foo")
                }
            }
        }
        if dropHandle {
            #expect(error?.code == .ERR_SOCKET_CLOSED)
            #expect(error?.message == "Socket is closed")
        } else {
            #expect(error?.message == "write EBADF")
        }
    }
}
