import Testing
@testable import NetCore
import Net

/// A client socket's properties, events and stream rules compared with Node's, each test with
/// the output of the Node script it was checked against (node v20, loopback).
@Suite struct NodeClientFidelityTests {
    // The properties through one connection: connect, a write while connecting, end('xyz') in
    // the connect listener, 'ready', 'finish', 'end' (the peer ends back), 'close'.
    //   const s = net.connect(port, '127.0.0.1'); st('after-connect-call'); s.write('abc'); …
    //   s.on('connect', () => { st('connect'); s.end('xyz'); st('after-end'); }) …
    // node:
    //   after-connect-call opening pending true connecting true destroyed false closed false r/w true true la undefined ra undefined addr {} bw 0 br 0
    //   after-write        opening … bw 3
    //   connect            open pending false … la 127.0.0.1 ra 127.0.0.1 addr {127.0.0.1,IPv4,…} bw 3
    //   after-end          readOnly r/w true false … bw 6
    //   ready              readOnly …            finish readOnly …
    //   end                closed pending false destroyed false closed false r/w false false la 127.0.0.1 ra 127.0.0.1 addr {…}
    //   close false        closed pending true destroyed true closed true la undefined ra 127.0.0.1 addr {}
    @Test func propertiesThroughAConnectionThatEndsFirst() {
        let log = Log()
        withLoop { loop in
            let server = Server(loop: loop) { peer in
                peer.resume()
                peer.on(.end) { peer.end() }
            }
            listenLocal(server) { port in
                let s = Socket(loop: loop)
                func st(_ name: String) {
                    let addr = s.address().map { "\($0.address)/\($0.family)" } ?? "{}"
                    log("\(name) \(s.readyState) pending=\(s.pending) connecting=\(s.connecting) destroyed=\(s.destroyed) closed=\(s.closed) r/w=\(s.readable)/\(s.writable) la=\(s.localAddress ?? "nil") lp=\(s.localPort != nil) ra=\(s.remoteAddress ?? "nil") rp=\(s.remotePort == port) addr=\(addr) bw=\(s.bytesWritten) br=\(s.bytesRead)")
                }
                _ = try? s.connect(port: port, host: "127.0.0.1")
                st("after-connect-call")
                s.write("abc")
                st("after-write")
                s.on(.connect) {
                    st("connect")
                    s.end(Buffer("xyz"))
                    st("after-end")
                }
                s.on(.ready) { st("ready") }
                s.on(.finish) { st("finish") }
                s.on(.end) { st("end") }
                s.resume()
                s.on(.close) { e in
                    st("close \(e.hadError)")
                    server.close()
                }
            }
        }
        let open = "la=127.0.0.1 lp=true ra=127.0.0.1 rp=true addr=127.0.0.1/IPv4"
        #expect(log.entries == [
            "after-connect-call opening pending=true connecting=true destroyed=false closed=false r/w=true/true la=nil lp=false ra=nil rp=false addr={} bw=0 br=0",
            "after-write opening pending=true connecting=true destroyed=false closed=false r/w=true/true la=nil lp=false ra=nil rp=false addr={} bw=3 br=0",
            "connect open pending=false connecting=false destroyed=false closed=false r/w=true/true \(open) bw=3 br=0",
            "after-end readOnly pending=false connecting=false destroyed=false closed=false r/w=true/false \(open) bw=6 br=0",
            "ready readOnly pending=false connecting=false destroyed=false closed=false r/w=true/false \(open) bw=6 br=0",
            "finish readOnly pending=false connecting=false destroyed=false closed=false r/w=true/false \(open) bw=6 br=0",
            "end closed pending=false connecting=false destroyed=false closed=false r/w=false/false \(open) bw=6 br=0",
            "close false closed pending=true connecting=false destroyed=true closed=true r/w=false/false la=nil lp=false ra=127.0.0.1 rp=true addr={} bw=6 br=0",
        ])
    }

    // A refused connect to a name that is looked up, with end(cb) after it:
    //   const s = net.connect({port, host: 'localhost', family: 4});
    //   s.on('lookup', (e, a, f, h) => …); s.on('error', …); s.on('close', …); s.end(cb)
    // node: lookup null 127.0.0.1 4 localhost conn=true
    //       end-cb ECONNREFUSED
    //       error ECONNREFUSED connect 127.0.0.1 port=true conn=false destroyed=true rs=closed pending=true
    //       close true rs=closed pending=true ra=undefined
    @Test func refusedConnectAfterALookup() {
        let log = Log()
        let port = closedPort()
        withLoop { loop in
            let s = Socket(loop: loop)
            var options = SocketConnectOptions(port: port, host: "localhost")
            options.family = 4
            _ = try? s.connect(options)
            s.on(.lookup) { e in
                log("lookup \(e.error?.code.rawValue ?? "null") \(e.address ?? "nil") \(e.family ?? 0) \(e.host) conn=\(s.connecting)")
            }
            s.on(.connect) { log("connect") }
            s.on(.error) { e in
                log("error \(e.code) \(e.syscall ?? "") \(e.address ?? "") port=\(e.port == port) conn=\(s.connecting) destroyed=\(s.destroyed) rs=\(s.readyState) pending=\(s.pending)")
            }
            s.on(.close) { e in log("close \(e.hadError) rs=\(s.readyState) pending=\(s.pending) ra=\(s.remoteAddress ?? "undefined")") }
            s.end { (e: NetError?) in log("end-cb \(e?.code.rawValue ?? "nil")") }
        }
        #expect(log.entries == [
            "lookup null 127.0.0.1 4 localhost conn=true",
            "end-cb ECONNREFUSED",
            "error ECONNREFUSED connect 127.0.0.1 port=true conn=false destroyed=true rs=closed pending=true",
            "close true rs=closed pending=true ra=undefined",
        ])
    }

    // A write queued before the refused connect holds the end callback back: Node's
    // `errorBuffer` skips the end callbacks while a write is in progress, and runs them right
    // after that write's callback.
    //   for [host, write] of [['127.0.0.1', true], ['localhost', true]]:
    //     s = net.connect({port, host, family: 4}); s.write('x', cb); s.end(cb)
    // node: 127.0.0.1 true  error ECONNREFUSED, close true, write-cb ERR_SOCKET_CLOSED_BEFORE_CONNECTION, end-cb ECONNREFUSED
    //       localhost true  error ECONNREFUSED, close true, write-cb ERR_SOCKET_CLOSED_BEFORE_CONNECTION, end-cb ECONNREFUSED
    @Test(arguments: ["127.0.0.1", "localhost"])
    func endCallbackAfterTheQueuedWriteOfARefusedConnect(host: String) {
        let log = Log()
        let port = closedPort()
        withLoop { loop in
            let s = Socket(loop: loop)
            var options = SocketConnectOptions(port: port, host: host)
            options.family = 4
            _ = try? s.connect(options)
            s.on(.error) { log("error \($0.code)") }
            s.on(.close) { log("close \($0.hadError)") }
            s.write("x") { log("write-cb \($0?.code.rawValue ?? "nil")") }
            s.end { (e: NetError?) in log("end-cb \(e?.code.rawValue ?? "nil")") }
        }
        #expect(log.entries == [
            "error ECONNREFUSED", "close true",
            "write-cb ERR_SOCKET_CLOSED_BEFORE_CONNECTION", "end-cb ECONNREFUSED",
        ])
    }
}

