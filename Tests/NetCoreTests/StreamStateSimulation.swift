@testable import NetCore

// Linux's libuv error numbers, for the statuses the fake kernel reports.
private let EPIPE: Int32 = -32
private let ECONNRESET: Int32 = -104
private let ECONNREFUSED: Int32 = -111
private let ECANCELED: Int32 = -125

/// A socket without a socket: it holds a `StreamState` and performs the machine's answers as
/// the real driver does, against a fake kernel and a FIFO of deferred ticks, recording what a
/// listener would see. Every method below mirrors the function of the same name in
/// `Socket+Read.swift`, `Socket+Write.swift`, `Socket+Destroy.swift`, `Socket+Connect.swift`
/// and `Socket+Timeout.swift`; keep them in step when those change. Left out: lookups (a
/// connect has its handle at once), pipes, text decoding and `onread` mode. A kernel input
/// first runs the ticks still queued, as the loop drains them after every callback.
final class StreamSim {
    enum Handle { case none, open, closing }

    var state: StreamState
    var handle = Handle.none
    var reading = false
    var connectPending = false
    var kernel = SimKernel.all
    /// The batch with the kernel: its chunks, the bytes it counts for, the bytes not yet sent,
    /// and whether the kernel took it whole at submission (libuv's callback still follows).
    var inFlight: (chunks: [WriteChunk], byteCount: Int, unsent: Int, settled: Bool)?
    var shutdownPending = false
    var timeoutOn = false
    var timerArmed = false
    var ticks: [() -> Void] = []
    var immediates: [() -> Void] = []
    /// What listeners saw, in order.
    var log: [String] = []
    /// Inputs to run once when an event is emitted (a listener that acts).
    var reactions: [String: [SimInput]] = [:]

    // Bookkeeping for the invariants (`StreamStateTests.invariantViolations`).
    var nextWrite = 1
    var queuedBytes: [Int: Int] = [:]  // writes held by the machine, by id: their sizes
    var awaitingCallback: Set<Int> = []  // accepted writes whose callback has not run
    var bytesIn = 0, bytesDelivered = 0, bytesDiscarded = 0
    var eofSeen = false, consumed = false, endCalled = false, revivedOnce = false
    var ends = 0, finishes = 0, errors = 0, closes = 0
    var violations: [String] = []

    init(highWaterMark: Int = 16, allowHalfOpen: Bool = false) {
        state = StreamState(highWaterMark: highWaterMark, allowHalfOpen: allowHalfOpen)
    }

    /// Drops everything that may hold a closure capturing this simulation (queued writes and
    /// their callbacks, ticks, reactions), so the cycles a run builds do not outlive it.
    func release() {
        state = StreamState(highWaterMark: state.readableHighWaterMark, allowHalfOpen: state.allowHalfOpen)
        inFlight = nil
        ticks = []
        immediates = []
        reactions = [:]
    }

    // MARK: The loop

    func nextTick(_ body: @escaping () -> Void) { ticks.append(body) }

    /// Runs every tick, including those queued by ticks (bounded), then the immediates.
    func drainTicks() {
        var budget = 10_000
        while !ticks.isEmpty, budget > 0 {
            ticks.removeFirst()()
            budget -= 1
        }
        if budget == 0 { violations.append("ticks never ran out") }
    }

    /// A libuv callback: the tick queue is empty when it starts, and drained when it returns.
    func callback(_ body: () -> Void) {
        drainTicks()
        body()
        drainTicks()
    }

    func emit(_ event: String) {
        let destroyed = state.isDestroyed
        if closes > 0 { violations.append("\(event) after close") }
        // Chunks buffered when destroy() came may still go out as 'data' until its tick, as in Node.
        let lateData = event.hasPrefix("data") && state.pending.contains(.deliveringAfterDestroy)
        if destroyed && !event.hasPrefix("error") && !event.hasPrefix("close") && !lateData {
            violations.append("\(event) from a destroyed stream")
        }
        log.append(event)
        if let inputs = reactions.removeValue(forKey: event) { for i in inputs { apply(i) } }
    }

    // MARK: Inputs

