import Logging
import Synchronization

// Node's leak check: `setMaxListeners`, `getMaxListeners`, `defaultMaxListeners` and the
// `MaxListenersExceededWarning` (lib/events.js, `_addListener`). The check runs when a listener
// is added, never when one is emitted, so the data path does not see it.

/// Node's `MaxListenersExceededWarning`: more listeners for one event were added to an emitter
/// than its limit (``EventEmitter/getMaxListeners()``), which often means a leak.
///
/// Its ``description`` reads as Node prints the warning: `MaxListenersExceededWarning: Possible
/// EventEmitter memory leak detected. 11 data listeners added to [Socket]. MaxListeners is 10.
/// Use emitter.setMaxListeners() to increase limit`.
public struct MaxListenersExceededWarning: Sendable, Equatable, CustomStringConvertible {
    /// The emitter's type name (`"Socket"`, `"Server"`), which Node prints in brackets.
    public let emitter: String
    /// The event's name (Node's `type`).
    public let event: String
    /// How many listeners the event had once the one that crossed the limit was added.
    public let count: Int
    /// The emitter's limit at that moment.
    public let limit: Int

    /// Creates a warning.
    public init(emitter: String, event: String, count: Int, limit: Int) {
        self.emitter = emitter
        self.event = event
        self.count = count
        self.limit = limit
    }

    /// The warning's name, as in Node.
    public var name: String { "MaxListenersExceededWarning" }

    /// Node's message, word for word.
    public var message: String {
        "Possible EventEmitter memory leak detected. \(count) \(event) listeners added to [\(emitter)]. "
            + "MaxListeners is \(limit). Use emitter.setMaxListeners() to increase limit"
    }

    /// `name: message`, as Node prints a warning.
    public var description: String { "\(name): \(message)" }

    /// Logs the warning at `warning` level, with its fields as metadata.
    func log(to logger: Logger) {
        logger.warning("\(description)", metadata: [
            "emitter": "\(emitter)", "event": "\(event)", "count": "\(count)", "limit": "\(limit)",
        ])
    }
}

/// The process-wide default limit (Node's `EventEmitter.defaultMaxListeners`), atomic because
/// emitters on every loop's thread read it.
enum ListenerLimits {
    static let defaultMaxListeners = Atomic<Int>(10)
    /// Where emitters other than sockets and servers log the warning by default.
    static let logger = Logger(label: "swift-net")
}

extension EventEmitter {
    /// Sets how many listeners one event may have before ``maxListenersExceeded(_:)`` is told
    /// (Node's `setMaxListeners(n)`); `0` means no limit, as does `Int.max` (Node's `Infinity`).
    /// The limit is checked as listeners are added: lowering it warns only with the next one.
    /// Returns the emitter.
    ///
    /// - Throws: `ERR_OUT_OF_RANGE` for a negative `n`, with Node's message (`The value of
    ///   "setMaxListeners" is out of range. It must be >= 0. Received -1`). (Node's `NaN`
    ///   cannot be written as an `Int`.)
    @discardableResult
    public func setMaxListeners(_ n: Int) throws(NetError) -> Self {
        guard n >= 0 else { throw .outOfRange("setMaxListeners", range: ">= 0", integer: n) }
        listenerTable.maxListeners = n
        return self
    }

    /// The emitter's limit: the one ``setMaxListeners(_:)`` set, or else the process-wide
    /// ``defaultMaxListeners`` as it is now (Node's `getMaxListeners()`).
    public func getMaxListeners() -> Int {
        existingListenerTable?.maxListeners ?? Self.defaultMaxListeners
    }

    /// The limit of every emitter that did not set its own (Node's
    /// `EventEmitter.defaultMaxListeners`), 10 unless ``setDefaultMaxListeners(_:)`` changed it.
    /// One value for the whole process, whichever emitter type it is read through
    /// (`Socket.defaultMaxListeners` is `Server.defaultMaxListeners`), as in Node.
    public static var defaultMaxListeners: Int {
        ListenerLimits.defaultMaxListeners.load(ordering: .relaxed)
    }

    /// Sets ``defaultMaxListeners`` for the whole process, emitters already created included
    /// (Node's `EventEmitter.defaultMaxListeners = n` and `events.setMaxListeners(n)`); `0` means
    /// no limit. Safe from any thread.
    ///
    /// - Throws: `ERR_OUT_OF_RANGE` for a negative `n` (`The value of "defaultMaxListeners" is out
    ///   of range. It must be >= 0. Received -1`).
    public static func setDefaultMaxListeners(_ n: Int) throws(NetError) {
        guard n >= 0 else { throw .outOfRange("defaultMaxListeners", range: ">= 0", integer: n) }
        ListenerLimits.defaultMaxListeners.store(n, ordering: .relaxed)
    }

    /// The default: logs `warning` at `warning` level through a swift-log `Logger` labelled
    /// `swift-net` (the backend a program bootstraps with `LoggingSystem`; without one, standard
    /// error), with its fields as metadata.
    public func maxListenersExceeded(_ warning: MaxListenersExceededWarning) {
        warning.log(to: ListenerLimits.logger)
    }
}
