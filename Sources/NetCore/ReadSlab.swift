internal import CUV

/// The loop's read memory: one 64 KiB slab that every stream of the loop reads into.
///
/// Each read lands in the free tail of the slab and is handed to `'data'` as a `Buffer` viewing
/// exactly the bytes read: no copy, no allocation. When the next read starts and nobody holds a
/// view of the slab any more (the usual case for an echo or a parser that consumes chunks), the
/// whole slab is reused. While views are held, later reads go into the rest of the slab, so
/// retained small chunks share one slab instead of pinning 64 KiB each; a new slab is taken only
/// when the free tail is too small.
final class ReadSlab {
    static let size = 64 * 1024
    /// A smaller free tail than this is not worth a read: take a fresh slab instead.
    static let minimumRead = 8 * 1024

    private var storage = BufferStorage.make(ReadSlab.size)
    private var used = 0

    /// Memory for the next read.
    @inline(__always)
    func next() -> (UnsafeMutableRawPointer, Int) {
        if isKnownUniquelyReferenced(&storage) {
            used = 0
        } else if ReadSlab.size - used < ReadSlab.minimumRead {
            storage = BufferStorage.make(ReadSlab.size)
            used = 0
        }
        let base = storage.withBytes { $0 }
        return (base + used, ReadSlab.size - used)
    }

    /// The `count` bytes just read into the memory `next()` gave, as a buffer.
    @inline(__always)
    func take(_ count: Int) -> Buffer {
        let chunk = Buffer(storage: storage, offset: used, count: count)
        // Keep later reads 16-byte aligned.
        used = min(ReadSlab.size, used + ((count + 15) & ~15))
        return chunk
    }
}
