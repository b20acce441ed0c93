import Testing
@testable import NetCore
import Net

/// More of a client socket compared with Node (node v20, loopback): counting queued writes and
/// callback order.
@Suite struct NodeClientFidelityCountingTests {
    // Writes queued while connecting, in several encodings: bytesWritten counts their bytes,
    // writableLength and bufferSize a string's length (its UTF-16 units, whatever the encoding).
    //   s.write('ff00', 'hex'); s.write('hé', 'utf16le'); s.write('€', 'utf8'); s.write(Buffer.from([1, 2, 3]))
    // node: connecting bw 12 wl 10 bufferSize 10
    //       close bw 12
    @Test func queuedWritesInEncodingsWhileConnecting() {
        var seen: [String] = []
        withLoop { loop in
            dialHalfClosingPeer(loop: loop) { s, server in
                s.write("ff00", encoding: .hex)
                s.write("hé", encoding: .utf16le)
                s.write("€", encoding: .utf8)
                s.write(Buffer([1, 2, 3]))
                seen.append("connecting bw \(s.bytesWritten) wl \(s.writableLength) bufferSize \(s.bufferSize.map(String.init) ?? "undefined")")
                s.end()
                s.resume()
                s.on(.close) { _ in
                    seen.append("close bw \(s.bytesWritten)")
                    server.close()
                }
            }
        }
        #expect(seen == ["connecting bw 12 wl 10 bufferSize 10", "close bw 12"])
    }

    // end(cb) twice while connecting: both callbacks at 'finish'; end() returns the socket;
    // end(cb) in 'finish' and after 'close' gets ERR_STREAM_ALREADY_FINISHED.
    //   s.end(cb1); s.end(cb2); log('ret', s.end() === s); on 'finish': s.end(cb3); on 'close': s.end(cb4)
    // node: ret true | cb1 null | cb2 null | finish | cb3 ERR_STREAM_ALREADY_FINISHED | close | cb4 ERR_STREAM_ALREADY_FINISHED
    @Test func endTwiceAndAfterFinish() {
        let log = Log()
        withLoop { loop in
            dialHalfClosingPeer(loop: loop) { s, server in
                s.end { (e: NetError?) in log("cb1 \(e?.code.rawValue ?? "null")") }
                s.end { (e: NetError?) in log("cb2 \(e?.code.rawValue ?? "null")") }
                log("ret \(s.end() === s)")
                s.on(.finish) {
                    log("finish")
                    s.end { (e: NetError?) in log("cb3 \(e?.code.rawValue ?? "null")") }
                }
                s.resume()
                s.on(.close) { _ in
                    log("close")
                    s.end { (e: NetError?) in log("cb4 \(e?.code.rawValue ?? "null")") }
                    loop.setTimeout(10) { server.close() }
                }
            }
        }
        #expect(log.entries == [
            "ret true", "cb1 null", "cb2 null", "finish", "cb3 ERR_STREAM_ALREADY_FINISHED",
            "close", "cb4 ERR_STREAM_ALREADY_FINISHED",
        ])
    }

    // A write over the high-water mark while connecting: write returns false and a 'drain' is
    // owed; after 'connect' the write goes out, 'drain' comes before the write's callback.
    //   s = net.connect(port, '127.0.0.1'); s.on('connect', log); r = s.write(Buffer.alloc(70000), cb)
    //   log('ret', r, 'needDrain', s.writableNeedDrain, 'wl', s.writableLength); on 'drain': s.end()
    // node: ret false needDrain true wl 70000 | connect | drain wl 0 | cb | finish | close
    @Test func drainOwedByAWriteWhileConnecting() {
        let log = Log()
        withLoop { loop in
            dialHalfClosingPeer(loop: loop) { s, server in
                s.on(.connect) { log("connect") }
                let r = s.write(Buffer([UInt8](repeating: 0, count: 70000))) { _ in log("cb") }
                log("ret \(r) needDrain \(s.writableNeedDrain) wl \(s.writableLength)")
                s.on(.drain) {
                    log("drain wl \(s.writableLength)")
                    s.end()
                }
                s.on(.finish) { log("finish") }
                s.resume()
                s.on(.close) { _ in
                    log("close")
                    server.close()
                }
            }
        }
        #expect(log.entries == ["ret false needDrain true wl 70000", "connect", "drain wl 0", "cb", "finish", "close"])
    }

    // Write callbacks, then the end callback, then the 'finish' listeners, all after the
    // current tick; 'end' from the peer and 'close' follow.
    //   s.on('finish', …); on 'connect': s.write('a', w1); s.write('b', w2); s.end('c', endcb); log('sync'); nextTick(log 'tick')
    // node: sync | w1 | w2 | tick | end-cb | finish-listener | end | close
    @Test func writeAndEndCallbacksBeforeFinish() {
        let log = Log()
        withLoop { loop in
            dialHalfClosingPeer(loop: loop) { s, server in
                s.on(.finish) { log("finish-listener") }
                s.on(.connect) {
                    s.write("a") { _ in log("w1") }
                    s.write("b") { _ in log("w2") }
                    s.end("c") { log("end-cb") }
                    log("sync")
                    loop.nextTick { log("tick") }
                }
                s.on(.end) { log("end") }
                s.resume()
                s.on(.close) { _ in
                    log("close")
                    server.close()
                }
            }
        }
        #expect(log.entries == ["sync", "w1", "w2", "tick", "end-cb", "finish-listener", "end", "close"])
    }
}

