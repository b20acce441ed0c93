#if canImport(Glibc)
import Glibc
#endif

/// The copy paths of the standard library, each one `memcpy` (or `memcmp`) of the buffer's bytes
/// instead of a loop over its elements.
///
/// `Array(buffer)`, `ContiguousArray(buffer)` and `UnsafeMutableBufferPointer.initialize(from:)`
/// call `_copyContents(initializing:)`, as `array.append(contentsOf: buffer)` does through
/// the latter; `Data(buffer)`, `Buffer(array)` and other bulk readers ask for
/// `withContiguousStorageIfAvailable`; algorithms that write in place ask for
/// `withContiguousMutableStorageIfAvailable`.
///
/// Lifetime: every pointer handed out here points into the storage object this `Buffer` holds
/// and is valid only while the closure (or, for `_copyContents`, the copy) runs: the call borrows
/// `self`, whose strong reference keeps the storage alive, and the pointer comes from
/// `ManagedBuffer.withUnsafeMutablePointerToElements`, which also keeps the storage alive for the
/// closure's duration. A closure must not let the pointer escape, as with `Array`.
extension Buffer {
    /// Calls `body` with the buffer's bytes as typed, contiguous memory (never nil).
    public func withContiguousStorageIfAvailable<R>(
        _ body: (UnsafeBufferPointer<UInt8>) throws -> R
    ) rethrows -> R? {
        try storage.withElements { try body(UnsafeBufferPointer(start: $0 + offset, count: count)) }
    }

    /// Calls `body` with the buffer's bytes to change them in place (never nil). Shared storage is
    /// copied first, as for every mutation, so no other holder sees the change. `body` must not
    /// replace the buffer pointer it is given.
    public mutating func withContiguousMutableStorageIfAvailable<R>(
        _ body: (inout UnsafeMutableBufferPointer<UInt8>) throws -> R
    ) rethrows -> R? {
        makeUnique()
        let (offset, count) = (self.offset, self.count)
        return try storage.withElements { base in
            let start = base + offset
            var region = UnsafeMutableBufferPointer(start: start, count: count)
            defer {
                precondition(region.baseAddress == start && region.count == count,
                             "Buffer withContiguousMutableStorageIfAvailable: replacing the buffer is not allowed")
            }
            return try body(&region)
        }
    }

    /// Copies the first `min(count, target.count)` bytes into `target` with one `memcpy`; the
    /// iterator returned continues after them. (The standard library's own collections build
    /// that iterator with the same public `IndexingIterator(_elements:_position:)`.)
    public __consuming func _copyContents(
        initializing target: UnsafeMutableBufferPointer<UInt8>
    ) -> (IndexingIterator<Buffer>, Int) {
        let n = Swift.min(count, target.count)
        if n > 0, let destination = target.baseAddress {
            storage.withElements { destination.initialize(from: $0 + offset, count: n) }
        }
        return (IndexingIterator(_elements: self, _position: n), target.startIndex + n)
    }

    /// Whether `other` holds the same bytes in the same order; one `memcmp` when `other` has
    /// contiguous storage (an array, another buffer, `Data`), else one pass over it.
    public func elementsEqual<Other: Sequence>(_ other: Other) -> Bool where Other.Element == UInt8 {
        if let equal = other.withContiguousStorageIfAvailable({ theirs in
            withUnsafeBytes { mine in Buffer.sameBytes(mine, UnsafeRawBufferPointer(theirs)) }
        }) {
            return equal
        }
        return withUnsafeBytes { mine in
            var theirs = other.makeIterator()
            for byte in mine {
                guard theirs.next() == byte else { return false }
            }
            return theirs.next() == nil
        }
    }

    /// Byte-wise equality of two regions (`memcmp`).
    static func sameBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard a.count > 0, let x = a.baseAddress, let y = b.baseAddress else { return true }
        return x == y || memcmp(x, y, a.count) == 0
    }
}
