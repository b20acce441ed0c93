#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs `Benchmarks/bin/loadgen` against one server and samples the server
/// around the load generator's measured window.
///
/// The load generator prints `start` when its warm-up ends and one
/// `result key=value …` line when the window ends; the driver reads the
/// server's CPU time (and allocation counter) exactly at those two lines.
struct LoadGenerator {
    /// Path of the compiled load generator.
    let executable: String
    /// CPU to pin it to, if any.
    let cpu: Int?
    /// Where its stderr goes.
    let logDirectory: String

    /// What one run measured.
    struct Outcome {
        /// The result line's `key=value` pairs.
        var fields: [String: String]
        /// Server CPU seconds spent inside the window.
        var serverCPUSeconds: Double?
        /// Allocation calls inside the window (when counting).
        var allocations: UInt64?
        /// Bytes those allocations asked for.
        var allocatedBytes: UInt64?
        /// CPU the rest of the machine used in the window (neither server nor
        /// load generator), in percent of one CPU: other tenants, interrupts.
        var otherCPUPercent: Double?
        /// Idle scenario: server RSS in KiB before connecting.
        var residentBefore: Int?
        /// Idle scenario: server RSS in KiB with every connection open.
        var residentHolding: Int?

        /// A numeric field of the result line.
        func number(_ key: String) -> Double? { fields[key].flatMap(Double.init) }
    }

    /// A run that produced no usable result.
    struct Failure: Error, CustomStringConvertible {
        /// The reason, for the report.
        var description: String
    }

    /// Actions run first thing at the `start` and `result` lines (before any
    /// other sampling), e.g. dumping the server's instruction counters.
    struct WindowHooks {
        /// Runs when the load generator prints `start`.
        var atStart: () throws -> Void
        /// Runs when it prints its `result` line.
        var atResult: () throws -> Void
    }

    /// Runs `arguments` against `server`; `counter` samples allocations,
    /// `hooks` run at the window's two edges.
    func run(_ arguments: [String], against server: EchoServer, scenario: Scenario,
             counter: MallocCounter? = nil, hooks: WindowHooks? = nil,
             draining others: [LineReader] = []) throws -> Outcome {
        let logPath = logDirectory + "/loadgen-\(server.kind.rawValue)-\(scenario.rawValue).log"
        let holds = scenario == .idle
        let residentBefore = holds ? server.residentKiB() : nil
        let child = try ChildProcess.spawn(
            name: "loadgen",
            arguments: CPUPinning.command([executable] + arguments + server.addressArguments, cpu: cpu),
            stdin: holds ? .pipe : .null, stdout: .pipe, stderr: .file(logPath))
        defer { if child.isRunning { child.terminate(timeout: .seconds(5), draining: others) } }

        var cpuStart = holds ? server.cpuSeconds() : nil
        var allocStart = holds ? counter?.read() : nil
        var machineStart = holds ? ProcessStats.machineBusySeconds() : nil
        var outcome = Outcome(fields: [:])
        let timeout = Duration.seconds(
            (Double(argument("--warmup", in: arguments) ?? "0") ?? 0)
            + (Double(argument("--duration", in: arguments) ?? "0") ?? 0) + 90)
        let deadline = ContinuousClock.now + timeout
        reading: while true {
            switch child.stdout!.readLine(until: deadline, draining: others) {
            case .line("start"):
                try hooks?.atStart()
                cpuStart = server.cpuSeconds()
                allocStart = counter?.read()
                machineStart = ProcessStats.machineBusySeconds()
            case .line(let line) where line.hasPrefix("result "):
                if !line.contains(" timeout=1") { try hooks?.atResult() }
                let cpuEnd = server.cpuSeconds()
                let allocEnd = counter?.read()
                let machineEnd = ProcessStats.machineBusySeconds()
                if holds { outcome.residentHolding = server.residentKiB() }
                outcome.fields = Self.parse(line)
                if let a = cpuStart, let b = cpuEnd { outcome.serverCPUSeconds = b - a }
                if let a = machineStart, let b = machineEnd, let server = outcome.serverCPUSeconds,
                   let seconds = outcome.number("duration_s"), seconds > 0,
                   let client = outcome.number("client_cpu_pct")
                {
                    outcome.otherCPUPercent = max(0, 100 * (b - a - server) / seconds - client)
                }
                if let a = allocStart, let b = allocEnd {
                    outcome.allocations = b.calls &- a.calls
                    outcome.allocatedBytes = b.bytes &- a.bytes
                }
                break reading
            case .line:
                continue
            case .eof:
                throw Failure(description: "load generator exited without a result" + stderrTail(logPath))
            case .timeout:
                throw Failure(description: "load generator gave no result within \(timeout)")
            }
        }
        outcome.residentBefore = residentBefore
        if holds { child.closeStdin() }
        let status = child.wait(timeout: .seconds(30), draining: others)
        if outcome.fields["timeout"] == "1" || status != 0 {
            throw Failure(description:
                "load generator failed (\(ChildProcess.describe(status: status)))" + stderrTail(logPath))
        }
        return outcome
    }

    /// Splits `result k=v k=v` into a dictionary.
    static func parse(_ line: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in line.split(separator: " ").dropFirst() {
            guard let eq = pair.firstIndex(of: "=") else { continue }
            fields[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
        }
        return fields
    }

    private func argument(_ name: String, in arguments: [String]) -> String? {
        guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
        return arguments[i + 1]
    }

    private func stderrTail(_ path: String) -> String {
        let tail = (ProcessStats.readFile(path) ?? "").split(separator: "\n").suffix(2).joined(separator: " / ")
        return tail.isEmpty ? "" : ": \(tail)"
    }
}
