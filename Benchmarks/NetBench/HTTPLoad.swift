#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Drives one HTTP server with `wrk` (`-t1`, keep-alive connections, `--latency`), pinned to the
/// load CPU, and samples the server's CPU time around the measured run.
///
/// `wrk` takes whole seconds, so the warm-up and the window are rounded up to at least 1 s. The
/// warm-up is a run of its own, waited for; the measured run is a second one, and the server's
/// CPU time is read just before it starts and just after its output ends (so its 64 connects and
/// closes, a few hundred µs, fall inside the window).
struct HTTPLoad {
    /// Path of `wrk`, if installed.
    let executable: String?
    /// CPU to pin it to, if any.
    let cpu: Int?
    /// Where its output goes when a run fails.
    let logDirectory: String

    /// `wrk` in `PATH`, if any.
    static func find() -> String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = String(directory) + "/wrk"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// What `wrk` printed, parsed.
    struct Summary: Equatable {
        /// `N requests in T`: completed requests.
        var requests: Double
        /// `… in T`: the run's length in seconds.
        var seconds: Double
        /// Latency percentiles from `--latency`, µs.
        var p50Micros: Double?
        var p99Micros: Double?
        /// `Socket errors: connect A, read B, write C, timeout D`: their sum.
        var socketErrors = 0
        /// `Non-2xx or 3xx responses: N`.
        var badResponses = 0
    }

    /// Parses `wrk --latency` output; nil without its `requests in` line.
    static func parse(_ lines: [String]) -> Summary? {
        var summary: Summary?
        var p50: Double?, p99: Double?, socketErrors = 0, bad = 0
        for raw in lines {
            let line = Substring(raw).trimmingSpaces()
            let words = line.split(separator: " ").map(String.init)
            if words.count >= 4, words[1] == "requests", words[2] == "in",
               let requests = Double(words[0]), let seconds = duration(words[3].trimmingCharacters(",")) {
                summary = Summary(requests: requests, seconds: seconds)
            } else if words.count == 2, words[0] == "50%" {
                p50 = duration(words[1]).map { $0 * 1e6 }
            } else if words.count == 2, words[0] == "99%" {
                p99 = duration(words[1]).map { $0 * 1e6 }
            } else if line.hasPrefix("Socket errors:") {
                socketErrors = words.compactMap { Int($0.trimmingCharacters(",")) }.reduce(0, +)
            } else if line.hasPrefix("Non-2xx or 3xx responses:") {
                bad = Int(words.last ?? "") ?? 0
            }
        }
        summary?.p50Micros = p50
        summary?.p99Micros = p99
        summary?.socketErrors = socketErrors
        summary?.badResponses = bad
        return summary
    }

    /// `wrk`'s durations: `812.00us`, `1.85ms`, `4.00s`, `1.00m`, in seconds.
    static func duration(_ text: String) -> Double? {
        for (unit, scale) in [("us", 1e-6), ("ms", 1e-3), ("s", 1.0), ("m", 60.0), ("h", 3600.0)]
        where text.hasSuffix(unit) {
            if let value = Double(text.dropLast(unit.count)) { return value * scale }
        }
        return nil
    }

