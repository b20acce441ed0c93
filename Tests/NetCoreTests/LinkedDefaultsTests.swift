import Testing
@testable import NetCore
@testable import Net

/// Node's defaults come with the `Net` module being part of the program, not with a call into
/// it: NetCore finds `Net.NodeDefaults` through the Swift runtime (see `ConnectDefaults`).
@Suite struct LinkedDefaultsTests {
    // The strategy is found by name, with nothing installed: the mangled name NetCore looks for
    // is the one of the type `Net` declares.
    @Test func netCoreFindsTheNetModulesStrategyByName() {
        #expect(_mangledTypeName(NodeDefaults.self) == ConnectDefaults.providerTypeName)
        #expect(ConnectDefaults.shared.strategy is AutoSelectFamily)
    }

    // node: test/parallel/test-net-autoselectfamily-default.js — with the default on, a plain
    // `Socket().connect` to a name answering ::1 (refusing) and 127.0.0.1 tries both, whatever
    // ran before it: this test calls nothing in `Net` first.
    @Test func aPlainSocketConnectTriesEveryAddress() {
        var attempted: [String]?
        var reply = ""
        withLoop { loop in
            let server = Server(loop: loop) { $0.end("hi") }
            listenLocal(server) { port in
                var options = SocketConnectOptions(port: port, host: "two.test")
                options.lookup = fixedLookup([("::1", 6), ("127.0.0.1", 4)])
                let socket = Socket(loop: loop)
                socket.setEncoding(.utf8)
                socket.on(.text) { reply += $0 }
                socket.on(.error) { Issue.record("error \($0)") }
                socket.on(.close) { _ in
                    attempted = socket.autoSelectFamilyAttemptedAddresses
                    server.close()
                }
                do { try socket.connect(options) } catch { Issue.record("connect threw \(error)") }
            }
        }
        #expect(reply == "hi")
        #expect(attempted?.count == 2)
        #expect(attempted?.first?.hasPrefix("::1:") == true)
    }
}
