import Testing
import NetCore
import NetExtras

/// The happy-eyeballs state machine, driven step by step and through the simulated network.
@Suite struct HappyEyeballsTests {
    typealias Sim = HappyEyeballsSimulation
    let v6 = LookupAddress(address: "::1", family: 6)
    let v4 = LookupAddress(address: "127.0.0.1", family: 4)

    func refused(_ a: LookupAddress) -> NetError {
        .connectAttempt(Sim.refused, address: a.address, port: 80, localPort: nil)
    }

    // node: lib/net.js internalConnectMultiple — the exact actions for two refusing addresses:
    // a timer for the first attempt only, cancelled by its failure; the aggregate at the end.
    @Test func twoRefusalsStepByStep() {
        var m = HappyEyeballs(addresses: [v6, v4], port: 80, attemptTimeout: 250)
        #expect(m.handle(.start) == [.emitAttempt(0), .recordAttempted(0), .connect(0)])
        #expect(m.handle(.connectStarted(0)) == [.startTimer(0, milliseconds: 250)])
        #expect(m.handle(.failed(0, refused(v6))) == [
            .cancelTimer, .abandon(0), .emitFailed(0, refused(v6)),
            .emitAttempt(1), .recordAttempted(1), .connect(1),
        ])
        #expect(m.handle(.connectStarted(1)) == [])  // no timer on the last attempt
        let actions = m.handle(.failed(1, refused(v4)))
        #expect(actions.count == 3)
        #expect(Array(actions.prefix(2)) == [.abandon(1), .emitFailed(1, refused(v4))])
        guard case .fail(let e)? = actions.last else {
            Issue.record("no failure: \(actions)")
            return
        }
        #expect(e.name == "AggregateError")
        #expect(e.code == .ECONNREFUSED)
        #expect(e.message == "")
        #expect(e.errors.map(\.message) == ["connect ECONNREFUSED ::1:80", "connect ECONNREFUSED 127.0.0.1:80"])
        #expect(m.isDone)
        #expect(m.handle(.failed(1, refused(v4))) == [])
    }

    // node: lib/net.js internalConnectMultipleTimeout — the timer records ETIMEDOUT with Node's
    // text, abandons the attempt and starts the next; a late success of it is closed.
    @Test func timerAbandonsTheAttemptAndALateSuccessIsClosed() {
        var m = HappyEyeballs(addresses: [v6, v4], port: 80, attemptTimeout: 250)
        _ = m.handle(.start)
        _ = m.handle(.connectStarted(0))
        #expect(m.handle(.timerFired(0)) == [
            .emitTimeout(0), .abandon(0), .emitAttempt(1), .recordAttempted(1), .connect(1),
        ])
        #expect(m.errors.map(\.message) == ["connect ETIMEDOUT ::1:80"])
        #expect(m.errors.first?.code == .ETIMEDOUT)
        #expect(m.handle(.timerFired(0)) == [])  // a stale timer changes nothing
        #expect(m.handle(.succeeded(0)) == [.abandon(0)])
        #expect(m.current == 1)
        #expect(m.handle(.connectStarted(1)) == [])
        #expect(m.handle(.succeeded(1)) == [.succeed(1)])
        #expect(m.handle(.succeeded(0)) == [.abandon(0)])
    }

    // A connect that fails at once never gets a timer, as Node's synchronous connect error.
    @Test func immediateFailureGetsNoTimer() {
        var m = HappyEyeballs(addresses: [v6, v4, v6], port: 80, attemptTimeout: 250)
        _ = m.handle(.start)
        let e = NetError.connectAttempt(Sim.unreachable, address: "::1", port: 80, localPort: nil)
        #expect(m.handle(.failed(0, e)) == [.abandon(0), .emitFailed(0, e), .emitAttempt(1), .recordAttempted(1), .connect(1)])
    }

    // node: lib/net.js afterConnectMultiple — an ECANCELED failure ends the sequence at once.
    @Test func cancelledAttemptEndsTheSequence() {
        var m = HappyEyeballs(addresses: [v6, v4], port: 80, attemptTimeout: 250)
        _ = m.handle(.start)
        _ = m.handle(.connectStarted(0))
        let cancelled = NetError.connectAttempt(-125, address: "::1", port: 80, localPort: nil)
        #expect(cancelled.code == "ECANCELED")
        let actions = m.handle(.failed(0, cancelled))
        #expect(Array(actions.prefix(3)) == [.cancelTimer, .abandon(0), .emitFailed(0, cancelled)])
        guard case .fail(let e)? = actions.last else {
            Issue.record("no failure: \(actions)")
            return
        }
        #expect(actions.count == 4)
        #expect(e.code == "ECANCELED" && e.errors.count == 1)
    }

    // Destroying the socket stops everything silently; what arrives later only closes handles.
    @Test func abortStopsTimerAndAttemptSilently() {
        var m = HappyEyeballs(addresses: [v6, v4], port: 80, attemptTimeout: 250)
        _ = m.handle(.start)
        _ = m.handle(.connectStarted(0))
        #expect(m.handle(.abort) == [.cancelTimer, .abandon(0)])
        #expect(m.isDone)
        #expect(m.handle(.abort) == [])
        #expect(m.handle(.timerFired(0)) == [])
        #expect(m.handle(.failed(0, refused(v6))) == [])
        #expect(m.handle(.succeeded(0)) == [.abandon(0)])
        var idle = HappyEyeballs(addresses: [v6, v4], port: 80, attemptTimeout: 250)
        #expect(idle.handle(.abort) == [])
        #expect(idle.handle(.start) == [])
    }

    // node: test/parallel/test-net-blocklist.js (v23.4+, the multi-address path as Node and
    // Bun's copy of it): a blocked address is recorded as that attempt's ERR_IP_BLOCKED with
    // 'connectionAttemptFailed', without 'connectionAttempt' or an attempted-address entry.
    @Test func blockedAddressesAreFailedAttempts() {
        var sim = Sim([v6, v4], behaviour: [v4.address: .win], blocked: ["::1"])
        sim.run()
        #expect(sim.transcript == ["failed ::1 ERR_IP_BLOCKED", "attempt 127.0.0.1", "connect 127.0.0.1"])
        #expect(sim.attempted == ["127.0.0.1:80"])
        var all = Sim([v6, v4], behaviour: [:], blocked: ["::1", "127.0.0.1"])
        all.run()
        #expect(all.transcript == [
            "failed ::1 ERR_IP_BLOCKED", "failed 127.0.0.1 ERR_IP_BLOCKED",
            "error AggregateError ERR_IP_BLOCKED [ERR_IP_BLOCKED ERR_IP_BLOCKED]",
        ])
        #expect(all.failure?.errors.first?.message == "IP(::1) is blocked by net.BlockList")
        #expect(all.attempted.isEmpty)
    }

    // node: lib/net.js internalConnectMultiple with localPort — each attempt binds first; a bind
    // failure is recorded without any event and the next address is tried.
    @Test func localPortBindsEachAttemptAndBindFailuresAreSilent() {
        var sim = Sim([v6, v4], behaviour: [v4.address: .refuse], localPort: 5000)
        sim.bindFails = ["::1"]
        sim.run()
        #expect(Array(sim.actions.prefix(3)) == [.bind(0), .abandon(0), .bind(1)])
        #expect(sim.transcript == [
            "attempt 127.0.0.1", "failed 127.0.0.1 ECONNREFUSED",
            "error AggregateError EADDRINUSE [EADDRINUSE ECONNREFUSED]",
        ])
        #expect(sim.failure?.errors.last?.message == "connect ECONNREFUSED 127.0.0.1:80 - Local (0.0.0.0:5000)")
        #expect(sim.open.isEmpty)
    }

    // Node's ERR_SOCKET_CONNECTION_TIMEOUT when the sequence ends with no error recorded.
    @Test func noAddressesFailWithConnectionTimeout() {
        var m = HappyEyeballs(addresses: [], port: 80, attemptTimeout: 250)
        #expect(m.handle(.start) == [.fail(NetError(code: .ERR_SOCKET_CONNECTION_TIMEOUT, message: "Socket connection timeout"))])
    }

    // node: test/parallel/test-net-autoselectfamily.js — an unreachable IPv6 address times
    // out and IPv4 wins; the unreachable attempt's late failure changes nothing.
    @Test func unreachableFirstAddressTimesOut() {
        var sim = Sim([v6, v4], behaviour: [v6.address: .unreachable, v4.address: .win])
        sim.run()
        #expect(sim.transcript == ["attempt ::1", "timeout ::1", "attempt 127.0.0.1", "connect 127.0.0.1"])
        #expect(sim.attempted == ["::1:80", "127.0.0.1:80"])
        #expect(sim.timersStarted.map(\.0) == [0])
        #expect(sim.timersStarted.map(\.1) == [0])
        #expect(sim.now == 75_000)  // the late failure was delivered and ignored
        #expect(sim.winner == 1 && sim.open.isEmpty)
    }

    // A slow address (answers after its timer fired) is abandoned; its success is closed and the
    // next address wins.
    @Test func slowFirstAddressIsAbandonedAndClosed() {
        var sim = Sim([v6, v4], behaviour: [v6.address: .slow, v4.address: .win])
        sim.run()
        #expect(sim.transcript == ["attempt ::1", "timeout ::1", "attempt 127.0.0.1", "connect 127.0.0.1"])
        #expect(sim.abandoned == [0, 0])  // at the timeout, then its late success
        #expect(sim.winner == 1 && sim.open.isEmpty)
    }

    // A custom attempt timeout is what the timer gets.
    @Test func attemptTimeoutIsUsed() {
        var sim = Sim([v6, v4], behaviour: [:], timeout: 10)
        sim.run()
        #expect(sim.actions.contains(.startTimer(0, milliseconds: 10)))
    }

    /// What Node's algorithm yields, worked out directly from the behaviours in attempt order.
    static func expected(_ ordered: [LookupAddress], _ behaviour: [String: Sim.Behaviour]) -> (transcript: [String], winner: Int?) {
        var story: [String] = []
        var codes: [String] = []
        for (k, a) in ordered.enumerated() {
            let last = k == ordered.count - 1
            story.append("attempt \(a.address)")
            switch behaviour[a.address] ?? .refuse {
            case .refuse:
                story.append("failed \(a.address) ECONNREFUSED"); codes.append("ECONNREFUSED")
            case .failAtOnce:
                story.append("failed \(a.address) ENETUNREACH"); codes.append("ENETUNREACH")
            case .unreachable where last:
                story.append("failed \(a.address) ETIMEDOUT"); codes.append("ETIMEDOUT")
            case .unreachable:
                story.append("timeout \(a.address)"); codes.append("ETIMEDOUT")
            case .slow where !last:
                story.append("timeout \(a.address)"); codes.append("ETIMEDOUT")
            case .slow, .win:
                story.append("connect \(a.address)")
                return (story, k)
            }
        }
        story.append("error AggregateError \(codes[0]) [\(codes.joined(separator: " "))]")
        return (story, nil)
    }

    /// Node's interleaving, worked out independently of `AddressOrder`.
    static func interleaved(_ answers: [LookupAddress]) -> [LookupAddress] {
        guard let first = answers.first else { return [] }
        let preferred = answers.filter { $0.family == first.family }
        let other = answers.filter { $0.family != first.family }
        var out: [LookupAddress] = []
        for i in 0..<max(preferred.count, other.count) {
            if i < preferred.count { out.append(preferred[i]) }
            if i < other.count { out.append(other[i]) }
        }
        return out
    }

    // Every behaviour (refuse, unreachable, slow, win, fail at once) at every position, for 2–4
    // answers in every family pattern: the events, the attempted addresses, the winner or the
    // aggregate error, no attempt left open, and every slow loser closed.
    @Test(arguments: 2...4)
    func everyOrderOfBehavioursAndFamilies(count: Int) {
        let behaviours = Sim.Behaviour.allCases
        var cases = 0
        var mismatches: [String] = []
        for familyBits in 0..<(1 << count) {
            var v4n = 0, v6n = 0
            let answers: [LookupAddress] = (0..<count).map { i in
                if familyBits & (1 << i) != 0 {
                    v6n += 1
                    return LookupAddress(address: "2001:db8::\(v6n)", family: 6)
                }
                v4n += 1
                return LookupAddress(address: "192.0.2.\(v4n)", family: 4)
            }
            let ordered = AddressOrder.interleave(answers)
            #expect(ordered == Self.interleaved(answers))
            var combination = [Int](repeating: 0, count: count)
            repeat {
                cases += 1
                var behaviour: [String: Sim.Behaviour] = [:]
                for (i, a) in answers.enumerated() { behaviour[a.address] = behaviours[combination[i]] }
                var sim = Sim(ordered, behaviour: behaviour)
                sim.run()
                let (story, winner) = Self.expected(ordered, behaviour)
                let label = answers.map { "\($0.address)=\(behaviour[$0.address]!)" }.joined(separator: ", ")
                let attemptedStory = story.filter { $0.hasPrefix("attempt ") }.map { "\($0.dropFirst(8)):80" }
                if sim.transcript != story { mismatches.append("\(label): \(sim.transcript) != \(story)") }
                if sim.attempted != attemptedStory { mismatches.append("\(label): attempted \(sim.attempted)") }
                if sim.winner != winner { mismatches.append("\(label): winner \(String(describing: sim.winner))") }
                if !sim.open.isEmpty { mismatches.append("\(label): left open \(sim.open)") }
                if winner == nil, sim.failure?.errors.count != story.filter({ $0.hasPrefix("failed ") || $0.hasPrefix("timeout ") }).count {
                    mismatches.append("\(label): errors \(sim.failure?.errors.map(\.message) ?? [])")
                }
                // Every slow attempt that lost was closed twice: at its timeout and on its success.
                for (k, a) in ordered.enumerated() where behaviour[a.address] == .slow && k != winner && story.contains("attempt \(a.address)") {
                    if sim.abandoned.filter({ $0 == k }).count != 2 { mismatches.append("\(label): slow \(a.address) closed \(sim.abandoned)") }
                }
            } while Self.next(&combination, base: behaviours.count)
        }
        #expect(cases == (1 << count) * Int(pow(Double(behaviours.count), Double(count))))
        for m in mismatches.prefix(5) { Issue.record("\(m)") }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(cases) cases differ")
    }

    /// Counts `digits` up in base `base`; false after the last combination.
    static func next(_ digits: inout [Int], base: Int) -> Bool {
        for i in digits.indices {
            digits[i] += 1
            if digits[i] < base { return true }
            digits[i] = 0
        }
        return false
    }
}

private func pow(_ x: Double, _ y: Double) -> Double {
    var r = 1.0
    for _ in 0..<Int(y) { r *= x }
    return r
}