    /// A run that produced no usable figure.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Warms `server` up, then measures it; the outcome has the fields `Measurement` reads
    /// (`requests`, `duration_s`, `p50_us`, `p99_us`, `client_cpu_pct`).
    func run(against server: EchoServer, connections: Int, warmup: Double, duration: Double,
             draining others: [LineReader] = []) throws -> LoadGenerator.Outcome {
        guard let executable else { throw Failure(description: "wrk not installed (make deps-bench)") }
        guard let portIndex = server.addressArguments.firstIndex(of: "--port"),
              portIndex + 1 < server.addressArguments.count else {
            throw Failure(description: "the http scenario runs over TCP only")
        }
        let url = "http://127.0.0.1:\(server.addressArguments[portIndex + 1])/"
        func seconds(_ s: Double) -> String { "\(max(1, Int(s.rounded(.up))))s" }
        let base = [executable, "-t1", "-c\(connections)"]
        let name = "wrk-\(server.kind.rawValue)"
        if warmup > 0 {
            _ = try wrk(base + ["-d" + seconds(warmup), url], name: name + "-warmup", budget: warmup, others)
        }
        let cpuStart = server.cpuSeconds()
        let machineStart = ProcessStats.machineBusySeconds()
        let (lines, clientCPU, wall) = try wrk(base + ["-d" + seconds(duration), "--latency", url],
                                               name: name, budget: duration, others)
        let cpuEnd = server.cpuSeconds()
        let machineEnd = ProcessStats.machineBusySeconds()
        guard let summary = Self.parse(lines) else {
            throw Failure(description: "wrk printed no result: " + lines.suffix(2).joined(separator: " / "))
        }
        if summary.socketErrors > 0 {
            throw Failure(description: "wrk: \(summary.socketErrors) socket errors (\(lines.first { $0.contains("Socket errors") }.map { Substring($0).trimmingSpaces() } ?? ""))")
        }
        if summary.badResponses > 0 {
            throw Failure(description: "wrk: \(summary.badResponses) non-2xx or 3xx responses")
        }
        var outcome = LoadGenerator.Outcome(fields: [
            "requests": String(summary.requests), "duration_s": String(summary.seconds),
        ])
        if let p50 = summary.p50Micros { outcome.fields["p50_us"] = String(p50) }
        if let p99 = summary.p99Micros { outcome.fields["p99_us"] = String(p99) }
        if let a = cpuStart, let b = cpuEnd { outcome.serverCPUSeconds = b - a }
        if let clientCPU, wall > 0 { outcome.fields["client_cpu_pct"] = String(100 * clientCPU / wall) }
        if let a = machineStart, let b = machineEnd, let server = outcome.serverCPUSeconds, let clientCPU, wall > 0 {
            outcome.otherCPUPercent = max(0, 100 * (b - a - server - clientCPU) / wall)
        }
        return outcome
    }

    /// Runs `wrk` to its end: its output lines, its own CPU seconds (read from /proc while it is
    /// a zombie, before it is reaped) and the wall-clock seconds it ran.
    private func wrk(_ arguments: [String], name: String, budget: Double,
                     _ others: [LineReader]) throws -> ([String], Double?, Double) {
        let logPath = logDirectory + "/\(name).log"
        let began = ContinuousClock.now
        let child = try ChildProcess.spawn(
            name: "wrk", arguments: CPUPinning.command(arguments, cpu: cpu),
            stdin: .null, stdout: .pipe, stderr: .file(logPath))
        let deadline = began + .seconds(max(1, budget.rounded(.up)) + 30)
        var lines: [String] = []
        reading: while true {
            switch child.stdout!.readLine(until: deadline, draining: others) {
            case .line(let line): lines.append(line)
            case .eof: break reading
            case .timeout:
                child.terminate(timeout: .seconds(5))
                throw Failure(description: "wrk did not finish within its window + 30 s")
            }
        }
        let wall = ProgressLog.seconds(since: began)
        let cpu = ProcessStats.cpuSeconds(pid: child.pid)
        let status = child.wait(timeout: .seconds(10))
        guard status == 0 else {
            let said = (lines + (ProcessStats.readFile(logPath) ?? "").split(separator: "\n").map(String.init))
                .suffix(2).joined(separator: " / ")
            throw Failure(description: "wrk failed (\(ChildProcess.describe(status: status)))" + (said.isEmpty ? "" : ": \(said)"))
        }
        return (lines, cpu, wall)
    }
}

extension String {
    /// The string without `character`s at either end.
    func trimmingCharacters(_ characters: Character) -> String {
        var s = Substring(self)
        while s.first == characters { s = s.dropFirst() }
        while s.last == characters { s = s.dropLast() }
        return String(s)
    }
}
