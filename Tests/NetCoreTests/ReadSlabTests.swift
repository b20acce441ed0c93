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
}
