/// The echo servers the benchmark compares.
enum ServerKind: String, Codable, CaseIterable, Comparable {
    /// Raw libuv in C (`Benchmarks/uv-echo`): the practical limit.
    case uv = "uv-echo"
    /// Node's `net` module (`Benchmarks/node-echo`), run with the machine's `node`.
    case node = "node-echo"
    /// Ours: the package's `net-echo` product.
    case net = "net-echo"
    /// Ours with two event loops sharing the port (`net-echo --loops 2`, TCP only).
    case net2 = "net-echo-loops2"
    /// Ours, echoing with `socket.on(.data) { socket.write($0) }` (`net-echo --echo data`).
    case netData = "net-data"
    /// Ours through the async face (`net-echo --async`).
    case netAsync = "net-async"
    /// Ours with a 30 s idle timeout on every connection (`net-echo --idle-timeout 30000`), as
    /// servers set one: `setTimeout` restarted by every read and write.
    case netIdle = "net-idle"
    /// Node, echoing with `socket.on('data', d => socket.write(d))` (`node-echo.js --echo data`).
    case nodeData = "node-data"
    /// Node's `http.createServer` (`Benchmarks/node-echo/node-http.js`): HTTP rows only.
    case nodeHTTP = "node-http"
    /// HAProxy in `mode tcp`: proxy rows only.
    case haproxy = "haproxy"
    /// HAProxy in `mode tcp` with kernel splicing forced on both ways: proxy rows only.
    case haproxySplice = "haproxy-splice"
    /// Ours as a proxy that copies through memory (`net-echo --no-splice`): proxy rows only.
    case netCopy = "net-copy"
    /// SwiftNIO, one event loop, a ChannelInboundHandler echo (`Benchmarks/nio-echo`).
    case nio = "nio-echo"
    /// SwiftNIO, one event loop, the echo through NIOAsyncChannel (`nio-echo --async`).
    case nioAsync = "nio-echo-async"

    /// Column heading in the table.
    var title: String {
        switch self {
        case .uv: return "libuv C (uv-echo)"
        case .node: return "Node net (node-echo)"
        case .net: return "swift-net (net-echo)"
        case .net2: return "swift-net, 2 loops (net-echo --loops 2)"
        case .netData: return "swift-net on(.data) (net-echo --echo data)"
        case .netAsync: return "swift-net async (net-echo --async)"
        case .netIdle: return "swift-net, idle timeout (net-echo --idle-timeout 30000)"
        case .nodeData: return "Node on('data') (node-echo --echo data)"
        case .nodeHTTP: return "Node http (node-http)"
        case .haproxy: return "HAProxy (mode tcp)"
        case .haproxySplice: return "HAProxy, splicing (mode tcp)"
        case .netCopy: return "swift-net, copying (net-echo --no-splice)"
        case .nio: return "SwiftNIO (nio-echo)"
        case .nioAsync: return "SwiftNIO async (nio-echo --async)"
        }
    }

    /// Parses a `--servers` entry: `uv`, `node`, `net`, `net2`, `net-idle`, `nio`, `nio-async` or
    /// the full names.
    init?(argument: String) {
        switch argument.lowercased() {
        case "uv", "uv-echo", "libuv", "c": self = .uv
        case "node", "node-echo": self = .node
        case "net", "net-echo", "swift", "ours": self = .net
        case "net2", "net-echo-loops2", "loops2": self = .net2
        case "net-data": self = .netData
        case "net-async", "async": self = .netAsync
        case "net-idle": self = .netIdle
        case "node-data": self = .nodeData
        case "node-http": self = .nodeHTTP
        case "haproxy": self = .haproxy
        case "haproxy-splice": self = .haproxySplice
        case "net-copy": self = .netCopy
        case "nio", "nio-echo": self = .nio
        case "nio-async", "nio-echo-async": self = .nioAsync
        default: return nil
        }
    }

    static func < (lhs: ServerKind, rhs: ServerKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// How to start one kind of server (resolved after building).
struct ServerLaunch {
    /// Which server.
    var kind: ServerKind
    /// The command without the contract's `--port/--host/--path` arguments;
    /// nil when the server could not be built or found.
    var command: [String]?
    /// Why `command` is nil.
    var unavailableReason: String?
}

extension ServerLaunch {
    /// Resolves how to start `kind`, building it if needed; never throws: a
    /// server that cannot be built is reported as unavailable.
    ///
    /// - Parameters:
    ///   - netEcho: a command to run as our server instead of the built `net-echo`.
    ///   - skipBuild: use the existing release `net-echo` without running `swift build`.
    ///   - node: the Node executable for `node-echo`.
    static func resolve(_ kind: ServerKind, toolchain: Toolchain, programs: Toolchain.Programs,
                        netEcho: String?, skipBuild: Bool, node: String,
                        log: (String) -> Void) -> ServerLaunch {
        switch kind {
        case .uv:
            return ServerLaunch(kind: kind, command: [programs.uvEcho])
        case .node, .nodeData:
            return ServerLaunch(kind: kind, command: [node, toolchain.packageRoot + "/Benchmarks/node-echo/node-echo.js"] + kind.launchArguments)
        case .nodeHTTP:
            return ServerLaunch(kind: kind, command: [node, toolchain.packageRoot + "/Benchmarks/node-echo/node-http.js"])
        case .haproxy, .haproxySplice:
            return HAProxy.launch(kind)
        case .net, .net2, .netData, .netAsync, .netIdle, .netCopy:
            let loops = kind.launchArguments
            if let netEcho {
                return ServerLaunch(kind: kind, command: netEcho.split(separator: " ").map(String.init) + loops)
            }
            do {
                let path = skipBuild ? try toolchain.netEchoPath() : try toolchain.buildNetEcho(log: log)
                return ServerLaunch(kind: kind, command: [path] + loops)
            } catch {
                log("net-echo unavailable: \(error)")
                let firstLine = "\(error)".split(separator: "\n").first.map(String.init) ?? "build failed"
                return ServerLaunch(kind: kind, command: nil, unavailableReason: firstLine)
            }
        case .nio, .nioAsync:
            return resolveNIO(kind, toolchain: toolchain, skipBuild: skipBuild, log: log)
        }
    }
}
