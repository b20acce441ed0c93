internal import CUV

/// `pipe` from one socket to another, inside the kernel: a proxy's two legs (`c.pipe(u)`,
/// `u.pipe(c)`) move their bytes with `splice(2)` through a kernel pipe (`KernelPipe`) instead of
/// reading them into memory and writing them out again. Each move fills the pipe from the source
/// and empties it into the destination within one read callback, so the pipe is empty between
/// callbacks and the loop's one pipe serves all its sockets (no descriptors per connection).
///
/// It changes nothing a program can observe, because it is used only while nothing could see the
/// difference: the source flows, has nothing buffered, no `'data'` or `.text` listener, no
/// encoding and no `onread`, and pipes to exactly one other socket of its loop, which is open,
/// not ended, uncorked and has nothing queued or in flight (``spliceDestination``). Every move
/// checks that again first, so a listener added, a `pause()`, an `unpipe`, a `cork()` or an
/// `end()` on the destination sends the source back to ordinary reads before another byte moves.
/// `bytesRead`, `bytesWritten`, idle timeouts, `'end'` and errors are kept as for ordinary reads
/// and writes. Each move answers as a `write` of that chunk would (`wroteSpliced`): what the
/// destination's kernel buffer does not take at once leaves the kernel pipe as an ordinary write,
/// queued in order, and when that puts the destination at its high-water mark the source pauses
/// and `'drain'` follows; the source splices again once that queue is empty, or once a
/// destination that was connecting is connected (``offerSpliceToSources``). A kernel that
/// refuses `splice(2)` itself (`KernelPipe.isUnsupported`) sends the loop back to copying,
/// losing nothing.
///
/// How the source learns it is readable: its handle reads with memory of no bytes, so libuv only
/// reports readiness (a `UV_ENOBUFS` read, `StreamHandle.readStart(splicing:)`).
extension Socket {
    /// The destination this socket can splice into now, if it can (see above).
    func spliceDestination() -> Socket? {
        guard loop.splicesPipes, !loop.spliceUnsupported, let only = pipeTargets.onlySocket else { return nil }
        let target = only.takeUnretainedValue()
        guard target !== self, target.loop === loop, target.handle != nil,
              target.state.writableEnd == .open, target.state.canWriteNow,
              state.flow == .flowing, state.readBuffer.isEmpty, decoder == nil, onread == nil,
              listenerCount(.data) == 0, listenerCount(.text) == 0
        else { return nil }
        return target
    }

    /// Whether reading should start spliced: a destination allows it and the loop has a kernel
    /// pipe (opened on first use; without one, out of descriptors say, the socket copies as usual
    /// and asks again the next time it starts reading).
    func readsSpliced() -> Bool {
        guard !pipeTargets.isEmpty, spliceDestination() != nil else { return false }
        if loop.kernelPipe != nil { return true }
        loop.kernelPipe = KernelPipe.open()
        return loop.kernelPipe != nil
    }

    /// The handle reported the stream readable while splicing: move what it holds to the
    /// destination (a few pipefuls at most, so other streams get their turn), or read as usual
    /// again when splicing no longer applies.
    func spliceReadable() {
        var moves = 0
        while let h = handle, h.splicing {
            guard let target = spliceDestination(), let pipe = loop.kernelPipe else {
                readUnspliced(h)
                return
            }
            let n = pipe.fill(from: h.fileDescriptor)
            if n == Int(UV_EAGAIN.rawValue) { return }
            if KernelPipe.isUnsupported(n) {
                // Nothing was read: the same bytes are read as usual instead.
                loop.spliceUnsupported = true
                readUnspliced(h)
                return
            }
            if n <= 0 {
                onReadError(n == 0 ? UV_EOF_CODE : Int32(n))
                return
            }
            state.receivedInPlace(n)
            refreshTimeoutIfSet()
            target.takeSpliced(n, from: pipe, source: self)
            moves += 1
            if n < pipe.capacity || moves == 4 { return }
        }
    }

    /// Back to ordinary reads (the source goes on reading, as it was; what it reads is
    /// delivered, or buffered up to its high-water mark while paused).
    private func readUnspliced(_ h: StreamHandle) {
        h.readStop()
        let r = h.readStart()
        if r < 0 { destroy(.errno(r, syscall: "read")) }
    }

    /// `count` bytes a source spliced into `pipe` for this socket: into this socket's kernel
    /// buffer at once, and what that does not take as an ordinary write behind them. It answers
    /// as `write` of those bytes would (`wroteSpliced`), so the source pauses and this socket
    /// emits `'drain'` exactly when a copying pipe's write of the same chunk would have made them.
    private func takeSpliced(_ count: Int, from pipe: KernelPipe, source: Socket) {
        guard let h = handle else {
            pipe.discard(count)  // cannot happen (the source checked), but the pipe stays empty
            return
        }
        let moved = pipe.drain(into: h.fileDescriptor, count: count)
        if moved < 0 && moved != Int(UV_EAGAIN.rawValue) && !KernelPipe.isUnsupported(moved) {
            pipe.discard(count)
            destroy(.errno(Int32(moved), syscall: "write"))
            return
        }
        if KernelPipe.isUnsupported(moved) { loop.spliceUnsupported = true }
        let taken = Swift.max(0, moved)
        loop.splicedBytes &+= taken
        let rest = taken < count ? pipe.take(count - taken) : nil
        if !wroteSpliced(count, rest: rest) { source.pipeFull() }
    }

    /// This socket's write queue emptied: sources piping into it that read as usual may splice
    /// again.
    func offerSpliceToSources() {
        pipeSources.forEach { source, _ in
            guard source !== self, let h = source.handle, h.reading, !h.splicing, source.readsSpliced() else { return }
            h.readStop()
            let r = h.readStart(splicing: true)
            if r < 0 { source.destroy(.errno(r, syscall: "read")) }
        }
    }
}
