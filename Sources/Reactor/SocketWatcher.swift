// SocketWatcher: readiness of an fd someone else owns (a library's socket: libcurl's, say),
// for callers outside the Reactor. Loop thread only. It never reads, writes or closes the fd;
// the owner must stop the watcher before it closes the fd. Made of two IOWatchers (one per
// direction) so it needs no unsafe code of its own: changing the interest is a start or a stop.

import CShims

public final class SocketWatcher {
    /// Which readiness to watch for, and which the callback reports.
    public struct Events: OptionSet, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let readable = Events(rawValue: 1)
        public static let writable = Events(rawValue: 2)
    }

    public let fd: Int32
    private let loop: EventLoop
    private var reader: IOWatcher!
    private var writer: IOWatcher!
    public private(set) var events: Events = []

    /// Watches `fd` for `events`; `onReady` runs on the loop thread with the readiness seen
    /// (one direction per call). Capture the owner weakly or unowned.
    public init(loop: EventLoop, fd: Int32, events: Events, _ onReady: @escaping (Events) -> Void) {
        loop.assertOnLoopThread()
        self.fd = fd
        self.loop = loop
        reader = IOWatcher(loop: loop, fd: fd, events: Int32(SHIM_EV_READ)) { onReady(.readable) }
        writer = IOWatcher(loop: loop, fd: fd, events: Int32(SHIM_EV_WRITE)) { onReady(.writable) }
        set(events: events)
    }

    /// Changes what is watched; [] pauses the watcher.
    public func set(events: Events) {
        loop.assertOnLoopThread()
        self.events = events
        reader.set(active: events.contains(.readable))
        writer.set(active: events.contains(.writable))
    }

    /// Stops watching (before the fd is closed). The watcher may be started again with set(events:).
    public func stop() { set(events: []) }
}
