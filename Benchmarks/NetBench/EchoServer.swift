#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A running echo server that obeys the benchmark's contract: started with
/// `--port 0` (or `--path`), it prints `listening HOST:PORT` (or
/// `listening PATH`) once bound and exits on SIGTERM.
final class EchoServer {
    /// Which server this is.
    let kind: ServerKind
    /// How it is reached.
    let transport: Transport
    /// The process.
    let process: ChildProcess
    /// The load generator's address arguments (`--host/--port` or `--path`).
    let addressArguments: [String]
    /// Its stderr log file.
    let logPath: String

    init(kind: ServerKind, transport: Transport, process: ChildProcess,
                 addressArguments: [String], logPath: String) {
        self.kind = kind
        self.transport = transport
        self.process = process
        self.addressArguments = addressArguments
        self.logPath = logPath
    }

    /// The server's pid.
    var pid: pid_t { process.pid }

    /// Why a server could not be started.
    struct Unavailable: Error, CustomStringConvertible {
        /// The reason, for the report.
        var description: String
    }

    /// Starts the server and waits (at most `timeout`) for its `listening` line.
    ///
    /// A server that exits first, prints something else, or stays silent is
    /// reported as `Unavailable` (and stopped if it still runs), never a crash.
    static func start(
        _ launch: ServerLaunch, transport: Transport, directory: String, cpu: Int?,
        environment: [String: String] = [:], tag: String = "", timeout: Duration = .seconds(15),
        draining others: [LineReader] = []
    ) throws -> EchoServer {
        guard let command = launch.command else {
            throw Unavailable(description: launch.unavailableReason ?? "not available")
        }
        let name = launch.kind.rawValue + tag
        let socketPath = directory + "/\(name)-\(transport.rawValue).sock"
        let address = transport == .tcp
            ? ["--host", "127.0.0.1", "--port", "0"]
            : ["--path", socketPath]
        let logPath = directory + "/\(name)-\(transport.rawValue).log"
        let process: ChildProcess
        do {
            process = try ChildProcess.spawn(
                name: name, arguments: CPUPinning.command(command + address, cpu: cpu),
                environment: environment, stdin: .null, stdout: .pipe, stderr: .file(logPath))
        } catch {
            throw Unavailable(description: "\(error)")
        }
        let deadline = ContinuousClock.now + timeout
        var printed: [String] = []
        while true {
            switch process.stdout!.readLine(until: deadline, draining: others) {
            case .line(let line):
                if line.hasPrefix("listening ") {
                    let target = String(line.dropFirst("listening ".count))
                    if transport == .unix {
                        return EchoServer(kind: launch.kind, transport: transport, process: process,
                                          addressArguments: ["--path", target], logPath: logPath)
                    }
                    guard let colon = target.lastIndex(of: ":"),
                          let port = Int(target[target.index(after: colon)...]), port > 0
                    else {
                        process.terminate(timeout: .seconds(2))
                        throw Unavailable(description: "unexpected listening line: \(line)")
                    }
                    return EchoServer(kind: launch.kind, transport: transport, process: process,
                                      addressArguments: ["--host", "127.0.0.1", "--port", String(port)],
                                      logPath: logPath)
                }
                printed.append(line)
            case .eof:
                let status = process.wait(timeout: .seconds(2))
                let said = (printed + errorTail(logPath)).prefix(3).joined(separator: " / ")
                throw Unavailable(description:
                    "exited (\(ChildProcess.describe(status: status))) without a listening line"
                    + (said.isEmpty ? "" : ": \(said)"))
            case .timeout:
                process.terminate(timeout: .seconds(2))
                throw Unavailable(description: "no listening line within \(timeout)")
            }
        }
    }

    /// Server CPU time (user + system, all threads) in seconds.
    func cpuSeconds() -> Double? { ProcessStats.cpuSeconds(pid: pid) }

    /// Server resident memory in KiB.
    func residentKiB() -> Int? { ProcessStats.residentKiB(pid: pid) }

    /// Stops the server (SIGTERM, wait, SIGKILL after `timeout`) and returns how it ended.
    @discardableResult
    func stop(timeout: Duration = .seconds(5), draining others: [LineReader] = []) -> String {
        if let status = process.pollExit() {
            return "had already exited (\(ChildProcess.describe(status: status)))"
        }
        return ChildProcess.describe(status: process.terminate(timeout: timeout, draining: others))
    }

    private static func errorTail(_ path: String) -> [String] {
        (ProcessStats.readFile(path) ?? "").split(separator: "\n").suffix(2).map(String.init)
    }
}
