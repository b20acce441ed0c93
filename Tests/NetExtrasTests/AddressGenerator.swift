import NetTestSupport
/// Deterministic generators of address text for the differential tests: well-formed IPv4 and
/// IPv6 in their many spellings, near-misses made by mutating them, zone ids, URL-style hosts,
/// and noise from an alphabet of characters that matter to the parsers.
struct AddressGenerator {
    var rng: SeededGenerator

    init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    // MARK: Values

    /// A 32-bit IPv4 value, often from a few small networks so that rules and probes meet.
    mutating func ipv4Value() -> UInt32 {
        switch int(0...4) {
        case 0: return UInt32.random(in: 0...UInt32.max, using: &rng)
        case 1: return 0x0A00_0000 | UInt32(int(0...0x3FF))  // 10.0.0.0/22
        case 2: return 0xC0A8_0000 | UInt32(int(0...0x1FF))  // 192.168.0.0/23
        case 3: return pick([0, 1, 0x7F00_0001, 0xFFFF_FFFF, 0x8000_0000, 0x7FFF_FFFF, 0x0000_FFFF])
        default: return 0x0101_0100 | UInt32(int(0...0xFF))  // 1.1.1.0/24
        }
    }

    /// Eight IPv6 groups: random, sparse, IPv4-mapped, IPv4-compatible, or near a few networks.
    mutating func ipv6Groups() -> [UInt16] {
        var g = [UInt16](repeating: 0, count: 8)
        switch int(0...5) {
        case 0:
            for i in 0..<8 { g[i] = UInt16.random(in: 0...UInt16.max, using: &rng) }
        case 1:
            for i in 0..<8 where chance(0.35) { g[i] = UInt16(int(0...0xFFFF) >> int(0...15)) }
        case 2:
            let v = ipv4Value()
            g[5] = 0xFFFF; g[6] = UInt16(v >> 16); g[7] = UInt16(v & 0xFFFF)
        case 3:
            let v = ipv4Value()
            g[6] = UInt16(v >> 16); g[7] = UInt16(v & 0xFFFF)
        case 4:
            g = [0x8592, 0x757C, 0xEFAE, 0x4E45, 0, 0, 0, 0]
            for i in 3..<8 where chance(0.4) { g[i] = UInt16(int(0...0xFFFF)) }
        default:
            g[7] = UInt16(int(0...20))
            if chance(0.3) { g[0] = 0xFE80 }
        }
        return g
    }

    // MARK: Text

    mutating func ipv4Text(_ v: UInt32) -> String {
        (0..<4).map { String((v >> UInt32(24 - 8 * $0)) & 0xFF) }.joined(separator: ".")
    }

    /// One of the many spellings of an IPv6 address.
    mutating func ipv6Text(_ g: [UInt16]) -> String {
        let upper = chance(0.2)
        func hex(_ x: UInt16, pad: Bool) -> String {
            var s = String(x, radix: 16, uppercase: upper)
            if pad { s = String(repeating: "0", count: 4 - s.count) + s }
            return s
        }
        let pad = chance(0.2)
        let dotted = g[0..<5].allSatisfy { $0 == 0 } && (g[5] == 0xFFFF || g[5] == 0) && chance(0.6)
        var parts = (0..<(dotted ? 6 : 8)).map { hex(g[$0], pad: pad) }
        if dotted {
            parts.append(ipv4Text(UInt32(g[6]) << 16 | UInt32(g[7])))
        }
        // Compress a run of zero groups: the longest, a random one, or none.
        var runs: [(Int, Int)] = []
        var i = 0
        while i < (dotted ? 6 : 8) {
            if g[i] == 0 {
                var j = i
                while j < (dotted ? 6 : 8) && g[j] == 0 { j += 1 }
                runs.append((i, j - i))
                i = j
            } else {
                i += 1
            }
        }
        if !runs.isEmpty && !chance(0.15) {
            let run = chance(0.7) ? runs.max { $0.1 < $1.1 }! : pick(runs)
            let head = parts[0..<run.0].joined(separator: ":")
            let tail = parts[(run.0 + run.1)...].joined(separator: ":")
            return head + "::" + tail
        }
        return parts.joined(separator: ":")
    }

