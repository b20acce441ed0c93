/// Runs every scenario against every server and collects the measurements.
///
/// For each transport it starts all selected servers once (each on port 0 or
/// its own socket file, pinned to the server CPU), runs the idle scenario
/// first (fresh servers give the cleanest memory figure), then the timed
/// scenarios. Each timed scenario runs `repetitions` times per server, the
/// server order reversed on every other repetition so slow drifts of a shared
/// machine hit every server alike; the best repetition is reported.
final class BenchmarkRunner {
    let launches: [ServerLaunch]
    let settings: RunSettings
    let pinning: CPUPinning
    let loadGenerator: LoadGenerator
    let directory: String
    let log: (String) -> Void

    /// Prepares a runner; `directory` holds sockets, logs and counter files.
    init(launches: [ServerLaunch], settings: RunSettings, pinning: CPUPinning,
         loadGenerator: LoadGenerator, directory: String, log: @escaping (String) -> Void) {
        self.launches = launches
        self.settings = settings
        self.pinning = pinning
        self.loadGenerator = loadGenerator
        self.directory = directory
        self.log = log
    }

    /// Runs `scenarios` over `transports`; one row per pair, table order.
    func runTable(scenarios: [Scenario], transports: [Transport]) -> [ScenarioRow] {
        var rows: [ScenarioRow] = []
        for transport in transports {
            var servers: [ServerKind: EchoServer] = [:]
            var missing: [ServerKind: String] = [:]
            for launch in launches where launch.kind.echoes {
                if launch.kind == .net2 && transport == .unix {
                    missing[launch.kind] = "TCP only (a loop group shares a port)"
                    continue
                }
                do {
                    let server = try EchoServer.start(
                        launch, transport: transport, directory: directory, cpu: launch.kind.serverCPU(pinning),
                        draining: servers.values.compactMap { $0.process.stdout })
                    servers[launch.kind] = server
                    log("\(launch.kind.rawValue) \(transport.rawValue): listening (pid \(server.pid))")
                } catch {
                    missing[launch.kind] = "\(error)"
                    log("\(launch.kind.rawValue) \(transport.rawValue): unavailable: \(error)")
                }
            }
            let order = scenarios.filter { $0 == .idle } + scenarios.filter { $0 != .idle }
            var byScenario: [Scenario: ScenarioRow] = [:]
            for scenario in order {
                byScenario[scenario] = runRow(scenario, transport, servers: &servers, missing: &missing)
            }
            for (kind, server) in servers.sorted(by: { $0.key < $1.key }) {
                let ended = server.stop(draining: servers.values.compactMap { $0.process.stdout })
                log("\(kind.rawValue) \(transport.rawValue): stopped (\(ended))")
                if kind == .net2, let spread = (ProcessStats.readFile(server.logPath) ?? "")
                    .split(separator: "\n").last(where: { $0.contains("connections per loop") }) {
                    log("\(kind.rawValue) \(transport.rawValue): \(spread.split(separator: ":", maxSplits: 1).last ?? spread)")
                }
            }
            rows += scenarios.compactMap { byScenario[$0] }
        }
        return rows
    }

    private func runRow(_ scenario: Scenario, _ transport: Transport,
                        servers: inout [ServerKind: EchoServer],
                        missing: inout [ServerKind: String]) -> ScenarioRow {
        var best: [ServerKind: Measurement] = [:]
        let repetitions = scenario == .idle ? 1 : max(1, settings.repetitions)
        let kinds = launches.map(\.kind).filter(\.echoes)
        for repetition in 0..<repetitions {
            for kind in repetition % 2 == 0 ? kinds : kinds.reversed() {
                guard let server = servers[kind] else { continue }
                if let status = server.process.pollExit() {
                    servers[kind] = nil
                    missing[kind] = "server exited (\(ChildProcess.describe(status: status))) before \(scenario.rawValue)"
                    log("\(kind.rawValue) \(transport.rawValue): \(missing[kind]!)")
                    continue
                }
                let others = servers.values.compactMap { $0.process.stdout }
                do {
                    var outcome = try loadGenerator.run(
                        settings.loadArguments(for: scenario), against: server, scenario: scenario,
                        draining: others)
                    var retries = 0
                    while let limit = settings.maxOtherLoadPercent, scenario != .idle,
                          retries < settings.contaminationRetries,
                          let other = outcome.otherCPUPercent, other > limit
                    {
                        retries += 1
                        log("\(scenario.rawValue)/\(transport.rawValue) \(kind.rawValue) #\(repetition + 1): "
                            + "other load \(Format.number(other))% > \(Format.number(limit))%, running again")
                        let again = try loadGenerator.run(
                            settings.loadArguments(for: scenario), against: server, scenario: scenario,
                            draining: others)
                        // Keep the least disturbed attempt.
                        if let otherAgain = again.otherCPUPercent, otherAgain < other { outcome = again }
                    }
                    var measurement = Measurement(server: kind, scenario: scenario, outcome: outcome)
                    if let previous = best[kind] {
                        let all = previous.repetitions + measurement.repetitions
                        if (previous.throughput ?? 0) >= (measurement.throughput ?? 0) { measurement = previous }
                        measurement.repetitions = all
                    }
                    best[kind] = measurement
                    log("\(scenario.rawValue)/\(transport.rawValue) \(kind.rawValue) #\(repetition + 1): "
                        + describe(outcome, scenario))
                } catch {
                    log("\(scenario.rawValue)/\(transport.rawValue) \(kind.rawValue): \(error)")
                    if best[kind] == nil { best[kind] = .missing(kind, "\(error)") }
                }
            }
        }
        var row = ScenarioRow(scenario: scenario, transport: transport, cells: kinds.map { kind in
            if let measurement = best[kind] { return measurement }
            return .missing(kind, missing[kind] ?? "not run")
        })
        row.compare()
        return row
    }

