import Testing
@testable import NetCore
import Net

/// Readable's `'pause'` and `'resume'` events and `write`'s answer, as Node (v20) gives them:
/// the expected transcripts are what the same script printed under `node`.
@Suite struct PauseResumeEventTests {
    /// Runs `handler` on the server side of one connection whose client sends "hi" and ends;
    /// returns the server side's log once it closed.
    func serverLog(_ handler: @escaping (Socket, @escaping (String) -> Void) -> Void) -> [String] {
        var log: [String] = []
        withLoop { loop in
            let server = Net.createServer(loop: loop) { c in
                c.on(.pause) { log.append("pause") }
                c.on(.resume) { log.append("resume") }
                handler(c) { log.append($0) }
            }
            listenLocal(server) { port in
                let client = dial(port, loop: loop) {}
                client.on(.connect) { client.end(Buffer("hi")) }
                client.on(.close) { _ in server.close() }
            }
        }
        return log
    }

    // 'pause' is emitted at once by a pause() that stops a flow (or a flow not yet started), not
    // by a second one; 'resume' on the tick after the resume() that restarts it, before the
    // data, and only once for several resume() calls before that tick.
    @Test func pauseAtOnceResumeOnTheNextTick() {
        let log = serverLog { c, log in
            log("a"); c.pause(); log("b"); c.pause(); log("c"); c.resume(); log("d"); c.resume(); log("e")
            c.on(.data) { _ in log("data"); c.pause(); log("p2"); c.resume(); log("r2") }
            c.on(.end) { log("end"); c.pause(); log("p3"); c.resume(); log("r3") }
            c.on(.close) { _ in log("close") }
        }
        #expect(log == ["a", "pause", "b", "c", "d", "e", "resume", "data", "pause", "p2", "r2", "resume",
                        "end", "pause", "p3", "r3", "resume", "close"])
    }

    // A 'data' listener starts the flow (one 'resume'); a pause() between a resume() and its
    // tick emits 'pause' again, and the one tick still emits one 'resume'.
    @Test func oneResumeTickForEveryCallBeforeIt() {
        let log = serverLog { c, log in
            log("x"); c.pause(); c.resume(); c.pause(); log("y")
            c.on(.data) { _ in log("data") }
            log("z"); c.resume(); log("w")
            c.on(.close) { _ in log("close") }
        }
        #expect(log == ["x", "pause", "pause", "y", "z", "w", "resume", "data", "close"])
    }

    // A data listener on a stream that already flows schedules nothing more.
    @Test func aListenerOnAFlowingStreamEmitsNothing() {
        let log = serverLog { c, log in
            log("x"); c.on(.data) { _ in log("data") }; log("y")
            c.on(.data) { _ in }
            c.resume()
            c.on(.close) { _ in log("close") }
        }
        #expect(log == ["x", "y", "resume", "data", "close"])
    }

    // node: write() answers true when everything was flushed to the kernel, whatever its size,
    // and owes no 'drain'; false once part of it waits in memory, which counts whole in
    // writableLength. Here the mark is 1 KiB and the server does not read at first.
    @Test func writeTakenWholeAnswersTrueWhateverItsSize() {
        var answers: [String] = []
        var drains = 0
        var received = 0
        let big = 4 << 20
        withLoop(timeout: 10_000) { loop in
            let server = Net.createServer(loop: loop) { c in
                c.pause()
                c.on(.data) { received += $0.count }
                // Read once the client has written everything.
                c.loop.setImmediate { c.resume() }
            }
            listenLocal(server) { port in
                let client = dial(port, loop: loop, options: SocketOptions(highWaterMark: 1024)) {}
                client.on(.connect) {
                    for n in [100, 1024, 16 << 10, big, 10] {
                        let ok = client.write(Buffer(count: n))
                        answers.append("\(n) \(ok) \(client.writableLength) \(client.writableNeedDrain)")
                    }
                }
                client.on(.drain) {
                    drains += 1
                    client.end()
                }
                client.on(.close) { _ in server.close() }
            }
        }
        #expect(answers == ["100 true 0 false", "1024 true 0 false", "16384 true 0 false",
                            "\(big) false \(big) true", "10 false \(big + 10) true"])
        #expect(drains == 1)
        #expect(received == 100 + 1024 + (16 << 10) + big + 10)
    }
}

/// Node's newer stream getters, `closed`, `errored`, `readableAborted` and `readableDidRead`,
/// as `node` (v20) printed them for the same script.
@Suite struct StreamGetterTests {
    static func line(_ tag: String, _ c: Socket) -> String {
        "\(tag) closed=\(c.closed) errored=\(c.errored.map { $0.code.rawValue } ?? "null") "
            + "aborted=\(c.readableAborted) didRead=\(c.readableDidRead)"
    }

    // Destroyed with an error after the first chunk.
    @Test func destroyedWithAnErrorAfterData() {
        var log: [String] = []
        withLoop { loop in
            let server = Net.createServer(loop: loop) { c in
                log.append(Self.line("start", c))
                c.once(.data) { _ in
                    log.append(Self.line("data", c))
                    c.destroy(NetError(code: "ETEST", message: "x"))
                    log.append(Self.line("destroyed", c))
                }
                c.on(.error) { _ in log.append(Self.line("error", c)) }
                c.on(.close) { _ in log.append(Self.line("close", c)) }
            }
            listenLocal(server) { port in
                let client = dial(port, loop: loop) {}
                client.on(.connect) { client.write(Buffer("hi")) }
                client.on(.error) { _ in }
                client.on(.close) { _ in server.close() }
            }
        }
        #expect(log == [
            "start closed=false errored=null aborted=false didRead=false",
            "data closed=false errored=null aborted=false didRead=true",
            "destroyed closed=true errored=ETEST aborted=true didRead=true",
            "error closed=true errored=ETEST aborted=true didRead=true",
            "close closed=true errored=ETEST aborted=true didRead=true",
        ])
    }

    // Ended by the peer without data: nothing aborted, nothing read.
    @Test func endedWithoutData() {
        var log: [String] = []
        withLoop { loop in
            let server = Net.createServer(loop: loop) { c in
                c.resume()
                c.on(.end) { log.append(Self.line("end", c)) }
                c.on(.finish) { log.append(Self.line("finish", c)) }
                c.on(.close) { _ in log.append(Self.line("close", c)) }
            }
            listenLocal(server) { port in
                let client = dial(port, loop: loop) {}
                client.on(.connect) { client.end() }
                client.on(.close) { _ in server.close() }
            }
        }
        #expect(log == [
            "end closed=false errored=null aborted=false didRead=false",
            "finish closed=false errored=null aborted=false didRead=false",
            "close closed=true errored=null aborted=false didRead=false",
        ])
    }
}
