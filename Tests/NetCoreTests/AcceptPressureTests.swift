import Testing
import Foundation
@testable import NetCore
import Net

/// A server that runs out of file descriptors reports it once, keeps listening without spinning,
/// and serves again once descriptors are free.
@Suite struct AcceptPressureTests {
    @Test func runningOutOfDescriptorsIsSurvivable() throws {
        let echoPath = builtProduct("net-echo")
        try #require(FileManager.default.isExecutableFile(atPath: echoPath), "net-echo is not built at \(echoPath)")
        // A low descriptor limit for the server only; its stderr joins stdout so we can read it.
        let echo = try #require(ChildProcess("/bin/sh", ["-c", "ulimit -n 32; exec \"$0\" --port 0 --host 127.0.0.1 2>&1", echoPath]))
        defer { echo.stop() }
        let port = try #require(ChildProcess.port(fromListeningLine: echo.readLine()))

        let clients = 60
        var echoed = 0
        var shed = 0
        var again = ""
        var errorLines: [String] = []
        var cpuDuringPressure: Double?
        withLoop(timeout: 30_000) { loop in
            var sockets: [Socket] = []
            func settled() {
                guard echoed + shed == clients else { return }
                // The server has hit its limit: it said so once, and is idle (not spinning).
                if let line = echo.readLine(timeout: 5) { errorLines.append(line) }
                let before = cpuSeconds(pid: echo.process.processIdentifier)
                _ = echo.readLine(timeout: 0.5).map { errorLines.append($0) }
                let after = cpuSeconds(pid: echo.process.processIdentifier)
                if let before, let after { cpuDuringPressure = after - before }
                let open = sockets.filter { !$0.destroyed }
                sockets = []
                var closed = 0
                for s in open {
                    s.on(.close) { _ in
                        closed += 1
                        if closed == open.count { connectAgain(attempt: 1) }
                    }
                    s.destroy()
                }
                if open.isEmpty { connectAgain(attempt: 1) }
            }
            // The server frees its descriptors as it sees the closes: retry until it serves.
            func connectAgain(attempt: Int) {
                let c = dial(port, loop: loop)
                var served = false
                c.on(.data) { again += $0.toString(); served = true; c.end() }
                c.on(.error) { _ in }
                c.on(.close) { _ in
                    if !served && attempt < 100 { loop.setTimeout(20) { connectAgain(attempt: attempt + 1) } }
                }
                c.write("again")
            }
            for _ in 0..<clients {
                let c = dial(port, loop: loop)
                sockets.append(c)
                var counted = false
                c.on(.data) { _ in
                    if !counted { counted = true; echoed += 1; settled() }
                }
                c.on(.error) { _ in }
                c.on(.close) { _ in if !counted { counted = true; shed += 1; settled() } }
                c.write("x")
            }
        }
        #expect(echoed > 0 && shed > 0, "expected some connections served and some shed: \(echoed)/\(shed)")
        #expect(errorLines.count == 1, "the shortage was reported \(errorLines.count) times: \(errorLines)")
        #expect(errorLines.first?.contains("accept EMFILE") == true)
        #expect((cpuDuringPressure ?? 1) < 0.2, "server used \(cpuDuringPressure ?? -1) s of CPU while idle")
        #expect(again == "again")
    }
}

/// User plus system CPU seconds of a process, from /proc.
func cpuSeconds(pid: Int32) -> Double? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let u = Double(fields[11]), let s = Double(fields[12]) else { return nil }
    return (u + s) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
