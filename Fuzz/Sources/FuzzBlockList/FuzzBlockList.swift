// Fuzzes BlockList rule building and checking. The input is text, one operation per line:
//   a FAMILY ADDRESS        addAddress
//   r FAMILY START END      addRange
//   s FAMILY NETWORK PREFIX addSubnet
//   c FAMILY ADDRESS        check
// where FAMILY is 4 or 6 (anything else means 4). Checks: an address, a range's ends and a
// subnet's network are blocked once added; `rules` has one line per rule added.
import NetExtras

/// Runs one input; traps (so libFuzzer reports it) when a check fails.
func testOneInput(_ input: UnsafeBufferPointer<UInt8>) -> Int32 {
    let text = String(decoding: input, as: UTF8.self)
    let list = BlockList()
    var added = 0
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).prefix(64) {
        let f = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        guard f.count >= 3 else { continue }
        let family: SocketAddress.Family = f[1] == "6" ? .ipv6 : .ipv4
        switch f[0] {
        case "a":
            guard (try? list.addAddress(f[2], family: family)) != nil else { continue }
            added += 1
            precondition(list.check(f[2], family: family), "\(line) is not blocked once added")
        case "r" where f.count >= 4:
            guard (try? list.addRange(f[2], f[3], family: family)) != nil else { continue }
            added += 1
            precondition(list.check(f[2], family: family) && list.check(f[3], family: family), "\(line): ends not blocked")
        case "s" where f.count >= 4:
            let prefix = Int(f[3]) ?? (f[3].hasPrefix("-") ? Int.min : Int.max)
            guard (try? list.addSubnet(f[2], prefix: prefix, family: family)) != nil else { continue }
            added += 1
            precondition(list.check(f[2], family: family), "\(line): network not blocked")
        case "c":
            _ = list.check(f[2], family: family)
        default:
            continue
        }
    }
    precondition(list.rules.count == added, "\(list.rules.count) rules for \(added) added")
    _ = list.description
    return 0
}