    func apply(_ input: SimInput) {
        switch input {
        case .accept:
            guard handle == .none, !state.isDestroyed, state.connection == .unconnected else { return }
            adopt()
            startReadingIfWanted()
        case .connect:
            // Connecting again is for after 'close', as Node documents it: a connect between
            // destroy() and 'close' meets the old life's 'close' (in Node too, whose pending
            // write then fails with ERR_SOCKET_CLOSED_BEFORE_CONNECTION).
            guard !connectPending, !state.isDestroyed || closes > 0 else { return }
            if state.isDestroyed { reviveForReconnect() }
            if handle == .open, state.connectStartedOnOwnHandle() {
                // Connected already: the handle connects again at once (`prepareConnect`).
                reading = false
                nextTick {
                    guard self.state.isConnecting else { return }
                    self.state.opened()
                    self.emit("connect")
                    guard !self.state.isDestroyed else { return }
                    self.flushWrites()
                    self.maybeShutdown()
                    guard !self.state.isDestroyed else { return }
                    self.startReadingIfWanted()
                }
                return
            }
            guard state.connectStarted() else { return }
            refreshTimeout()
            adopt()
            connectPending = true
        case .connected(let ok):
            guard connectPending, handle == .open else { return }
            connectPending = false
            callback { finishConnect(ok ? 0 : ECONNREFUSED) }
        case .read(let n):
            guard reading else { return }
            callback { onRead(Buffer(count: n)) }
        case .eof:
            guard reading else { return }
            callback { onReadError(UV_EOF_CODE) }
        case .readError:
            guard reading else { return }
            callback { onReadError(ECONNRESET) }
        case .write(let n, let cb): write(n, cb: cb)
        case .kernel(let k): kernel = k
        case .progress(let n):
            if let f = inFlight { inFlight?.unsent = max(0, f.unsent - n) }
        case .writeDone(let ok):
            guard handle == .open, let f = inFlight else { return }
            callback { afterWrite(f.chunks, f.byteCount, settled: f.settled, status: ok ? 0 : EPIPE) }
        case .shutdownDone:
            guard handle == .open, shutdownPending else { return }
            shutdownPending = false
            callback { shutdownCompleted(0) }
        case .cork: state.cork()
        case .uncork: if state.uncork() { flushWrites() }
        case .pause: _ = state.pause()
        case .resume:
            consumed = true
            resume()
        case .consume:
            consumed = true
            if state.flow == .initial { resume() }
        case .end: end(data: nil, cb: false)
        case .endCb: end(data: nil, cb: true)
        case .endData(let n): end(data: n, cb: false)
        case .destroy: destroy(nil)
        case .destroyError: destroy(.errno(ECONNRESET, syscall: "read"))
        case .handleClosed:
            guard handle != .none else { return }
            // libuv cancels what is pending on the handle, then calls the close callback. Ticks
            // already queued run before any of it, and may submit a write.
            drainTicks()
            if connectPending {
                connectPending = false
                callback { finishConnect(ECANCELED) }
            }
            if let f = inFlight { callback { afterWrite(f.chunks, f.byteCount, settled: f.settled, status: ECANCELED) } }
            if shutdownPending {
                shutdownPending = false
                callback { shutdownCompleted(ECANCELED) }
            }
            callback { handleClosed() }
        case .setTimeout(let on):
            guard !state.isDestroyed else { return }
            timeoutOn = on
            if on { refreshTimeout() } else { timerArmed = false }
        case .timeout:
            guard timerArmed else { return }
            timerArmed = false
            callback { onTimeout() }
        case .tick: if !ticks.isEmpty { ticks.removeFirst()() }
        case .ticks:
            drainTicks()
            while !immediates.isEmpty { callback { immediates.removeFirst()() } }
        case .probe:
            log.append("[rlen=\(state.readableLength) wlen=\(state.writableLength) \(reading ? "reading" : "stopped")]")
        }
    }

    func adopt() {
        handle = .open
        if !state.isConnecting { state.opened() }
    }

    // MARK: Socket+Connect.swift

    func reviveForReconnect() {
        state = state.revived()
        handle = .none
        revivedOnce = true
        ends = 0; finishes = 0; errors = 0; closes = 0
        eofSeen = false; endCalled = false; bytesIn = 0; bytesDelivered = 0; bytesDiscarded = 0
    }

    func finishConnect(_ status: Int32) {
        guard !state.isDestroyed else { return }
        if status < 0 {
            destroy(.errno(status, syscall: "connect"))
            return
        }
        state.opened()
        refreshTimeout()
        let queuedWhileConnecting = !state.writeQueue.isEmpty
        emit("connect")
        if state.isDestroyed {
            if queuedWhileConnecting { failWritesQueuedAtConnect() }
            return
        }
        flushWrites()
        maybeShutdown()
        guard !state.isDestroyed else { return }
        startReadingIfWanted()
    }

