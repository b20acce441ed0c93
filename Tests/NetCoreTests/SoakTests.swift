import Testing
import Foundation
@testable import NetCore
import Net

/// Churn and load: many short connections, many idle ones. Short versions run in `make test`;
/// `make soak` (`SWIFT_NET_SOAK=1`) runs 100,000 cycles and 10,000 idle connections.
///
/// Tolerances. Descriptors this test holds on its own server port (`/proc/net/tcp` matched with
/// `/proc/self/fd`) must come back exactly to the listener alone, in every mode. The process-wide
/// figures (`/proc/self/fd` count, VmRSS) are printed always, and checked only under `make soak`,
/// where nothing else runs in the process: at most 4 more descriptors and 8 MiB more resident
/// memory after the measured cycles than before them (after a warm-up), which is about 80 bytes
/// per cycle over 100,000 cycles.
@Suite(.serialized) struct SoakTests {
    static let rssToleranceKiB = 8 << 10
    static let fdTolerance = 4

    @Test func connectWriteEndChurnLeavesNothingBehind() {
        let cycles = Soak.size(short: 3_000, long: 100_000)
        let warmup = Soak.size(short: 300, long: 2_000)
        let parallel = 32
        let payload = Buffer(patternBytes(512))
        var bytesAtServer = 0
        var errors: [String] = []
        var figures: (fds: Int, rss: Int, onPort: Int)?
        var after: (fds: Int, rss: Int, onPort: Int)?
        var measuredCycles = 0
        let start = Date()
        withLoop(timeout: Soak.enabled ? 900_000 : 120_000) { loop in
            var serverCloses = 0
            let server = Server(loop: loop) { socket in
                socket.on(.data) { bytesAtServer += $0.count }
                socket.on(.error) { errors.append("server side: \($0)") }
                socket.on(.close) { _ in serverCloses += 1 }
            }
            listenLocal(server) { port in
                func snapshot() -> (Int, Int, Int) {
                    (ProcStats.openDescriptors(), ProcStats.residentKiB(), ProcStats.descriptorsOnPort(port))
                }
                // Runs `n` cycles, `parallel` at a time; `done` once every socket on both ends closed.
                func run(_ n: Int, done: @escaping () -> Void) {
                    var started = 0
                    var closed = 0
                    let closesBefore = serverCloses
                    func settle() {
                        guard closed == n else { return }
                        if serverCloses - closesBefore == n { done(); return }
                        // The server side closes just after the client side: look again shortly.
                        loop.setTimeout(1) { settle() }
                    }
                    func startOne() {
                        guard started < n else { return }
                        started += 1
                        let c = dial(port, loop: loop)
                        c.on(.error) { errors.append("client: \($0)") }
                        c.on(.close) { _ in
                            closed += 1
                            startOne()
                            settle()
                        }
                        c.write(payload)
                        c.end()
                    }
                    for _ in 0..<Swift.min(parallel, n) { startOne() }
                }
                run(warmup) {
                    figures = snapshot()
                    run(cycles) {
                        measuredCycles = cycles
                        after = snapshot()
                        server.close()
                    }
                }
            }
        }
        let seconds = Date().timeIntervalSince(start)
        #expect(errors.isEmpty, "\(errors.count) errors, first: \(errors.prefix(3))")
        #expect(measuredCycles == cycles)
        #expect(bytesAtServer == (warmup + cycles) * payload.count)
        guard let before = figures, let after else {
            Issue.record("the churn did not finish")
            return
        }
        Soak.report("churn: \(cycles) connect-write-end cycles (+\(warmup) warm-up) in \(String(format: "%.1f", seconds)) s; "
            + "fds \(before.fds) -> \(after.fds), VmRSS \(before.rss) -> \(after.rss) KiB, "
            + "descriptors on the server port \(before.onPort) -> \(after.onPort)")
        #expect(before.onPort == 1 && after.onPort == 1, "descriptors on the server port: \(before.onPort) -> \(after.onPort)")
        if Soak.enabled {
            #expect(after.fds <= before.fds + Self.fdTolerance, "descriptors grew from \(before.fds) to \(after.fds)")
            #expect(after.rss <= before.rss + Self.rssToleranceKiB, "VmRSS grew from \(before.rss) to \(after.rss) KiB")
        }
    }

