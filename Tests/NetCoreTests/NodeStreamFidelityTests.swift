import Testing
@testable import NetCore

/// A socket's Readable side compared with node's: what happens to chunks still buffered when a
/// socket is destroyed.
///
/// Each scenario: the peer sends "a"; the client pauses in its `'data'` listener, then asks for
/// "b" and "c" one at a time, waiting until each is buffered, so two chunks wait while paused;
/// then it acts. The node side (`node` v20, same output with v23.8's stream code):
///
///     function scenario(act, done) {
///       const L = [];
///       const srv = net.createServer((p) => {
///         srv.close(); let n = 0;
///         p.write('a'); p.on('data', () => p.write('bc'[n++]));
///       }).listen(0, '127.0.0.1', () => {
///         const c = net.connect(srv.address().port, '127.0.0.1');
///         let first = true;
///         c.on('data', (d) => {
///           L.push(`data ${d} destroyed=${c.destroyed} len=${c.readableLength}`);
///           if (!first) return act.onData?.(c, L);
///           first = false; c.pause();
///           const wait = (len, next) => c.readableLength >= len ? next() : setTimeout(() => wait(len, next), 1);
///           c.write('more'); wait(1, () => { c.write('more'); wait(2, () => { L.push(`paused len=${c.readableLength}`); act.paused(c, L); }); });
///         });
///         c.on('resume', () => L.push(`resume destroyed=${c.destroyed}`));
///         c.on('close', () => { L.push(`close len=${c.readableLength}`); done(L); });
///       });
///     }
///     destroyInData:     paused: c.resume(); onData: if (!c.destroyed) { c.destroy(); L.push(`destroyed len=…`) }
///     resumeThenDestroy: paused: c.resume(); c.destroy()
///     destroyThenResume: paused: c.destroy(); c.resume(); process.nextTick(() => L.push(`tick len=…`))
///
/// Node's `read()` hands out buffered chunks to a flow until `closeEmitted`, which the tick
/// `destroy()` queues sets; after that tick, a flow takes them without emitting `'data'`.
@Suite struct NodeStreamFidelityDestroyTests {
    enum Act: String, CaseIterable { case destroyInData, resumeThenDestroy, destroyThenResume }

    func run(_ act: Act) -> [String] {
        let log = Log()
        withLoop { loop in
            var listening: Server?
            let server = Server(loop: loop) { peer in
                listening?.close()
                var n = 0
                peer.write("a")
                peer.on(.data) { _ in
                    if n < 2 { peer.write(["b", "c"][n]) }
                    n += 1
                }
            }
            listening = server
            listenLocal(server) { port in
                let c = Socket(loop: loop)
                var first = true
                // Polls readableLength (no event says a chunk was buffered), bounded.
                func wait(_ length: Int, _ tries: Int = 2000, _ next: @escaping () -> Void) {
                    if c.readableLength >= length { return next() }
                    guard tries > 0 else {
                        Issue.record("readableLength stayed \(c.readableLength), waiting for \(length)")
                        c.destroy()
                        return
                    }
                    loop.setTimeout(1) { wait(length, tries - 1, next) }
                }
                func paused() {
                    log("paused len=\(c.readableLength)")
                    switch act {
                    case .destroyInData: c.resume()
                    case .resumeThenDestroy: c.resume(); c.destroy()
                    case .destroyThenResume:
                        c.destroy(); c.resume()
                        loop.nextTick { log("tick len=\(c.readableLength)") }
                    }
                }
                c.on(.data) { d in
                    log("data \(d.toString()) destroyed=\(c.destroyed) len=\(c.readableLength)")
                    if !first {
                        if act == .destroyInData && !c.destroyed {
                            c.destroy()
                            log("destroyed len=\(c.readableLength)")
                        }
                        return
                    }
                    first = false
                    c.pause()
                    c.write("more")
                    wait(1) { c.write("more"); wait(2) { paused() } }
                }
                c.on(.resume) { log("resume destroyed=\(c.destroyed)") }
                c.on(.close) { _ in log("close len=\(c.readableLength)") }
                _ = try? c.connect(port: port, host: "127.0.0.1")
            }
        }
        return log.entries
    }

    // node: resume destroyed=false | data a destroyed=false len=0 | paused len=2 |
    //       resume destroyed=false | data b destroyed=false len=1 | destroyed len=1 |
    //       data c destroyed=true len=0 | close len=0
    @Test func destroyInADataListenerLetsTheRunningFlowDeliverTheRest() {
        #expect(run(.destroyInData) == [
            "resume destroyed=false", "data a destroyed=false len=0", "paused len=2",
            "resume destroyed=false", "data b destroyed=false len=1", "destroyed len=1",
            "data c destroyed=true len=0", "close len=0",
        ])
    }

    // node: resume destroyed=false | data a destroyed=false len=0 | paused len=2 |
    //       resume destroyed=true | data b destroyed=true len=1 | data c destroyed=true len=0 | close len=0
    @Test func resumeThenDestroyStillDeliversTheBufferedChunks() {
        #expect(run(.resumeThenDestroy) == [
            "resume destroyed=false", "data a destroyed=false len=0", "paused len=2",
            "resume destroyed=true", "data b destroyed=true len=1", "data c destroyed=true len=0", "close len=0",
        ])
    }

    // node: resume destroyed=false | data a destroyed=false len=0 | paused len=2 |
    //       resume destroyed=true | tick len=0 | close len=0
    @Test func destroyThenResumeTakesTheBufferedChunksWithoutDelivering() {
        #expect(run(.destroyThenResume) == [
            "resume destroyed=false", "data a destroyed=false len=0", "paused len=2",
            "resume destroyed=true", "tick len=0", "close len=0",
        ])
    }
}

