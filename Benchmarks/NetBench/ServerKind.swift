/// The echo servers the benchmark compares.
enum ServerKind: String, Codable, CaseIterable, Comparable {
    /// Raw libuv in C (`Benchmarks/uv-echo`): the practical limit.
    case uv = "uv-echo"
    /// Node's `net` module (`Benchmarks/node-echo`), run with the machine's `node`.
    case node = "node-echo"
    /// Ours: the package's `net-echo` product.
    case net = "net-echo"

    /// Column heading in the table.
    var title: String {
        switch self {
        case .uv: return "libuv C (uv-echo)"
        case .node: return "Node net (node-echo)"
        case .net: return "swift-net (net-echo)"
        }
    }

    /// Parses a `--servers` entry: `uv`, `node`, `net` or the full names.
    init?(argument: String) {
        switch argument.lowercased() {
        case "uv", "uv-echo", "libuv", "c": self = .uv
        case "node", "node-echo": self = .node
        case "net", "net-echo", "swift", "ours": self = .net
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
