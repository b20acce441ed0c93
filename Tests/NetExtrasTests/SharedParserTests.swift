// Every reader of address text shares NetCore's one `IPAddress` parser, so on any input they
// agree with each other as Node's readers do with each other, and each agrees with node:
// `isIP`, the parsed value connect and listen use, `new SocketAddress` and `BlockList.check`.
import Foundation
import NetCore
import NetExtras
import Testing
import NetTestSupport

@Suite struct SharedParserTests {
    /// Generated candidates plus the edge-case table's inputs.
    static func inputs(seed: UInt64, count: Int) -> [String] {
        var gen = AddressGenerator(seed: seed)
        return (0..<count).map { _ in gen.ipCandidate() } + AddressEdgeCaseTests.cases.map(\.input)
    }

    /// The same answers Node's readers give, computed from our readers: isIP, then for each
    /// family the SocketAddress text (or `!ERR_INVALID_ADDRESS`) and the catch-all list's check.
    static func answers(_ input: String, _ list: BlockList) -> [String] {
        var ours = ["\(isIP(input))"]
        for family in [SocketAddress.Family.ipv4, .ipv6] {
            do {
                ours.append(try SocketAddress(address: input, family: family).address)
            } catch {
                ours.append("!\(error.code)")
            }
            ours.append("\(list.check(input, family: family))")
        }
        return ours
    }

    // Without node: the readers agree among themselves. Whatever `isIP` accepts, the parsed
    // value, `SocketAddress` and `BlockList` accept as the same address; text only the binding's
    // reading accepts has a `%` or a NUL in it. The one exception is the binding's 39-byte cut:
    // with a zone id, `SocketAddress` and `BlockList` read only the first 39 bytes before the
    // `%` (as Node does), while the value reads the whole address `isIP` accepted.
    @Test func readersAgreeWithEachOther() throws {
        let list = try AddressEdgeCaseTests.catchAll()
        for input in Self.inputs(seed: 0x5EED_0101, count: 8000) {
            let family = isIP(input)
            let value = IPAddress(input)
            #expect(value?.family ?? 0 == family, "\(input.debugDescription)")
            let cut = (input.utf8.firstIndex(of: UInt8(ascii: "%")).map { input.utf8.distance(from: input.utf8.startIndex, to: $0) } ?? 0) > 39
            for f in [SocketAddress.Family.ipv4, .ipv6] {
                let socketAddress = try? SocketAddress(address: input, family: f)
                let matches = family == (f == .ipv4 ? 4 : 6)
                if let value, matches, !cut {
                    #expect(socketAddress?.address == value.withoutZone.description, "\(input.debugDescription)")
                    #expect(list.check(input, family: f), "\(input.debugDescription)")
                    #expect(list.check(value), "\(input.debugDescription)")
                } else if socketAddress != nil, !cut {
                    #expect(input.contains("%") || input.contains("\u{0}"), "\(input.debugDescription)")
                }
                #expect(list.check(input, family: f) == (socketAddress != nil), "\(input.debugDescription)")
            }
            if let value {
                // Printing and parsing again gives the same value.
                #expect(IPAddress(value.description) == value, "\(input.debugDescription)")
            }
        }
    }

    @Test(.enabled(if: NodeOracle.available, "node is not installed")) func everyReaderAgreesWithNode() throws {
        let inputs = Self.inputs(seed: 0x5EED_0102, count: 4000)
        let script = """
            const net = require('net');
            const inputs = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
            const list = new net.BlockList();
            list.addSubnet('0.0.0.0', 0);
            list.addSubnet('::', 0, 'ipv6');
            process.stdout.write(JSON.stringify(inputs.map((s) => {
              const r = [String(net.isIP(s))];
              for (const family of ['ipv4', 'ipv6']) {
                try { r.push(new net.SocketAddress({ address: s, family }).address); }
                catch (e) { r.push('!' + e.code); }
                r.push(String(list.check(s, family)));
              }
              return r;
            })));
            """
        let node = try #require(try NodeOracle.run(script: script, input: inputs) as? [[String]])
        try #require(node.count == inputs.count)
        let list = try AddressEdgeCaseTests.catchAll()
        var mismatches: [String] = []
        for (input, theirs) in zip(inputs, node) {
            let ours = Self.answers(input, list)
            if ours != theirs { mismatches.append("\(input.debugDescription): node \(theirs), ours \(ours)") }
        }
        NodeOracle.report(mismatches, of: inputs.count, "isIP/SocketAddress/BlockList")
    }
}