    func failWritesQueuedAtConnect() {
        let queued = state.takeQueuedWrites()
        guard !queued.isEmpty else { return }
        let closed = NetError(code: .ERR_SOCKET_CLOSED, message: "Socket is closed")
        state.recordWriteError(closed)
        let error = state.destroyError ?? closed
        for (index, chunk) in queued.enumerated() { chunk.callback?(index == 0 ? closed : error) }
        let ends = state.takeEndCallbacksForDestroy()
        for callback in ends.callbacks { callback(ends.error) }
    }

    // MARK: Socket+Read.swift

    func resume() { if state.resume() { nextTick { self.resumeTick() } } }

    func resumeTick() {
        state.resumeTick()
        flushReadBuffer()
        startReadingIfWanted()
    }

    func readStop() { if handle == .open { reading = false } }

    func startReadingIfWanted() {
        guard state.wantsToRead, handle == .open else { return }
        reading = true
    }

    func onRead(_ chunk: Buffer) {
        bytesIn += chunk.count
        if timeoutOn { refreshTimeout() }
        switch state.received(chunk) {
        case .deliver: deliver(chunk)
        case .buffered: break
        case .bufferedStopReading: readStop()
        }
    }

    func deliver(_ chunk: Buffer) {
        bytesDelivered += chunk.count
        if !consumed { violations.append("data before a consumer") }
        emit("data(\(chunk.count))")
    }

    func onReadError(_ status: Int32) {
        if status == UV_EOF_CODE {
            eofSeen = true
            readStop()
            if state.endOfStream() { queueEnd() }
        } else {
            destroy(.errno(status, syscall: "read"))
        }
    }

    func flushReadBuffer() {
        // A destroyed stream past its tick takes its chunks without delivering them.
        if state.flow == .flowing && state.discardsBuffered { bytesDiscarded += state.readableLength }
        while let chunk = state.nextBuffered() { deliver(chunk) }
        if state.queueEndIfDue() { queueEnd() }
    }

    func queueEnd() { nextTick { self.emitEnd() } }

    func emitEnd() {
        guard state.endIsDue else { return }
        state.endEmitting()
        ends += 1
        if state.readableLength != 0 { violations.append("'end' with \(state.readableLength) bytes buffered") }
        emit("end")
        switch state.afterEnd {
        case .nothing: break
        case .destroy: destroy(nil)
        case .endNextTick: nextTick { if !self.state.isDestroyed { self.end(data: nil, cb: false) } }
        }
    }

    // MARK: Socket+Write.swift

    func write(_ n: Int, cb: Bool) {
        let id = nextWrite
        nextWrite += 1
        let callback: (NetError?) -> Void = { [self] e in
            awaitingCallback.remove(id)
            queuedBytes[id] = nil
            if cb { log.append("cb\(id)(\(e?.code.rawValue ?? "nil"))") }
        }
        if !state.acceptsWrites, let refusal = state.writeRefusal {
            log.append("w\(id):false")
            fail(write: cb ? callback : nil, with: refusal)
            return
        }
        awaitingCallback.insert(id)
        let ok = enqueue(Buffer(count: n), id: id, hasCallback: cb, callback: callback)
        log.append("w\(id):\(ok)")
    }

    func end(data: Int?, cb: Bool) {
        endCalled = true
        if let data {
            if !state.acceptsWrites, let refusal = state.writeRefusal {
                fail(write: nil, with: refusal)
                if cb { nextTick { self.log.append("endcb") } }
                return
            }
            let id = nextWrite
            nextWrite += 1
            awaitingCallback.insert(id)
            _ = enqueue(Buffer(count: data), id: id, hasCallback: false) { [self] _ in
                awaitingCallback.remove(id)
                queuedBytes[id] = nil
            }
        }
        if cb, case .callNextTick = state.addEndCallback({ _ in self.log.append("endcb") }) { nextTick { self.log.append("endcb") } }
        switch state.end() {
        case .nothing: break
        case .finishNextTick: nextTick { self.finishWritable() }
        case .flushThenShutdown:
            flushWrites()
            maybeShutdown()
        }
    }

    func fail(write callback: ((NetError?) -> Void)?, with error: NetError) {
        if let callback { nextTick { callback(error) } }
        if error.code != .ERR_STREAM_DESTROYED { destroy(error) }
    }

