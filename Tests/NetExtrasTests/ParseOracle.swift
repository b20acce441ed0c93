import Testing
import NetTestSupport
@testable import NetExtras

/// `SocketAddress.parse` compared with Node 23.4's, run on node 20's URL parser: the written port
/// is kept even when it is 80 (the http default that `URL.port` hides; an https parse shows it).
enum ParseOracle {
    static let script = """
        const { SocketAddress } = require('net');
        const inputs = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
        function parse(input) {
          try {
            const url = new URL('http://' + input);
            const host = url.hostname;
            const port = url.port !== '' ? Number(url.port)
              : (new URL('https://' + input).port === '80' ? 80 : 0);
            const a = host.startsWith('[') && host.endsWith(']')
              ? new SocketAddress({ address: host.slice(1, -1), port, family: 'ipv6' })
              : new SocketAddress({ address: host, port });
            return [a.address, a.port, a.family];
          } catch { return null; }
        }
        process.stdout.write(JSON.stringify(inputs.map(parse)));
        """

    /// The inputs whose answers differ (described), and how many parsed to an address.
    static func compare(_ inputs: [String]) throws -> (mismatches: [String], parsed: Int) {
        let answers = try #require(try NodeOracle.run(script: script, input: inputs) as? [Any])
        try #require(answers.count == inputs.count)
        var mismatches: [String] = []
        var parsed = 0
        for (input, node) in zip(inputs, answers) {
            let theirs = (node as? [Any]).map { "\($0[0]) \($0[1]) \($0[2])" } ?? "nil"
            let ours = SocketAddress.parse(input).map { "\($0.address) \($0.port) \($0.family)" } ?? "nil"
            if ours != "nil" { parsed += 1 }
            if ours != theirs { mismatches.append("\(input.debugDescription): node \(theirs), ours \(ours)") }
        }
        return (mismatches, parsed)
    }
}
