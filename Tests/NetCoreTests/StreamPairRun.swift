import Testing
@testable import NetCore
import NetTestSupport

/// Runs one `StreamSequence` on a loopback pair of our sockets and records a transcript per
/// side: the same interpreter as `StreamDifferentialScript` (same lines, same settle rule).
///
/// Lines: `connect`, `ready`, `end rx=N text=M` (bytes and hex characters received before
/// 'end'), `finish`, `drain`, `error CODE`, `close HADERROR`, `cbK ok|CODE` (the K-th write of
/// the sequence), `> op n` (a step begins on this side), `= BOOL` (what `write` returned), and
/// after every settled step a state line `| rx=… text=… rE wE wF d readyState wl`.
/// Data events are not lines of their own: how reads are chunked differs between
/// implementations, so only the totals are compared.
final class StreamPairRun {
    /// Quiet loop turns (1 ms timers) needed before a step counts as settled.
    static let idleTurns = 3
    /// How long a step may take to settle, in milliseconds.
    // Generous, since a sanitizer build runs several times slower; only a step that never
    // settles (a real difference) waits this long.
    static let limit: UInt64 = 20_000

    private let sequence: StreamSequence
    private let loop: EventLoop
    private(set) var log: [String: [String]] = ["A": [], "B": []]
    private var sockets: [String: Socket] = [:]
    private var rx = ["A": 0, "B": 0], text = ["A": 0, "B": 0], closed = ["A": false, "B": false]
    /// Sides that ran `setEncoding`: a `.text` listener alone decodes too, as UTF-8.
    private var encoded: Set<String> = []
    private var connected = false, events = 0, recording = true, writes = 0
    private var server: Server?

    init(_ sequence: StreamSequence, loop: EventLoop) {
        self.sequence = sequence
        self.loop = loop
    }

    /// Runs the sequence on a fresh loop and returns the transcripts (the loop is checked for
    /// leftover handles and emitters by `withLoop`).
    static func transcript(of sequence: StreamSequence) -> [String: [String]] {
        // Held here: the listeners only hold the run unowned, and it must outlive the loop.
        var run: StreamPairRun?
        withLoop(timeout: UInt64(sequence.steps.count + 3) * limit) { loop in
            run = StreamPairRun(sequence, loop: loop)
            run?.start()
        }
        return run?.log ?? [:]
    }

    private func rec(_ side: String, _ line: String) {
        events += 1
        if recording { log[side, default: []].append(line) }
    }

    private func snapshot(_ side: String) -> String {
        guard let s = sockets[side] else { return "| none" }
        func b(_ v: Bool) -> Int { v ? 1 : 0 }
        return "| rx=\(rx[side]!) text=\(text[side]!) rE=\(b(s.readableEnded)) wE=\(b(s.writableEnded)) "
            + "wF=\(b(s.writableFinished)) d=\(b(s.destroyed)) \(s.readyState) wl=\(s.writableLength)"
    }

    private func attach(_ side: String, _ s: Socket) {
        sockets[side] = s
        s.on(.connect) { [unowned self] in
            connected = true
            s.setNoDelay(true)
            rec(side, "connect")
        }
        s.on(.ready) { [unowned self] in rec(side, "ready") }
        // Heard until 'close': a closed socket drops its listeners (Node's still hears a
        // `pause()` or `resume()` called after it).
        s.on(.pause) { [unowned self] in rec(side, "pause") }
        s.on(.resume) { [unowned self] in rec(side, "resume") }
        // Raw bytes while no encoding is set; afterwards the `.text` listener counts characters
        // (Node's 'data' then carries strings).
        s.on(.data) { [unowned self] chunk in
            events += 1
            if !encoded.contains(side) { rx[side]! += chunk.count }
        }
        s.on(.text) { [unowned self] string in
            events += 1
            if encoded.contains(side) { text[side]! += string.utf8.count }
        }
        s.on(.end) { [unowned self] in rec(side, "end rx=\(rx[side]!) text=\(text[side]!)") }
        s.on(.finish) { [unowned self] in rec(side, "finish") }
        s.on(.drain) { [unowned self] in rec(side, "drain") }
        s.on(.error) { [unowned self] e in rec(side, "error \(e.code)") }
        s.on(.close) { [unowned self] e in
            closed[side] = true
            rec(side, "close \(e.hadError)")
            if !recording { releaseIfClosed() }
        }
    }