    /// Many idle connections to `net-echo` (in a child, so both ends fit under the descriptor
    /// limit): all held at once, each still answered, the server serving a newcomer; then all
    /// closed, the server back to its descriptor count, and serving again.
    @Test func manyIdleConnectionsHeldThenClosed() throws {
        let count = Soak.size(short: 1_000, long: 10_000)
        raiseDescriptorLimit()
        let echoPath = builtProduct("net-echo")
        try #require(FileManager.default.isExecutableFile(atPath: echoPath), "net-echo is not built at \(echoPath)")
        let echo = try #require(ChildProcess(echoPath, ["--port", "0", "--host", "127.0.0.1"]))
        defer { echo.stop() }
        let port = try #require(ChildProcess.port(fromListeningLine: echo.readLine()))
        let pid = echo.process.processIdentifier
        let childFds = ProcStats.openDescriptors(pid: pid)
        let childRSS = ProcStats.residentKiB(pid: pid)
        var peakFds = 0
        var peakRSS = 0
        var echoed = 0
        var closes = 0
        var served: [String] = []
        var settledFds = -1
        var errors: [String] = []
        withLoop(timeout: Soak.enabled ? 300_000 : 60_000) { loop in
            var sockets: [Socket] = []
            var connecting = 0
            var connected = 0
            /// A new client that sends `text` and records what comes back, then `next`.
            func probe(_ text: String, next: @escaping () -> Void) {
                let c = dial(port, loop: loop)
                var got = ""
                c.on(.data) { got += $0.toString(); if got == text { c.end() } }
                c.on(.error) { errors.append("probe: \($0)") }
                c.on(.close) { _ in served.append(got); next() }
                c.write(text)
            }
            func connectMore() {
                while connecting < 256 && sockets.count < count {
                    connecting += 1
                    let c = dial(port, loop: loop) {
                        connecting -= 1
                        connected += 1
                        if connected == count { allConnected() } else { connectMore() }
                    }
                    c.on(.error) { errors.append("idle: \($0)") }
                    c.on(.close) { _ in
                        closes += 1
                        if closes == count { waitForServerToSettle(attempt: 0) }
                    }
                    sockets.append(c)
                }
            }
            func allConnected() {
                // Every connection is live at the server: one byte each comes back.
                for c in sockets {
                    c.once(.data) { _ in
                        echoed += 1
                        if echoed == count { held() }
                    }
                    c.write("p")
                }
            }
            func held() {
                peakFds = ProcStats.openDescriptors(pid: pid)
                peakRSS = ProcStats.residentKiB(pid: pid)
                probe("while held") {
                    for c in sockets { c.destroy() }
                    sockets = []
                }
            }
            func waitForServerToSettle(attempt: Int) {
                // The server closes its ends as it reads each FIN; poll its descriptor count.
                let now = ProcStats.openDescriptors(pid: pid)
                if now <= childFds || attempt >= 1000 {
                    settledFds = now
                    probe("after close") {}
                } else {
                    loop.setTimeout(10) { waitForServerToSettle(attempt: attempt + 1) }
                }
            }
            connectMore()
        }
        Soak.report("idle: \(count) connections held; net-echo fds \(childFds) -> \(peakFds) -> \(settledFds), "
            + "VmRSS \(childRSS) -> \(peakRSS) -> \(ProcStats.residentKiB(pid: pid)) KiB")
        #expect(errors.isEmpty, "\(errors.count) errors, first: \(errors.prefix(3))")
        #expect(echoed == count)
        #expect(closes == count)
        #expect(peakFds >= childFds + count, "net-echo held \(peakFds) descriptors for \(count) connections")
        #expect(settledFds == childFds, "net-echo went from \(childFds) to \(settledFds) descriptors")
        #expect(served == ["while held", "after close"])
        kill(pid, SIGTERM)
        #expect(echo.waitForExit(timeout: 10) == 0, "net-echo did not exit 0 on SIGTERM")
    }
}

/// Raises this process's soft descriptor limit to the hard one (children inherit it).
func raiseDescriptorLimit() {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}
