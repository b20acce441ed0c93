/// The readable side: flowing and paused, buffering up to the high-water mark, `'end'` once.
extension StreamState {
    /// What to do with a chunk just read.
    enum ReadOutcome {
        /// Deliver it as `'data'` now.
        case deliver
        /// It was buffered; keep reading.
        case buffered
        /// It was buffered and the buffer is full or the stream paused: stop reading.
        case bufferedStopReading
    }

    /// A chunk arrived from the kernel.
    @inline(__always)
    mutating func received(_ chunk: Buffer) -> ReadOutcome {
        bytesRead += chunk.count
        if flow == .flowing && readBuffer.isEmpty { return .deliver }
        readBuffer.append(chunk)
        readableLength += chunk.count
        return readableLength >= readableHighWaterMark || flow == .paused ? .bufferedStopReading : .buffered
    }

    /// A read landed in the caller's `onread` memory (no buffering in that mode).
    mutating func receivedInPlace(_ count: Int) { bytesRead += count }

    /// Whether reading from the kernel is wanted: open, not paused, not at the end, and under the
    /// mark or with nothing buffered (so a stream with `highWaterMark` 0 still reads, as in Node).
    var wantsToRead: Bool {
        connection == .open && readableEnd == .open && flow != .paused
            && (readBuffer.isEmpty || readableLength < readableHighWaterMark)
    }

    /// `pause()`: true when the driver should queue the stop-reading tick (it is reading and no
    /// such tick is queued yet).
    mutating func pause(reading: Bool) -> Bool {
        flow = .paused
        guard reading, !pending.contains(.stopReading) else { return false }
        pending.insert(.stopReading)
        return true
    }

    /// The stop-reading tick ran: true when reading should stop (still paused).
    mutating func stopReadingTick() -> Bool {
        pending.remove(.stopReading)
        return flow == .paused
    }

    /// `resume()` (or a consumer appeared): true when the driver should queue the resume tick.
    mutating func resume() -> Bool {
        flow = .flowing
        guard !pending.contains(.resume) else { return false }
        pending.insert(.resume)
        return true
    }

    /// The resume tick ran; the driver then delivers `nextBuffered()` and reads again.
    mutating func resumeTick() { pending.remove(.resume) }

    /// The next buffered chunk to deliver while flowing, if any.
    mutating func nextBuffered() -> Buffer? {
        guard flow == .flowing, !isDestroyed, let chunk = readBuffer.popFirst() else { return nil }
        readableLength -= chunk.count
        return chunk
    }

    /// The buffer was delivered as far as the flow allows: true when `'end'` should be queued for
    /// the next tick (end of stream seen, nothing left, not paused).
    mutating func queueEndIfDue() -> Bool {
        guard readableEnd == .eofReceived, readBuffer.isEmpty, flow != .paused else { return false }
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
