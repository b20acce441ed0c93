/// A way to reach a server: TCP on 127.0.0.1 or a Unix socket in a temp directory.
enum Transport: String, Codable, CaseIterable {
    /// TCP over loopback.
    case tcp
    /// A Unix domain socket.
    case unix
}

/// A load generator scenario (see `Benchmarks/loadgen/loadgen.c`).
enum Scenario: String, Codable, CaseIterable {
    /// Bulk echo: 64 KiB chunks, at most 1 MiB unechoed per connection.
    case stream
    /// 64-byte messages, one outstanding per connection.
    case pingpong
    /// Open, echo 1 byte, close, repeat.
    case connect
    /// Many idle connections, for memory per connection.
    case idle
    /// HTTP/1.1 keep-alive requests from `wrk` (TCP only; see `HTTPLoad`).
    case http
    /// The stream load through a TCP proxy in front of `uv-echo` (TCP only; see `ShapeRunner`).
    case proxy

    /// The unit of work, used in "CPU per …" and "mallocs per …".
    var unit: String {
        switch self {
        case .stream: return "MiB"
        case .pingpong: return "round trip"
        case .connect: return "connection"
        case .idle: return "connection"
        case .http: return "request"
        case .proxy: return "MiB"
        }
    }

    /// The throughput's name and unit in the table.
    var throughputLabel: String {
        switch self {
        case .stream: return "MiB/s echoed"
        case .pingpong: return "round trips/s"
        case .connect: return "connections/s"
        case .idle: return "KiB RSS per idle connection"
        case .http: return "requests/s"
        case .proxy: return "MiB/s through the proxy"
        }
    }

    /// The scale of the CPU-per-unit figure in the table.
    var cpuLabel: String {
        switch self {
        case .stream: return "server CPU ms per MiB"
        case .pingpong: return "server CPU µs per round trip"
        case .connect: return "server CPU µs per connection"
        case .idle: return "server RSS MiB before"
        case .http: return "server CPU µs per request"
        case .proxy: return "proxy CPU µs per MiB"
        }
    }
}

/// How long and how hard each scenario runs.
struct RunSettings: Codable {
    /// Seconds of load before the measured window.
    var warmupSeconds: Double
    /// Seconds in the measured window.
    var durationSeconds: Double
    /// Repetitions of each timed scenario per server (the best is reported).
    var repetitions: Int
    /// Connections in the idle scenario.
    var idleConnections: Int
    /// Warm-up and window of the allocation-counting runs.
    var allocationWarmupSeconds: Double
    /// Measured window of the allocation-counting runs.
    var allocationDurationSeconds: Double
    /// Repeat a window when the rest of the machine used more than this much
    /// CPU (percent of one CPU) during it; nil: never.
    var maxOtherLoadPercent: Double? = nil
    /// How many times a contaminated window is repeated at most.
    var contaminationRetries = 2
    /// Connections of the stream scenario.
    var streamConnections = 4
    /// Connections of the ping-pong scenario.
    var pingpongConnections = 10
    /// Parallel workers of the connect scenario.
    var connectWorkers = 8
    /// Ping-pong message size in bytes.
    var messageSize = 64
    /// Connections of the proxy scenario's stream load.
    var proxyConnections = 8
    /// Connections `wrk` keeps open in the http scenario.
    var httpConnections = 64

    /// The default run (about 4 minutes with three servers on 2 CPUs).
    static let standard = RunSettings(
        warmupSeconds: 1, durationSeconds: 4, repetitions: 2, idleConnections: 10_000,
        allocationWarmupSeconds: 0.5, allocationDurationSeconds: 1.5)

    /// `--quick`: the whole run in well under a minute.
    static let quick = RunSettings(
        warmupSeconds: 0.3, durationSeconds: 1, repetitions: 1, idleConnections: 10_000,
        allocationWarmupSeconds: 0.2, allocationDurationSeconds: 0.5)

    /// Load generator arguments for `scenario` (without the address).
    func loadArguments(for scenario: Scenario, warmup: Double? = nil, duration: Double? = nil) -> [String] {
        let timing = ["--warmup", String(warmup ?? warmupSeconds), "--duration", String(duration ?? durationSeconds)]
        switch scenario {
        case .stream:
            return ["--scenario", "stream", "--connections", String(streamConnections),
                    "--chunk", "65536", "--window", "1048576"] + timing
        case .pingpong:
            return ["--scenario", "pingpong", "--connections", String(pingpongConnections),
                    "--size", String(messageSize)] + timing
        case .connect:
            return ["--scenario", "connect", "--connections", String(connectWorkers)] + timing
        case .proxy:
            return ["--scenario", "stream", "--connections", String(proxyConnections),
                    "--chunk", "65536", "--window", "1048576"] + timing
        case .http:
            return []  // driven by wrk (HTTPLoad), not by the load generator
        case .idle:
            return ["--scenario", "idle", "--count", String(idleConnections), "--concurrency", "64",
                    "--timeout", "60"]
        }
    }
}
