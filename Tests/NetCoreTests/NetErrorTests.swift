import Testing
@testable import NetCore

@Suite struct NetErrorTests {
    // node: test/parallel/test-net-connect-options-port.js (message text of a bad port)
    @Test func badPortMessageReadsAsNode() {
        let e = NetError.badPort(70000)
        #expect(e.code == .ERR_SOCKET_BAD_PORT)
        #expect(e.message == "Port should be >= 0 and < 65536. Received type number (70000).")
        #expect(e.name == "RangeError")
    }

    @Test func connectErrorCarriesHostAndPort() {
        let e = NetError.withHostPort(-111, syscall: "connect", address: "127.0.0.1", port: 4000)
        #expect(e.code == .ECONNREFUSED)
        #expect(e.message == "connect ECONNREFUSED 127.0.0.1:4000")
        #expect(e.errno == -111 && e.syscall == "connect" && e.address == "127.0.0.1" && e.port == 4000)
    }

    @Test func listenErrorHasUvText() {
        let e = NetError.uvWithHostPort(-98, syscall: "listen", address: "::", port: 8124)
        #expect(e.message == "listen EADDRINUSE: address already in use :::8124")
    }

    // An error is a value: changing a copy leaves the original as it was, and equality compares
    // every field. It is one reference wide, so awaited results that can carry one stay small.
    @Test func copiesAreIndependentValues() {
        var a = NetError(code: .ECONNREFUSED, message: "connect ECONNREFUSED 127.0.0.1:1")
        let b = a
        a.port = 1
        a.errors.append(b)
        #expect(b.port == nil && b.errors.isEmpty)
        #expect(a.port == 1 && a.errors == [b])
        #expect(a != b)
        var c = b
        c.port = 1
        c.errors = [b]
        #expect(c == a)
        c.message = "changed"
        #expect(c != a && a.message == "connect ECONNREFUSED 127.0.0.1:1")
        #expect(MemoryLayout<NetError>.size == MemoryLayout<AnyObject>.size)
    }
}
