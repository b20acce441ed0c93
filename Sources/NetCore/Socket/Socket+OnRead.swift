/// Node's `onread` option: reads land in memory the caller provides, and a callback sees each
/// one; no `'data'` events, no allocation per read.
public struct OnRead {
    /// Where reads land.
    public enum Memory {
        /// This memory, reused for every read; the caller keeps it alive while the socket lives.
        case buffer(UnsafeMutableRawBufferPointer)
        /// A region of this many bytes that the socket allocates once and frees when it is gone.
        case capacity(Int)
        /// A region from this function, called once at the start and again after every read
        /// (Node's buffer function).
        case factory(() -> UnsafeMutableRawBufferPointer)
    }

    /// Where reads land.
    public var memory: Memory
    /// Called with the number of bytes read and the memory holding them (at its start); return
    /// false to stop reading until `resume()` (as in Node, this does not pause the stream: no
    /// `'pause'`, `isPaused()` stays false). The memory is only valid during the call.
    public var callback: (Int, UnsafeMutableRawBufferPointer) -> Bool

    /// Reads into `memory`, calling `callback` for each read.
    public init(memory: Memory, callback: @escaping (Int, UnsafeMutableRawBufferPointer) -> Bool) {
        self.memory = memory
        self.callback = callback
    }
}

/// The live state of `onread` on one socket: the current memory and what the socket owns.
final class OnReadState {
    let callback: (Int, UnsafeMutableRawBufferPointer) -> Bool
    let factory: (() -> UnsafeMutableRawBufferPointer)?
    private var owned: UnsafeMutableRawBufferPointer?
    var current: UnsafeMutableRawBufferPointer

    init(_ options: OnRead) {
        callback = options.callback
        switch options.memory {
        case .buffer(let memory):
            factory = nil
            current = memory
        case .capacity(let n):
            factory = nil
            let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(1, n), alignment: 16)
            owned = memory
            current = memory
        case .factory(let make):
            factory = make
            current = make()
        }
    }

    deinit { owned?.deallocate() }
}

extension Socket {
    /// Memory for the next read in `onread` mode.
    @inline(__always)
    func onreadMemory() -> UnsafeMutableRawBufferPointer? { onread?.current }

    /// A read landed in the `onread` memory.
    func onReadInto(_ onread: OnReadState, count: Int) {
        state.receivedInPlace(count)
        refreshTimeoutIfSet()
        let keepReading = onread.callback(count, onread.current)
        if let make = onread.factory { onread.current = make() }
        // As Node: the handle stops reading, the stream is not paused (no 'pause'), and
        // `resume()` reads again.
        if !keepReading { handle?.readStop() }
    }

    /// `resume()` in `onread` mode restarts a connected handle's reads that a callback returning
    /// false (or `pause()`) stopped, at once, as Node's `Socket.prototype.resume`.
    func resumeOnRead() {
        guard onread != nil, !connecting, !destroyed, let h = handle, !h.reading,
              state.connection == .open, state.readableEnd == .open else { return }
        let r = h.readStart(splicing: false)
        if r < 0 { destroy(.errno(r, syscall: "read")) }
    }
}
