/// The rows whose servers run in another mode than echo, over TCP only: `http` (each server in
/// its HTTP mode, driven by `wrk`) and `proxy` (each proxy in front of `uv-echo`, driven by the
/// load generator's stream load). Servers start fresh for each row and stop after it; as in the
/// echo rows, each server runs `repetitions` times, the order reversed every other time, and the
/// best repetition counts.
extension BenchmarkRunner {
    /// Runs the `http` and `proxy` rows among `scenarios`, in that order of appearance.
    ///
    /// - Parameters:
    ///   - http: the `wrk` driver.
    ///   - backend: how to start `uv-echo`, the proxies' backend.
    func runShapes(_ scenarios: [Scenario], http: HTTPLoad, backend: ServerLaunch) -> [ScenarioRow] {
        scenarios.compactMap { scenario in
            switch scenario {
            case .http: return runHTTPRow(http)
            case .proxy: return runProxyRow(backend: backend)
            default: return nil
            }
        }
    }

    private func runHTTPRow(_ http: HTTPLoad) -> ScenarioRow {
        let kinds = launches.map(\.kind).filter { $0.takesPart(in: .http) }
        var servers: [ServerKind: EchoServer] = [:]
        var missing: [ServerKind: String] = [:]
        for launch in launches where kinds.contains(launch.kind) {
            let kind = launch.kind
            guard let extra = kind.httpArguments else {
                missing[kind] = "no HTTP mode"
                continue
            }
            guard http.executable != nil else {
                missing[kind] = "wrk not installed (make deps-bench)"
                continue
            }
            var inHTTPMode = launch
            inHTTPMode.command = launch.command.map { $0 + extra }
            start(kind, "http", &servers, &missing) {
                try EchoServer.start(inHTTPMode, transport: .tcp, directory: directory, cpu: kind.serverCPU(pinning),
                                     tag: "-http", draining: $0)
            }
        }
        let connections = settings.httpConnections
        let row = measureRow(.http, kinds: kinds, servers: &servers, missing: &missing) { server, others in
            try http.run(against: server, connections: connections, warmup: settings.warmupSeconds,
                         duration: settings.durationSeconds, draining: others)
        }
        stopAll(servers, "http")
        return row
    }

    private func runProxyRow(backend: ServerLaunch) -> ScenarioRow {
        let kinds = launches.map(\.kind).filter { $0.takesPart(in: .proxy) }
        var servers: [ServerKind: EchoServer] = [:]
        var missing: [ServerKind: String] = [:]
        // The backend shares the load CPU with the load generator; the proxy has the server CPU.
        let echo: EchoServer
        do {
            echo = try EchoServer.start(backend, transport: .tcp, directory: directory, cpu: pinning.loadCPU,
                                        tag: "-backend")
            log("proxy backend uv-echo: listening (pid \(echo.pid))")
        } catch {
            log("proxy backend uv-echo: unavailable: \(error)")
            return ScenarioRow(scenario: .proxy, transport: .tcp,
                               cells: kinds.map { .missing($0, "backend uv-echo unavailable: \(error)") })
        }
        let backendPort = echo.addressArguments.last ?? "0"
        for launch in launches where kinds.contains(launch.kind) {
            let kind = launch.kind
            if kind == .haproxy || kind == .haproxySplice {
                start(kind, "proxy", &servers, &missing) {
                    try HAProxy.start(launch, backendPort: Int(backendPort) ?? 0, directory: directory,
                                      cpu: pinning.serverCPU, draining: $0)
                }
                continue
            }
            guard let extra = kind.proxyArguments(to: "127.0.0.1:\(backendPort)") else { continue }
            var asProxy = launch
            asProxy.command = launch.command.map { $0 + extra }
            start(kind, "proxy", &servers, &missing) {
                try EchoServer.start(asProxy, transport: .tcp, directory: directory, cpu: kind.serverCPU(pinning),
                                     tag: "-proxy", draining: $0)
            }
        }
        let arguments = settings.loadArguments(for: .proxy)
        let row = measureRow(.proxy, kinds: kinds, servers: &servers, missing: &missing) { server, others in
            // The backend's CPU in the window is neither the proxy's nor someone else's.
            let backendCPU = CPUWindow()
            let hooks = LoadGenerator.WindowHooks(
                atStart: { backendCPU.start = echo.cpuSeconds() },
                atResult: { backendCPU.end = echo.cpuSeconds() })
            var outcome = try loadGenerator.run(arguments, against: server, scenario: .proxy, hooks: hooks,
                                                draining: others + [echo.process.stdout].compactMap { $0 })
            if let other = outcome.otherCPUPercent, let used = backendCPU.seconds,
               let seconds = outcome.number("duration_s"), seconds > 0 {
                outcome.otherCPUPercent = max(0, other - 100 * used / seconds)
            }
            return outcome
        }
        stopAll(servers, "proxy")
        log("proxy backend uv-echo: stopped (\(echo.stop()))")
        return row
    }

