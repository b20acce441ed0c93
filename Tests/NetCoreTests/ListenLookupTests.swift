import Testing
@testable import NetCore
import Net

/// Listening on a host name: the lookup (here the `lookup` option standing in for Node's
/// mocked `dns.lookup`), its errors, and the link-local addresses Node skips.
@Suite struct ListenLookupTests {
    /// Listens on `host` answered by `lookup`; gives the bound address text and family, or the
    /// error.
    static func listen(answering lookup: @escaping LookupFunction) -> (address: String?, family: String?, error: NetError?) {
        var result: (String?, String?, NetError?) = (nil, nil, nil)
        withLoop { loop in
            let server = Server(loop: loop)
            server.on(.error) { [unowned server] error in
                result.2 = error
                server.removeAllListeners()
            }
            var options = ListenOptions(port: 0, host: "ipv6_link_local")
            options.lookup = lookup
            do {
                try server.listen(options) {
                    if case .inet(let info)? = try? server.address() { result = (info.address, info.family, nil) }
                    server.close()
                }
            } catch {
                Issue.record("listen threw \(error)")
            }
        }
        return result
    }

    static func answering(_ list: [(String, Int)]) -> LookupFunction {
        { _, options, callback in
            #expect(options.all)
            callback(nil, list.map { LookupAddress(address: $0.0, family: $0.1) })
        }
    }

    // node: test/sequential/test-net-server-listen-ipv6-link-local.js — a failing lookup is the
    // server's 'error' as it is.
    @Test func aLookupErrorIsEmitted() {
        let r = Self.listen { _, _, callback in callback(NetError(code: "EMOCK", message: "Mocked error"), []) }
        #expect(r.error?.message == "Mocked error")
    }

    // node: test/sequential/test-net-server-listen-ipv6-link-local.js — a lone link-local
    // answer is tried (there is nothing else) and fails to listen, naming fe80::1.
    @Test func aLoneLinkLocalAddressFailsToListen() {
        let r = Self.listen(answering: Self.answering([("fe80::1", 6)]))
        #expect(r.error?.address == "fe80::1")
        #expect(r.error?.syscall == "listen")
    }

    // node: test/sequential/test-net-server-listen-ipv6-link-local.js — among many addresses of
    // fe80::/10 (fe80 … febf), 127.0.0.1 is the one listened on.
    @Test func everyLinkLocalAddressIsSkipped() {
        var list: [(String, Int)] = [
            "fe80::1", "fe80::abcd:1234", "fe80::1ff:fe23:4567:890a", "fe80::200:5aee:feaa:20a2",
            "fe80::f2de:f1ff:fe2b:3c4b", "fe81::1", "fe82::abcd:1234", "fe83::1ff:fe23:4567:890a",
            "fe84::200:5aee:feaa:20a2", "fe85::f2de:f1ff:fe2b:3c4b", "fe86::1", "fe87::abcd:1234",
            "fe88::1ff:fe23:4567:890a", "fe89::200:5aee:feaa:20a2", "fe8a::f2de:f1ff:fe2b:3c4b",
            "fe8b::1", "fe8c::abcd:1234", "fe8d::1ff:fe23:4567:890a", "fe8e::200:5aee:feaa:20a2",
            "fe8f::f2de:f1ff:fe2b:3c4b", "fea0::1", "febf::abcd:1234", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        ].map { ($0, 6) }
        list.append(("127.0.0.1", 4))
        let r = Self.listen(answering: Self.answering(list))
        #expect(r.error == nil)
        #expect(r.address == "127.0.0.1")
        #expect(r.family == "IPv4")
    }

    // node: test/sequential/test-net-server-listen-ipv6-link-local.js — ::1 after a link-local
    // address is the one listened on.
    @Test func ipv6LoopbackAfterALinkLocalAddress() {
        let r = Self.listen(answering: Self.answering([("fe80::1", 6), ("::1", 6)]))
        #expect(r.error == nil)
        #expect(r.address == "::1")
        #expect(r.family == "IPv6")
    }

    // fe80::/10 is exactly the link-local range: fec0:: and fe7f:: are outside it.
    @Test func linkLocalRange() {
        for text in ["fe80::", "fe80::1", "febf:ffff::1", "FEA0::1"] {
            #expect(IPAddress(text)?.isIPv6LinkLocal == true, "\(text)")
        }
        for text in ["fec0::1", "fe7f::1", "::1", "127.0.0.1", "ff02::1"] {
            #expect(IPAddress(text)?.isIPv6LinkLocal == false, "\(text)")
        }
    }
}
