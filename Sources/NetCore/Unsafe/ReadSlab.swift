internal import CUV

/// The loop's read memory: one 64 KiB slab that every stream of the loop reads into.
///
/// Each read lands in the free tail of the slab and is handed to `'data'` as a `Buffer` viewing
/// exactly the bytes read: no copy, no allocation. When the next read starts past the first
/// `recycleAfter` bytes and nobody holds a view of the slab any more (the usual case for an echo
/// or a parser that consumes chunks), the whole slab is reused. While views are held, later reads
/// go into the rest of the slab, so retained small chunks share one slab instead of pinning
/// 64 KiB each. When the free tail is too
/// small, a slab handed out earlier that nobody holds any more is taken back; only when every
/// recent slab is still held (say, by writes queued behind a slow peer) is a new one allocated.
struct ReadSlab {
    static let size = Int(CUV_READ_SLAB_SIZE)
    /// A smaller free tail than this is not worth a read: take another slab instead.
    static let minimumRead = 8 * 1024
    /// How many earlier slabs are kept to be taken back once released: 2 MiB, what the queued
    /// writes of a data-listener echo span under a bulk load. With 8, such an echo kept letting
    /// slabs go and allocating new ones, and took 68,000–105,000 page faults in 5 s of a Unix
    /// stream where it now takes about 500 (BENCHMARKS.md, "The data-listener echo").
    static let maxSpares = 32
    /// Below this many bytes used, the next read goes on into the tail without asking whether
    /// the slab could start over: the question is a call into the runtime
    /// (`swift_isUniquelyReferenced_nonNull_native`), about 9 instructions per read, and
    /// small reads (a ping-pong's) then ask it once every few dozen reads.
    static let recycleAfter = Int(CUV_READ_SLAB_RECYCLE_AFTER)

    /// What libuv's read-memory callback reads (`cuv_slab_alloc`, in C): the bytes of `storage`
    /// and how many are used. It must stay the first field (`swiftnet_read_slab_recycle` finds the
    /// slab at the head's address; a test checks the offset).
    var head: cuv_slab_head_t
    private var storage: BufferStorage
    private var spares: [BufferStorage] = []

    init() {
        storage = BufferStorage.make(ReadSlab.size)
        head = cuv_slab_head_t()
        begin(storage)
        spares.reserveCapacity(ReadSlab.maxSpares)
    }

    /// Reads go into `slab` from its first byte on.
    private mutating func begin(_ slab: BufferStorage) {
        storage = slab
        head = cuv_slab_head_t(base: slab.withBytes { $0 }.assumingMemoryBound(to: CChar.self), used: 0)
    }

    private var used: Int {
        get { head.used }
        set { head.used = newValue }
    }

    /// Whether the last read took the whole free tail (so the stream may hold more).
    var isFull: Bool { used == ReadSlab.size }

    /// Starts the slab over when nobody holds a view of it, or moves on when its free tail is too
    /// small. Called from `cuv_slab_alloc` once `recycleAfter` bytes are used.
    mutating func recycle() {
        if isKnownUniquelyReferenced(&storage) {
            used = 0
        } else if ReadSlab.size - used < ReadSlab.minimumRead {
            switchSlab()
        }
    }

    /// Parks the current slab (still held by someone) and continues in a free spare, or a new one.
    private mutating func switchSlab() {
        for i in spares.indices where isKnownUniquelyReferenced(&spares[i]) {
            swap(&storage, &spares[i])
            begin(storage)
            return
        }
        if spares.count == ReadSlab.maxSpares { spares.removeFirst() }
        spares.append(storage)
        begin(BufferStorage.make(ReadSlab.size))
    }

    /// Calls `body` with the `count` bytes just read into the memory `cuv_slab_alloc` gave, as a buffer
    /// that borrows the slab's storage instead of retaining it. Whatever keeps the chunk (a
    /// queued write, a listener) copies it and so retains the storage as usual; a chunk that is
    /// only looked at and written through costs no reference counting (one retain and release
    /// per read, measured with `make bench-instr`).
    ///
    /// Safety: the slab holds `storage` for the whole call, since only `recycle()` replaces it, and
    /// libuv never asks for read memory from inside a read callback (`uv_run` does not nest).
    @inline(__always)
    mutating func withTaken<R>(_ count: Int, _ body: (Buffer) -> R) -> R {
        let at = used
        // Keep later reads 16-byte aligned. Wrapping arithmetic: `count` is at most the free
        // tail `cuv_slab_alloc` gave (libuv reads no more), so nothing here can overflow.
        used = min(ReadSlab.size, used &+ ((count &+ 15) & ~15))
        return Unmanaged.passUnretained(storage)._withUnsafeGuaranteedRef { storage in
            body(Buffer(storage: storage, offset: at, count: count))
        }
    }

    /// The `count` bytes just read into the memory `cuv_slab_alloc` gave, as a buffer.
    @inline(__always)
    mutating func take(_ count: Int) -> Buffer {
        let chunk = Buffer(storage: storage, offset: used, count: count)
        // Keep later reads 16-byte aligned.
        used = min(ReadSlab.size, used + ((count + 15) & ~15))
        return chunk
    }
}

/// The slow path of `cuv_slab_alloc`: the slab is the struct whose first field is `head`.
@_cdecl("swiftnet_read_slab_recycle")
func readSlabRecycle(_ head: UnsafeMutablePointer<cuv_slab_head_t>) {
    UnsafeMutableRawPointer(head).assumingMemoryBound(to: ReadSlab.self).pointee.recycle()
}