    /// Starts one server of a row, recording it or why it is missing.
    private func start(_ kind: ServerKind, _ what: String, _ servers: inout [ServerKind: EchoServer],
                       _ missing: inout [ServerKind: String], _ body: ([LineReader]) throws -> EchoServer) {
        do {
            let server = try body(servers.values.compactMap { $0.process.stdout })
            servers[kind] = server
            log("\(kind.rawValue) \(what): listening (pid \(server.pid))")
        } catch {
            missing[kind] = "\(error)"
            log("\(kind.rawValue) \(what): unavailable: \(error)")
        }
    }

    private func stopAll(_ servers: [ServerKind: EchoServer], _ what: String) {
        for (kind, server) in servers.sorted(by: { $0.key < $1.key }) {
            let ended = server.stop(draining: servers.values.compactMap { $0.process.stdout })
            log("\(kind.rawValue) \(what): stopped (\(ended))")
        }
    }

    /// Runs `measure` against every started server `repetitions` times (order reversed every
    /// other time; a disturbed window run again as `--max-other-load` says) and keeps the best.
    private func measureRow(
        _ scenario: Scenario, kinds: [ServerKind], servers: inout [ServerKind: EchoServer],
        missing: inout [ServerKind: String],
        measure: (EchoServer, [LineReader]) throws -> LoadGenerator.Outcome
    ) -> ScenarioRow {
        var best: [ServerKind: Measurement] = [:]
        let name = "\(scenario.rawValue)/tcp"
        for repetition in 0..<max(1, settings.repetitions) {
            for kind in repetition % 2 == 0 ? kinds : kinds.reversed() {
                guard let server = servers[kind] else { continue }
                if let status = server.process.pollExit() {
                    servers[kind] = nil
                    missing[kind] = "server exited (\(ChildProcess.describe(status: status))) before \(scenario.rawValue)"
                    log("\(name) \(kind.rawValue): \(missing[kind]!)")
                    continue
                }
                let others = servers.values.filter { $0 !== server }.compactMap { $0.process.stdout }
                do {
                    var outcome = try measure(server, others)
                    var retries = 0
                    while let limit = settings.maxOtherLoadPercent, retries < settings.contaminationRetries,
                          let other = outcome.otherCPUPercent, other > limit {
                        retries += 1
                        log("\(name) \(kind.rawValue) #\(repetition + 1): other load \(Format.number(other))% > "
                            + "\(Format.number(limit))%, running again")
                        let again = try measure(server, others)
                        if let otherAgain = again.otherCPUPercent, otherAgain < other { outcome = again }
                    }
                    var measurement = Measurement(server: kind, scenario: scenario, outcome: outcome)
                    if let previous = best[kind], previous.unavailable == nil {
                        let all = previous.repetitions + measurement.repetitions
                        if (previous.throughput ?? 0) >= (measurement.throughput ?? 0) { measurement = previous }
                        measurement.repetitions = all
                    }
                    best[kind] = measurement
                    log("\(name) \(kind.rawValue) #\(repetition + 1): " + describe(measurement, scenario))
                } catch {
                    log("\(name) \(kind.rawValue): \(error)")
                    if best[kind] == nil { best[kind] = .missing(kind, "\(error)") }
                }
            }
        }
        var row = ScenarioRow(scenario: scenario, transport: .tcp, cells: kinds.map { kind in
            best[kind] ?? .missing(kind, missing[kind] ?? "not run")
        })
        row.compare()
        return row
    }

    private func describe(_ m: Measurement, _ scenario: Scenario) -> String {
        var text = (m.throughput.map(Format.number) ?? "?") + " " + (scenario == .http ? "requests/s" : "MiB/s")
        if let cpu = m.cpuSecondsPerUnit {
            text += ", server CPU \(Format.number(cpu * 1e6)) µs per \(scenario.unit)"
        }
        if let p99 = m.p99Micros { text += ", p99 \(Format.number(p99)) µs" }
        if let client = m.clientCPUPercent { text += ", client CPU \(Format.number(client))%" }
        if let other = m.otherCPUPercent { text += ", other load \(Format.number(other))%" }
        if m.errors > 0 { text += ", \(m.errors) errors" }
        return text
    }
}

/// CPU seconds of a process between two samples taken by the load generator's window hooks.
private final class CPUWindow {
    var start: Double?
    var end: Double?
    var seconds: Double? {
        guard let start, let end else { return nil }
        return end - start
    }
}
