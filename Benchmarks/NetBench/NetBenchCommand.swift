import ArgumentParser
import Foundation

/// `net-bench`: the benchmark driver. Its default subcommand, `table`, runs
/// every scenario; `instructions` counts instructions per round trip.
@main
struct NetBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "net-bench",
        abstract: "Benchmark swift-net's echo server against Node net and raw libuv in C.",
        subcommands: [TableCommand.self, InstructionsCommand.self, ClientCommand.self],
        defaultSubcommand: TableCommand.self)

    /// Parses a comma-separated option into distinct values, in order.
    static func parseList<T: Equatable>(_ text: String, _ make: (String) -> T?, _ what: String) throws -> [T] {
        var values: [T] = []
        for item in text.split(separator: ",") {
            let name = item.trimmingSpaces()
            guard let value = make(name) else {
                throw ValidationError("unknown \(what) '\(name)'")
            }
            if !values.contains(value) { values.append(value) }
        }
        guard !values.isEmpty else { throw ValidationError("no \(what) given") }
        return values
    }
}

/// `net-bench [table]`: measures swift-net's `net-echo` against Node's `net`
/// and raw libuv in C, with the same C load generator, and prints one table.
struct TableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "table",
        abstract: "Benchmark servers: swift-net (net-echo), Node net (node-echo) and libuv C (uv-echo); echo, HTTP and proxy rows.",
        discussion: """
            Builds the C programs (cc -O2, into Benchmarks/bin) and net-echo (swift build -c release), \
            starts each server on a free port and on a Unix socket, runs the stream, pingpong, connect \
            and idle scenarios with Benchmarks/bin/loadgen, the http scenario (each server in its HTTP \
            mode) with wrk and the proxy scenario (each proxy in front of uv-echo) with the load \
            generator's stream load, and prints tables with each server's throughput and CPU per unit \
            of work, their ratios to libuv (HAProxy in the proxy row) and to Node, and an allocation \
            section. See BENCHMARKS.md.
            """)

    @Flag(help: "A short run (whole run under a minute) for checking that everything works.")
    var quick = false

    @Option(help: ArgumentHelp(
        "Comma-separated servers to run: uv, node, net, net2, net-async, node-http, haproxy, haproxy-splice (the default), net-data, node-data, net-copy, nio, nio-async (SwiftNIO).",
        discussion: "net2 is net-echo --loops 2; net-data and node-data echo with on(data) + write; net-async is net-echo --async; node-http (http.createServer) runs in the http row only, haproxy, haproxy-splice (HAProxy splicing) and net-copy (net-echo --no-splice) in the proxy row only."))
    var servers: String = "uv,node,net,net2,net-async,node-http,haproxy,haproxy-splice"

    @Option(help: "Comma-separated scenarios: stream, pingpong, connect, idle, http, proxy (the last two over TCP only).")
    var scenarios: String = "stream,pingpong,connect,idle,http,proxy"

    @Option(help: "Comma-separated transports: tcp, unix.")
    var transports: String = "tcp,unix"

    @Option(help: "Seconds in each measured window (default 4; 1 with --quick).")
    var duration: Double?

    @Option(help: "Seconds of warm-up load before each window (default 1; 0.3 with --quick).")
    var warmup: Double?

    @Option(help: "Repetitions of each timed scenario per server, best reported (default 2; 1 with --quick).")
    var repetitions: Int?

    @Option(help: "Connections held in the idle scenario (default 10000).")
    var idleConnections: Int?

    @Option(help: ArgumentHelp(
        "Run a window again (at most --retries times) when other processes used more than this much CPU during it.",
        discussion: "Percent of one CPU, e.g. 25. Off by default.",
        valueName: "percent"))
    var maxOtherLoad: Double?

    @Option(help: "Repetitions allowed per contaminated window (with --max-other-load).")
    var retries: Int = 2

    @Option(help: "CPU pinning: split (server and load generator on different CPUs), same, none.")
    var pin: CPUPinning.Mode?

    @Flag(help: "Skip the allocation-counting runs.")
    var noAllocations = false

    @Flag(help: "Do not run swift build for net-echo; use the existing release binary.")
    var skipBuild = false

    @Option(help: "Command that starts our server instead of the built net-echo.")
    var netEcho: String?

    @Option(help: "Node executable for node-echo.")
    var node: String = "node"

    @Option(help: "The swift-net package root (default: found from the current directory).")
    var packagePath: String?

    @Option(help: "Also write the results as JSON to this file.")
    var json: String?

    mutating func run() throws {
        let began = ContinuousClock.now
        let log = ProgressLog.start(at: began)
        var settings = quick ? RunSettings.quick : RunSettings.standard
        if let duration { settings.durationSeconds = duration }
        if let warmup { settings.warmupSeconds = warmup }
        if let repetitions { settings.repetitions = max(1, repetitions) }
        if let idleConnections { settings.idleConnections = idleConnections }
        settings.maxOtherLoadPercent = maxOtherLoad
        settings.contaminationRetries = max(0, retries)
        let kinds = try NetBenchCommand.parseList(servers, ServerKind.init(argument:), "server").sorted()
        let scenarioList = try NetBenchCommand.parseList(scenarios, Scenario.init(rawValue:), "scenario")
        let transportList = try NetBenchCommand.parseList(transports, Transport.init(rawValue:), "transport")

        signal(SIGPIPE, SIG_IGN)
        MachineInfo.raiseOpenFileLimit()
        let machine = MachineInfo.current()
        if scenarioList.contains(.idle) && settings.idleConnections + 64 > machine.openFilesHardLimit {
            settings.idleConnections = max(100, machine.openFilesHardLimit - 256)
            log("open-file limit \(machine.openFilesHardLimit): idle scenario lowered to \(settings.idleConnections) connections")
        }
        let pinning = CPUPinning.plan(pin, cpus: machine.cpus)
        log(pinning.summary)

        let directory = try ProgressLog.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let toolchain = Toolchain(packageRoot: try Toolchain.findPackageRoot(explicit: packagePath),
                                  logDirectory: directory)
        let programs = try toolchain.buildCPrograms(log: log)
        let launches = kinds.map {
            ServerLaunch.resolve($0, toolchain: toolchain, programs: programs, netEcho: netEcho,
                                 skipBuild: skipBuild, node: node, log: log)
        }
        var unavailable: [String: String] = [:]
        for launch in launches where launch.command == nil {
            unavailable[launch.kind.rawValue] = launch.unavailableReason ?? "unavailable"
        }

        let runner = BenchmarkRunner(
            launches: launches, settings: settings, pinning: pinning,
            loadGenerator: LoadGenerator(executable: programs.loadgen, cpu: pinning.loadCPU, logDirectory: directory),
            directory: directory, log: log)
        let echoScenarios = scenarioList.filter { !$0.isShape }
        var rows = echoScenarios.isEmpty ? [] : runner.runTable(scenarios: echoScenarios, transports: transportList)
        let shapeScenarios = scenarioList.filter(\.isShape)
        if !shapeScenarios.isEmpty && !transportList.contains(.tcp) {
            log("http and proxy run over TCP only: skipped")
        } else if !shapeScenarios.isEmpty {
            let http = HTTPLoad(executable: HTTPLoad.find(), cpu: pinning.loadCPU, logDirectory: directory)
            rows += runner.runShapes(shapeScenarios, http: http,
                                     backend: ServerLaunch(kind: .uv, command: [programs.uvEcho]))
        }
        let allocationKinds = kinds.filter { $0 == .net || $0 == .uv }
        let allocations = noAllocations || allocationKinds.isEmpty || echoScenarios.isEmpty
            ? []
            : runner.runAllocations(kinds: allocationKinds, library: programs.mallocCounter, transports: transportList)

        let report = BenchmarkReport(
            machine: machine, pinning: pinning, settings: settings, servers: kinds, unavailable: unavailable,
            rows: rows, allocations: allocations,
            elapsedSeconds: ProgressLog.seconds(since: began))
        print(ReportTable(report: report).render(), terminator: "")
        if let json {
            try JSONReport.write(report, to: json)
            log("wrote \(json)")
        }
    }
}

extension CPUPinning.Mode: ExpressibleByArgument {}
