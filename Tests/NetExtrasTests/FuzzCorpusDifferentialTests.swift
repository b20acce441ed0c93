// The fuzz corpora, read back and compared with node: every input the fuzzers kept for isIP,
// SocketAddress.parse and BlockList is given to NetExtras and to node, read the way the fuzz
// target reads it (Fuzz/Sources), and the answers must agree. `make test` reads the seeds
// committed in Fuzz/Corpus; `make fuzz` points SWIFT_NET_FUZZ_CORPUS at the grown corpus.
import Foundation
import NetCore
@testable import NetExtras
import Testing
import NetTestSupport

@Suite struct FuzzCorpusDifferentialTests {
    @Test(.enabled(if: NodeOracle.available, "node is not installed")) func isIPCorpusAgreesWithNode() throws {
        let inputs = FuzzCorpus.inputs("FuzzIsIP").map { String(decoding: $0, as: UTF8.self) }
        try #require(!inputs.isEmpty, "no corpus at \(FuzzCorpus.seeds.path)")
        let script = """
            const net = require('net');
            const inputs = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
            process.stdout.write(JSON.stringify(inputs.map((s) => [net.isIP(s), net.isIPv4(s), net.isIPv6(s)])));
            """
        let answers = try #require(try NodeOracle.run(script: script, input: inputs) as? [[Any]])
        try #require(answers.count == inputs.count)
        var mismatches: [String] = []
        for (input, node) in zip(inputs, answers) {
            let ours = "\(isIP(input)) \(isIPv4(input)) \(isIPv6(input))"
            let theirs = "\((node[0] as? NSNumber)?.intValue ?? -1) \(node[1] as? Bool ?? false) \(node[2] as? Bool ?? false)"
            if ours != theirs { mismatches.append("\(input.debugDescription): node \(theirs), ours \(ours)") }
        }
        print("fuzz corpus: FuzzIsIP \(inputs.count) inputs compared with node, \(mismatches.count) differ")
        NodeOracle.report(mismatches, of: inputs.count, "isIP corpus")
    }

    @Test(.enabled(if: NodeOracle.available, "node is not installed")) func socketAddressParseCorpusAgreesWithNode() throws {
        let inputs = FuzzCorpus.inputs("FuzzSocketAddress").map { String(decoding: $0, as: UTF8.self) }
        try #require(!inputs.isEmpty, "no corpus at \(FuzzCorpus.seeds.path)")
        let (mismatches, _) = try ParseOracle.compare(inputs)
        print("fuzz corpus: FuzzSocketAddress \(inputs.count) inputs compared with node, \(mismatches.count) differ")
        NodeOracle.report(mismatches, of: inputs.count, "SocketAddress.parse corpus")
    }

    /// One BlockList operation of a fuzz input, parsed as FuzzBlockList parses it.
    struct Op {
        var op: String
        var family: SocketAddress.Family
        var a: String
        var b: String
        var prefix: Int

        /// The operations of an input: at most 64 lines of `OP FAMILY ARG [ARG]`.
        static func parse(_ bytes: [UInt8]) -> [Op] {
            let text = String(decoding: bytes, as: UTF8.self)
            var ops: [Op] = []
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).prefix(64) {
                let f = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
                guard f.count >= 3, ["a", "r", "s", "c"].contains(f[0]) else { continue }
                if (f[0] == "r" || f[0] == "s") && f.count < 4 { continue }
                let b = f.count >= 4 ? f[3] : ""
                let prefix = Int(b) ?? (b.hasPrefix("-") ? Int.min : Int.max)
                ops.append(Op(op: f[0], family: f[1] == "6" ? .ipv6 : .ipv4, a: f[2], b: b, prefix: prefix))
            }
            return ops
        }

        var json: [Any] { [op, family.rawValue, a, b, Double(prefix)] }
    }

    @Test(.enabled(if: NodeOracle.available, "node is not installed")) func blockListCorpusAgreesWithNode() throws {
        let programs = FuzzCorpus.inputs("FuzzBlockList").map(Op.parse)
        try #require(!programs.isEmpty, "no corpus at \(FuzzCorpus.seeds.path)")
        let script = """
            const { BlockList } = require('net');
            const programs = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
            process.stdout.write(JSON.stringify(programs.map((ops) => {
              const list = new BlockList();
              const out = ops.map(([op, family, a, b, prefix]) => {
                try {
                  if (op === 'a') list.addAddress(a, family);
                  else if (op === 'r') list.addRange(a, b, family);
                  else if (op === 's') list.addSubnet(a, prefix, family);
                  else return String(list.check(a, family));
                  return 'ok';
                } catch (e) { return '!' + e.code; }
              });
              return [out, list.rules];
            })));
            """
        let answers = try #require(try NodeOracle.run(script: script, input: programs.map { $0.map(\.json) }) as? [[Any]])
        try #require(answers.count == programs.count)
        var mismatches: [String] = []
        for (ops, node) in zip(programs, answers) {
            let list = BlockList()
            let ours: [String] = ops.map { o in
                do throws(NetError) {
                    switch o.op {
                    case "a": try list.addAddress(o.a, family: o.family)
                    case "r": try list.addRange(o.a, o.b, family: o.family)
                    case "s": try list.addSubnet(o.a, prefix: o.prefix, family: o.family)
                    default: return "\(list.check(o.a, family: o.family))"
                    }
                    return "ok"
                } catch {
                    return "!\(error.code)"
                }
            }
            let theirs = (node.first as? [String]) ?? []
            let theirRules = (node.last as? [String]) ?? []
            if ours != theirs || list.rules != theirRules {
                mismatches.append("\(ops.map { "\($0.op) \($0.family) \($0.a) \($0.b)" }): node \(theirs) \(theirRules), ours \(ours) \(list.rules)")
            }
        }
        print("fuzz corpus: FuzzBlockList \(programs.count) inputs compared with node, \(mismatches.count) differ")
        NodeOracle.report(mismatches, of: programs.count, "BlockList corpus")
    }
}
