internal import CUV

/// The loop's read memory: one 64 KiB slab that every stream of the loop reads into.
///
/// Each read lands in the free tail of the slab and is handed to `'data'` as a `Buffer` viewing
/// exactly the bytes read: no copy, no allocation. When the next read starts and nobody holds a
/// view of the slab any more (the usual case for an echo or a parser that consumes chunks), the
/// whole slab is reused. While views are held, later reads go into the rest of the slab, so
/// retained small chunks share one slab instead of pinning 64 KiB each. When the free tail is too
/// small, a slab handed out earlier that nobody holds any more is taken back; only when every
/// recent slab is still held (say, by writes queued behind a slow peer) is a new one allocated.
struct ReadSlab {
    static let size = 64 * 1024
    /// A smaller free tail than this is not worth a read: take another slab instead.
    static let minimumRead = 8 * 1024
    /// How many earlier slabs are kept to be taken back once released.
    static let maxSpares = 8

    private var storage = BufferStorage.make(ReadSlab.size)
    private var used = 0
    private var spares: [BufferStorage] = []

    init() { spares.reserveCapacity(ReadSlab.maxSpares) }

    /// The loop's slab lives at a fixed address, so handles reach it through a plain pointer:
    /// no reference counting on the read path.
    static func allocate() -> UnsafeMutablePointer<ReadSlab> {
        let p = UnsafeMutablePointer<ReadSlab>.allocate(capacity: 1)
        p.initialize(to: ReadSlab())
        return p
    }

    /// Memory for the next read.
    @inline(__always)
    mutating func next() -> (UnsafeMutableRawPointer, Int) {
        if isKnownUniquelyReferenced(&storage) {
            used = 0
        } else if ReadSlab.size - used < ReadSlab.minimumRead {
            switchSlab()
        }
        let base = storage.withBytes { $0 }
        // Wrapping arithmetic: `used` stays within 0...size, so no overflow check is needed.
        return (base + used, ReadSlab.size &- used)
    }

    /// Parks the current slab (still held by someone) and continues in a free spare, or a new one.
    private mutating func switchSlab() {
        for i in spares.indices where isKnownUniquelyReferenced(&spares[i]) {
            swap(&storage, &spares[i])
            used = 0
            return
        }
        if spares.count == ReadSlab.maxSpares { spares.removeFirst() }
        spares.append(storage)
        storage = BufferStorage.make(ReadSlab.size)
        used = 0
    }

    /// Calls `body` with the `count` bytes just read into the memory `next()` gave, as a buffer
    /// that borrows the slab's storage instead of retaining it. Whatever keeps the chunk (a
    /// queued write, a listener) copies it and so retains the storage as usual; a chunk that is
    /// only looked at and written through costs no reference counting (one retain and release
    /// per read, measured with `make bench-instr`).
    ///
    /// Safety: the slab holds `storage` for the whole call, since only `next()` replaces it, and
    /// libuv never asks for read memory from inside a read callback (`uv_run` does not nest).
    @inline(__always)
    mutating func withTaken<R>(_ count: Int, _ body: (Buffer) -> R) -> R {
        let at = used
        // Keep later reads 16-byte aligned. Wrapping arithmetic: `count` is at most the free
        // tail `next()` gave (libuv reads no more), so nothing here can overflow.
        used = min(ReadSlab.size, used &+ ((count &+ 15) & ~15))
        return Unmanaged.passUnretained(storage)._withUnsafeGuaranteedRef { storage in
            body(Buffer(storage: storage, offset: at, count: count))
        }
    }

    /// The `count` bytes just read into the memory `next()` gave, as a buffer.
    @inline(__always)
    mutating func take(_ count: Int) -> Buffer {
        let chunk = Buffer(storage: storage, offset: used, count: count)
        // Keep later reads 16-byte aligned.
        used = min(ReadSlab.size, used + ((count + 15) & ~15))
        return chunk
    }
}
