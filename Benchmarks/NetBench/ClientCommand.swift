import ArgumentParser
import Foundation

/// `net-bench client`: what a ping-pong CLIENT costs. One server, `uv-echo`, and in turn three
/// clients doing the same ping-pong against it: the C load generator, `net-loadgen` (swift-net)
/// and `Benchmarks/node-loadgen/pingpong.js` (Node's `net`). The figure is the client process's
/// CPU time per round trip, read from `/proc` at its `start` and `result` lines.
struct ClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Ping-pong client cost: the C load generator, net-loadgen (swift-net) and a Node client against uv-echo.",
        discussion: """
            Starts uv-echo (pinned to the server CPU) on TCP and on a Unix socket, runs each client \
            (pinned to the load CPU) with --scenario pingpong against it, and reads the client's \
            utime + stime from /proc/PID/stat at its `start` and `result` lines. Prints round trips/s \
            and client CPU µs per round trip with their ratios to the C client. With --instructions, \
            also counts the user-space instructions per round trip of the C client and net-loadgen \
            under callgrind.
            """)

    @Option(help: "Comma-separated clients: c, net, node.")
    var clients: String = "c,net,node"

    @Option(help: "Comma-separated transports: tcp, unix.")
    var transports: String = "tcp,unix"

    @Option(help: "Connections, each with one message in flight.")
    var connections: Int = 10

    @Option(help: "Bytes per message (1...64).")
    var size: Int = 64

    @Option(help: "Seconds in each measured window.")
    var duration: Double = 4

    @Option(help: "Seconds of warm-up load before each window.")
    var warmup: Double = 1

    @Option(help: "Repetitions per client, the best (most round trips/s) reported; the order alternates.")
    var repetitions: Int = 2

    @Option(help: "CPU pinning: split (server and client on different CPUs), same, none.")
    var pin: CPUPinning.Mode?

    @Flag(help: "Also count instructions per round trip of the C client and net-loadgen under callgrind.")
    var instructions = false

    @Option(help: "Seconds in each callgrind window (with --instructions).")
    var instructionsDuration: Double = 8

    @Flag(help: "Do not run swift build for net-loadgen; use the existing release binary.")
    var skipBuild = false

    @Option(help: "Command to run as the swift-net client instead of the built net-loadgen.")
    var netLoadgen: String?

    @Option(help: "Node executable for the Node client.")
    var node: String = "node"

    @Option(help: "The swift-net package root (default: found from the current directory).")
    var packagePath: String?

    /// The clients compared.
    enum Client: String, CaseIterable {
        case c = "C loadgen"
        case net = "net-loadgen"
        case node = "Node pingpong.js"

        init?(argument: String) {
            switch argument.lowercased() {
            case "c", "loadgen", "uv": self = .c
            case "net", "net-loadgen", "swift": self = .net
            case "node", "node-loadgen": self = .node
            default: return nil
            }
        }
    }

    /// One measured window of one client.
    struct Sample {
        var client: Client
        var transport: Transport
        var fields: [String: String]
        var clientCPUSeconds: Double
        var serverCPUSeconds: Double
        var otherCPUPercent: Double?

        func number(_ key: String) -> Double { fields[key].flatMap(Double.init) ?? 0 }
        var roundTrips: Double { number("round_trips") }
        var perSecond: Double { number("rtt_per_s") }
        var clientMicroseconds: Double { 1e6 * clientCPUSeconds / max(roundTrips, 1) }
        var serverMicroseconds: Double { 1e6 * serverCPUSeconds / max(roundTrips, 1) }
    }

    mutating func run() throws {
        let began = ContinuousClock.now
        let log = ProgressLog.start(at: began)
        let kinds = try NetBenchCommand.parseList(clients, Client.init(argument:), "client")
        let transportList = try NetBenchCommand.parseList(transports, Transport.init(rawValue:), "transport")
        guard (1...64).contains(size), connections > 0, duration > 0, warmup >= 0 else {
            throw ValidationError("need --size 1...64, --connections > 0, --duration > 0, --warmup >= 0")
        }
        signal(SIGPIPE, SIG_IGN)
        MachineInfo.raiseOpenFileLimit()
        let machine = MachineInfo.current()
        let pinning = CPUPinning.plan(pin, cpus: machine.cpus)
        log(pinning.summary)
        let directory = try ProgressLog.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let root = try Toolchain.findPackageRoot(explicit: packagePath)
        let toolchain = Toolchain(packageRoot: root, logDirectory: directory)
        let programs = try toolchain.buildCPrograms(log: log)
        var commands: [Client: [String]] = [.c: [programs.loadgen],
                                            .node: [node, root + "/Benchmarks/node-loadgen/pingpong.js"]]
        if kinds.contains(.net) || instructions {
            commands[.net] = try netLoadgenCommand(root: root, directory: directory, log: log)
        }
        let server = ServerLaunch(kind: .uv, command: [programs.uvEcho])

        var best: [Sample] = []
        var instructionRows: [(Client, Transport, Double, Double)] = []
        for transport in transportList {
            let echo = try EchoServer.start(server, transport: transport, directory: directory, cpu: pinning.serverCPU)
            log("uv-echo \(transport.rawValue): listening (pid \(echo.pid))")
            defer { log("uv-echo \(transport.rawValue): stopped (\(echo.stop()))") }
            var samples: [Sample] = []
            for repetition in 0..<max(1, repetitions) {
                for kind in repetition % 2 == 0 ? kinds : kinds.reversed() {
                    let sample = try measure(kind, command: commands[kind]!, against: echo, transport: transport,
                                             cpu: pinning.loadCPU, directory: directory)
                    log("\(kind.rawValue) \(transport.rawValue) #\(repetition + 1): \(Format.number(sample.perSecond)) round trips/s, "
                        + "client \(Format.number(sample.clientMicroseconds)) µs CPU per round trip, "
                        + "server \(Format.number(sample.serverMicroseconds)) µs"
                        + (sample.number("errors") + sample.number("corrupt") > 0
                           ? ", \(sample.fields["errors"] ?? "?") errors, \(sample.fields["corrupt"] ?? "?") corrupt" : ""))
                    samples.append(sample)
                }
            }
            for kind in kinds {
                if let top = samples.filter({ $0.client == kind }).max(by: { $0.perSecond < $1.perSecond }) {
                    best.append(top)
                }
            }
            if instructions {
                let callgrind = try Callgrind.locate(directory: directory)
                for kind in kinds where kind != .node {
                    let (trips, ir) = try count(kind, command: commands[kind]!, against: echo, transport: transport,
                                                callgrind: callgrind, cpu: pinning.loadCPU, directory: directory)
                    log("\(kind.rawValue) \(transport.rawValue) under callgrind: \(Format.number(trips)) round trips, "
                        + "\(Format.number(ir / max(trips, 1))) Ir per round trip")
                    instructionRows.append((kind, transport, trips, ir))
                }
            }
        }

        print("machine: \(machine.cpus) CPUs, \(machine.cpuModel), Linux \(machine.kernel)")
        print("pinning: \(pinning.summary)")
        print("method:  \(connections) connections, \(size)-byte ping-pong against uv-echo, warm-up \(warmup) s, "
            + "window \(duration) s, best of \(max(1, repetitions)); client CPU = utime + stime of the client "
            + "process between its start and result lines")
        print("")
        print(Self.table(best), terminator: "")
        if !instructionRows.isEmpty {
            print("")
            var lines = [["transport", "client", "round trips", "instructions (Ir)", "Ir per round trip", "× C"]]
            for (kind, transport, trips, ir) in instructionRows {
                let c = instructionRows.first { $0.0 == .c && $0.1 == transport }
                let per = ir / max(trips, 1)
                lines.append([transport.rawValue, kind.rawValue, Format.number(trips), Format.number(ir), Format.number(per),
                              c.map { Format.ratio(per / ($0.3 / max($0.2, 1))) } ?? "-"])
            }
            print(ReportTable.layout(lines), terminator: "")
        }
        log("done in \(Format.number(ProgressLog.seconds(since: began))) s")
    }

    /// The command that runs net-loadgen: the given one, or the release build.
    private func netLoadgenCommand(root: String, directory: String, log: (String) -> Void) throws -> [String] {
        if let netLoadgen { return netLoadgen.split(separator: " ").map(String.init) }
        let toolchain = Toolchain(packageRoot: root, logDirectory: directory)
        if skipBuild { return [try toolchain.releasePath(of: "net-loadgen", package: root)] }
        return [try toolchain.buildRelease("net-loadgen", package: root, log: log)]
    }

    private func arguments(_ command: [String], against server: EchoServer, duration: Double) -> [String] {
        command + ["--scenario", "pingpong", "--connections", String(connections), "--size", String(size),
                   "--warmup", String(warmup), "--duration", String(duration)] + server.addressArguments
    }

    /// Runs one client against `server` and samples both processes at its two lines.
    private func measure(_ kind: Client, command: [String], against server: EchoServer, transport: Transport,
                         cpu: Int?, directory: String) throws -> Sample {
        let logPath = directory + "/client-\(kind)-\(transport.rawValue).log"
        let child = try ChildProcess.spawn(
            name: kind.rawValue, arguments: CPUPinning.command(arguments(command, against: server, duration: duration), cpu: cpu),
            stdin: .null, stdout: .pipe, stderr: .file(logPath))
        defer { if child.isRunning { child.terminate(timeout: .seconds(5)) } }
        var start: (client: Double?, server: Double?, machine: Double?) = (nil, nil, nil)
        let deadline = ContinuousClock.now + .seconds(warmup + duration + 60)
        while true {
            switch child.stdout!.readLine(until: deadline) {
            case .line("start"):
                start = (ProcessStats.cpuSeconds(pid: child.pid), server.cpuSeconds(), ProcessStats.machineBusySeconds())
            case .line(let line) where line.hasPrefix("result "):
                let end = (ProcessStats.cpuSeconds(pid: child.pid), server.cpuSeconds(), ProcessStats.machineBusySeconds())
                let fields = LoadGenerator.parse(line)
                guard fields["timeout"] == nil, let c0 = start.client, let c1 = end.0, let s0 = start.server, let s1 = end.1 else {
                    throw ProcessError(description: "\(kind.rawValue): no usable window: \(line)")
                }
                var sample = Sample(client: kind, transport: transport, fields: fields,
                                    clientCPUSeconds: c1 - c0, serverCPUSeconds: s1 - s0)
                if let m0 = start.machine, let m1 = end.2, let seconds = Double(fields["duration_s"] ?? ""), seconds > 0 {
                    sample.otherCPUPercent = max(0, 100 * (m1 - m0 - (c1 - c0) - (s1 - s0)) / seconds)
                }
                let status = child.wait(timeout: .seconds(30))
                guard status == 0 else {
                    throw ProcessError(description: "\(kind.rawValue) exited with \(ChildProcess.describe(status: status))")
                }
                return sample
            case .line:
                continue
            case .eof:
                let tail = (ProcessStats.readFile(logPath) ?? "").split(separator: "\n").suffix(3).joined(separator: " / ")
                throw ProcessError(description: "\(kind.rawValue) exited without a result: \(tail)")
            case .timeout:
                throw ProcessError(description: "\(kind.rawValue) gave no result in time")
            }
        }
    }

    /// Runs one client under callgrind: its counters are zeroed (dumped) at `start`, and the
    /// dump it writes when it exits covers the window plus its short teardown.
    private func count(_ kind: Client, command: [String], against server: EchoServer, transport: Transport,
                       callgrind: Callgrind, cpu: Int?, directory: String) throws -> (Double, Double) {
        let output = callgrind.outputBase("client-\(kind)-\(transport.rawValue)")
        for suffix in ["", ".1", ".2"] { unlink(output + suffix) }
        let counted = callgrind.command(arguments(command, against: server, duration: instructionsDuration), output: output)
        let child = try ChildProcess.spawn(name: kind.rawValue, arguments: CPUPinning.command(counted, cpu: cpu),
                                           stdin: .null, stdout: .pipe, stderr: .file(output + ".log"))
        defer { if child.isRunning { child.terminate(timeout: .seconds(30)) } }
        let deadline = ContinuousClock.now + .seconds(warmup + instructionsDuration + 180)
        var zeroed = false
        var trips: Double?
        while trips == nil {
            switch child.stdout!.readLine(until: deadline) {
            case .line("start"):
                _ = try callgrind.dump(pid: child.pid, output: output, number: 1)
                zeroed = true
            case .line(let line) where line.hasPrefix("result "):
                trips = Double(LoadGenerator.parse(line)["round_trips"] ?? "")
                if trips == nil { throw ProcessError(description: "\(kind.rawValue) under callgrind: \(line)") }
            case .line:
                continue
            case .eof, .timeout:
                throw ProcessError(description: "\(kind.rawValue) under callgrind gave no result")
            }
        }
        let status = child.wait(timeout: .seconds(120))
        guard zeroed, status == 0 else {
            throw ProcessError(description: "\(kind.rawValue) under callgrind exited with \(ChildProcess.describe(status: status))")
        }
        return (trips!, Double(try Callgrind.instructions(inDump: output)))
    }

    /// The best sample of each client per transport, with ratios to the C client.
    static func table(_ samples: [Sample]) -> String {
        var lines = [["transport", "client", "round trips/s", "× C", "client CPU µs per round trip", "× C",
                      "client CPU %", "server CPU µs per round trip", "p50 µs", "p99 µs", "errors", "other load"]]
        for s in samples {
            let c = samples.first { $0.client == .c && $0.transport == s.transport }
            lines.append([
                s.transport.rawValue, s.client.rawValue, Format.number(s.perSecond),
                c.map { Format.ratio(s.perSecond / $0.perSecond) } ?? "-",
                Format.number(s.clientMicroseconds),
                c.map { Format.ratio(s.clientMicroseconds / $0.clientMicroseconds) } ?? "-",
                Format.number(s.number("client_cpu_pct")), Format.number(s.serverMicroseconds),
                Format.number(s.number("p50_us")), Format.number(s.number("p99_us")),
                Format.number(s.number("errors") + s.number("corrupt")),
                s.otherCPUPercent.map { "\(Format.number($0)) %" } ?? "-",
            ])
        }
        return ReportTable.layout(lines)
    }
}