/// `setTimeout` and the `timeout` property.
@Suite struct NodeClientFidelityTimeoutTests {
    //   const s = new net.Socket();
    //   console.log(s.timeout); s.setTimeout(0); …; s.setTimeout(100); …; s.setTimeout(0); …
    //   s.destroy(); s.setTimeout(50); console.log(s.timeout)
    // node: undefined, after 0 → 0, after 100 → 100, after 0 again → 0,
    //       after destroy still 0, setTimeout after destroy leaves it 0
    @Test func timeoutPropertyIsZeroOnceSetToZero() {
        var seen: [String] = []
        withLoop { loop in
            let s = Socket(loop: loop)
            func t() -> String { s.timeout.map(String.init) ?? "undefined" }
            seen.append(t())
            s.setTimeout(0)
            seen.append(t())
            s.setTimeout(100)
            seen.append(t())
            s.setTimeout(0)
            seen.append(t())
            s.destroy()
            seen.append(t())
            s.setTimeout(50)
            seen.append(t())
        }
        #expect(seen == ["undefined", "0", "100", "0", "0", "0"])
    }

    // An idle socket times out once per idle period: the callback (a once-listener) and the
    // 'timeout' listener fire once, and again only after activity re-arms the timer.
    //   s.setTimeout(30, () => log('cb')); s.on('timeout', () => log('timeout'));
    //   setTimeout(() => { log('write'); s.write('x') }, 150); at 300 ms: log, listenerCount
    // node: cb | timeout | write | timeout 1
    @Test func timeoutFiresOncePerIdlePeriod() {
        let log = Log()
        var listeners = -1
        withLoop { loop in
            let server = Server(loop: loop) { $0.resume() }
            listenLocal(server) { port in
                let s = dial(port, loop: loop)
                s.setTimeout(30) { log("cb") }
                s.on(.timeout) { log("timeout") }
                loop.setTimeout(150) {
                    log("write")
                    s.write("x")
                }
                loop.setTimeout(300) {
                    listeners = s.listenerCount(.timeout)
                    s.destroy()
                    server.close()
                }
            }
        }
        #expect(log.entries == ["cb", "timeout", "write", "timeout"])
        #expect(listeners == 1)
    }

    // setTimeout(0, callback) removes that callback only (Node's `removeListener('timeout',
    // callback)`); listeners added with on('timeout') and earlier setTimeout callbacks stay.
    //   s.on('timeout', f); s.setTimeout(10, g); s.setTimeout(0, () => {});
    //   console.log(s.listenerCount('timeout'))
    // node: listeners 2
    @Test func setTimeoutZeroWithACallbackKeepsOtherListeners() {
        var count = -1
        withLoop { loop in
            let s = Socket(loop: loop)
            s.on(.timeout) {}
            s.setTimeout(10) {}
            s.setTimeout(0) {}
            count = s.listenerCount(.timeout)
            s.destroy()
        }
        #expect(count == 2)
    }
}