    /// Nothing is left that must still happen: every closing socket has closed; every byte
    /// written towards a reading peer has gone out (nothing corked holds it); and a reading peer
    /// of a side that finished or closed has seen its end (or been destroyed by a reset).
    private func quiet() -> Bool {
        guard let a = sockets["A"], let b = sockets["B"], connected else { return false }
        for (x, xs, ys) in [("A", a, b), ("B", b, a)] {
            if xs.destroyed && !closed[x]! { return false }
            let yReads = !ys.destroyed && !ys.isPaused()
            if yReads && !xs.destroyed && xs.writableCorked == 0 && xs.writableLength > 0 { return false }
            if (xs.writableFinished || closed[x]!) && yReads && !ys.readableEnded { return false }
        }
        return true
    }

    /// Calls `next(true)` once `quiet()` holds and no event came for `idleTurns` turns, or
    /// `next(false)` after `limit` ms. Quiescence is not an event, so it is polled: a 1 ms timer
    /// per turn (a 0 ms timer started from a timer callback would run in the same libuv pass).
    private func settle(_ next: @escaping (Bool) -> Void) {
        let start = loop.now
        var idle = 0, seen = events
        func check() {
            if events != seen { seen = events; idle = 0 } else { idle += 1 }
            if idle >= Self.idleTurns && quiet() { return next(true) }
            if loop.now - start > Self.limit { return next(false) }
            loop.setTimeout(1) { check() }
        }
        loop.setTimeout(1) { check() }
    }

    private func apply(_ step: StreamStep) {
        let side = step.side
        guard let s = sockets[side] else { return }
        rec(side, "> \(step.op.rawValue)\(step.n > 0 ? " \(step.n)" : "")")
        switch step.op {
        case .write, .writeLarge:
            let k = writes
            writes += 1
            let cb: ((NetError?) -> Void)? = step.cb
                ? { [unowned self] e in rec(side, "cb\(k) \(e.map { "\($0.code)" } ?? "ok")") } : nil
            let r = s.write(Buffer(count: step.n), callback: cb)
            rec(side, "= \(r)")
        case .cork: s.cork()
        case .uncork: s.uncork()
        case .end: s.end()
        case .endData: s.end(Buffer(count: step.n))
        case .destroy: s.destroy()
        case .destroyError: s.destroy(NetError(code: "ETEST", message: "boom"))
        case .pause: s.pause()
        case .resume: s.resume()
        case .setEncoding:
            encoded.insert(side)
            s.setEncoding(.hex)
        case .reset: _ = try? s.resetAndDestroy()
        }
    }

    private func step(_ i: Int, _ ok: Bool) {
        if !ok {
            rec("A", "settle timeout")
            rec("B", "settle timeout")
            return finish()
        }
        for side in ["A", "B"] { rec(side, snapshot(side)) }
        if i == sequence.steps.count { return finish() }
        apply(sequence.steps[i])
        settle { [unowned self] ok in step(i + 1, ok) }
    }

    /// Stops recording and destroys whatever is still open; the loop then ends.
    private func finish() {
        recording = false
        server?.close()
        server = nil
        for s in sockets.values where !s.destroyed { s.destroy() }
        releaseIfClosed()
    }

    /// Drops the sockets once both have closed, so none outlives the loop's leak check.
    private func releaseIfClosed() {
        if sockets.keys.allSatisfy({ closed[$0]! }) { sockets.removeAll() }
    }

    func start() {
        let server = Server(ServerOptions(allowHalfOpen: sequence.halfOpenB), loop: loop)
        self.server = server
        server.on(.connection) { [unowned self] b in
            attach("B", b)
            b.setNoDelay(true)
            self.server?.close()
            self.server = nil
        }
        listenLocal(server) { [unowned self] port in
            let a = Socket(SocketOptions(allowHalfOpen: sequence.halfOpenA), loop: loop)
            attach("A", a)
            do {
                try a.connect(port: port, host: "127.0.0.1")
            } catch {
                Issue.record("connect threw \(error)")
            }
            settle { [unowned self] ok in step(0, ok) }
        }
    }
}
