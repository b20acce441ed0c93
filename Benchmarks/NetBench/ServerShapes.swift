/// What each server kind does in each shape of program: echo (the load generator's scenarios),
/// answer HTTP (`http`), proxy (`proxy`). A new kind takes part in a shape by adding one line to
/// the switch here.
extension ServerKind {
    /// Arguments after the server's program in every shape (`--loops 2`, `--echo data`, …).
    var launchArguments: [String] {
        switch self {
        case .net2: return ["--loops", "2"]
        case .netData, .nodeData: return ["--echo", "data"]
        case .netAsync: return ["--async"]
        case .netCopy: return ["--no-splice"]
        case .netIdle: return ["--idle-timeout", "30000"]
        default: return []
        }
    }

    /// The CPU the server runs on: the server CPU of `pinning`, except for the loop group,
    /// which runs unpinned so its loops spread over the CPUs as a group is meant to run (one
    /// loop per core). Two loops pinned to one CPU measure the kernel switching between their
    /// threads, not the loops (BENCHMARKS.md, "Two loops").
    func serverCPU(_ pinning: CPUPinning) -> Int? {
        self == .net2 ? nil : pinning.serverCPU
    }

    /// Whether the kind echoes, and so has a column in the echo rows.
    var echoes: Bool {
        switch self {
        case .nodeHTTP, .haproxy, .haproxySplice, .netCopy: return false
        default: return true
        }
    }

    /// Arguments that put the server in its HTTP mode (the `http` scenario), after
    /// `launchArguments`; nil when it has none.
    var httpArguments: [String]? {
        switch self {
        case .uv, .net, .net2, .netAsync, .node, .nio, .nioAsync: return ["--http"]
        case .nodeHTTP: return []
        default: return nil
        }
    }

    /// Arguments that make the server a TCP proxy to `target` (`HOST:PORT`, the `proxy`
    /// scenario), after `launchArguments`; nil when it is no proxy (HAProxy is started by
    /// `HAProxy`).
    func proxyArguments(to target: String) -> [String]? {
        switch self {
        case .net, .netCopy, .node: return ["--proxy-to", target]
        default: return nil
        }
    }

    /// Whether the kind has a column in the rows of `scenario`: every kind that can run it, and
    /// raw libuv in the http row (where its cells say why it cannot).
    func takesPart(in scenario: Scenario) -> Bool {
        switch scenario {
        case .http: return httpArguments != nil
        case .proxy: return proxyArguments(to: "") != nil || self == .haproxy || self == .haproxySplice
        default: return echoes
        }
    }
}

extension Scenario {
    /// Whether the scenario runs over TCP only, with servers started in another mode than echo
    /// (`ShapeRunner`).
    var isShape: Bool { self == .http || self == .proxy }

    /// The server the row's first ratio divides by: raw libuv, or HAProxy in the proxy row.
    var reference: ServerKind { self == .proxy ? .haproxy : .uv }

    /// The reference's short name in the table's ratios.
    var referenceLabel: String { self == .proxy ? "haproxy" : "uv" }
}