    /// Counts allocations of `kinds` (started with the malloc counter
    /// preloaded) in short stream, ping-pong and connect runs.
    func runAllocations(kinds: [ServerKind], library: String, transports: [Transport]) -> [AllocationMeasurement] {
        let scenarios: [Scenario] = [.stream, .pingpong, .connect]
        var results: [AllocationMeasurement] = []
        for transport in transports {
            for launch in launches where kinds.contains(launch.kind) {
                let kind = launch.kind
                let counter = MallocCounter(
                    path: directory + "/malloc-\(kind.rawValue)-\(transport.rawValue).count", library: library)
                let server: EchoServer
                do {
                    server = try EchoServer.start(
                        launch, transport: transport, directory: directory, cpu: launch.kind.serverCPU(pinning),
                        environment: counter.environment, tag: "-alloc")
                } catch {
                    results += scenarios.map {
                        AllocationMeasurement(server: kind, scenario: $0, transport: transport, unavailable: "\(error)")
                    }
                    continue
                }
                defer { server.stop() }
                guard counter.read() != nil else {
                    results += scenarios.map {
                        AllocationMeasurement(server: kind, scenario: $0, transport: transport,
                                              unavailable: "malloc counter not loaded")
                    }
                    continue
                }
                for scenario in scenarios {
                    results.append(countAllocations(scenario, transport, server: server, counter: counter))
                }
            }
        }
        return results
    }

    private func countAllocations(_ scenario: Scenario, _ transport: Transport,
                                  server: EchoServer, counter: MallocCounter) -> AllocationMeasurement {
        var result = AllocationMeasurement(server: server.kind, scenario: scenario, transport: transport)
        if let status = server.process.pollExit() {
            result.unavailable = "server exited (\(ChildProcess.describe(status: status)))"
            return result
        }
        do {
            let arguments = settings.loadArguments(
                for: scenario, warmup: settings.allocationWarmupSeconds,
                duration: settings.allocationDurationSeconds)
            let outcome = try loadGenerator.run(arguments, against: server, scenario: scenario, counter: counter)
            let units: Double?
            switch scenario {
            case .stream: units = outcome.number("bytes").map { $0 / 1_048_576 }
            case .pingpong: units = outcome.number("round_trips")
            default: units = outcome.number("completed")
            }
            result.units = units
            if let units, units > 0, let calls = outcome.allocations, let bytes = outcome.allocatedBytes {
                result.allocationsPerUnit = Double(calls) / units
                result.bytesPerUnit = Double(bytes) / units
            } else {
                result.unavailable = "no work measured"
            }
            log("allocations \(scenario.rawValue)/\(transport.rawValue) \(server.kind.rawValue): "
                + (result.allocationsPerUnit.map { Format.number($0) + " per \(scenario.unit)" } ?? "-"))
        } catch {
            result.unavailable = "\(error)"
            log("allocations \(scenario.rawValue)/\(transport.rawValue) \(server.kind.rawValue): \(error)")
        }
        return result
    }

    private func describe(_ outcome: LoadGenerator.Outcome, _ scenario: Scenario) -> String {
        let f = outcome.fields
        var text: String
        switch scenario {
        case .stream: text = "\(f["mib_per_s"] ?? "?") MiB/s"
        case .pingpong: text = "\(f["rtt_per_s"] ?? "?") round trips/s, p99 \(f["p99_us"] ?? "?") µs"
        case .connect: text = "\(f["conn_per_s"] ?? "?") connections/s"
        case .http, .proxy: text = ""  // not run here (ShapeRunner)
        case .idle:
            text = "\(f["ready"] ?? "?") idle connections, RSS \(outcome.residentBefore.map(String.init) ?? "?")"
                + " -> \(outcome.residentHolding.map(String.init) ?? "?") KiB"
        }
        if let cpu = outcome.serverCPUSeconds, scenario != .idle { text += ", server CPU \(Format.number(cpu)) s" }
        if let client = f["client_cpu_pct"] { text += ", client CPU \(client)%" }
        if let other = outcome.otherCPUPercent { text += ", other load \(Format.number(other))%" }
        let errors = (Int(f["errors"] ?? "0") ?? 0) + (Int(f["corrupt"] ?? "0") ?? 0)
        if errors > 0 { text += ", \(errors) errors" }
        return text
    }
}
