#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The counters of `Benchmarks/malloc-count` for one server process.
///
/// The preloaded library keeps two `UInt64`s (allocation calls, bytes asked
/// for) in a file it maps `MAP_SHARED`; reading the file gives the current
/// values at any moment, without signalling the server.
struct MallocCounter {
    /// A reading of the counters.
    struct Sample {
        /// malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign,
        /// valloc and pvalloc calls so far.
        var calls: UInt64
        /// Bytes those calls asked for.
        var bytes: UInt64
    }

    /// The shared counter file (named by `MALLOC_COUNT_FILE`).
    let path: String
    /// The preloaded library.
    let library: String

    /// Environment that makes a server count its allocations into `path`.
    var environment: [String: String] {
        ["LD_PRELOAD": library, "MALLOC_COUNT_FILE": path]
    }

    /// The current counts, or nil if the file is missing or short.
    func read() -> Sample? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var values: (UInt64, UInt64) = (0, 0)
        let n = withUnsafeMutableBytes(of: &values) { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n == MemoryLayout<(UInt64, UInt64)>.size else { return nil }
        return Sample(calls: values.0, bytes: values.1)
    }
}
