#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// HAProxy as the proxy scenario's reference: `mode tcp`, one frontend on a loopback port the
/// driver picks, one backend server, `nbthread 1`, run in the foreground (`-db`) by pid; as
/// `haproxy-splice`, with kernel splicing forced both ways (`option splice-request`,
/// `option splice-response`; HAProxy's default is off).
enum HAProxy {
    /// Where Debian's package installs it.
    static let executable = "/usr/sbin/haproxy"

    /// The launch: the executable, or unavailable when it is not installed.
    static func launch(_ kind: ServerKind) -> ServerLaunch {
        guard access(executable, X_OK) == 0 else {
            return ServerLaunch(kind: kind, command: nil,
                                unavailableReason: "haproxy not installed (make deps-bench)")
        }
        return ServerLaunch(kind: kind, command: [executable])
    }

    /// The configuration: 127.0.0.1:`port` forwarded to 127.0.0.1:`backendPort`, spliced or not.
    static func configuration(port: Int, backendPort: Int, splice: Bool) -> String {
        let splicing = splice ? "\n    option splice-request\n    option splice-response" : ""
        return """
        global
            nbthread 1
            maxconn 4096

        defaults
            mode tcp
            timeout connect 5s
            timeout client 60s
            timeout server 60s\(splicing)

        frontend bench
            bind 127.0.0.1:\(port)
            default_backend echo

        backend echo
            server uv-echo 127.0.0.1:\(backendPort)

        """
    }

    /// Starts HAProxy in front of `backendPort`, pinned to `cpu`, and waits (at most `timeout`)
    /// until its frontend accepts connections. HAProxy prints no line once bound, so readiness is
    /// a connect that succeeds, tried every 20 ms.
    static func start(_ launch: ServerLaunch, backendPort: Int, directory: String, cpu: Int?,
                      timeout: Duration = .seconds(15), draining others: [LineReader] = []) throws -> EchoServer {
        guard let command = launch.command else {
            throw EchoServer.Unavailable(description: launch.unavailableReason ?? "not available")
        }
        guard let port = freeLoopbackPort() else {
            throw EchoServer.Unavailable(description: "no free loopback port for haproxy")
        }
        let configPath = directory + "/\(launch.kind.rawValue).cfg"
        let logPath = directory + "/\(launch.kind.rawValue)-tcp.log"
        guard writeFile(configPath, configuration(port: port, backendPort: backendPort, splice: launch.kind == .haproxySplice)) else {
            throw EchoServer.Unavailable(description: "cannot write \(configPath)")
        }
        let process: ChildProcess
        do {
            process = try ChildProcess.spawn(
                name: "haproxy", arguments: CPUPinning.command(command + ["-f", configPath, "-db"], cpu: cpu),
                stdin: .null, stdout: .pipe, stderr: .file(logPath))
        } catch {
            throw EchoServer.Unavailable(description: "\(error)")
        }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = process.pollExit() {
                let said = (ProcessStats.readFile(logPath) ?? "").split(separator: "\n").suffix(2).joined(separator: " / ")
                throw EchoServer.Unavailable(description:
                    "haproxy exited (\(ChildProcess.describe(status: status)))" + (said.isEmpty ? "" : ": \(said)"))
            }
            if accepts(port: port) {
                return EchoServer(kind: launch.kind, transport: .tcp, process: process,
                                  addressArguments: ["--host", "127.0.0.1", "--port", String(port)],
                                  logPath: logPath)
            }
            // Keep the other servers' pipes drained while waiting.
            if case .eof = process.stdout!.readLine(until: ContinuousClock.now + .milliseconds(20), draining: others) {
                continue
            }
        }
        process.terminate(timeout: .seconds(2))
        throw EchoServer.Unavailable(description: "haproxy did not accept on 127.0.0.1:\(port) within \(timeout)")
    }

    /// A loopback port free right now (bound to port 0, read back, released).
    static func freeLoopbackPort() -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = loopback(port: 0)
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        guard withUnsafePointer(to: &address, {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }) == 0 else { return nil }
        var bound = sockaddr_in()
        var n = length
        guard withUnsafeMutablePointer(to: &bound, {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &n) }
        }) == 0 else { return nil }
        return Int(UInt16(bigEndian: bound.sin_port))
    }

    /// Whether something accepts a connection on 127.0.0.1:`port` (the connection is closed again).
    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = UInt16(port).bigEndian
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        return a
    }

    private static func writeFile(_ path: String, _ text: String) -> Bool {
        guard let file = fopen(path, "w") else { return false }
        defer { fclose(file) }
        return fputs(text, file) >= 0
    }
}