    func enqueue(_ data: Buffer, id: Int, hasCallback: Bool, callback: @escaping (NetError?) -> Void) -> Bool {
        if state.canWriteNow { return writeNow(data, id: id, hasCallback: hasCallback, callback: callback) }
        state.accepted(data.count)
        queuedBytes[id] = data.count
        let ok = state.queue(WriteChunk(buffer: data, callback: callback))
        if timeoutOn { refreshTimeout() }
        flushWrites()
        return ok
    }

    /// The try-write: the fake kernel takes all, half or none of it.
    func writeNow(_ data: Buffer, id: Int, hasCallback: Bool, callback: @escaping (NetError?) -> Void) -> Bool {
        guard handle != .none else { return false }
        state.accepted(data.count)
        if timeoutOn { refreshTimeout() }
        let n = handle == .closing ? Int(EPIPE) : kernel == .all ? data.count : kernel == .half ? data.count / 2 : 0
        if n < 0 {
            let error = NetError.errno(Int32(n), syscall: "write")
            awaitingCallback.remove(id)
            if hasCallback { nextTick { callback(error) } }
            destroy(error)
            return false
        }
        if n == data.count {
            // Taken whole: the write is done now; only its callback waits for the tick.
            if hasCallback { nextTick { callback(nil) } } else { awaitingCallback.remove(id) }
            return true
        }
        queuedBytes[id] = data.count
        let chunk = WriteChunk(buffer: data.subarray(n), callback: callback, size: data.count)
        let ok = state.queue(chunk, alreadyFull: data.count >= state.writableHighWaterMark)
        flushWrites()
        return ok
    }

    func flushWrites() {
        guard state.batchIsDue, handle != .none else { return }
        var chunks: [WriteChunk] = []
        var byteCount = 0
        while chunks.count < WriteRequest.maxBuffers, let chunk = state.nextForBatch() {
            byteCount += chunk.size
            chunks.append(chunk)
        }
        state.batchSubmitted()
        if handle == .closing {
            state.batchCompleted(bytes: byteCount)
            let error = NetError.errno(EPIPE, syscall: "write")
            for chunk in chunks { if let cb = chunk.callback { nextTick { cb(error) } } }
            destroy(error)
            return
        }
        log.append("submit(\(chunks.count))")
        let settled = kernel == .all
        inFlight = (chunks, byteCount, settled ? 0 : chunks.reduce(0) { $0 + $1.buffer.count }, settled)
        if settled { state.batchWrittenAtOnce(bytes: byteCount) }
    }

    func afterWrite(_ chunks: [WriteChunk], _ byteCount: Int, settled: Bool, status: Int32) {
        inFlight = nil
        state.batchCompleted(bytes: settled ? 0 : byteCount)
        let error: NetError? = status < 0 && !state.isDestroyed ? .errno(status, syscall: "write") : nil
        if error == nil {
            flushWrites()
            if state.writableLength == 0 { drainTick() }
        }
        for chunk in chunks { chunk.callback?(error) }
        if let error {
            destroy(error)
            return
        }
        if state.isDestroyed {
            failQueuedWrites()
            return
        }
        if timeoutOn { refreshTimeout() }
        flushWrites()
        if state.writableLength == 0 {
            drainTick()
            maybeShutdown()
        }
    }

    func drainTick() {
        guard state.takeDrain() else { return }
        if endCalled || state.writableEnded { violations.append("'drain' after end()") }
        emit("drain")
    }

    func maybeShutdown() {
        guard handle != .none else { return }
        switch state.shutdownStep() {
        case .nothing: return
        case .finishNextTick:
            nextTick { self.finishWritable() }
            return
        case .shutdown: break
        }
        if handle == .closing {
            destroy(.errno(EPIPE, syscall: "shutdown"))
            return
        }
        log.append("FIN")
        shutdownPending = true
    }

    func shutdownCompleted(_ status: Int32) {
        if status < 0 && !state.isDestroyed {
            destroy(.errno(status, syscall: "shutdown"))
        } else {
            finishWritable()
        }
    }

    func finishWritable() {
        guard let callbacks = state.finish() else { return }
        finishes += 1
        if !awaitingCallback.isEmpty { violations.append("'finish' before the callbacks of \(awaitingCallback.sorted())") }
        for callback in callbacks { callback(nil) }
        emit("finish")
        if state.destroyAfterFinish(hasHandle: handle != .none) { destroy(nil) }
    }
}
