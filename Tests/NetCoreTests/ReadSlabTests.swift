import Testing
import CUV
@testable import NetCore

/// The loop's read slab is shared by Swift (`ReadSlab`, `EventLoop`) and the C read-memory
/// callback (`cuv_slab_alloc` in Sources/CUV/shim.h): both must agree on where it lives and how
/// it starts, and reads must land in it as the Swift side expects.
@Suite struct ReadSlabTests {
    @Test func swiftAndCAgreeOnTheSlabsPlaceAndShape() {
        #expect(EventLoop.readSlabOffset == Int(cuv_read_slab_offset()))
        #expect(EventLoop.readSlabOffset % 16 == 0)
        #expect(MemoryLayout<ReadSlab>.offset(of: \ReadSlab.head) == 0)
        #expect(ReadSlab.size == 64 * 1024 && ReadSlab.recycleAfter < ReadSlab.minimumRead)
    }

    /// Reads through the C callback move along the slab, and once past `recycleAfter` bytes an
    /// unheld slab starts over while a held one goes on (its chunks keep their bytes).
    @Test func readsAdvanceAndTheSlabStartsOverOnceUnheld() {
        withLoop { loop in
            let slab = loop.readSlab
            func alloc() -> uv_buf_t {
                var handle = uv_idle_t()
                uv_idle_init(loop.uv, &handle)
                var buf = uv_buf_t()
                withUnsafeMutablePointer(to: &handle) { cuv_slab_alloc(cuv_handle($0), 65536, &buf) }
                uv_close(cuv_handle(&handle), nil)
                uv_run(loop.uv, UV_RUN_NOWAIT)
                return buf
            }
            let first = alloc()
            #expect(first.len == ReadSlab.size)
            var held: [Buffer] = []
            var previous = first.base!
            // Fill past the threshold with 1 KiB chunks that stay held.
            for i in 0..<3 {
                let buf = alloc()
                if i > 0 { #expect(buf.base! == previous + 1024, "read \(i) did not follow the last one") }
                memset(buf.base!, Int32(0x30 + i), 1024)
                held.append(slab.pointee.withTaken(1024) { $0 })
                previous = buf.base!
            }
            // Held: the next read goes on after them, and the chunks keep their bytes.
            let next = alloc()
            #expect(next.base! == previous + 1024)
            #expect(held.map { $0[0] } == [0x30, 0x31, 0x32])
            _ = slab.pointee.withTaken(0) { $0 }
            // Released: past the threshold, the slab starts over at its first byte.
            held.removeAll()
            let again = alloc()
            #expect(again.base! == first.base!, "an unheld slab past the threshold did not start over")
        }
    }

    /// Writes queued behind a slow peer hold whole slabs (a data-listener echo under a bulk load
    /// holds as many as its queue spans). Once they are written, later reads must go into those
    /// slabs again rather than into new memory: 20 slabs held at once, released, then 20 more
    /// reads of a slab each land in the same 20.
    @Test func slabsHeldByQueuedWritesAreTakenBackOnceReleased() {
        var slab = ReadSlab()
        func fillAndMoveOn() -> Buffer {
            // A read that leaves less than `minimumRead` free: the next one needs another slab.
            let chunk = slab.take(ReadSlab.size - ReadSlab.minimumRead + 16)
            slab.recycle()
            return chunk
        }
        var held = (0..<20).map { _ in fillAndMoveOn() }
        // Weak references: a slab the loop let go of is freed once its chunk goes, and new
        // memory may then come back at its address, so identities are compared only among
        // slabs known to be alive.
        final class Weak { weak var storage: BufferStorage?; init(_ s: BufferStorage) { storage = s } }
        let first = held.map { Weak($0.storage) }
        #expect(Set(first.map { ObjectIdentifier($0.storage!) }).count == 20)
        held.removeAll()
        let kept = first.filter { $0.storage != nil }.count
        #expect(kept == 20, "the loop kept \(kept) of the 20 slabs for reuse")
        held = (0..<20).map { _ in fillAndMoveOn() }
        // Every slab still alive is held by a chunk of this round (or kept by the loop), so
        // its identity is its own.
        let reused = Set(first.compactMap { $0.storage.map(ObjectIdentifier.init) })
        let fresh = held.filter { !reused.contains(ObjectIdentifier($0.storage)) }.count
        #expect(fresh <= 1, "\(fresh) of 20 reads went into new memory")
    }
}

