/// One server's figures for one scenario over one transport (a table cell).
struct Measurement: Codable {
    /// Which server.
    var server: ServerKind
    /// Why there are no figures (server unavailable, crashed, load failed).
    var unavailable: String?
    /// Work per second (MiB/s, round trips/s, connections/s); for `idle`, KiB
    /// of server RSS per idle connection.
    var throughput: Double?
    /// Server CPU seconds per unit of work (per MiB, round trip, connection).
    var cpuSecondsPerUnit: Double?
    /// Latency percentiles in microseconds (ping-pong round trip, connect).
    var p50Micros: Double?
    /// 99th percentile latency in microseconds.
    var p99Micros: Double?
    /// 99.9th percentile latency in microseconds.
    var p999Micros: Double?
    /// The load generator's own CPU use in the window (100 = one core busy).
    var clientCPUPercent: Double?
    /// CPU used by everything else on the machine during the window, in
    /// percent of one CPU (other tenants of a shared machine, interrupts).
    var otherCPUPercent: Double?
    /// Connection errors and corrupt echoes the load generator counted.
    var errors: Int = 0
    /// Idle scenario: server RSS before connecting, KiB.
    var residentBeforeKiB: Int?
    /// Idle scenario: server RSS holding every connection, KiB.
    var residentHoldingKiB: Int?
    /// Idle scenario: connections held.
    var idleConnections: Int?
    /// Throughput of every repetition, in run order (the best one is reported).
    var repetitions: [Double] = []
    /// Ratios to the row's reference, raw libuv (`uv-echo`) or in the proxy row HAProxy, filled
    /// in when the row is complete.
    var versusUV: Ratios?
    /// Ratios to Node (`node-echo`), filled in when the row is complete.
    var versusNode: Ratios?

    /// A figure divided by the same figure of another server.
    struct Ratios: Codable {
        /// Throughput ratio (above 1: more work per second).
        var throughput: Double?
        /// CPU-per-unit ratio (above 1: more CPU per unit of work).
        var cpuSecondsPerUnit: Double?
    }

    /// A cell with no figures.
    static func missing(_ server: ServerKind, _ reason: String) -> Measurement {
        Measurement(server: server, unavailable: reason)
    }

    /// Builds the figures of a timed scenario from one load generator run.
    init(server: ServerKind, scenario: Scenario, outcome: LoadGenerator.Outcome) {
        self.server = server
        let seconds = outcome.number("duration_s") ?? 0
        let work: Double?
        switch scenario {
        case .stream, .proxy: work = outcome.number("bytes").map { $0 / 1_048_576 }
        case .pingpong: work = outcome.number("round_trips")
        case .connect: work = outcome.number("completed")
        case .http: work = outcome.number("requests")
        case .idle: work = nil
        }
        if let work, seconds > 0 {
            throughput = work / seconds
            if let cpu = outcome.serverCPUSeconds, work > 0 { cpuSecondsPerUnit = cpu / work }
            repetitions = [work / seconds]
        }
        p50Micros = outcome.number("p50_us")
        p99Micros = outcome.number("p99_us")
        p999Micros = outcome.number("p999_us")
        clientCPUPercent = outcome.number("client_cpu_pct")
        otherCPUPercent = outcome.otherCPUPercent
        errors = Int(outcome.number("errors") ?? 0) + Int(outcome.number("corrupt") ?? 0)
        if scenario == .idle {
            residentBeforeKiB = outcome.residentBefore
            residentHoldingKiB = outcome.residentHolding
            let held = Int(outcome.number("ready") ?? 0)
            idleConnections = held
            if let before = outcome.residentBefore, let holding = outcome.residentHolding, held > 0 {
                throughput = Double(holding - before) / Double(held)
            }
        }
    }

    private init(server: ServerKind, unavailable: String) {
        self.server = server
        self.unavailable = unavailable
    }

    /// Fills `versusUV` and `versusNode` from the other cells of the row.
    mutating func compare(uv: Measurement?, node: Measurement?) {
        func ratios(_ other: Measurement?) -> Ratios? {
            guard let other, other.server != server, other.unavailable == nil, unavailable == nil else { return nil }
            return Ratios(
                throughput: divide(throughput, other.throughput),
                cpuSecondsPerUnit: divide(cpuSecondsPerUnit, other.cpuSecondsPerUnit))
        }
        versusUV = ratios(uv)
        versusNode = ratios(node)
    }

    private func divide(_ a: Double?, _ b: Double?) -> Double? {
        guard let a, let b, b != 0 else { return nil }
        return a / b
    }
}

/// A row of the table: one scenario over one transport, a cell per server.
struct ScenarioRow: Codable {
    /// The scenario.
    var scenario: Scenario
    /// The transport.
    var transport: Transport
    /// One measurement per selected server, in `ServerKind` order.
    var cells: [Measurement]

    /// Computes every cell's ratios to the row's reference (`uv-echo`, or HAProxy in the proxy
    /// row: see `Scenario.reference`) and to `node-echo`.
    mutating func compare() {
        let uv = cells.first { $0.server == scenario.reference }
        let node = cells.first { $0.server == .node }
        for i in cells.indices { cells[i].compare(uv: uv, node: node) }
    }
}

/// Allocations per unit of work for one server, scenario and transport.
struct AllocationMeasurement: Codable {
    /// Which server.
    var server: ServerKind
    /// The scenario (stream, pingpong or connect).
    var scenario: Scenario
    /// The transport.
    var transport: Transport
    /// Allocation calls per unit (per MiB echoed, round trip, connection).
    var allocationsPerUnit: Double?
    /// Bytes those calls asked for, per unit.
    var bytesPerUnit: Double?
    /// Units of work in the window.
    var units: Double?
    /// Why there are no figures.
    var unavailable: String?
}

/// Everything one run measured (what `--json` writes).
struct BenchmarkReport: Codable {
    /// The machine.
    var machine: MachineInfo
    /// How processes were pinned.
    var pinning: CPUPinning
    /// Durations and loads.
    var settings: RunSettings
    /// The servers asked for (the table's columns).
    var servers: [ServerKind]
    /// Servers that could not be built or started at all: name and reason.
    var unavailable: [String: String]
    /// The table.
    var rows: [ScenarioRow]
    /// The allocation section.
    var allocations: [AllocationMeasurement]
    /// Wall-clock seconds of the whole run, builds included.
    var elapsedSeconds: Double
}