/// What `destroy()` changes at once, before `'close'`, and the order of the callbacks it fails.
@Suite struct NodeClientFidelityDestroyTests {
    // Node's socket lets go of its handle in destroy(): pending is true, bufferSize undefined,
    // and a remote address never read while connected is gone, right away.
    //   s.on('connect', () => { s.write('abc'); s.destroy(); console.log('after destroy', …) })
    // node: after destroy pending true bufferSize undefined ra undefined rp undefined rf undefined
    //       la undefined addr {} bw 3 rs closed connecting false
    //       tick pending true
    //       close pending true ra undefined bufferSize undefined
    @Test func destroyLetsGoOfTheHandleAtOnce() {
        let log = Log()
        withLoop { loop in
            let server = Server(loop: loop) { $0.resume() }
            listenLocal(server) { port in
                let s = Socket(loop: loop)
                func st(_ name: String) {
                    log("\(name) pending=\(s.pending) bufferSize=\(s.bufferSize.map(String.init) ?? "undefined") ra=\(s.remoteAddress ?? "undefined") rp=\(s.remotePort.map(String.init) ?? "undefined") rf=\(s.remoteFamily ?? "undefined") la=\(s.localAddress ?? "undefined") addr=\(s.address() == nil ? "{}" : "set") bw=\(s.bytesWritten) \(s.readyState) connecting=\(s.connecting)")
                }
                _ = try? s.connect(port: port, host: "127.0.0.1") {
                    s.write("abc")
                    s.destroy()
                    st("after destroy")
                    loop.nextTick { log("tick pending=\(s.pending)") }
                }
                s.on(.close) { _ in
                    log("close pending=\(s.pending) ra=\(s.remoteAddress ?? "undefined") bufferSize=\(s.bufferSize.map(String.init) ?? "undefined")")
                    server.close()
                }
            }
        }
        #expect(log.entries == [
            "after destroy pending=true bufferSize=undefined ra=undefined rp=undefined rf=undefined la=undefined addr={} bw=3 closed connecting=false",
            "tick pending=true",
            "close pending=true ra=undefined bufferSize=undefined",
        ])
    }

    // destroy(err): errored at once, 'error' then 'close'(true); a second destroy(err) is
    // ignored; neither 'end' nor 'finish'.
    //   s.on('connect', () => { const e = new Error('boom'); e.code = 'EBOOM'; s.destroy(e);
    //     log('errored', s.errored.code, s.destroyed, s.readyState); s.destroy(new Error('second')) })
    // node: C errored EBOOM destroyed=true rs=closed | error boom | close true
    @Test func destroyWithAnErrorOnce() {
        let log = Log()
        withLoop { loop in
            let server = Server(loop: loop) { $0.resume() }
            listenLocal(server) { port in
                let s = Socket(loop: loop)
                _ = try? s.connect(port: port, host: "127.0.0.1") {
                    s.destroy(NetError(code: "EBOOM", message: "boom"))
                    log("errored \(s.errored?.code.rawValue ?? "nil") destroyed=\(s.destroyed) rs=\(s.readyState)")
                    s.destroy(NetError(code: "ESECOND", message: "second"))
                }
                s.on(.error) { log("error \($0.message)") }
                s.on(.end) { log("end") }
                s.on(.finish) { log("finish") }
                s.on(.close) { e in
                    log("close \(e.hadError)")
                    server.close()
                }
            }
        }
        #expect(log.entries == ["errored EBOOM destroyed=true rs=closed", "error boom", "close true"])
    }

    // destroySoon() while connecting: it ends at once (writableEnded), the queued write still
    // goes out after 'connect', then 'finish' destroys the socket.
    //   s.write('hi'); s.destroySoon(); log(s.writableEnded, s.readyState, s.destroyed);
    //   (listeners added after destroySoon)
    // node: after destroySoon ended=true rs=opening destroyed=false | connect rs=readOnly destroyed=false |
    //       ready rs=readOnly destroyed=false | finish rs=closed destroyed=true | close false
    //       (server: data hi, end)
    @Test func destroySoonWhileConnecting() {
        let log = Log()
        var serverGot = ""
        withLoop { loop in
            let server = Server(loop: loop) { peer in
                peer.on(.data) { serverGot += $0.toString() }
                peer.on(.end) { peer.end() }
            }
            listenLocal(server) { port in
                let s = dial(port, loop: loop)
                s.write("hi")
                s.destroySoon()
                log("after destroySoon ended=\(s.writableEnded) rs=\(s.readyState) destroyed=\(s.destroyed)")
                s.on(.connect) { log("connect rs=\(s.readyState) destroyed=\(s.destroyed)") }
                s.on(.ready) { log("ready rs=\(s.readyState) destroyed=\(s.destroyed)") }
                s.on(.finish) { log("finish rs=\(s.readyState) destroyed=\(s.destroyed)") }
                s.on(.end) { log("end") }
                s.on(.close) { e in
                    log("close \(e.hadError)")
                    server.close()
                }
            }
        }
        #expect(log.entries == [
            "after destroySoon ended=true rs=opening destroyed=false",
            "connect rs=readOnly destroyed=false",
            "ready rs=readOnly destroyed=false",
            "finish rs=closed destroyed=true",
            "close false",
        ])
        #expect(serverGot == "hi")
    }

    // On a Unix socket already destroyed (its 'close' still to come), resetAndDestroy() does
    // not throw: Node's handle is gone, so the call is destroy(ERR_SOCKET_CLOSED) on a
    // destroyed socket, which does nothing.
    //   s.on('connect', () => { s.destroy(); try { log('reset returned self', s.resetAndDestroy() === s) } catch (e) { log('threw', e.code) } })
    // node: reset returned self true | close false
    @Test func resetAndDestroyAfterDestroyOnAPipeIsQuiet() throws {
        let log = Log()
        try withTempDir { dir in
            withLoop { loop in
                let server = Server(loop: loop) { $0.resume() }
                let path = dir.file("reset-after-destroy.sock")
                do { try server.listen(path: path) } catch { Issue.record("listen: \(error)") }
                let s = Socket(loop: loop)
                s.on(.error) { log("error \($0.code)") }
                s.on(.close) { e in
                    log("close \(e.hadError)")
                    server.close()
                }
                _ = try? s.connect(path: path) {
                    s.destroy()
                    do throws(NetError) {
                        log("reset returned self \(try s.resetAndDestroy() === s)")
                    } catch {
                        log("reset threw \(error.code)")
                    }
                }
            }
        }
        #expect(log.entries == ["reset returned self true", "close false"])
    }

    // write() after end() while still connecting (a Unix socket): refused at once, the socket
    // destroyed with ERR_STREAM_WRITE_AFTER_END, no 'connect' and no 'finish'.
    //   t = net.connect(path); t.end(); r = t.write('x', cb); log('ret', r, t.destroyed, t.connecting)
    // node: ret false destroyed true connecting false | cb ERR_STREAM_WRITE_AFTER_END |
    //       error ERR_STREAM_WRITE_AFTER_END | tick | close true
    @Test func writeAfterEndWhileConnecting() throws {
        let log = Log()
        try withTempDir { dir in
            withLoop { loop in
                let server = Server(loop: loop) { peer in
                    peer.resume()
                    peer.on(.end) { peer.end() }
                }
                let path = dir.file("write-after-end.sock")
                do { try server.listen(path: path) } catch { Issue.record("listen: \(error)") }
                let t = Socket(loop: loop)
                _ = try? t.connect(path: path)
                t.end()
                let r = t.write("x") { log("cb \($0?.code.rawValue ?? "null")") }
                log("ret \(r) destroyed \(t.destroyed) connecting \(t.connecting)")
                t.on(.connect) { log("connect") }
                t.on(.error) { log("error \($0.code)") }
                t.on(.finish) { log("finish") }
                loop.nextTick { log("tick") }
                t.on(.close) { e in
                    log("close \(e.hadError)")
                    server.close()
                }
            }
        }
        #expect(log.entries == [
            "ret false destroyed true connecting false", "cb ERR_STREAM_WRITE_AFTER_END",
            "error ERR_STREAM_WRITE_AFTER_END", "tick", "close true",
        ])
    }

    // Writes made while connecting, then destroy() in a 'connect' listener: the writes never
    // go out; the first fails with ERR_SOCKET_CLOSED (node's queued write meets a socket
    // without a handle), which becomes the socket's error, and the write behind it and the end
    // callback get it too, before 'close'.
    //   s = net.connect(port, '127.0.0.1', () => {}); s.on('connect', () => { log('ready wl=' + s.writableLength); s.destroy(); log('errored', …) });
    //   s.write('abc', cb); s.write('def', cb2); s.end(endcb)
    // node: server got ""
    //       ready wl=6 | errored null | cb ERR_SOCKET_CLOSED | cb2 ERR_SOCKET_CLOSED | end-cb ERR_SOCKET_CLOSED | close false errored ERR_SOCKET_CLOSED
    // (node flushes the writes before a 'connect' listener added after them; here they go out
    // after every 'connect' listener, as node does for the listeners added before them.)
    @Test func destroyInAConnectListenerFailsTheQueuedWrites() {
        let log = Log()
        let serverGot = destroyWithWritesQueued(log, "connect") { s, listener in s.on(.connect, listener) }
        #expect(log.entries == [
            "connect wl=6", "errored null", "cb ERR_SOCKET_CLOSED", "cb2 ERR_SOCKET_CLOSED",
            "end-cb ERR_SOCKET_CLOSED", "close false errored ERR_SOCKET_CLOSED",
        ])
        #expect(serverGot == "")
    }

    // The writes made while connecting go out before 'ready': destroying the socket in a
    // 'ready' listener no longer stops them, and only the end callback fails.
    //   s = net.connect(port, '127.0.0.1', () => {}); s.on('ready', () => { log('ready wl=' + s.writableLength); s.destroy() });
    //   s.write('abc', cb); s.write('def', cb2); s.end(endcb)
    // node: server got "abcdef"
    //       cb null | ready wl=0 | errored null | cb2 null | end-cb ERR_STREAM_DESTROYED | close false errored null
    // (here the first callback may follow the 'ready' listener: the order of a write's callback
    // and the listeners is not what this checks.)
    @Test func writesQueuedWhileConnectingGoOutBeforeReady() {
        let log = Log()
        let serverGot = destroyWithWritesQueued(log, "ready") { s, listener in s.on(.ready, listener) }
        #expect(log.entries.filter { $0.hasPrefix("cb") } == ["cb null", "cb2 null"])
        #expect(log.entries.filter { !$0.hasPrefix("cb") } == [
            "ready wl=0", "errored null", "end-cb ERR_STREAM_DESTROYED", "close false errored null",
        ])
        #expect(serverGot == "abcdef")
    }

    // A write with the kernel, one queued behind it, end(cb), then destroy(): the write in
    // flight is called back first, then the queued one, then the end callback (Node's
    // `errorBuffer` waits for the write in progress), all before 'close'.
    //   s.write(Buffer.alloc(8 << 20), cb); s.write('b', cb); s.end(cb); s.destroy()
    // node: tick | immediate | big null | small ERR_STREAM_DESTROYED | end-cb ERR_STREAM_DESTROYED | close false
    @Test func endCallbackFollowsTheWritesOfADestroyedSocket() {
        let log = Log()
        withLoop { loop in
            var peers: [Socket] = []
            let server = Server(loop: loop) { peer in
                peer.pause()
                peers.append(peer)
            }
            listenLocal(server) { port in
                let s = Socket(loop: loop)
                _ = try? s.connect(port: port, host: "127.0.0.1") {
                    s.write(Buffer([UInt8](repeating: 0, count: 8 << 20))) { log("big \($0?.code.rawValue ?? "null")") }
                    s.write("b") { log("small \($0?.code.rawValue ?? "null")") }
                    s.end { (e: NetError?) in log("end-cb \(e?.code.rawValue ?? "null")") }
                    s.destroy()
                }
                s.on(.error) { log("error \($0.code)") }
                s.on(.close) { e in
                    log("close \(e.hadError)")
                    for peer in peers { peer.destroy() }
                    server.close()
                }
            }
        }
        #expect(log.entries == ["big null", "small ERR_STREAM_DESTROYED", "end-cb ERR_STREAM_DESTROYED", "close false"])
    }

    // Destroyed while connecting with a write queued: the end callback gets the write's error,
    // after it, whether end(cb) came before destroy() or after it. Without a write it is called
    // on the next tick with ERR_STREAM_DESTROYED.
    //   for v of ['end-destroy', 'destroy-end', 'nowrite']: s = net.connect(port, '127.0.0.1');
    //     [s.write('a', cb)]; s.end(cb) / s.destroy() in that order; process.nextTick(log 'tick')
    // node: nowrite     end-cb ERR_STREAM_DESTROYED | tick | close false
    //       destroy-end tick | w ERR_SOCKET_CLOSED_BEFORE_CONNECTION | end-cb ERR_SOCKET_CLOSED_BEFORE_CONNECTION | close false
    //       end-destroy tick | w ERR_SOCKET_CLOSED_BEFORE_CONNECTION | end-cb ERR_SOCKET_CLOSED_BEFORE_CONNECTION | close false
    // (node's write callback runs from a 'close' listener added by write(), so here, where it
    // runs after the 'close' listeners, 'close' is logged before it; the test listens for
    // 'close' before writing, where node's order is the same.)
    @Test(arguments: ["end-destroy", "destroy-end", "nowrite"])
    func endCallbackOfASocketDestroyedWhileConnecting(variant: String) {
        let log = Log()
        withLoop { loop in
            let server = Server(loop: loop) { $0.resume() }
            listenLocal(server) { port in
                let s = Socket(loop: loop)
                s.on(.error) { log("error \($0.code)") }
                s.on(.close) { e in
                    log("close \(e.hadError)")
                    server.close()
                }
                _ = try? s.connect(port: port, host: "127.0.0.1")
                if variant != "nowrite" { s.write("a") { log("w \($0?.code.rawValue ?? "null")") } }
                if variant != "destroy-end" { s.end { (e: NetError?) in log("end-cb \(e?.code.rawValue ?? "null")") } }
                s.destroy()
                if variant == "destroy-end" { s.end { (e: NetError?) in log("end-cb \(e?.code.rawValue ?? "null")") } }
                loop.nextTick { log("tick") }
            }
        }
        if variant == "nowrite" {
            #expect(log.entries == ["end-cb ERR_STREAM_DESTROYED", "tick", "close false"])
        } else {
            #expect(log.entries == [
                "tick", "close false",
                "w ERR_SOCKET_CLOSED_BEFORE_CONNECTION", "end-cb ERR_SOCKET_CLOSED_BEFORE_CONNECTION",
            ])
        }
    }
}

