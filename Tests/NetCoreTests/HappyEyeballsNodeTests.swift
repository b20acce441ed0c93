import Testing
import NetTestSupport
import Foundation
@testable import NetCore
import Net

/// Happy eyeballs and custom lookups against the local `node` (v20 has everything used here):
/// the same connects, the same custom lookup answers, the same loopback ports; the stories of
/// events and the attempted addresses must agree.
@Suite struct HappyEyeballsNodeTests {
    struct Scenario {
        var host = "nowhere.test"
        var answers: [(String, Int)]?
        var notFound = false
        var auto = true
        var listening = true
    }

    static let scenarios: [Scenario] = [
        Scenario(answers: [("::1", 6), ("127.0.0.1", 4)]),
        Scenario(answers: [("::1", 6), ("127.0.0.1", 4)], listening: false),
        Scenario(answers: [("127.0.0.1", 4), ("::1", 6)]),
        Scenario(answers: [("::ffff:127.0.0.2", 6), ("::ffff:127.0.0.3", 6), ("::1", 6),
                           ("127.0.0.2", 4), ("127.0.0.3", 4), ("127.0.0.1", 4)]),
        Scenario(answers: [("127.0.0.1", 4), ("127.0.0.1", 4), ("bogus", 4)]),
        Scenario(answers: [("bogus", 4), ("127.0.0.1", 5)]),
        Scenario(answers: [("127.0.0.1", 5)]),
        Scenario(answers: [("::1", 6), ("127.0.0.1", 4)], auto: false),
        Scenario(notFound: true),
        Scenario(host: "127.0.0.1", listening: false),
        Scenario(answers: [("::ffff:127.0.0.2", 6), ("127.0.0.1", 4)]),
        Scenario(answers: [("127.0.0.2", 4), ("::1", 6), ("127.0.0.3", 4)], listening: false),
        Scenario(answers: [("bogus", 4)], auto: false),
        Scenario(answers: [("127.0.0.3", 4), ("127.0.0.2", 4), ("::1", 6), ("::ffff:127.0.0.1", 6)]),
    ]

