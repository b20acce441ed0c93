#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads a process's CPU time and memory from `/proc`.
enum ProcessStats {
    /// Clock ticks per second of `/proc/PID/stat` times.
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// User plus system CPU time of the whole process (all threads), in seconds,
    /// from fields 14 and 15 of `/proc/PID/stat`; nil if the process is gone.
    static func cpuSeconds(pid: pid_t) -> Double? {
        guard let text = readFile("/proc/\(pid)/stat"),
              let close = text.lastIndex(of: ")")
        else { return nil }
        // After "pid (comm)", fields start at 3 (state); utime is 14, stime 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let utime = Double(fields[11]), let stime = Double(fields[12])
        else { return nil }
        return (utime + stime) / ticksPerSecond
    }

    /// Resident set size (`VmRSS` of `/proc/PID/status`) in KiB.
    static func residentKiB(pid: pid_t) -> Int? {
        guard let text = readFile("/proc/\(pid)/status") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }

    /// CPU seconds the whole machine spent busy so far (all CPUs: user, nice,
    /// system, irq and steal from the `cpu` line of `/proc/stat`). Softirq time
    /// is left out: on loopback it is mostly the benchmark's own packets, which
    /// `/proc/PID/stat` charges to no process.
    static func machineBusySeconds() -> Double? {
        guard let text = readFile("/proc/stat"), let line = text.split(separator: "\n").first,
              line.hasPrefix("cpu ")
        else { return nil }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard ticks.count >= 8 else { return nil }
        // user nice system idle iowait irq softirq steal
        let busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[7]
        return busy / ticksPerSecond
    }

    /// The whole contents of a (small) file, or nil.
    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += chunk[..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The machine a run happened on.
struct MachineInfo: Codable {
    /// Online CPUs (`nproc`).
    var cpus: Int
    /// `model name` from `/proc/cpuinfo`.
    var cpuModel: String
    /// Kernel release (`uname -r`).
    var kernel: String
    /// The hard limit of open files, which bounds the idle scenario.
    var openFilesHardLimit: Int

    /// Reads the current machine's description.
    static func current() -> MachineInfo {
        let cpus = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        var model = "unknown"
        if let info = ProcessStats.readFile("/proc/cpuinfo") {
            for line in info.split(separator: "\n") where line.hasPrefix("model name") {
                if let colon = line.firstIndex(of: ":") {
                    model = line[line.index(after: colon)...].trimmingSpaces()
                }
                break
            }
        }
        var names = utsname()
        uname(&names)
        let kernel = withUnsafeBytes(of: &names.release) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        let hard = limit.rlim_max >= rlim_t(Int.max) ? Int.max : Int(limit.rlim_max)
        return MachineInfo(cpus: cpus, cpuModel: model, kernel: kernel, openFilesHardLimit: hard)
    }

    /// Raises this process's soft open-file limit to the hard limit, so the
    /// servers it starts inherit room for the idle scenario's connections.
    static func raiseOpenFileLimit() {
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 && limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
    }
}

extension Substring {
    /// The text without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }),
              let last = lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(self[first...last])
    }
}