/// `setEncoding` compared with node's.
@Suite struct NodeStreamFidelityEncodingTests {
    // setEncoding again, with the encoding already set, while a character is split across
    // reads: node starts a fresh decoder, so the held first byte is dropped and the second
    // alone decodes as U+FFFD.
    //   server: s.write(Buffer.from([0xc3])); s.on('data', () => s.end(Buffer.from([0xa9])))
    //   client: c.setEncoding('utf8'); c.on('data', d => L.push('data ' + JSON.stringify(d)))
    //           once bytesRead >= 1 (polled): c.setEncoding('utf8'); L.push('again'); c.write('go')
    //           c.on('end', () => L.push('end'))
    // node: again | data "\ufffd" | end
    @Test func setEncodingAgainStartsAFreshDecoder() {
        let log = Log()
        withLoop { loop in
            var listening: Server?
            let server = Server(loop: loop) { peer in
                listening?.close()
                peer.write(Buffer([0xC3]))
                peer.on(.data) { _ in peer.end(Buffer([0xA9])) }
            }
            listening = server
            listenLocal(server) { port in
                let c = Socket(loop: loop)
                c.setEncoding(.utf8)
                c.on(.text) { text in log("data \(text.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) })") }
                // Polls bytesRead (no event says a byte was read but not decoded), bounded.
                func waitForTheFirstByte(_ tries: Int = 2000) {
                    if c.bytesRead >= 1 {
                        c.setEncoding(.utf8)
                        log("again")
                        c.write("go")
                    } else if tries == 0 {
                        Issue.record("the first byte never arrived")
                        c.destroy()
                    } else {
                        loop.setTimeout(1) { waitForTheFirstByte(tries - 1) }
                    }
                }
                c.on(.connect) { waitForTheFirstByte() }
                c.on(.end) { log("end") }
                _ = try? c.connect(port: port, host: "127.0.0.1")
            }
        }
        #expect(log.entries == ["again", "data [\"U+FFFD\"]", "end"])
    }
}

/// Writes that the kernel takes whole at once, compared with node's: their callbacks (and an
/// owed `'drain'`) come on the next tick, as Node's synchronous writes do.
@Suite struct NodeStreamFidelityWriteTests {
    // A corked batch the kernel takes whole at once is called back on the next tick, like a
    // single write taken whole: node's writev tries the write synchronously, so its callbacks
    // run in the tick queued by uncork(), before a tick queued after it.
    //   c.cork(); c.write('a', () => L.push(`cb a wl=${c.writableLength}`)); c.write('b', () => L.push('cb b'));
    //   c.uncork(); L.push(`uncorked wl=${c.writableLength}`); process.nextTick(() => L.push('tick'));
    //   setImmediate(() => { L.push('immediate'); c.end(); }); c.on('finish', () => L.push('finish'))
    // node: uncorked wl=0 | cb a wl=0 | cb b | tick | immediate | finish
    @Test func callbacksOfABatchWrittenAtOnceRunOnTheNextTick() {
        let log = Log()
        corkedBatch(log) { c in
            c.write("a") { _ in log("cb a wl=\(c.writableLength)") }
            c.write("b") { _ in log("cb b") }
        } uncorked: { c in "uncorked wl=\(c.writableLength)" }
        #expect(log.entries == ["uncorked wl=0", "cb a wl=0", "cb b", "tick", "immediate", "finish"])
    }

