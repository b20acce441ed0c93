/// The readable side: flowing and paused, buffering up to the high-water mark, `'end'` once.
extension StreamState {
    /// What to do with a chunk just read.
    enum ReadOutcome {
        /// Deliver it as `'data'` now.
        case deliver
        /// It was buffered; keep reading.
        case buffered
        /// It was buffered and the buffer is at the high-water mark: stop reading.
        case bufferedStopReading
    }

    /// A chunk arrived from the kernel.
    @inline(__always)
    mutating func received(_ chunk: Buffer) -> ReadOutcome {
        // Wrapping: a count of bytes moved cannot reach 2^63, so the overflow check is dead weight.
        bytesRead &+= chunk.count
        if flow == .flowing && readBuffer.isEmpty { return .deliver }
        return buffer(chunk)
    }

    /// A chunk that waits: buffered, out of line, so the read path inlines only the usual case.
    @inline(never)
    private mutating func buffer(_ chunk: Buffer) -> ReadOutcome {
        readBuffer.append(chunk)
        readableLength += chunk.count
        return readableLength >= readableHighWaterMark ? .bufferedStopReading : .buffered
    }

    /// A read landed in the caller's `onread` memory (no buffering in that mode).
    mutating func receivedInPlace(_ count: Int) { bytesRead += count }

    /// Whether reading from the kernel should start now: open, not at the end, not paused, and
    /// under the mark or with nothing buffered (so a stream with `highWaterMark` 0 still reads,
    /// as in Node). Asked when the stream opens and when it resumes: a stream paused before it
    /// opened (`pauseOnConnect`, or `pause()` while connecting) does not read until `resume()`,
    /// and then an idle handle does not keep the loop alive, as in Node. Pausing a stream that is
    /// already reading does not stop the reads (Node's paused socket fills its buffer up to the
    /// mark first, and still sees the peer's end); `onread` mode, which buffers nothing, stops.
    var wantsToRead: Bool {
        connection == .open && readableEnd == .open && flow != .paused
            && (readBuffer.isEmpty || readableLength < readableHighWaterMark)
    }

    /// `pause()`: the flow stops; buffered and newly read chunks wait for `resume()`. True when
    /// the stream was not paused already, so `'pause'` is emitted (Node's Readable).
    mutating func pause() -> Bool {
        if flow == .paused { return false }
        flow = .paused
        return true
    }

    /// `resume()` (or a consumer appeared): true when the driver should queue the resume tick,
    /// which emits `'resume'`. As in Node, a stream that already flows schedules nothing, and
    /// several calls before the tick share one.
    mutating func resume() -> Bool {
        if flow == .flowing { return false }
        flow = .flowing
        guard !pending.contains(.resume) else { return false }
        pending.insert(.resume)
        return true
    }

    /// The resume tick ran; the driver then delivers `nextBuffered()` and reads again.
    mutating func resumeTick() { pending.remove(.resume) }

    /// The next buffered chunk to deliver while flowing, if any. As Node's `read()`, a destroyed
    /// stream still gives its chunks until the tick `destroy()` queued has run (so a flow that
    /// was running, or a resume tick queued before that one, delivers them); from then on, a
    /// flow takes them all without delivering any.
    mutating func nextBuffered() -> Buffer? {
        guard flow == .flowing, !readBuffer.isEmpty else { return nil }
        if discardsBuffered {
            readBuffer.removeAll()
            readableLength = 0
            return nil
        }
        let chunk = readBuffer.removeFirst()
        readableLength -= chunk.count
        return chunk
    }

    /// The buffer was delivered as far as the flow allows: true when `'end'` should be queued for
    /// the next tick (end of stream seen, nothing left; a paused stream with nothing buffered
    /// ends too, as in Node).
    mutating func queueEndIfDue() -> Bool {
        guard readableEnd == .eofReceived, readBuffer.isEmpty else { return false }
        readableEnd = .endQueued
        return true
    }

    /// The peer's FIN arrived: reading stops; true when `'end'` should be queued now.
    mutating func endOfStream() -> Bool {
        if readableEnd == .open { readableEnd = .eofReceived }
        return queueEndIfDue()
    }

    /// The `'end'` tick ran: true when `'end'` should be emitted now (not destroyed, not yet
    /// emitted). The driver flushes its text decoder first, then calls `endEmitting()`.
    var endIsDue: Bool { !isDestroyed && readableEnd != .ended }

    /// `'end'` is being emitted: the readable side has ended, and without `allowHalfOpen` the
    /// peer's end counts against our writes too.
    mutating func endEmitting() {
        readableEnd = .ended
        if !allowHalfOpen { peerEnded = true }
    }

    /// What follows `'end'` once its listeners ran.
    enum AfterEnd {
        /// Nothing: the writable side stays open (half-open) or was destroyed meanwhile.
        case nothing
        /// Both sides are done: destroy (Node's autoDestroy).
        case destroy
        /// End our side too, on the next tick (no `allowHalfOpen`).
        case endNextTick
    }

    /// After the `'end'` listeners ran.
    var afterEnd: AfterEnd {
        if isDestroyed { return .nothing }
        if writableEnd == .finished { return .destroy }
        return allowHalfOpen ? .nothing : .endNextTick
    }
}
