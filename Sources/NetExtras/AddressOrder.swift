import NetCore

/// The order in which happy eyeballs tries a host's addresses, as Node's
/// `lookupAndConnectMultiple` builds it.
package enum AddressOrder {
    /// Keeps the answers that are IP literals of family 4 or 6, drops repeats of an address
    /// within its family, and interleaves the families starting with the first valid answer's:
    /// preferred, other, preferred, other… Each family keeps the resolver's order.
    package static func interleave(_ answers: [LookupAddress]) -> [LookupAddress] {
        interleaveParsed(answers).map(\.answer)
    }

    /// ``interleave(_:)`` with each answer's address parsed (once, as `net.isIP` reads it).
    package static func interleaveParsed(_ answers: [LookupAddress]) -> [(answer: LookupAddress, address: IPAddress)] {
        var preferred: [(answer: LookupAddress, address: IPAddress)] = []
        var other: [(answer: LookupAddress, address: IPAddress)] = []
        var preferredFamily: Int?
        for answer in answers where answer.family == 4 || answer.family == 6 {
            guard let address = IPAddress(answer.address) else { continue }
            let family = preferredFamily ?? answer.family
            preferredFamily = family
            if answer.family == family {
                if !preferred.contains(where: { $0.answer.address == answer.address }) { preferred.append((answer, address)) }
            } else if !other.contains(where: { $0.answer.address == answer.address }) {
                other.append((answer, address))
            }
        }
        var ordered: [(answer: LookupAddress, address: IPAddress)] = []
        ordered.reserveCapacity(preferred.count + other.count)
        for i in 0..<max(preferred.count, other.count) {
            if i < preferred.count { ordered.append(preferred[i]) }
            if i < other.count { ordered.append(other[i]) }
        }
        return ordered
    }
}
