import NetCore

/// The order in which happy eyeballs tries a host's addresses, as Node's
/// `lookupAndConnectMultiple` builds it.
package enum AddressOrder {
    /// Keeps the answers that are IP literals of family 4 or 6, drops repeats of an address
    /// within its family, and interleaves the families starting with the first valid answer's:
    /// preferred, other, preferred, other… Each family keeps the resolver's order.
    package static func interleave(_ answers: [LookupAddress]) -> [LookupAddress] {
        var preferred: [LookupAddress] = []
        var other: [LookupAddress] = []
        var preferredFamily: Int?
        for answer in answers where isIP(answer.address) != 0 && (answer.family == 4 || answer.family == 6) {
            let family = preferredFamily ?? answer.family
            preferredFamily = family
            if answer.family == family {
                if !preferred.contains(where: { $0.address == answer.address }) { preferred.append(answer) }
            } else if !other.contains(where: { $0.address == answer.address }) {
                other.append(answer)
            }
        }
        var ordered: [LookupAddress] = []
        ordered.reserveCapacity(preferred.count + other.count)
        for i in 0..<max(preferred.count, other.count) {
            if i < preferred.count { ordered.append(preferred[i]) }
            if i < other.count { ordered.append(other[i]) }
        }
        return ordered
    }
}
