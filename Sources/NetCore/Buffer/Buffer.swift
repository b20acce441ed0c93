/// Bytes, as Node's `Buffer`: a value type whose slices share storage without copying.
///
/// `'data'` events deliver `Buffer`s and `write` accepts them. Indices run from 0 to `count`;
/// `buffer[2..<5]` and `subarray(2, 5)` are views of the same bytes. Mutating a buffer whose
/// storage is shared copies it first, so a `Buffer` never changes under another holder.
///
/// `@unchecked Sendable`: the bytes a `Buffer` can see are never written while another reference
/// to their storage exists (copy on write; the loop's read slab reuses only storage nobody else
/// holds), so a buffer may be handed to another thread.
public struct Buffer: @unchecked Sendable {
    var storage: BufferStorage
    var offset: Int
    /// The number of bytes (Node's `length`).
    public private(set) var count: Int

    init(storage: BufferStorage, offset: Int, count: Int) {
        self.storage = storage
        self.offset = offset
        self.count = count
    }

    /// An empty buffer.
    public init() {
        self.init(storage: BufferStorage.empty, offset: 0, count: 0)
    }

    /// A buffer of `count` bytes, each `fill` (Node's `Buffer.alloc(size, fill)`).
    public init(count: Int, fill: UInt8 = 0) {
        let n = Swift.max(0, count)
        let s = BufferStorage.make(n)
        _ = s.withBytes { $0.initializeMemory(as: UInt8.self, repeating: fill, count: n) }
        self.init(storage: s, offset: 0, count: n)
    }

    /// A buffer holding a copy of `bytes` (Node's `Buffer.from(array)`). One `memcpy` when
    /// `bytes` has contiguous storage (an array, an array slice, `Data`, another buffer).
    public init<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        // Copy inside the closures: their pointers are only valid there.
        if let copied = bytes.withContiguousStorageIfAvailable({ Buffer(copying: UnsafeRawBufferPointer($0)) }) {
            self = copied
        } else {
            self = ContiguousArray(bytes).withUnsafeBytes { Buffer(copying: $0) }
        }
    }

    /// A buffer holding a copy of raw memory.
    public init(copying bytes: UnsafeRawBufferPointer) {
        let s = BufferStorage.make(bytes.count)
        if let base = bytes.baseAddress { s.withBytes { $0.copyMemory(from: base, byteCount: bytes.count) } }
        self.init(storage: s, offset: 0, count: bytes.count)
    }

    /// A buffer of up to `capacity` bytes filled by `body`, which returns how many it wrote.
    public init(
        unsafeUninitializedCapacity capacity: Int,
        initializingWith body: (UnsafeMutableRawBufferPointer) throws -> Int
    ) rethrows {
        let s = BufferStorage.make(capacity)
        let n = try s.withBytes { try body(UnsafeMutableRawBufferPointer(start: $0, count: capacity)) }
        self.init(storage: s, offset: 0, count: Swift.min(Swift.max(0, n), capacity))
    }

    /// Node's `Buffer.alloc(size)`: `size` zero bytes.
    public static func alloc(_ size: Int, fill: UInt8 = 0) -> Buffer { Buffer(count: size, fill: fill) }

    /// Node's `Buffer.concat(list)`: the bytes of every buffer, one after another.
    public static func concat(_ list: [Buffer]) -> Buffer {
        let total = list.reduce(0) { $0 + $1.count }
        return Buffer(unsafeUninitializedCapacity: total) { out in
            var at = 0
            for b in list {
                b.withUnsafeBytes { out.baseAddress!.advanced(by: at).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                at += b.count
            }
            return total
        }
    }

    /// Node's `length`.
    public var length: Int { count }

    /// Calls `body` with the buffer's bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withBytes { try body(UnsafeRawBufferPointer(start: $0 + offset, count: count)) }
    }

    /// Calls `body` with the buffer's bytes to change them, copying shared storage first.
    public mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        makeUnique()
        return try storage.withBytes { try body(UnsafeMutableRawBufferPointer(start: $0 + offset, count: count)) }
    }

    /// Copies the bytes into storage of their own unless this buffer is the only holder.
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            self = withUnsafeBytes { Buffer(copying: $0) }
        }
    }

    /// Node's `subarray(start, end)`: a view of bytes `start..<end`; negative values count from
    /// the end, and both are clamped to the buffer, as in Node.
    public func subarray(_ start: Int = 0, _ end: Int? = nil) -> Buffer {
        func clamp(_ i: Int) -> Int { i < 0 ? Swift.max(0, count + i) : Swift.min(i, count) }
        let s = clamp(start)
        let e = Swift.max(s, clamp(end ?? count))
        return Buffer(storage: storage, offset: offset + s, count: e - s)
    }

    /// Node's `slice(start, end)`, the same view as `subarray`.
    public func slice(_ start: Int = 0, _ end: Int? = nil) -> Buffer { subarray(start, end) }

    /// A copy of the bytes in storage of their own, so that keeping it keeps nothing else alive.
    public func copy() -> Buffer { withUnsafeBytes { Buffer(copying: $0) } }

    /// Node's `equals`: whether both hold the same bytes.
    public func equals(_ other: Buffer) -> Bool { self == other }
}