/// Writes and reads in the encodings Node has, counted as Node counts them.
@Suite struct NodeClientFidelityEncodingTests {
    // Empty writes are called back and count nothing; encoded strings count their bytes.
    //   s.write('', cb); s.write(Buffer.alloc(0), cb); s.write('ff00', 'hex', cb);
    //   s.write('hé', 'latin1'); s.write('hé', 'utf16le'); s.end()
    // node: r1 true | r2 true | bw 0 wl 0 | r3 true | bw 2 wl 0 | r4 true | r5 true | bw 8 wl 0 |
    //       cb-empty-str null | cb-empty-buf null | cb-hex null | finish bw 8
    @Test func emptyAndEncodedWritesCountTheirBytes() {
        let log = Log()
        withLoop { loop in
            let server = Server(loop: loop) { peer in
                peer.resume()
                peer.on(.end) { peer.end() }
            }
            listenLocal(server) { port in
                let s = Socket(loop: loop)
                _ = try? s.connect(port: port, host: "127.0.0.1") {
                    log("r1 \(s.write("") { log("cb-empty-str \($0?.code.rawValue ?? "null")") })")
                    log("r2 \(s.write(Buffer([UInt8]())) { log("cb-empty-buf \($0?.code.rawValue ?? "null")") })")
                    log("bw \(s.bytesWritten) wl \(s.writableLength)")
                    log("r3 \(s.write("ff00", encoding: .hex) { log("cb-hex \($0?.code.rawValue ?? "null")") })")
                    log("bw \(s.bytesWritten) wl \(s.writableLength)")
                    log("r4 \(s.write("hé", encoding: .latin1))")
                    log("r5 \(s.write("hé", encoding: .utf16le))")
                    log("bw \(s.bytesWritten) wl \(s.writableLength)")
                    s.end()
                }
                s.resume()
                s.on(.finish) { log("finish bw \(s.bytesWritten)") }
                s.on(.close) { _ in server.close() }
            }
        }
        #expect(log.entries == [
            "r1 true", "r2 true", "bw 0 wl 0", "r3 true", "bw 2 wl 0", "r4 true", "r5 true", "bw 8 wl 0",
            "cb-empty-str null", "cb-empty-buf null", "cb-hex null", "finish bw 8",
        ])
    }

    // A string written in one encoding, echoed, and read back with setEncoding in another
    // (the code points of what arrived, and bytesWritten):
    //   s.setEncoding(enc); s.on('data', d => got += d); s.write(str, wenc, () => s.end())
    // node: ["hex","latin1","68c3a96c6c6f","33 36 33 38 36 33 33 33 36 31 33 39 33 36 36 33 33 36 36 33 33 36 36 36",12,"hex"]
    //       ["base64","hex","aGVsbG8=","",0,"base64"]
    //       ["latin1","base64","aOk=","68 e9",2,"latin1"]
    //       ["utf16le","utf8","hé€😀","c368 e2a9 ac82 9ff0 8098",10,"utf16le"]
    //       ["ascii","hex","ff41","7f 41",2,"ascii"]
    //       ["base64url","hex","aGk_","",0,"base64url"]
    @Test(arguments: [
        (BufferEncoding.hex, BufferEncoding.latin1, "68c3a96c6c6f", "33 36 33 38 36 33 33 33 36 31 33 39 33 36 36 33 33 36 36 33 33 36 36 36", 12),
        (.base64, .hex, "aGVsbG8=", "", 0),
        (.latin1, .base64, "aOk=", "68 e9", 2),
        (.utf16le, .utf8, "hé€😀", "c368 e2a9 ac82 9ff0 8098", 10),
        (.ascii, .hex, "ff41", "7f 41", 2),
        (.base64url, .hex, "aGk_", "", 0),
    ])
    func echoedTextInEveryEncoding(read: BufferEncoding, written: BufferEncoding, text: String, codePoints: String, bytes: Int) {
        var got = ""
        var bytesWritten = -1
        var readable: BufferEncoding?
        withLoop { loop in
            let server = Server(loop: loop) { peer in
                peer.on(.data) { peer.write($0) }
                peer.on(.end) { peer.end() }
            }
            listenLocal(server) { port in
                let s = dial(port, loop: loop)
                s.setEncoding(read)
                s.on(.text) { got += $0 }
                s.write(text, encoding: written) { _ in s.end() }
                s.on(.end) {
                    bytesWritten = s.bytesWritten
                    readable = s.readableEncoding
                }
                s.on(.close) { _ in server.close() }
            }
        }
        // JavaScript strings are UTF-16: a lone surrogate from utf16le decoding is one unit.
        let units = got.utf16.map { String($0, radix: 16) }.joined(separator: " ")
        #expect(units == codePoints)
        #expect(bytesWritten == bytes)
        #expect(readable == read)
    }
}

