import Testing
@testable import NetCore
import Net

/// `pipe`'s events and unpiping as Node (v20) has them: the destination's `'pipe'` and
/// `'unpipe'`, the source paused once no destination is left, and the destination unpiped when it
/// finishes, closes or fails. The expected transcripts are what the same script printed under
/// `node`.
@Suite struct PipeEventTests {
    final class Rig {
        var log: [String] = []
        /// Bytes the backend received.
        var backendBytes = 0
        var back: Server?
        var front: Server?
        func L(_ line: String) { log.append(line) }
        /// Logs the source's 'pause' and 'resume' (and its 'end', when `end`).
        func watch(_ c: Socket, end: Bool = false) {
            c.on(.pause) { [unowned self] in L("pause") }
            c.on(.resume) { [unowned self] in L("resume") }
            if end { c.on(.end) { [unowned self] in L("end") } }
        }
        /// Logs the destination's 'finish', and at its 'close' logs `closeLine()` and stops.
        func logFinishThenStop(_ u: Socket, closeLine: @escaping () -> String = { "close" }) {
            u.on(.finish) { [unowned self] in L("finish") }
            u.on(.close) { [unowned self] _ in
                L(closeLine())
                stop()
            }
        }
        func stop() {
            back?.close()
            front?.close()
            back = nil
            front = nil
        }
    }

    /// A backend that reads everything (and ends when its peer ends), and a front server whose
    /// connections run `handler` with a new connection to the backend; the client sends
    /// `payload` (and ends, when `ends`). Returns the log once `handler` called `rig.stop()`.
    func run(payload: String = "hi", ends: Bool = true,
             _ handler: @escaping (Rig, Socket, Socket, _ dialBack: () -> Socket) -> Void) -> [String] {
        let rig = Rig()
        withLoop { loop in
            let back = Net.createServer(loop: loop) { b in
                b.on(.data) { rig.backendBytes += $0.count }
                b.on(.end) { b.end() }
                b.on(.error) { _ in }
            }
            rig.back = back
            listenLocal(back) { backPort in
                let front = Net.createServer(loop: loop) { c in
                    c.on(.error) { _ in }
                    handler(rig, c, dial(backPort, loop: loop)) { dial(backPort, loop: loop) }
                }
                rig.front = front
                listenLocal(front) { port in
                    let client = dial(port, loop: loop) {}
                    client.on(.error) { _ in }
                    client.on(.connect) {
                        if ends { client.end(Buffer(payload)) } else { client.write(Buffer(payload)) }
                    }
                    client.resume()
                }
            }
        }
        return rig.log
    }

    // 'pipe' once the flow has started; the source's end ends the destination, whose 'finish'
    // unpipes it first, which pauses the source.
    @Test func pipeThenTheDestinationsFinishUnpipes() {
        let log = run { rig, c, u, _ in
            u.on(.pipe) { s in rig.L("pipe \(s === c) \(c.readableFlowing.map { "\($0)" } ?? "null")") }
            u.on(.unpipe) { s in rig.L("unpipe \(s === c)") }
            rig.watch(c, end: true)
            rig.L("a"); c.pipe(u); rig.L("b")
            rig.logFinishThenStop(u)
        }
        #expect(log == ["a", "pipe true true", "b", "resume", "end", "pause", "unpipe true", "finish", "close"])
    }

    // Piped twice to one destination: every chunk is written twice, and the finish unpipes
    // one link at a time, pausing the source once none is left.
    @Test func pipedTwiceToOneDestination() {
        let log = run { rig, c, u, _ in
            u.on(.pipe) { _ in rig.L("pipe") }
            u.on(.unpipe) { _ in rig.L("unpipe") }
            rig.watch(c, end: true)
            c.pipe(u); c.pipe(u)
            rig.logFinishThenStop(u) { "close got=\(rig.backendBytes)" }
        }
        #expect(log == ["pipe", "pipe", "resume", "end", "unpipe", "pause", "unpipe", "finish", "close got=4"])
    }

    // unpipe(dest) unpipes that one (again: nothing); unpipe() pauses and unpipes the rest;
    // piping again resumes on the tick already queued; a destroyed destination is unpiped when
    // it closes.
    @Test func unpipeOneAllAndADestroyedDestination() {
        let log = run(ends: false) { rig, c, u, dialBack in
            let v = dialBack()
            rig.watch(c)
            for (name, d) in [("u", u), ("v", v)] {
                d.on(.pipe) { _ in rig.L("\(name) pipe") }
                d.on(.unpipe) { _ in rig.L("\(name) unpipe") }
            }
            c.pipe(u); c.pipe(v); rig.L("piped")
            c.unpipe(u); rig.L("unpiped u"); c.unpipe(u); rig.L("again")
            c.unpipe(); rig.L("unpiped all")
            c.pipe(u); rig.L("piped u"); u.destroy(); rig.L("destroyed u")
            u.on(.close) { _ in
                rig.L("u close")
                v.destroy()
                c.destroy()
                rig.stop()
            }
        }
        #expect(log == ["u pipe", "v pipe", "piped", "u unpipe", "unpiped u", "again", "pause", "v unpipe", "unpiped all",
                        "u pipe", "piped u", "destroyed u", "resume", "pause", "u unpipe", "u close"])
    }

    // A destination that fails is unpiped before its 'error' listeners run, and the source is
    // left paused.
    @Test func aFailedDestinationIsUnpipedBeforeItsError() {
        let log = run(ends: false) { rig, c, u, _ in
            c.on(.pause) { rig.L("pause") }
            u.on(.unpipe) { _ in rig.L("unpipe") }
            u.on(.error) { e in rig.L("error \(e.code)") }
            c.pipe(u)
            u.on(.connect) {
                u.destroy(NetError(code: "ETEST", message: "boom"))
                rig.L("destroyed")
            }
            u.on(.close) { _ in
                rig.L("close paused=\(c.isPaused())")
                c.destroy()
                rig.stop()
            }
        }
        #expect(log == ["destroyed", "pause", "unpipe", "error ETEST", "close paused=true"])
    }

    // Unpiping the last destination pauses the source even with a 'data' listener; 'data'
    // flows again on resume().
    @Test func unpipingTheLastDestinationPausesADataListener() {
        let log = run(payload: "x") { rig, c, u, _ in
            rig.watch(c)
            u.on(.unpipe) { _ in rig.L("unpipe") }
            c.on(.data) { _ in rig.L("data") }
            c.pipe(u); c.unpipe(u); rig.L("paused=\(c.isPaused())")
            c.on(.end) {
                rig.L("end")
                u.end()
                rig.stop()
            }
            c.loop.setImmediate {
                rig.L("resuming")
                c.resume()
            }
        }
        #expect(log == ["pause", "unpipe", "paused=true", "resume", "resuming", "resume", "data", "end"])
    }
}
