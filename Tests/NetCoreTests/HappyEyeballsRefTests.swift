import Testing
@testable import NetCore
import Net

/// `unref()` and the idle timer while happy-eyeballs attempts run: in Node the attempt's handle
/// is the socket's own, so both reach it.
@Suite struct HappyEyeballsRefTests {
    // unref() and ref() during the attempts reach the handle of the attempt that is running
    // (a black hole: a full accept queue), and an attempt started after unref() starts
    // unref'd. (libuv keeps the loop alive for the pending connect request itself, so this
    // is seen on the handles, not through the loop ending.)
    @Test func refAndUnrefReachTheRunningAttempt() throws {
        let hole1 = try #require(RawListener(host: "127.0.0.2", full: true))
        defer { hole1.close() }
        let hole2 = try #require(RawListener(host: "127.0.0.3", port: hole1.port, full: true))
        defer { hole2.close() }
        var seen: [String] = []
        withLoop { loop in
            var options = SocketConnectOptions(port: hole1.port, host: "holes.test")
            options.lookup = fixedLookup([("127.0.0.2", 4), ("127.0.0.3", 4)])
            options.autoSelectFamily = true
            options.autoSelectFamilyAttemptTimeout = 50
            let s = Socket(loop: loop)
            func refs() -> String {
                (s.cold?.attempts ?? []).map { $0.handleIsRefed.map { $0 ? "ref" : "unref" } ?? "none" }.joined(separator: ",")
            }
            s.on(.connectionAttempt) { e in
                loop.nextTick {
                    seen.append("\(e.address) \(refs())")
                    if e.address == "127.0.0.2" {
                        s.unref()
                        seen.append("unref \(refs())")
                    } else {
                        s.ref()
                        seen.append("ref \(refs())")
                        s.destroy()
                    }
                }
            }
            s.on(.error) { Issue.record("error \($0)") }
            _ = try? s.connect(options)
        }
        #expect(seen == ["127.0.0.2 ref", "unref unref", "127.0.0.3 unref", "ref ref"])
    }

    // ref() again during the attempts keeps the loop running until the connect ends.
    @Test func refAfterUnrefKeepsTheAttemptsRunning() throws {
        var outcome = ""
        withLoop { loop in
            let server = Server(loop: loop) { $0.end() }
            listenLocal(server) { port in
                var options = SocketConnectOptions(port: port, host: "two.test")
                options.lookup = fixedLookup([("::1", 6), ("127.0.0.1", 4)])
                options.autoSelectFamily = true
                let s = Socket(loop: loop)
                s.unref()
                s.on(.connectionAttempt) { _ in s.ref() }
                s.on(.connect) { outcome = "connect" }
                s.on(.error) { outcome = "error \($0.code)" }
                s.resume()
                s.on(.close) { _ in server.close() }
                _ = try? s.connect(options)
            }
        }
        #expect(outcome == "connect")
    }
}