extension Buffer: RandomAccessCollection, MutableCollection {
    /// Always 0.
    public var startIndex: Int { 0 }
    /// The byte count.
    public var endIndex: Int { count }

    /// The byte at `index`.
    public subscript(index: Int) -> UInt8 {
        get {
            precondition(index >= 0 && index < count, "Buffer index out of range")
            return storage.withBytes { $0.load(fromByteOffset: offset + index, as: UInt8.self) }
        }
        set {
            precondition(index >= 0 && index < count, "Buffer index out of range")
            makeUnique()
            storage.withBytes { $0.storeBytes(of: newValue, toByteOffset: offset + index, as: UInt8.self) }
        }
    }

    /// A view of the bytes in `range`, sharing storage.
    public subscript(range: Range<Int>) -> Buffer {
        get {
            precondition(range.lowerBound >= 0 && range.upperBound <= count, "Buffer range out of bounds")
            return Buffer(storage: storage, offset: offset + range.lowerBound, count: range.count)
        }
        set {
            precondition(range.count == newValue.count, "Buffer range replacement must keep the length")
            makeUnique()
            newValue.withUnsafeBytes { src in
                storage.withBytes { ($0 + offset + range.lowerBound).copyMemory(from: src.baseAddress!, byteCount: src.count) }
            }
        }
    }

    // The bulk paths (`withContiguousStorageIfAvailable`, `_copyContents`, …) are in
    // Buffer+Contiguous.swift.
}

extension Buffer: Equatable, Hashable {
    /// Byte-wise equality.
    public static func == (a: Buffer, b: Buffer) -> Bool {
        guard a.count == b.count else { return false }
        if a.storage === b.storage && a.offset == b.offset { return true }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in Buffer.sameBytes(x, y) } }
    }

    /// Hashes the bytes.
    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

extension Buffer: ExpressibleByArrayLiteral, ExpressibleByStringLiteral {
    /// A buffer of the listed bytes.
    public init(arrayLiteral elements: UInt8...) { self.init(elements) }
    /// A buffer of the string's UTF-8 bytes.
    public init(stringLiteral value: String) { self.init(value, encoding: .utf8) }
}

extension Buffer: CustomStringConvertible {
    /// Node's inspection text: `<Buffer 68 65 6c 6c 6f>`, at most 50 bytes shown; an empty
    /// buffer is `<Buffer >`, as Node prints it.
    public var description: String {
        if count == 0 { return "<Buffer >" }
        let hexDigits = Array("0123456789abcdef".utf8)
        var out = "<Buffer"
        withUnsafeBytes { bytes in
            for b in bytes.prefix(50) {
                out += " " + String(decoding: [hexDigits[Int(b >> 4)], hexDigits[Int(b & 15)]], as: UTF8.self)
            }
        }
        if count > 50 { out += " ... \(count - 50) more byte\(count - 50 == 1 ? "" : "s")" }
        return out + ">"
    }
}

/// The storage of a `Buffer`: bytes tail-allocated in one object, freed with it.
final class BufferStorage: ManagedBuffer<Int, UInt8> {
    nonisolated(unsafe) static let empty = make(0)

    static func make(_ capacity: Int) -> BufferStorage {
        unsafeDowncast(BufferStorage.create(minimumCapacity: Swift.max(capacity, 1)) { _ in capacity }, to: BufferStorage.self)
    }

    /// Calls `body` with the start of the bytes, typed.
    @inline(__always)
    func withElements<R>(_ body: (UnsafeMutablePointer<UInt8>) throws -> R) rethrows -> R {
        try withUnsafeMutablePointerToElements(body)
    }

    /// Calls `body` with the start of the bytes.
    @inline(__always)
    func withBytes<R>(_ body: (UnsafeMutableRawPointer) throws -> R) rethrows -> R {
        try withUnsafeMutablePointerToElements { try body(UnsafeMutableRawPointer($0)) }
    }
}
