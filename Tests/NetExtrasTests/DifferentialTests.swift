// Differential tests: the same generated inputs go through NetExtras and through the local
// `node` binary (v20), and every answer must agree.
//
// Covered: isIP/isIPv4/isIPv6; `SocketAddress(address:family:)` acceptance and the printed form
// of the address (Node's native parser and printer); `SocketAddress.parse` against Node 20's
// WHATWG URL parser driven the way Node 23's `SocketAddress.parse` drives it; and BlockList rule
// sets — their `rules` text, their add-time errors and their answers for probe addresses.
import Foundation
import NetCore
@testable import NetExtras
import Testing
import NetTestSupport

@Suite struct DifferentialTests {
    @Test(.enabled(if: NodeOracle.available, "node is not installed")) func isIPAndAddressParsingAgreeWithNode() throws {
        var gen = AddressGenerator(seed: 0x5EED_0001)
        let inputs = (0..<6000).map { _ in gen.ipCandidate() }
        let script = """
            const net = require('net');
            const inputs = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
            process.stdout.write(JSON.stringify(inputs.map((s) => {
              const r = [net.isIP(s), net.isIPv4(s), net.isIPv6(s)];
              for (const family of ['ipv4', 'ipv6']) {
                try { r.push(new net.SocketAddress({ address: s, family }).address); }
                catch (e) { r.push('!' + e.code); }
              }
              return r;
            })));
            """
        let answers = try #require(try NodeOracle.run(script: script, input: inputs) as? [[Any]])
        try #require(answers.count == inputs.count)
        var mismatches: [String] = []
        for (input, node) in zip(inputs, answers) {
            var ours: [String] = ["\(isIP(input))", "\(isIPv4(input))", "\(isIPv6(input))"]
            for family in [SocketAddress.Family.ipv4, .ipv6] {
                do {
                    ours.append(try SocketAddress(address: input, family: family).address)
                } catch {
                    ours.append("!\(error.code)")
                }
            }
            guard node.count == 5 else {
                mismatches.append("\(input.debugDescription): node answered \(node)")
                continue
            }
            let theirs = [
                "\((node[0] as? NSNumber)?.intValue ?? -1)", "\(node[1] as? Bool ?? false)",
                "\(node[2] as? Bool ?? false)", "\(node[3])", "\(node[4])",
            ]
            if ours != theirs {
                mismatches.append("\(input.debugDescription): node \(theirs), ours \(ours)")
            }
        }
        NodeOracle.report(mismatches, of: inputs.count, "isIP/SocketAddress")
    }

    @Test(.enabled(if: NodeOracle.available, "node is not installed")) func parseAgreesWithNodesURLParser() throws {
        var gen = AddressGenerator(seed: 0x5EED_0002)
        let inputs = (0..<4000).map { _ in gen.parseCandidate() }
        let (mismatches, parsed) = try ParseOracle.compare(inputs)
        // Both outcomes must be well represented for the comparison to mean something.
        #expect(parsed > inputs.count / 5 && parsed < inputs.count * 4 / 5)
        NodeOracle.report(mismatches, of: inputs.count, "SocketAddress.parse")
    }

    @Test(.enabled(if: NodeOracle.available, "node is not installed")) func blockListsAgreeWithNode() throws {
        var gen = AddressGenerator(seed: 0x5EED_0003)
        let cases = (0..<400).map { _ in BlockListCase.generate(&gen) }
        let script = """
            const { BlockList, SocketAddress } = require('net');
            const cases = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
            process.stdout.write(JSON.stringify(cases.map(({ rules, probes }) => {
              const list = new BlockList();
              const errors = rules.map((r) => {
                try {
                  switch (r[0]) {
                    case 'address': list.addAddress(r[1], r[2]); break;
                    case 'range': list.addRange(r[1], r[2], r[3]); break;
                    case 'subnet': list.addSubnet(r[1], r[2], r[3]); break;
                    case 'rangeSA':
                      list.addRange(new SocketAddress({ address: r[1], family: r[2] }),
                                    new SocketAddress({ address: r[3], family: r[4] }));
                      break;
                  }
                  return null;
                } catch (e) { return e.code; }
              });
              return { errors, rules: list.rules, checks: probes.map(([a, f]) => list.check(a, f)) };
            })));
            """
        let answers = try #require(try NodeOracle.run(script: script, input: cases.map(\.json)) as? [[String: Any]])
        try #require(answers.count == cases.count)
        var mismatches: [String] = []
        var checks = 0
        var blocked = 0
        for (c, node) in zip(cases, answers) {
            let list = BlockList()
            let errors = c.rules.map { rule -> String? in
                do throws(NetError) {
                    try rule.apply(to: list)
                    return nil
                } catch {
                    return error.code.rawValue
                }
            }
            let nodeErrors = (node["errors"] as? [Any] ?? []).map { $0 as? String }
            if errors != nodeErrors {
                mismatches.append("rules \(c.rules): errors node \(nodeErrors), ours \(errors)")
            }
            let nodeRules = node["rules"] as? [String] ?? []
            if list.rules != nodeRules {
                mismatches.append("rules \(c.rules): node \(nodeRules), ours \(list.rules)")
            }
            let nodeChecks = node["checks"] as? [Bool] ?? []
            for (i, probe) in c.probes.enumerated() {
                let ours = list.check(probe.address, family: probe.family)
                checks += 1
                if ours { blocked += 1 }
                if i >= nodeChecks.count || nodeChecks[i] != ours {
                    mismatches.append(
                        "rules \(nodeRules): check(\(probe.address.debugDescription), \(probe.family)) node \(i < nodeChecks.count ? "\(nodeChecks[i])" : "-"), ours \(ours)"
                    )
                }
            }
        }
        #expect(blocked > checks / 10 && blocked < checks * 9 / 10)
        NodeOracle.report(mismatches, of: checks, "BlockList")
    }
}