    mutating func zoneID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.:_@% /")
        let length = int(0...6)
        return "%" + String((0..<length).map { _ in chance(0.85) ? pick(Array("eth0lo1-.:")) : pick(alphabet) })
    }

    /// Applies one to three small edits drawn from `alphabet`.
    mutating func mutate(_ s: String, alphabet: [Character]) -> String {
        var chars = Array(s)
        for _ in 0..<int(1...3) {
            switch int(0...3) {
            case 0 where !chars.isEmpty: chars.remove(at: int(0...(chars.count - 1)))
            case 1: chars.insert(pick(alphabet), at: int(0...chars.count))
            case 2 where !chars.isEmpty: chars[int(0...(chars.count - 1))] = pick(alphabet)
            default:
                if !chars.isEmpty {
                    let at = int(0...(chars.count - 1))
                    chars.insert(chars[at], at: at)  // duplicate a character
                }
            }
        }
        return String(chars)
    }

    static let ipAlphabet = Array("0123456789abcdefABCDEF:.%x ")
    static let wideAlphabet = Array("0123456789abcdefxX:.%[]@/?#\\ \t-+_gG\u{0}é０。")

    /// A string for `isIP` and the `SocketAddress` address parser.
    mutating func ipCandidate() -> String {
        switch int(0...9) {
        case 0: return ipv4Text(ipv4Value())
        case 1: return mutate(ipv4Text(ipv4Value()), alphabet: Self.ipAlphabet)
        case 2:  // leading zeros and out-of-range fields
            return (0..<int(3...5)).map { _ in
                pick(["0", "00", "01", "010", "255", "256", "099", "99", "999", "1000", ""])
            }.joined(separator: ".")
        case 3, 4: return ipv6Text(ipv6Groups())
        case 5: return mutate(ipv6Text(ipv6Groups()), alphabet: Self.ipAlphabet)
        case 6: return ipv6Text(ipv6Groups()) + zoneID()
        case 7:  // colon soup
            return String((0..<int(0...14)).map { _ in pick(Array("0:1:f:::.")) })
        case 8: return String((0..<int(0...12)).map { _ in pick(Self.wideAlphabet) })
        default:  // long spellings around libuv's 39-byte zone cut
            let g = ipv6Groups()
            let full = g.map { String(repeating: "0", count: int(0...1)) + String($0, radix: 16) }
            return full.joined(separator: ":") + (chance(0.7) ? zoneID() : "")
        }
    }

    /// A string for `SocketAddress.parse`: hosts in inet_aton forms, bracketed IPv6, ports,
    /// credentials, paths, and mutations of those.
    mutating func parseCandidate() -> String {
        var host: String
        switch int(0...6) {
        case 0: host = ipv4Text(ipv4Value())
        case 1:  // one to four parts in decimal, octal or hex
            host = (0..<int(1...4)).map { _ in
                let n = int(0...4) == 0 ? Int(UInt32.random(in: 0...UInt32.max, using: &rng)) : int(0...300)
                switch int(0...3) {
                case 0: return "0x" + String(n, radix: 16, uppercase: chance(0.3))
                case 1: return "0" + String(n, radix: 8)
                default: return String(n)
                }
            }.joined(separator: ".") + (chance(0.1) ? "." : "")
        case 2: host = "[" + ipv6Text(ipv6Groups()) + "]"
        case 3: host = pick(["localhost", "example.com", "abc.123", "%31.2.3.4", "0x", "1.2.3.4%2e5", "::1", "[]"])
        case 4: host = String(UInt32.random(in: 0...UInt32.max, using: &rng))
        case 5: host = "[" + ipv6Text(ipv6Groups()) + zoneID() + "]"
        default: host = ipv4Text(ipv4Value())
        }
        var s = host
        if chance(0.5) { s += ":" + pick(["80", "443", "0", "65535", "65536", "0080", "", "8a", String(int(0...70000))]) }
        if chance(0.15) { s = pick(["user:80@", "u@", "@", "a:b@c@"]) + s }
        if chance(0.1) { s += pick(["/", "/path", "?q=1:2", "#frag", "\\x", " "]) }
        if chance(0.1) { s = pick(["/", "//", "\\"]) + s }
        if chance(0.3) { s = mutate(s, alphabet: Self.wideAlphabet) }
        return s
    }
}