/// Paused before connecting.
@Suite struct NodeClientFidelityFlowTests {
    // pause() before connect: a 'data' listener does not start the flow, nothing is read
    // until resume(), then the data and 'end' (half-open: still writable).
    //   s = new net.Socket({allowHalfOpen: true}); s.pause(); s.connect(port, '127.0.0.1'); s.on('data', …)
    //   on 'connect': after 50 ms log readableLength and resume(); on 'end': s.end()
    // node: fresh flowing null paused false | after pause flowing false paused true | connect flowing false |
    //       resume rl=0 | data hello flowing true | end rs=writeOnly writable true | close
    @Test func pausedBeforeConnect() {
        let log = Log()
        withLoop { loop in
            let server = Server(loop: loop) { peer in
                peer.write("hello")
                peer.end()
            }
            listenLocal(server) { port in
                let s = Socket(SocketOptions(allowHalfOpen: true), loop: loop)
                func flowing() -> String { s.readableFlowing.map { "\($0)" } ?? "null" }
                log("fresh flowing \(flowing()) paused \(s.isPaused())")
                s.pause()
                log("after pause flowing \(flowing()) paused \(s.isPaused())")
                _ = try? s.connect(port: port, host: "127.0.0.1")
                s.on(.data) { log("data \($0.toString()) flowing \(flowing())") }
                s.on(.connect) {
                    log("connect flowing \(flowing())")
                    loop.setTimeout(50) {
                        log("resume rl=\(s.readableLength)")
                        s.resume()
                    }
                }
                s.on(.end) {
                    log("end rs=\(s.readyState) writable \(s.writable)")
                    s.end()
                }
                s.on(.close) { _ in
                    log("close")
                    server.close()
                }
            }
        }
        #expect(log.entries == [
            "fresh flowing null paused false", "after pause flowing false paused true", "connect flowing false",
            "resume rl=0", "data hello flowing true", "end rs=writeOnly writable true", "close",
        ])
    }
}

/// A Unix domain socket's addresses.
@Suite struct NodeClientFidelityPipeAddressTests {
    // Neither end of a Unix domain socket connection has an IP address or port.
    //   server: c.address(), c.remoteAddress, remotePort, remoteFamily, localAddress, localPort
    //   client (in the connect callback): the same and localFamily, readyState
    // node: server side {} undefined undefined undefined undefined undefined
    //       client {} undefined undefined undefined undefined undefined undefined open
    @Test func pipeEndsHaveNoAddresses() throws {
        var seen: [String] = []
        func describe(_ s: Socket) -> String {
            "\(s.address() == nil ? "{}" : "set") \(s.remoteAddress ?? "undefined") \(s.remotePort.map(String.init) ?? "undefined") \(s.remoteFamily ?? "undefined") \(s.localAddress ?? "undefined") \(s.localPort.map(String.init) ?? "undefined") \(s.localFamily ?? "undefined")"
        }
        try withTempDir { dir in
            withLoop { loop in
                let server = Server(loop: loop) { peer in
                    seen.append("server side \(describe(peer))")
                    peer.end()
                }
                let path = dir.file("addresses.sock")
                do { try server.listen(path: path) } catch { Issue.record("listen: \(error)") }
                let s = Socket(loop: loop)
                _ = try? s.connect(path: path) { seen.append("client \(describe(s)) \(s.readyState)") }
                s.resume()
                s.on(.close) { _ in server.close() }
            }
        }
        #expect(seen.sorted() == [
            "client {} undefined undefined undefined undefined undefined undefined open",
            "server side {} undefined undefined undefined undefined undefined undefined",
        ])
    }
}