/// One generated BlockList: rules to add (some invalid on purpose) and addresses to check,
/// many of them on or next to a rule's edges.
struct BlockListCase {
    enum Rule: CustomStringConvertible {
        case address(String, SocketAddress.Family)
        case range(String, String, SocketAddress.Family)
        case subnet(String, Int, SocketAddress.Family)
        case rangeOfAddresses(String, SocketAddress.Family, String, SocketAddress.Family)

        func apply(to list: BlockList) throws(NetError) {
            switch self {
            case .address(let a, let f): try list.addAddress(a, family: f)
            case .range(let s, let e, let f): try list.addRange(s, e, family: f)
            case .subnet(let n, let p, let f): try list.addSubnet(n, prefix: p, family: f)
            case .rangeOfAddresses(let s, let sf, let e, let ef):
                try list.addRange(SocketAddress(address: s, family: sf), SocketAddress(address: e, family: ef))
            }
        }

        var json: [Any] {
            switch self {
            case .address(let a, let f): return ["address", a, f.rawValue]
            case .range(let s, let e, let f): return ["range", s, e, f.rawValue]
            case .subnet(let n, let p, let f): return ["subnet", n, p, f.rawValue]
            case .rangeOfAddresses(let s, let sf, let e, let ef): return ["rangeSA", s, sf.rawValue, e, ef.rawValue]
            }
        }

        var description: String { "\(json)" }
    }

    var rules: [Rule]
    var probes: [(address: String, family: SocketAddress.Family)]

    var json: [String: Any] {
        ["rules": rules.map(\.json), "probes": probes.map { [$0.address, $0.family.rawValue] }]
    }

    /// An address value of either family, as numbers, so neighbours can be computed.
    enum Value {
        case v4(UInt32)
        case v6([UInt16])
    }

    static func generate(_ gen: inout AddressGenerator) -> BlockListCase {
        var rules: [Rule] = []
        var edges: [Value] = []
        func text(_ v: Value) -> (String, SocketAddress.Family) {
            switch v {
            case .v4(let x): return (gen.ipv4Text(x), .ipv4)
            case .v6(let g): return (gen.ipv6Text(g), .ipv6)
            }
        }
        func value(v6: Bool) -> Value { v6 ? .v6(gen.ipv6Groups()) : .v4(gen.ipv4Value()) }

        for _ in 0..<gen.int(1...5) {
            let v6 = gen.chance(0.45)
            switch gen.int(0...9) {
            case 0...2:
                let v = value(v6: v6)
                edges.append(v)
                let (t, f) = text(v)
                rules.append(.address(t, f))
            case 3...5:
                var a = value(v6: v6)
                var b = gen.chance(0.6) ? Self.neighbour(a, by: gen.int(0...600)) : value(v6: v6)
                if gen.chance(0.85), Self.isGreater(a, b) { swap(&a, &b) }
                edges += [a, b]
                let (s, f) = text(a)
                let (e, _) = text(b)
                rules.append(.range(s, e, f))
            case 6...8:
                let v = value(v6: v6)
                edges.append(v)
                let width = v6 ? 128 : 32
                let prefix = gen.chance(0.05) ? gen.pick([-1, width + 1]) : gen.pick([0, width, gen.int(0...width), gen.int(0...width)])
                let (t, f) = text(v)
                rules.append(.subnet(t, prefix, f))
            default:
                let a = value(v6: gen.chance(0.5))
                let b = value(v6: gen.chance(0.5))
                edges += [a, b]
                let (s, sf) = text(a)
                let (e, ef) = text(b)
                rules.append(.rangeOfAddresses(s, sf, e, ef))
            }
            if gen.chance(0.05) { rules.append(.address(gen.ipCandidate(), gen.chance(0.5) ? .ipv4 : .ipv6)) }
        }

        var probes: [(String, SocketAddress.Family)] = []
        for edge in edges {
            for delta in [-1, 0, 1, 37] {
                let v = Self.neighbour(edge, by: delta)
                probes.append(text(v))
                if case .v4(let x) = v, gen.chance(0.5) {  // the same address, IPv4-mapped
                    probes.append(("::ffff:" + gen.ipv4Text(x), .ipv6))
                }
                if case .v6(let g) = v, g[0..<5].allSatisfy({ $0 == 0 }), g[5] == 0xFFFF {  // and unmapped
                    probes.append((gen.ipv4Text(UInt32(g[6]) << 16 | UInt32(g[7])), .ipv4))
                }
            }
        }
        for _ in 0..<gen.int(2...6) { probes.append(text(value(v6: gen.chance(0.5)))) }
        if gen.chance(0.3) { probes.append((gen.ipCandidate(), gen.chance(0.5) ? .ipv4 : .ipv6)) }
        return BlockListCase(rules: rules, probes: probes)
    }

    static func neighbour(_ v: Value, by delta: Int) -> Value {
        switch v {
        case .v4(let x): return .v4(UInt32(truncatingIfNeeded: Int64(x) + Int64(delta)))
        case .v6(var g):
            g[7] = UInt16(truncatingIfNeeded: Int(g[7]) + delta)
            return .v6(g)
        }
    }

    static func isGreater(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.v4(let x), .v4(let y)): return x > y
        case (.v6(let x), .v6(let y)): return x.lexicographicallyPrecedes(y) == false && x != y
        default: return false
        }
    }
}
