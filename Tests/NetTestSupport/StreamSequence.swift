import Foundation

/// One operation of a stream differential sequence, applied to the client side `A` or to the
/// accepted side `B` of a connected socket pair.
public struct StreamStep: Sendable, CustomStringConvertible {
    /// What the step does; the raw value is the name the Node script switches on.
    public enum Op: String, Sendable, CaseIterable {
        /// `write(n bytes)`, well under the 64 KiB high-water mark.
        case write
        /// `write(n bytes)` far over the high-water mark (and over what loopback buffers hold),
        /// so `write` returns false and `'drain'` follows once the peer reads.
        case writeLarge
        case cork, uncork
        /// `end()`.
        case end
        /// `end(n bytes)`.
        case endData
        /// `destroy()`.
        case destroy
        /// `destroy(error)` with an error whose code is `ETEST`.
        case destroyError
        case pause, resume
        /// `setEncoding('hex')`: `'data'` then carries text.
        case setEncoding
        /// `resetAndDestroy()`.
        case reset
    }

    /// `"A"` (the connecting client) or `"B"` (the accepted socket).
    public var side: String
    /// The operation.
    public var op: Op
    /// The byte count of a write or of `endData`; 0 otherwise.
    public var n: Int
    /// Whether a write passes a callback.
    public var cb: Bool

    /// The step as the Node script reads it.
    public var json: [String: Any] { ["s": side, "op": op.rawValue, "n": n, "cb": cb] }

    /// `A write 120 cb`, for failure messages.
    public var description: String {
        var text = "\(side) \(op.rawValue)"
        if n > 0 { text += " \(n)" }
        if cb { text += " cb" }
        return text
    }
}

/// A socket pair's options and the steps run on it.
public struct StreamSequence: Sendable, CustomStringConvertible {
    /// `allowHalfOpen` of the client `A`.
    public var halfOpenA: Bool
    /// `allowHalfOpen` of the server, hence of the accepted `B`.
    public var halfOpenB: Bool
    /// The steps, each run once the previous one has settled.
    public var steps: [StreamStep]

    /// The sequence as the Node script reads it.
    public var json: [String: Any] {
        ["halfOpenA": halfOpenA, "halfOpenB": halfOpenB, "steps": steps.map(\.json)]
    }

    /// `halfOpenA=… halfOpenB=… [A write 10 cb; B end; …]`.
    public var description: String {
        "halfOpenA=\(halfOpenA) halfOpenB=\(halfOpenB) [\(steps.map(\.description).joined(separator: "; "))]"
    }

    /// The size of `writeLarge`: 5 MiB and up. Loopback buffers hold at most about 4 MiB
    /// (`tcp_wmem` max) plus the peer's receive window, so such a write to a paused peer stays
    /// pending in both implementations instead of depending on how far the kernel's buffers
    /// have grown.
    public static let largeBase = 5 << 20

