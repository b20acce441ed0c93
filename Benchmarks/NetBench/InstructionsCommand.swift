import ArgumentParser
import Foundation

/// `net-bench instructions`: user-space instructions per echoed 64-byte round
/// trip, counted by callgrind, for raw libuv (`uv-echo`) and ours (`net-echo`).
struct InstructionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "instructions",
        abstract: "Instructions (callgrind Ir) per 64-byte ping-pong round trip: uv-echo, net-echo and the others named.",
        discussion: """
            Starts each server under valgrind --tool=callgrind, runs Benchmarks/bin/loadgen --scenario \
            pingpong against it, and runs callgrind_control -d when the load generator prints `start` \
            (zeroing the counters) and again at its `result` line; that second dump's Ir divided by the \
            round trips the load generator counted is the figure. Then lists where net-echo's \
            instructions go (callgrind_annotate, self cost). See BENCHMARKS.md, "Instructions per operation".
            """)

    /// Servers to count.
    @Option(help: "Comma-separated servers: uv, net, net-idle (net-echo --idle-timeout 30000), net-async (net-echo --async), net2, nio, nio-async.")
    var servers: String = "uv,net,net-idle,net-async"

    /// Connection counts, one counted window each.
    @Option(help: "Comma-separated connection counts of the ping-pong runs.")
    var connections: String = "1,64"

    /// Transports, one server start each.
    @Option(help: "Comma-separated transports: tcp, unix.")
    var transports: String = "tcp,unix"

    /// Warm-up seconds before each window.
    @Option(help: "Seconds of warm-up load before each counted window.")
    var warmup: Double = 2

    /// Seconds in each window.
    @Option(help: "Seconds in each counted window.")
    var duration: Double = 8

    /// Functions in the profile table.
    @Option(help: "Functions listed from the dumps of net-echo and net-echo --async (0: none).")
    var top: Int = 12

    /// CPU pinning of server and load generator.
    @Option(help: "CPU pinning: split (server and load generator on different CPUs), same, none.")
    var pin: CPUPinning.Mode?

    /// Where to keep the dumps, if at all.
    @Option(help: "Keep the callgrind dumps in this directory (default: a temp directory, deleted).")
    var dumpDirectory: String?

    /// Use the existing release `net-echo`.
    @Flag(help: "Do not run swift build for net-echo; use the existing release binary.")
    var skipBuild = false

    /// A command run as our server instead.
    @Option(help: "Command that starts our server instead of the built net-echo.")
    var netEcho: String?

    /// The package root.
    @Option(help: "The swift-net package root (default: found from the current directory).")
    var packagePath: String?

    /// One counted window.
    struct Row {
        /// The server, transport and connection count.
        var kind: ServerKind, transport: Transport, connections: Int
        /// Round trips the load generator completed in the window.
        var roundTrips: UInt64
        /// Ir of the dump taken at the `result` line.
        var instructions: UInt64
        /// That dump's file.
        var dump: String
        /// Milliseconds `callgrind_control -d` took at `start` and at `result`.
        var dumpMilliseconds: (Double, Double)

        /// The figure: instructions per round trip.
        var perRoundTrip: Double { Double(instructions) / Double(max(roundTrips, 1)) }
    }

    /// Counts every server on every transport and connection count, then prints the tables.
    mutating func run() throws {
        let began = ContinuousClock.now
        let log = ProgressLog.start(at: began)
        let kinds = try NetBenchCommand.parseList(servers, ServerKind.init(argument:), "server").sorted()
        guard !kinds.contains(.node) else { throw ValidationError("node does not run under callgrind") }
        let counts = try NetBenchCommand.parseList(connections, { Int($0).flatMap { $0 > 0 ? $0 : nil } }, "connection count")
        let transportList = try NetBenchCommand.parseList(transports, Transport.init(rawValue:), "transport")

        signal(SIGPIPE, SIG_IGN)
        MachineInfo.raiseOpenFileLimit()
        let machine = MachineInfo.current()
        let pinning = CPUPinning.plan(pin, cpus: machine.cpus)
        log(pinning.summary)
        let directory = try ProgressLog.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let dumps = dumpDirectory ?? directory
        mkdir(dumps, 0o755)
        let callgrind = try Callgrind.locate(directory: dumps)
        let toolchain = Toolchain(packageRoot: try Toolchain.findPackageRoot(explicit: packagePath),
                                  logDirectory: directory)
        let programs = try toolchain.buildCPrograms(log: log)
        let loadGenerator = LoadGenerator(executable: programs.loadgen, cpu: pinning.loadCPU, logDirectory: directory)

        let launches = kinds.map {
            ServerLaunch.resolve($0, toolchain: toolchain, programs: programs, netEcho: netEcho,
                                 skipBuild: skipBuild, node: "node", log: log).forCallgrind(toolchain: toolchain, log: log)
        }
        var rows: [Row] = []
        for transport in transportList {
            for launch in launches {
                guard launch.command != nil else {
                    log("\(launch.kind.rawValue) \(transport.rawValue): skipped, unavailable: \(launch.unavailableReason ?? "?")")
                    continue
                }
                rows += try measure(launch, transport: transport, counts: counts, callgrind: callgrind,
                                    loadGenerator: loadGenerator, pinning: pinning, directory: directory, log: log)
            }
        }

        print("machine: \(machine.cpus) CPUs, \(machine.cpuModel), Linux \(machine.kernel)")
        print("pinning: \(pinning.summary)")
        print("method:  callgrind Ir of the server between the load generator's start and result lines, "
            + "ping-pong of 64-byte messages, warm-up \(warmup) s, window \(duration) s")
        print("")
        print(Self.table(rows), terminator: "")
        for kind in [ServerKind.net, .netAsync] where top > 0 {
            guard let profiled = rows.first(where: { $0.kind == kind && $0.connections == counts.min() }) else { continue }
            print("")
            print("Where \(profiled.kind.rawValue) spends them (\(profiled.transport.rawValue), "
                + "\(profiled.connections) connection\(profiled.connections == 1 ? "" : "s"), "
                + "self cost per round trip, callgrind_annotate --inclusive=no):")
            print("")
            let entries = try callgrind.topFunctions(inDump: profiled.dump, top: top)
            print(Self.profile(entries, row: profiled), terminator: "")
        }
        if dumpDirectory != nil { log("dumps kept in \(dumps)") }
        log("done in \(Format.number(ProgressLog.seconds(since: began))) s")
    }

    /// Starts `launch` under callgrind on `transport`, runs one counted window
    /// per connection count, and stops it.
    private func measure(_ launch: ServerLaunch, transport: Transport, counts: [Int], callgrind: Callgrind,
                         loadGenerator: LoadGenerator, pinning: CPUPinning, directory: String,
                         log: @escaping (String) -> Void) throws -> [Row] {
        let name = "\(launch.kind.rawValue)-\(transport.rawValue)"
        let output = callgrind.outputBase(name)
        guard let command = launch.command else {
            throw ProcessError(description: "\(launch.kind.rawValue) unavailable: \(launch.unavailableReason ?? "?")")
        }
        // Dumps left in a kept --dump-directory by an earlier run must not pass for this run's.
        for number in 0...(2 * counts.count) { unlink(number == 0 ? output : "\(output).\(number)") }
        let counted = ServerLaunch(kind: launch.kind, command: callgrind.command(command, output: output))
        let server = try EchoServer.start(counted, transport: transport, directory: directory,
                                          cpu: pinning.serverCPU, timeout: .seconds(120))
        log("\(name): listening under callgrind (pid \(server.pid))")
        defer { log("\(name): stopped (\(server.stop(timeout: .seconds(60))))") }

        var dumpNumber = 0
        var rows: [Row] = []
        for count in counts {
            var lastDump = ""
            var milliseconds: [Double] = []
            let take = {
                let asked = ContinuousClock.now
                dumpNumber += 1
                lastDump = try callgrind.dump(pid: server.pid, output: output, number: dumpNumber)
                milliseconds.append(ProgressLog.seconds(since: asked) * 1000)
            }
            let arguments = ["--scenario", "pingpong", "--connections", String(count), "--size", "64",
                             "--warmup", String(warmup), "--duration", String(duration)]
            let outcome = try loadGenerator.run(arguments, against: server, scenario: .pingpong,
                                                hooks: .init(atStart: take, atResult: take))
            guard milliseconds.count == 2, let trips = outcome.number("round_trips").map({ UInt64($0) }) else {
                throw ProcessError(description: "\(name): no round trips in \(outcome.fields)")
            }
            let row = Row(kind: launch.kind, transport: transport, connections: count, roundTrips: trips,
                          instructions: try Callgrind.instructions(inDump: lastDump), dump: lastDump,
                          dumpMilliseconds: (milliseconds[0], milliseconds[1]))
            log("\(name) \(count) conn: \(trips) round trips, \(row.instructions) Ir, "
                + "\(Format.number(row.perRoundTrip)) per round trip "
                + "(dumps took \(Format.number(milliseconds[0])) and \(Format.number(milliseconds[1])) ms)")
            rows.append(row)
        }
        return rows
    }

    /// The results as a Markdown table, with each figure's ratio to uv-echo's.
    static func table(_ rows: [Row]) -> String {
        var lines = [["transport", "connections", "server", "round trips", "instructions (Ir)",
                      "Ir per round trip", "× uv"]]
        for row in rows {
            let uv = rows.first { $0.kind == .uv && $0.transport == row.transport && $0.connections == row.connections }
            lines.append([row.transport.rawValue, String(row.connections), row.kind.rawValue,
                          Format.number(Double(row.roundTrips)), Format.number(Double(row.instructions)),
                          Format.number(row.perRoundTrip),
                          uv.map { Format.ratio(row.perRoundTrip / $0.perRoundTrip) } ?? "-"])
        }
        return ReportTable.layout(lines)
    }

    /// The annotated functions as a Markdown table, per round trip of `row`.
    static func profile(_ entries: [Callgrind.Entry], row: Row) -> String {
        var lines = [["Ir per round trip", "share", "function", "object"]]
        for entry in entries {
            let name = entry.function.count > 80 ? String(entry.function.prefix(79)) + "…" : entry.function
            lines.append([Format.number(Double(entry.instructions) / Double(max(row.roundTrips, 1))),
                          String(format: "%.1f %%", 100 * Double(entry.instructions) / Double(max(row.instructions, 1))),
                          "`\(name)`", entry.object])
        }
        return ReportTable.layout(lines)
    }
}
