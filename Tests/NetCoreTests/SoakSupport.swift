import Foundation

/// Sizes for the soak tests: their short versions by default (run by `make test`), the long ones
/// when `SWIFT_NET_SOAK=1` (run by `make soak`).
enum Soak {
    /// Whether the long versions run (`SWIFT_NET_SOAK=1`).
    static let enabled = ProcessInfo.processInfo.environment["SWIFT_NET_SOAK"] == "1"

    /// `long` under `make soak`, else `short`.
    static func size(short: Int, long: Int) -> Int { enabled ? long : short }

    /// Prints one figure line, marked so that `make soak` can collect them.
    static func report(_ line: String) {
        print("soak: \(line)")
    }
}

/// Resource figures of a process, read from `/proc`.
enum ProcStats {
    /// The number of open descriptors of `pid` (this process by default).
    static func openDescriptors(pid: Int32? = nil) -> Int {
        let dir = pid.map { "/proc/\($0)/fd" } ?? "/proc/self/fd"
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir))?.count ?? 0)
    }

    /// Resident memory (VmRSS) of `pid` (this process by default) in KiB, or 0 if unreadable.
    static func residentKiB(pid: Int32? = nil) -> Int {
        let file = pid.map { "/proc/\($0)/status" } ?? "/proc/self/status"
        guard let status = try? String(contentsOfFile: file, encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        return 0
    }

    /// The socket inodes among this process's open descriptors.
    static func socketInodes() -> Set<Int> {
        let dir = "/proc/self/fd"
        var inodes = Set<Int>()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(dir)/\(name)"),
                  target.hasPrefix("socket:["), let inode = Int(target.dropFirst(8).dropLast()) else { continue }
            inodes.insert(inode)
        }
        return inodes
    }

    /// How many descriptors this process holds on TCP sockets whose local or remote port is
    /// `port`: a count that other tests running in parallel cannot disturb.
    static func descriptorsOnPort(_ port: Int) -> Int {
        let mine = socketInodes()
        var count = 0
        for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let f = line.split(separator: " ")
                guard f.count > 9, let inode = Int(f[9]), mine.contains(inode) else { continue }
                let ports = [f[1], f[2]].compactMap { $0.split(separator: ":").last.flatMap { Int($0, radix: 16) } }
                if ports.contains(port) { count += 1 }
            }
        }
        return count
    }
}