    static let script = #"""
    const net = require('net');
    const fs = require('fs');
    const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
    const out = [];
    let i = 0;
    function next() {
      if (i === input.length) { process.stdout.write(JSON.stringify(out)); return; }
      const sc = input[i++];
      const log = [];
      const p = (t) => t.split(':' + sc.port).join(':P');
      const s = new net.Socket();
      s.on('lookup', (e, a, f) => log.push(`lookup ${e ? e.code : '-'} ${a ?? '-'} ${f ?? '-'}`));
      s.on('connectionAttempt', (a, port, f) => log.push(p(`attempt ${a}:${port} ${f}`)));
      s.on('connectionAttemptFailed', (a, port, f, e) => log.push(p(`failed ${a}:${port} ${f} ${e.code} ${e.message}`)));
      s.on('connectionAttemptTimeout', (a, port, f) => log.push(p(`timeout ${a}:${port} ${f}`)));
      s.on('connect', () => { log.push('connect'); s.destroy(); });
      s.on('error', (e) => {
        const inner = e.errors ? ' [' + e.errors.map((x) => x.message).join(', ') + ']' : '';
        log.push(p(`error ${e.name} ${e.code} ${e.message}${inner}`));
      });
      s.on('close', (h) => {
        log.push(`close ${h}`);
        out.push({ log, attempted: (s.autoSelectFamilyAttemptedAddresses || null) && s.autoSelectFamilyAttemptedAddresses.map(p) });
        setImmediate(next);
      });
      const o = { host: sc.host, port: sc.port, autoSelectFamily: sc.auto };
      if (sc.answers) {
        o.lookup = (h, opts, cb) => opts.all
          ? cb(null, sc.answers.map(([address, family]) => ({ address, family })))
          : cb(null, sc.answers[0][0], sc.answers[0][1]);
      }
      if (sc.notFound) {
        o.lookup = (h, opts, cb) => {
          const e = new Error('getaddrinfo ENOTFOUND ' + h);
          e.code = 'ENOTFOUND'; e.syscall = 'getaddrinfo'; e.hostname = h;
          cb(e);
        };
      }
      s.connect(o);
    }
    next();
    """#

    // node: test/internet/test-net-autoselectfamily-events-failure.js — scenario 2 (every
    // address refused: 'connectionAttempt' and 'connectionAttemptFailed' with their address,
    // port, family and error for each, then the AggregateError and 'close') and the others,
    // compared event for event with node.
    @Test(.enabled(if: NodeOracle.available, "node is not installed"))
    func storiesAgreeWithNode() throws {
        guard let listener = RawListener(host: "127.0.0.1", full: false) else {
            Issue.record("cannot listen")
            return
        }
        defer { listener.close() }
        let open = listener.port
        let closed = closedPort()
        let input: [[String: Any]] = Self.scenarios.map { sc in
            var d: [String: Any] = ["host": sc.host, "port": sc.listening ? open : closed, "auto": sc.auto, "notFound": sc.notFound]
            if let a = sc.answers { d["answers"] = a.map { [$0.0, $0.1] as [Any] } }
            return d
        }
        let node = try #require(try NodeOracle.run(script: Self.script, input: input) as? [[String: Any]])

        var ours: [(log: [String], attempted: [String]?)] = Array(repeating: ([], nil), count: Self.scenarios.count)
        withLoop { loop in
            _ = Net.getDefaultAutoSelectFamily()
            for (i, sc) in Self.scenarios.enumerated() {
                let port = sc.listening ? open : closed
                let log = Log()
                let s = Socket(loop: loop)
                recordConnect(s, port: port, into: log)
                s.on(.connect) { s.destroy() }
                s.on(.close) { _ in
                    ours[i] = (log.entries, s.autoSelectFamilyAttemptedAddresses?.map {
                        $0.replacingOccurrences(of: ":\(port)", with: ":P")
                    })
                }
                var o = SocketConnectOptions(port: port, host: sc.host)
                o.autoSelectFamily = sc.auto
                if let answers = sc.answers { o.lookup = fixedLookup(answers) }
                if sc.notFound { o.lookup = notFoundLookup() }
                do { try s.connect(o) } catch { Issue.record("connect threw \(error)") }
            }
        }
        var mismatches: [String] = []
        for (i, theirs) in node.enumerated() {
            let log = theirs["log"] as? [String] ?? []
            let attempted = theirs["attempted"] as? [String]
            if log != ours[i].log { mismatches.append("scenario \(i): node \(log)\n swift \(ours[i].log)") }
            if attempted != ours[i].attempted {
                mismatches.append("scenario \(i) attempted: node \(attempted ?? []) swift \(ours[i].attempted ?? [])")
            }
        }
        #expect(node.count == Self.scenarios.count)
        NodeOracle.report(mismatches, of: Self.scenarios.count, "happy eyeballs")
    }
}

/// The process defaults through `Net`. Serialized: they are shared by the whole process, and
/// the other tests pass `autoSelectFamily` explicitly wherever it matters.
@Suite(.serialized) struct AutoSelectFamilyDefaultsTests {
    typealias HE = HappyEyeballsSocketTests

    // node: test/parallel/test-net-autoselectfamily-default.js — with the default on, a connect
    // that does not say uses happy eyeballs; with it off, the first address only.
    @Test func defaultAutoSelectFamilyIsRespected() {
        let initial = Net.getDefaultAutoSelectFamily()
        #expect(initial)
        var results: [String] = []
        defer { Net.setDefaultAutoSelectFamily(true) }
        for enabled in [true, false] {
            Net.setDefaultAutoSelectFamily(enabled)
            let now = Net.getDefaultAutoSelectFamily()
            #expect(now == enabled)
            withLoop { loop in
                let server = Net.createServer(loop: loop) { $0.end() }
                listenLocal(server) { p in
                    var o = SocketConnectOptions(port: p, host: "nowhere.test")
                    o.lookup = fixedLookup([("::1", 6), ("127.0.0.1", 4)])
                    let s = Socket(loop: loop)
                    s.on(.connect) { results.append("connect \(s.autoSelectFamilyAttemptedAddresses?.count ?? 0)") }
                    s.on(.error) { e in results.append("error \(e.code) \(e.address ?? "")") }
                    s.on(.close) { _ in server.close() }
                    s.resume()
                    do { try s.connect(o) } catch { Issue.record("connect threw \(error)") }
                }
            }
        }
        #expect(results == ["connect 2", "error ECONNREFUSED ::1"])
    }

    // node: test/parallel/test-net-autoselectfamily-attempt-timeout-default-value.js and
    // test-net-socket-connect-invalid-autoselectfamilyattempttimeout.js through `Net`; the
    // default is what an attempt gets when its options do not say.
    @Test func defaultAttemptTimeoutIsValidatedClampedAndUsed() throws {
        let initial = Net.getDefaultAutoSelectFamilyAttemptTimeout()
        #expect(initial == 250)
        defer { try? Net.setDefaultAutoSelectFamilyAttemptTimeout(250) }
        for bad in [-10, 0] {
            #expect(throws: NetError.outOfRange("value", range: ">= 1 && <= 2147483647", received: "\(bad)")) {
                try Net.setDefaultAutoSelectFamilyAttemptTimeout(bad)
            }
        }
        for (value, stored) in [(1, 10), (9, 10), (30, 30)] {
            try Net.setDefaultAutoSelectFamilyAttemptTimeout(value)
            let now = Net.getDefaultAutoSelectFamilyAttemptTimeout()
            #expect(now == stored)
        }
        var waited: UInt64 = 0
        var hole: RawListener?
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.end() }
            listenLocal(server) { p in
                hole = RawListener(host: "127.0.0.2", port: p, full: true)
                let s = HE.start(HE.options(p, [("127.0.0.2", 4), ("127.0.0.1", 4)], loop: loop), loop: loop, port: p, log: Log())
                var started: UInt64 = 0
                s.on(.connectionAttempt) { e in if e.address == "127.0.0.2" { started = loop.now } }
                s.on(.connectionAttemptTimeout) { _ in waited = loop.now - started }
                s.on(.close) { _ in server.close() }
                s.resume()
            }
        }
        hole?.close()
        #expect(waited >= 30 && waited < 250)
    }
}