    /// `count` sequences of `minSteps...maxSteps` steps, the same for the same seed.
    ///
    /// A rough model of each side (paused, maybe ended, maybe destroyed) keeps out the cases
    /// where our `Socket` is known to differ from Node (see `Rules`); everything else is drawn
    /// with the weights below.
    public static func generate(
        count: Int, seed: UInt64, minSteps: Int = 3, maxSteps: Int = 10
    ) -> [StreamSequence] {
        var rng = SeededGenerator(seed: seed)
        // Weights: writes and flow control often, teardown less (it ends the interesting part).
        let weighted: [(StreamStep.Op, Int)] = [
            (.write, 8), (.writeLarge, 3), (.cork, 2), (.uncork, 2), (.end, 3), (.endData, 2),
            (.destroy, 1), (.destroyError, 1), (.pause, 3), (.resume, 3), (.setEncoding, 1),
            (.reset, 1),
        ]
        let total = weighted.reduce(0) { $0 + $1.1 }
        func pick() -> StreamStep.Op {
            var r = Int.random(in: 0..<total, using: &rng)
            for (op, w) in weighted {
                if r < w { return op }
                r -= w
            }
            return .write
        }
        return (0..<count).map { _ in
            let halfOpen = ["A": Bool.random(using: &rng), "B": Bool.random(using: &rng)]
            var rules = Rules(halfOpen: halfOpen)
            var steps: [StreamStep] = []
            let length = Int.random(in: minSteps...maxSteps, using: &rng)
            while steps.count < length {
                let side = Bool.random(using: &rng) ? "A" : "B"
                let op = pick()
                guard rules.allows(op, on: side) else { continue }
                let n: Int
                switch op {
                case .write, .endData: n = Int.random(in: 1...2000, using: &rng)
                case .writeLarge: n = largeBase + Int.random(in: 0..<(1 << 20), using: &rng)
                default: n = 0
                }
                let cb = rules.allowsCallback(op, on: side) && Bool.random(using: &rng)
                rules.apply(op, on: side)
                steps.append(StreamStep(side: side, op: op, n: n, cb: cb))
            }
            return StreamSequence(halfOpenA: halfOpen["A"]!, halfOpenB: halfOpen["B"]!, steps: steps)
        }
    }

    /// What the generator leaves out. Every difference from Node v20 this test found has been
    /// fixed (a paused socket that is reading goes on reading, `'end'` while paused with nothing
    /// buffered, "ended" checked before "destroyed", `end()` after `destroy()` sets
    /// `writableEnded`, `'drain'` before the write callbacks, `end(data)` after `end()` fails,
    /// buffered writes called back with the destroy error, a write queued behind a pending one
    /// counted done before `'drain'` when the kernel takes it at once), so the rules below only
    /// keep out timing that is not semantics:
    ///
    /// Whether the kernel takes a whole large write at once depends on how far loopback buffers
    /// have grown (up to `tcp_rmem` max, 32 MiB here) through earlier traffic. On a fresh
    /// connection they are small, so `writeLarge` comes at most once per side: then it stays
    /// pending while the peer is paused, and drains once it reads, in both implementations.
    struct Rules {
        let halfOpen: [String: Bool]
        // Each set over-approximates: "may be" ended, destroyed, corked (never cleared).
        var paused: Set<String> = []
        var ended: Set<String> = []
        var destroyed: Set<String> = []
        var tornDown = false
        var wroteLarge: Set<String> = []
        var corked: Set<String> = []

        init(halfOpen: [String: Bool]) { self.halfOpen = halfOpen }

        static func peer(of side: String) -> String { side == "A" ? "B" : "A" }

        func allows(_ op: StreamStep.Op, on side: String) -> Bool {
            switch op {
            case .writeLarge: return !wroteLarge.contains(side)
            default: return true
            }
        }

        func allowsCallback(_ op: StreamStep.Op, on side: String) -> Bool {
            op == .write || op == .writeLarge
        }

        mutating func apply(_ op: StreamStep.Op, on side: String) {
            let peer = Self.peer(of: side)
            switch op {
            case .pause: paused.insert(side)
            case .resume: paused.remove(side)
            case .cork: corked.insert(side)
            case .end, .endData:
                tornDown = true
                ended.insert(side)
                // The peer sees our FIN; without allowHalfOpen it ends its side too.
                if halfOpen[peer] == false { ended.insert(peer) }
            case .destroy, .destroyError:
                tornDown = true
                ended.insert(side)
                destroyed.insert(side)
                if halfOpen[peer] == false { ended.insert(peer) }
            case .reset:
                tornDown = true
                for s in [side, peer] {
                    ended.insert(s)
                    destroyed.insert(s)
                }
            case .write, .writeLarge:
                if op == .writeLarge { wroteLarge.insert(side) }
                // A write after end destroys the socket.
                if ended.contains(side) { destroyed.insert(side) }
            default: break
            }
            // Both directions done: both sockets close.
            if ended.contains("A") && ended.contains("B") { destroyed.formUnion(["A", "B"]) }
        }
    }
}