    // A corked batch over the high-water mark (64 KiB, as in the 23.8 docs) that the kernel takes whole: 'drain' and then the
    // callbacks on the next tick, before a tick queued after uncork().
    //   c.cork(); const big = Buffer.alloc(40000, 97);
    //   L.push(`w1 ${c.write(big, () => L.push(`cb 1 wl=${c.writableLength}`))}`);
    //   L.push(`w2 ${c.write(big, () => L.push('cb 2'))}`); c.uncork();
    //   L.push(`uncorked wl=${c.writableLength} nd=${c.writableNeedDrain}`);
    //   process.nextTick(() => L.push('tick')); setImmediate(() => { L.push('immediate'); c.end(); })
    //   c.on('drain', …); c.on('finish', …)
    // node (v20, whose 16 KiB mark makes the first write false too; 23.8's 64 KiB mark does not):
    //   w1 false | w2 false | uncorked wl=0 nd=true | drain | cb 1 wl=0 | cb 2 | tick | immediate | finish
    @Test func drainOfABatchWrittenAtOnceComesBeforeItsCallbacks() {
        let log = Log()
        corkedBatch(log) { c in
            let big = Buffer([UInt8](repeating: 97, count: 40_000))
            log("w1 \(c.write(big) { _ in log("cb 1 wl=\(c.writableLength)") })")
            log("w2 \(c.write(big) { _ in log("cb 2") })")
        } uncorked: { c in "uncorked wl=\(c.writableLength) nd=\(c.writableNeedDrain)" }
        #expect(log.entries == [
            "w1 true", "w2 false", "uncorked wl=0 nd=true", "drain", "cb 1 wl=0", "cb 2", "tick", "immediate", "finish",
        ])
    }

    /// The node script both tests replay: on 'connect', cork, `writes`, uncork, log `uncorked`,
    /// a tick and an immediate that ends; `'drain'` and `'finish'` logged, against a peer that
    /// reads everything and ends after the client.
    private func corkedBatch(_ log: Log, _ writes: @escaping (Socket) -> Void, uncorked: @escaping (Socket) -> String) {
        withLoop { loop in
            dialHalfClosingPeer(loop: loop) { c, server in
                c.on(.connect) {
                    c.cork()
                    writes(c)
                    c.uncork()
                    log(uncorked(c))
                    loop.nextTick { log("tick") }
                    loop.immediate {
                        log("immediate")
                        c.end()
                    }
                }
                c.on(.drain) { log("drain") }
                c.on(.finish) { log("finish") }
                c.on(.close) { _ in server.close() }
                c.resume()
            }
        }
    }
}

/// Differences from node's stream behaviour not fixed yet: each test asserts node's output
/// inside `withKnownIssue`, so it reports the difference without failing the run, and fails
/// once the behaviour matches (then move it to the suites above).
@Suite struct NodeStreamFidelityPendingTests {
    // Node decodes a chunk when it arrives, with the encoding set then, and counts a decoded
    // chunk's readableLength in characters: a chunk buffered while paused under 'hex' stays
    // hex after setEncoding('utf8').
    //   server: s.write('x'); s.on('data', () => s.end('ab'))
    //   client: c.setEncoding('hex'); first 'data': c.pause(); c.write('go');
    //           once readableLength > 0 (polled): L.push(`len ${c.readableLength}`);
    //           c.setEncoding('utf8'); L.push(`len ${c.readableLength}`); c.resume()
    // node: data "78" | len 4 | len 4 | data "6162" | end
    // ours: data 78 | len 2 | len 2 | data ab | end (chunks are buffered as bytes and decoded
    // when delivered, with the decoder of that moment)
    @Test func aBufferedChunkKeepsTheEncodingItArrivedUnder() {
        let log = Log()
        withLoop { loop in
            var listening: Server?
            let server = Server(loop: loop) { peer in
                listening?.close()
                peer.write("x")
                peer.on(.data) { _ in peer.end("ab") }
            }
            listening = server
            listenLocal(server) { port in
                let c = Socket(loop: loop)
                c.setEncoding(.hex)
                var first = true
                func waitForABufferedChunk(_ tries: Int = 2000) {
                    if c.readableLength > 0 {
                        log("len \(c.readableLength)")
                        c.setEncoding(.utf8)
                        log("len \(c.readableLength)")
                        c.resume()
                    } else if tries == 0 {
                        Issue.record("nothing was buffered")
                        c.destroy()
                    } else {
                        loop.setTimeout(1) { waitForABufferedChunk(tries - 1) }
                    }
                }
                c.on(.text) { text in
                    log("data \(text)")
                    guard first else { return }
                    first = false
                    c.pause()
                    c.write("go")
                    waitForABufferedChunk()
                }
                c.on(.end) { log("end") }
                _ = try? c.connect(port: port, host: "127.0.0.1")
            }
        }
        withKnownIssue("chunks are buffered as bytes and decoded on delivery; readableLength counts bytes") {
            #expect(log.entries == ["data 78", "len 4", "len 4", "data 6162", "end"])
        }
    }
}

/// `destroySoon()` compared with node's.
@Suite struct NodeStreamFidelityDestroySoonTests {
    // destroySoon() ends the writable side only while the socket is writable: after destroy()
    // it leaves writableEnded false and still waits for 'finish'.
    //   const b = new net.Socket(); b.destroy(); b.destroySoon();
    //   L.push(`wE=${b.writableEnded} finishL=${b.listenerCount('finish')}`)
    // node: wE=false finishL=1
    @Test func destroySoonAfterDestroyDoesNotEnd() {
        let log = Log()
        withLoop { loop in
            let b = Socket(loop: loop)
            b.destroy()
            b.destroySoon()
            log("wE=\(b.writableEnded) finishL=\(b.listenerCount(.finish))")
        }
        #expect(log.entries == ["wE=false finishL=1"])
    }
}
