/// A log-linear latency histogram with the buckets of `Benchmarks/loadgen/histogram.h`, so both
/// load generators report percentiles with the same (under 1 %) bucket error.
///
/// Values (nanoseconds) below 2^subBits are counted exactly; above that each power of two is
/// split into 2^(subBits - 1) equal buckets. Recording is a shift and an increment.
struct Histogram {
    static let subBits = 8
    static let half = 1 << (subBits - 1)
    static let bucketCount = (64 - subBits + 2) * half

    private var counts = [UInt64](repeating: 0, count: bucketCount)
    private(set) var total: UInt64 = 0
    private(set) var max: UInt64 = 0

    mutating func reset() {
        for i in counts.indices { counts[i] = 0 }
        total = 0
        max = 0
    }

    static func index(_ v: UInt64) -> Int {
        if v < UInt64(1 << subBits) { return Int(v) }
        let msb = 63 - v.leadingZeroBitCount
        let shift = msb - (subBits - 1)
        return shift * half + Int(v >> UInt64(shift))
    }

    /// The highest value that falls into bucket `i`.
    static func value(_ i: Int) -> UInt64 {
        if i < 1 << subBits { return UInt64(i) }
        let shift = i / half - 1
        let mantissa = UInt64(i % half + half)
        return ((mantissa + 1) << UInt64(shift)) - 1
    }

    mutating func record(_ v: UInt64) {
        counts[Self.index(v)] &+= 1
        total &+= 1
        if v > max { max = v }
    }

    /// The value at or below which `percent` of the recorded values lie.
    func percentile(_ percent: Double) -> Double {
        guard total > 0 else { return 0 }
        let rank = Swift.max(1, UInt64(percent / 100 * Double(total) + 0.5))
        var seen: UInt64 = 0
        for (i, c) in counts.enumerated() {
            seen += c
            if seen >= rank { return Double(Swift.min(Self.value(i), max)) }
        }
        return Double(max)
    }
}