/// Connects to a server that keeps what its connection sends, writes "abc" and "def" and
/// ends while connecting, and destroys the socket in the listener `add` puts on it (logged
/// as `name wl=…` and `errored …`); logs each callback and the close. Returns what the
/// server received ("unset" when nothing connected).
private func destroyWithWritesQueued(
    _ log: Log, _ name: String, add: @escaping (Socket, @escaping () -> Void) -> Void
) -> String {
    var serverGot = "unset"
    withLoop { loop in
        let server = Server(loop: loop)
        server.on(.connection) { peer in
            serverGot = ""
            peer.on(.data) { serverGot += $0.toString() }
            peer.on(.close) { _ in server.close() }
        }
        listenLocal(server) { port in
            let s = dial(port, loop: loop) {}
            add(s) {
                log("\(name) wl=\(s.writableLength)")
                s.destroy()
                log("errored \(s.errored?.code.rawValue ?? "null")")
            }
            s.write("abc") { log("cb \($0?.code.rawValue ?? "null")") }
            s.write("def") { log("cb2 \($0?.code.rawValue ?? "null")") }
            s.end { (e: NetError?) in log("end-cb \(e?.code.rawValue ?? "null")") }
            s.on(.error) { log("error \($0.code)") }
            s.on(.close) { log("close \($0.hadError) errored \(s.errored?.code.rawValue ?? "null")") }
        }
    }
    return serverGot
}
