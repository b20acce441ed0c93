#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Which CPUs the servers and the load generator run on (`taskset -c`).
struct CPUPinning: Codable {
    /// How the driver pins processes.
    enum Mode: String, Codable, CaseIterable {
        /// Server and load generator on different CPUs (the default with 2+ CPUs).
        case split
        /// Both on the same CPU: measures their total cost, not parallelism.
        case same
        /// No pinning.
        case none
    }

    /// The chosen mode, after falling back when pinning is impossible.
    var mode: Mode
    /// The server's CPU, if pinned.
    var serverCPU: Int?
    /// The load generator's CPU, if pinned.
    var loadCPU: Int?

    /// Plans pinning for `requested` on a machine with `cpus` CPUs.
    static func plan(_ requested: Mode?, cpus: Int) -> CPUPinning {
        let hasTaskset = access("/usr/bin/taskset", X_OK) == 0 || access("/bin/taskset", X_OK) == 0
        let wanted = requested ?? (cpus >= 2 ? .split : .none)
        guard hasTaskset else { return CPUPinning(mode: .none) }
        switch wanted {
        case .split where cpus >= 2:
            return CPUPinning(mode: .split, serverCPU: cpus - 1, loadCPU: 0)
        case .same:
            return CPUPinning(mode: .same, serverCPU: 0, loadCPU: 0)
        default:
            return CPUPinning(mode: .none)
        }
    }

    /// `arguments` prefixed with `taskset -c CPU` when `cpu` is set.
    static func command(_ arguments: [String], cpu: Int?) -> [String] {
        guard let cpu else { return arguments }
        return ["taskset", "-c", String(cpu)] + arguments
    }

    /// One sentence for the report.
    var summary: String {
        switch mode {
        case .split:
            return "server pinned to CPU \(serverCPU!), load generator to CPU \(loadCPU!) (taskset)"
        case .same:
            return "server and load generator both pinned to CPU \(serverCPU!) (taskset)"
        case .none:
            return "no CPU pinning"
        }
    }
}
