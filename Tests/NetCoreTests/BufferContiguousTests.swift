import Testing
import Foundation
import CMallocCounter
@testable import NetCore

/// The bulk copy paths of `Buffer` (`Buffer+Contiguous.swift`): every one gives the same bytes
/// as reading the buffer one index at a time, for an empty buffer, one byte, a view into the
/// middle of a larger buffer and 1 MiB; the contiguous storage is always available; and copying
/// 1 MiB into an array allocates once, not per byte or per growth step.
@Suite struct BufferContiguousTests {
    /// One case: a name for the report and a buffer.
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let buffer: Buffer
        var testDescription: String { name }
    }

    /// Bytes that differ from their neighbours, so a shifted or partial copy shows.
    static func pattern(_ count: Int, seed: Int = 0) -> Buffer {
        Buffer(unsafeUninitializedCapacity: count) { out in
            for i in 0..<count { out[i] = UInt8(truncatingIfNeeded: (i &+ seed) % 251) }
            return count
        }
    }

    static let cases: [Case] = [
        Case(name: "empty", buffer: Buffer()),
        Case(name: "1 byte", buffer: Buffer([0xa5])),
        // A view of bytes 1000..<3000 of a 4 KiB buffer: its first byte is not the storage's.
        Case(name: "slice", buffer: pattern(4096, seed: 7).subarray(1000, 3000)),
        Case(name: "1 MiB", buffer: pattern(1 << 20, seed: 3)),
    ]

    /// The bytes read one index at a time: the reference every fast path is checked against.
    static func reference(_ b: Buffer) -> [UInt8] {
        var bytes: [UInt8] = []
        for i in 0..<b.count { bytes.append(b[i]) }
        return bytes
    }

    @Test(arguments: cases)
    func copiesIntoArraysMatchByteForByte(_ c: Case) {
        let expected = Self.reference(c.buffer)
        #expect(expected.count == c.buffer.count)
        #expect(Array(c.buffer) == expected)
        #expect([UInt8](c.buffer) == expected)
        #expect(Array(ContiguousArray(c.buffer)) == expected)
        var appended: [UInt8] = [1, 2, 3]
        appended.append(contentsOf: c.buffer)
        #expect(appended == [1, 2, 3] + expected)
        var spare: [UInt8] = []
        spare.reserveCapacity(c.buffer.count + 16)
        spare.append(contentsOf: c.buffer)
        #expect(spare == expected)
        #expect(Data(c.buffer) == Data(expected))
        #expect([UInt8](Data(c.buffer)) == expected)
    }

    @Test(arguments: cases)
    func buffersMadeFromSequencesMatch(_ c: Case) {
        let expected = Self.reference(c.buffer)
        #expect(Self.reference(Buffer(expected)) == expected)
        #expect(Self.reference(Buffer(expected[...])) == expected)
        #expect(Self.reference(Buffer(ContiguousArray(expected))) == expected)
        #expect(Self.reference(Buffer(Data(expected))) == expected)
        // The copy is its own: changing it leaves the source alone.
        var copied = Buffer(c.buffer)
        #expect(Self.reference(copied) == expected)
        if copied.count > 0 {
            copied[0] &+= 1
            #expect(Self.reference(c.buffer) == expected)
        }
        // A sequence without contiguous storage takes the general path.
        #expect(Self.reference(Buffer(AnySequence(expected))) == expected)
        #expect(Self.reference(Buffer(expected.lazy.map { $0 })) == expected)
    }

    @Test(arguments: cases)
    func elementsEqualComparesEveryByte(_ c: Case) {
        let expected = Self.reference(c.buffer)
        #expect(c.buffer.elementsEqual(expected))
        #expect(c.buffer.elementsEqual(Buffer(expected)))
        #expect(c.buffer.elementsEqual(AnySequence(expected)))
        #expect(!c.buffer.elementsEqual(expected + [0]))
        #expect(!c.buffer.elementsEqual(AnySequence(expected + [0])))
        #expect(c.buffer == Buffer(expected))
        if !expected.isEmpty {
            #expect(!c.buffer.elementsEqual(expected.dropLast()))
            #expect(!c.buffer.elementsEqual(AnySequence(expected.dropLast())))
            var changed = expected
            changed[changed.count / 2] &+= 1
            #expect(!c.buffer.elementsEqual(changed))
            #expect(!c.buffer.elementsEqual(AnySequence(changed)))
            #expect(c.buffer != Buffer(changed))
        }
        // Through a generic context the standard library's own loop runs; it must agree.
        func generic<A: Sequence, B: Sequence>(_ a: A, _ b: B) -> Bool where A.Element == UInt8, B.Element == UInt8 {
            a.elementsEqual(b)
        }
        #expect(generic(c.buffer, expected))
    }

    @Test(arguments: cases)
    func contiguousStorageIsTheBuffersOwnBytes(_ c: Case) {
        let expected = Self.reference(c.buffer)
        let seen = c.buffer.withContiguousStorageIfAvailable { Array($0) }
        #expect(seen != nil)
        #expect(seen == expected)
        // The region is the buffer's own memory, not a copy.
        let base = c.buffer.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) }
        let raw = c.buffer.withUnsafeBytes { $0.baseAddress }
        #expect(base != nil)
        #expect(base! == raw)
    }

    @Test(arguments: cases)
    func initializeFromCopiesAndResumes(_ c: Case) {
        let expected = Self.reference(c.buffer)
        // Room for everything: all bytes copied, nothing left to iterate.
        let roomy = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: c.buffer.count + 8)
        defer { roomy.deallocate() }
        var (rest, end) = roomy.initialize(from: c.buffer)
        #expect(end == c.buffer.count)
        #expect(Array(roomy[..<end]) == expected)
        #expect(rest.next() == nil)
        // Room for half: the first half copied, the iterator goes on with the second.
        let half = c.buffer.count / 2
        let small = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: half)
        defer { small.deallocate() }
        var (more, stop) = small.initialize(from: c.buffer)
        #expect(stop == half)
        #expect(Array(small) == Array(expected[..<half]))
        var tail: [UInt8] = []
        while let b = more.next() { tail.append(b) }
        #expect(tail == Array(expected[half...]))
    }

    @Test(arguments: cases)
    func mutableStorageCopiesSharedBytesFirst(_ c: Case) {
        let expected = Self.reference(c.buffer)
        var copy = c.buffer
        let result: Int? = copy.withContiguousMutableStorageIfAvailable { region in
            for i in region.indices { region[i] = ~region[i] }
            return region.count
        }
        #expect(result == c.buffer.count)
        #expect(Self.reference(copy) == expected.map { ~$0 })
        // The original shared its storage with `copy`, so it is unchanged.
        #expect(Self.reference(c.buffer) == expected)
        // MutableCollection algorithms that use it see the same bytes.
        var reversed = c.buffer
        reversed.reverse()
        #expect(Self.reference(reversed) == expected.reversed())
        #expect(Self.reference(c.buffer) == expected)
    }

    @Test func uniqueBufferIsChangedInPlace() {
        var b = Self.pattern(64)
        let before = b.withUnsafeBytes { $0.baseAddress }
        let during = b.withContiguousMutableStorageIfAvailable { region in
            region[0] = 0xff
            return UnsafeRawPointer(region.baseAddress)
        }
        #expect(during! == before)
        #expect(b[0] == 0xff)
    }

    @Test func aSliceOfASharedBufferLeavesTheParentAlone() {
        let parent = Self.pattern(256)
        var view = parent.subarray(100, 110)
        _ = view.withContiguousMutableStorageIfAvailable { region in
            region.update(repeating: 0)
        }
        #expect(Self.reference(view) == [UInt8](repeating: 0, count: 10))
        #expect(Self.reference(parent) == Self.reference(Self.pattern(256)))
    }

    // One allocation for the array's storage: the copy is one memcpy, not a loop that grows it.
    @Test(.enabled(if: cmc_counting_enabled() != 0, "allocation counting is off under sanitizers"))
    func copyingOneMebibyteAllocatesOnce() {
        let b = Self.pattern(1 << 20)
        // Warm-up: the first use may instantiate generic metadata once.
        _ = Array(b).count
        let before = cmc_thread_allocations()
        let array = Array(b)
        let arrays = cmc_thread_allocations() - before
        var target: [UInt8] = []
        target.reserveCapacity(b.count)
        let reserved = cmc_thread_allocations()
        target.append(contentsOf: b)
        let appends = cmc_thread_allocations() - reserved
        let made = cmc_thread_allocations()
        let buffer = Buffer(array)
        let buffers = cmc_thread_allocations() - made
        #expect(array.count == b.count && target.count == b.count && buffer.count == b.count)
        #expect(arrays == 1, "Array(buffer) of 1 MiB made \(arrays) allocations")
        #expect(appends == 0, "append(contentsOf:) into reserved room made \(appends) allocations")
        #expect(buffers == 1, "Buffer(array) of 1 MiB made \(buffers) allocations")
    }
}
