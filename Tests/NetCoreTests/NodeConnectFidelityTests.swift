import Testing
@testable import NetCore
import Net

/// Connecting compared with node 20: which connect options each entry point reads, the
/// errors of local bindings, and `onread`. Each case quotes the node script and its output.
@Suite struct NodeConnectFidelityTests {
    /// `"12"` or `"nil"`.
    static func show(_ value: Int?) -> String { value.map(String.init) ?? "nil" }

    // The `timeout` option belongs to `net.createConnection`/`net.connect`, which call
    // `socket.setTimeout(options.timeout)` when it is truthy; `socket.connect(options)` ignores
    // it. node 20:
    //   new net.Socket().connect({ port, host: '127.0.0.1', timeout: 100 }).timeout  // undefined
    //   net.connect({ port, host: '127.0.0.1', timeout: 100 }).timeout               // 100
    //   net.createConnection({ port, host: '127.0.0.1', timeout: 0 }).timeout        // undefined
    //   new net.Socket().connect({ port, host: '127.0.0.1', timeout: -1 })           // no throw
    //   net.connect({ port: 70000, host: '127.0.0.1', timeout: -1 })   // throws ERR_OUT_OF_RANGE
    //   net.connect({ path: '/tmp/nonexist.sock', timeout: 100 }).timeout            // 100
    //   new net.Socket().connect({ path: '/tmp/nonexist.sock', timeout: 100 }).timeout // undefined
    @Test func timeoutOptionIsSetByNetConnectOnly() {
        let log = Log()
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.resume() }
            listenLocal(server) { port in
                var sockets: [Socket] = []
                func attempt(_ name: String, _ make: () throws(NetError) -> Socket) {
                    do throws(NetError) {
                        let s = try make()
                        s.on(.error) { _ in }
                        sockets.append(s)
                        log("\(name) timeout=\(Self.show(s.timeout))")
                    } catch {
                        log("\(name) threw \(error.code)")
                    }
                }
                var o = SocketConnectOptions(port: port, host: "127.0.0.1")
                o.timeout = 100
                attempt("socket.connect") { () throws(NetError) in try Socket(loop: loop).connect(o) }
                attempt("Net.connect") { () throws(NetError) in try Net.connect(o, loop: loop) }
                o.timeout = 0
                attempt("Net.createConnection 0") { () throws(NetError) in try Net.createConnection(o, loop: loop) }
                o.timeout = -1
                attempt("socket.connect -1") { () throws(NetError) in try Socket(loop: loop).connect(o) }
                o.port = 70000
                attempt("Net.connect bad port -1") { () throws(NetError) in try Net.connect(o, loop: loop) }
                var p = SocketConnectOptions(path: "/nonexistent/swift-net.sock")
                p.timeout = 100
                attempt("Net.connect path") { () throws(NetError) in try Net.connect(p, loop: loop) }
                attempt("socket.connect path") { () throws(NetError) in try Socket(loop: loop).connect(p) }
                for s in sockets { s.destroy() }
                server.close()
            }
        }
        #expect(log.entries == [
            "socket.connect timeout=nil",
            "Net.connect timeout=100",
            "Net.createConnection 0 timeout=nil",
            "socket.connect -1 timeout=nil",
            "Net.connect bad port -1 threw ERR_OUT_OF_RANGE",
            "Net.connect path timeout=100",
            "socket.connect path timeout=nil",
        ])
    }

    // The async connect creates its socket as `net.connect` does, so it sets the `timeout`
    // option too (node 20: `net.connect({ port, host: '127.0.0.1', timeout: 100 }).timeout`
    // is 100), and a negative one throws ERR_OUT_OF_RANGE before the bad port is seen.
    @Test func asyncConnectSetsTheTimeoutOption() async {
        await withAsyncLoop { loop in
            let (server, port) = try await localServer(loop)
            var o = SocketConnectOptions(port: port, host: "127.0.0.1")
            o.timeout = 100
            let client = try await Net.connect(options: o, loop: loop)
            #expect(try await client.withSocket { $0.timeout } == 100)
            await client.destroy()
            o.timeout = -1
            o.port = 70000
            do throws(NetError) {
                _ = try await Net.connect(options: o, loop: loop)
                Issue.record("a negative timeout was accepted")
            } catch {
                #expect(error.code == .ERR_OUT_OF_RANGE)
            }
            await server.close()
        }
    }

    /// Connects with each of `cases` in turn (the next once the last closed) and logs each error
    /// as `n name code message localAddress localPort address port [inner messages]`, with the
    /// ports written `P` and `LP`.
    static func connectErrors(_ cases: [SocketConnectOptions], port: Int, localPort: Int) -> [String] {
        let log = Log()
        func text(_ s: String) -> String {
            s.replacingOccurrences(of: "\(port)", with: "P").replacingOccurrences(of: "\(localPort)", with: "LP")
        }
        withLoop { loop in
            _ = Net.getDefaultAutoSelectFamily()
            var i = 0
            func next() {
                guard i < cases.count else { return }
                i += 1
                let n = i
                do throws(NetError) {
                    let s = try Net.connect(cases[n - 1], loop: loop)
                    s.on(.error) { e in
                        let inner = e.errors.map { "\($0.message)|\($0.localAddress ?? "-")|\(show($0.localPort))" }
                        log(text("\(n) \(e.name) \(e.code) \(e.message) \(e.localAddress ?? "-") \(show(e.localPort)) "
                            + "\(e.address ?? "-") \(show(e.port)) [\(inner.joined(separator: "; "))]"))
                    }
                    s.on(.close) { _ in loop.setImmediate { next() } }
                } catch {
                    log("\(n) threw \(error)")
                    next()
                }
            }
            next()
        }
        return log.entries
    }

    // The ` - Local (address:port)` of a refused connect and its `localAddress`/`localPort`
    // fields come from the local port asked for (Node's `req.localAddress && req.localPort`):
    // none with a `localAddress` alone, the family's any-address with a `localPort` alone.
    // node 20 (P the closed port, LP a free local port):
    //   net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1' })
    //     // connect ECONNREFUSED 127.0.0.1:P   (localAddress, localPort undefined)
    //   net.connect({ port, host: '127.0.0.1', localPort: lp })
    //     // connect ECONNREFUSED 127.0.0.1:P - Local (0.0.0.0:LP)   0.0.0.0 LP
    //   net.connect({ port, host: '::1', localPort: lp })
    //     // connect ECONNREFUSED ::1:P - Local (:::LP)   :: LP
    //   net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1', localPort: lp })
    //     // connect ECONNREFUSED 127.0.0.1:P - Local (127.0.0.1:LP)   127.0.0.1 LP
    //   net.connect({ port, host: 'nowhere.test', localPort: lp,
    //                 lookup: (h, o, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }]) })
    //     // connect ECONNREFUSED 127.0.0.1:P - Local (0.0.0.0:LP)   0.0.0.0 LP
    @Test func refusedConnectNamesTheLocalPortAskedFor() {
        let port = closedPort()
        let localPort = closedPort()
        var cases: [SocketConnectOptions] = []
        var o = SocketConnectOptions(port: port, host: "127.0.0.1")
        o.localAddress = "127.0.0.1"
        cases.append(o)
        o = SocketConnectOptions(port: port, host: "127.0.0.1")
        o.localPort = localPort
        cases.append(o)
        o = SocketConnectOptions(port: port, host: "::1")
        o.localPort = localPort
        cases.append(o)
        o = SocketConnectOptions(port: port, host: "127.0.0.1")
        o.localAddress = "127.0.0.1"
        o.localPort = localPort
        cases.append(o)
        o = SocketConnectOptions(port: port, host: "nowhere.test")
        o.localPort = localPort
        o.lookup = fixedLookup([("127.0.0.1", 4)])
        cases.append(o)
        #expect(Self.connectErrors(cases, port: port, localPort: localPort) == [
            "1 Error ECONNREFUSED connect ECONNREFUSED 127.0.0.1:P - nil 127.0.0.1 P []",
            "2 Error ECONNREFUSED connect ECONNREFUSED 127.0.0.1:P - Local (0.0.0.0:LP) 0.0.0.0 LP 127.0.0.1 P []",
            "3 Error ECONNREFUSED connect ECONNREFUSED ::1:P - Local (:::LP) :: LP ::1 P []",
            "4 Error ECONNREFUSED connect ECONNREFUSED 127.0.0.1:P - Local (127.0.0.1:LP) 127.0.0.1 LP 127.0.0.1 P []",
            "5 Error ECONNREFUSED connect ECONNREFUSED 127.0.0.1:P - Local (0.0.0.0:LP) 0.0.0.0 LP 127.0.0.1 P []",
        ])
    }

    // An error for port 0 has no `port` (Node's `ExceptionWithHostPort`: `if (port)
    // this.port = port`) and names the address alone. node 20:
    //   net.connect(0, '127.0.0.1').on('error', (e) => console.log(e.message, e.address, e.port))
    //     // connect ECONNREFUSED 127.0.0.1 127.0.0.1 undefined
    @Test func errorForPortZeroHasNoPort() {
        let cases = [SocketConnectOptions(port: 0, host: "127.0.0.1")]
        #expect(Self.connectErrors(cases, port: -1, localPort: -1) == [
            "1 Error ECONNREFUSED connect ECONNREFUSED 127.0.0.1 - nil 127.0.0.1 nil []",
        ])
    }

    // A `localAddress` of the other family than the address connected to cannot be bound:
    // Node's `bind`/`bind6` fail to parse it (EINVAL); port 0 is not reported. node 20:
    //   net.connect({ port, host: '127.0.0.1', localAddress: '::1' })
    //     // bind EINVAL ::1   syscall bind, address ::1, port undefined
    //   net.connect({ port, host: '::1', localAddress: '127.0.0.1' })
    //     // bind EINVAL 127.0.0.1   syscall bind, address 127.0.0.1, port undefined
    @Test func localAddressOfTheOtherFamilyIsEinval() {
        let port = closedPort()
        var cases: [SocketConnectOptions] = []
        var o = SocketConnectOptions(port: port, host: "127.0.0.1")
        o.localAddress = "::1"
        cases.append(o)
        o = SocketConnectOptions(port: port, host: "::1")
        o.localAddress = "127.0.0.1"
        cases.append(o)
        #expect(Self.connectErrors(cases, port: port, localPort: -1) == [
            "1 Error EINVAL bind EINVAL ::1 - nil ::1 nil []",
            "2 Error EINVAL bind EINVAL 127.0.0.1 - nil 127.0.0.1 nil []",
        ])
    }

    // An `onread` callback that returns false stops the reads without pausing the stream: no
    // 'pause', `isPaused()` stays false, `readableFlowing` is untouched; `resume()` reads again
    // (Node's `Socket.prototype.resume` restarts the handle's reads in `onread` mode), with a
    // 'resume' only when the stream was not flowing yet. node 20:
    //   server: c.write('hello'); setTimeout(() => c.end(' world'), 50)
    //   const s = net.connect({ port, host: '127.0.0.1', onread: { buffer: Buffer.alloc(8),
    //     callback: (n) => { log('read', n, s.bytesRead, s.isPaused(), s.readableFlowing);
    //       setTimeout(() => { log('before resume', s.isPaused(), s.readableFlowing); s.resume() }, 100);
    //       return false } } })
    //   s.on('pause'), s.on('resume'), s.on('end'), s.on('close') logged
    //   // connect null / read 5 5 false null / before resume false null / resume event /
    //   // read 6 11 false true / before resume false true / end 11 / close 11
    @Test func onreadReturningFalseStopsReadsWithoutPausing() {
        let log = Log()
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 1)
        defer { memory.deallocate() }
        func flowing(_ s: Socket) -> String { s.readableFlowing.map { "\($0)" } ?? "null" }
        withLoop { loop in
            let server = Net.createServer(loop: loop) { c in
                c.write("hello")
                loop.setTimeout(50) { c.end(" world") }
            }
            listenLocal(server) { port in
                var client: Socket?
                var o = SocketConnectOptions(port: port, host: "127.0.0.1")
                o.onread = OnRead(memory: .buffer(memory)) { n, _ in
                    guard let s = client else { return true }
                    log("read \(n) \(s.bytesRead) \(s.isPaused()) \(flowing(s))")
                    loop.setTimeout(100) {
                        log("before resume \(s.isPaused()) \(flowing(s))")
                        s.resume()
                    }
                    return false
                }
                do throws(NetError) {
                    let s = try Net.connect(o, loop: loop)
                    client = s
                    s.on(.connect) { log("connect \(flowing(s))") }
                    s.on(.pause) { log("pause event") }
                    s.on(.resume) { log("resume event") }
                    s.on(.end) { log("end \(s.bytesRead)"); server.close() }
                    s.on(.close) { _ in log("close \(s.bytesRead)"); client = nil }
                } catch {
                    Issue.record("connect threw \(error)")
                    server.close()
                }
            }
        }
        #expect(log.entries == [
            "connect null", "read 5 5 false null", "before resume false null", "resume event",
            "read 6 11 false true", "before resume false true", "end 11", "close 11",
        ])
    }

    // A socket destroyed while its single lookup runs (no happy eyeballs) still emits 'lookup'
    // when the answer comes before 'close', then connects nowhere: Node's `lookupAndConnect`
    // emits first and checks `connecting` after. Happy eyeballs checks first and emits nothing.
    // node 20:
    //   for (const auto of [true, false]) {
    //     const s = net.connect({ port: 1, host: 'x.test', autoSelectFamily: auto,
    //       lookup: (h, o, cb) => process.nextTick(() => o.all
    //         ? cb(null, [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }])
    //         : cb(null, '::1', 6)) });
    //     s.on('lookup', (e, a) => log(auto, 'lookup', a)); s.on('close', (h) => log(auto, 'close', h));
    //     s.destroy();
    //   }
    //   // false lookup ::1 / false close false / true close false
    @Test(arguments: [false, true])
    func lookupAnsweredAfterDestroy(autoSelectFamily: Bool) {
        let log = Log()
        withLoop { loop in
            _ = Net.getDefaultAutoSelectFamily()
            var o = SocketConnectOptions(port: 1, host: "x.test")
            o.autoSelectFamily = autoSelectFamily
            o.lookup = fixedLookup([("::1", 6), ("127.0.0.1", 4)], loop: loop)
            do throws(NetError) {
                let s = try Net.connect(o, loop: loop)
                recordConnect(s, port: 1, into: log)
                s.destroy()
            } catch {
                Issue.record("connect threw \(error)")
            }
        }
        #expect(log.entries == (autoSelectFamily ? [] : ["lookup - ::1 6"]) + ["close false"])
    }
}

