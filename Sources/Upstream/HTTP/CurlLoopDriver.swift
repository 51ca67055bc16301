// CurlLoopDriver: puts a curl multi handle on our libev loop, the way libcurl documents for
// event loops (multi-event.c, hiperfifo.c): curl names the sockets to watch and one timeout
// (CURLMOPT_SOCKETFUNCTION / TIMERFUNCTION), the loop reports readiness back through
// curl_multi_socket_action, and finished transfers are read after each action. Loop thread only.

import CCurl
import Reactor

final class CurlLoopDriver {
    private let loop: EventLoop
    let multi: CurlMulti
    /// A watcher per fd curl has used. Kept, stopped, after curl is done with the socket: the
    /// kernel hands the number out again and the watcher is reused, and none is ever freed
    /// inside its own callback (curl removes a socket from inside socket_action).
    private var watchers: [Int32: SocketWatcher] = [:]
    /// The fds curl has open (between its first notice and CURL_POLL_REMOVE).
    private var openSockets = Set<Int32>()
    private var timer: LoopTimer!
    /// Called for each finished transfer, after curl removed it from the multi.
    var onDone: (_ easy: CurlEasy, _ code: CURLcode) -> Void = { _, _ in }

    init?(loop: EventLoop, maximumConnections: Int) {
        guard let multi = CurlMulti(maximumConnections: maximumConnections) else { return nil }
        self.loop = loop
        self.multi = multi
        timer = LoopTimer(loop: loop) { [unowned self] in
            self.multi.timeoutAction()
            self.drainFinished()
        }
        multi.onSocket = { [unowned self] fd, what in self.watch(fd: fd, what: what) }
        multi.onTimer = { [unowned self] ms in
            // curl may ask for 0 ms from inside add_handle: it must not be called back from there,
            // so even "now" goes through the timer (the next loop iteration).
            if ms < 0 { self.timer.cancel() } else { self.timer.schedule(after: .milliseconds(ms)) }
        }
    }

    /// Sockets curl has open: connections in use or kept alive.
    var socketCount: Int { openSockets.count }

    /// Starts a transfer; false when curl refuses it.
    func start(_ easy: CurlEasy) -> Bool { multi.add(easy) }

    /// Abandons a transfer (no onDone for it).
    func cancel(_ easy: CurlEasy) { multi.remove(easy) }

    /// Abandons every transfer, closes the connections and stops all watching.
    func close() {
        for watcher in watchers.values { watcher.stop() }
        openSockets.removeAll()
        timer.cancel()
        multi.close()
    }

    private func watch(fd: Int32, what: Int32) {
        var events: SocketWatcher.Events = []
        if what == CCURL_POLL_IN || what == CCURL_POLL_INOUT { events.insert(.readable) }
        if what == CCURL_POLL_OUT || what == CCURL_POLL_INOUT { events.insert(.writable) }
        if what == CCURL_POLL_REMOVE { openSockets.remove(fd) } else { openSockets.insert(fd) }
        if let watcher = watchers[fd] {
            watcher.set(events: events)
        } else if what != CCURL_POLL_REMOVE {
            watchers[fd] = SocketWatcher(loop: loop, fd: fd, events: events) { [unowned self] ready in
                self.multi.socketAction(fd: fd, events: ready.contains(.readable) ? CCURL_CSELECT_IN : CCURL_CSELECT_OUT)
                self.drainFinished()
            }
        }
    }

    private func drainFinished() {
        while let (easy, code) = multi.nextDone() { onDone(easy, code) }
    }
}
