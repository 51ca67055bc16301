// SocketWatcher on a socketpair, with the loop run on the test thread until a condition holds
// or a deadline passes (each test's own loop; nothing else runs on it).

import Testing
import Reactor
#if canImport(Glibc)
import Glibc
#endif

@Suite struct SocketWatcherTests {
    /// Runs `loop` until `condition` holds, checking every millisecond, for at most 5 s.
    private func run(_ loop: EventLoop, until condition: @escaping () -> Bool) -> Bool {
        let deadline = monotonicMilliseconds() + 5_000
        var met = condition()
        var check: LoopTimer?
        check = LoopTimer(loop: loop) {
            met = condition()
            if met || monotonicMilliseconds() >= deadline { loop.stop() } else { check?.schedule(after: .milliseconds(1)) }
        }
        if !met {
            check?.schedule(after: .milliseconds(1))
            loop.run()
        }
        check = nil
        return met
    }

    @Test func reportsReadinessChangesInterestAndStops() throws {
        var fds: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let loop = try EventLoop()
        var seen: [SocketWatcher.Events] = []
        let watcher = SocketWatcher(loop: loop, fd: fds[0], events: .readable) { seen.append($0) }

        // Nothing to read yet: no callback, even though the socket is writable.
        var idle = false
        let idleTimer = LoopTimer(loop: loop) { idle = true }
        idleTimer.schedule(after: .milliseconds(20))
        #expect(run(loop) { idle })
        #expect(seen.isEmpty)

        var byte: UInt8 = 7
        #expect(write(fds[1], &byte, 1) == 1)
        #expect(run(loop) { seen.contains(.readable) })

        seen.removeAll()
        watcher.set(events: .writable)
        #expect(watcher.events == .writable)
        #expect(run(loop) { !seen.isEmpty })
        #expect(seen.allSatisfy { $0 == .writable })

        watcher.stop()
        #expect(watcher.events.isEmpty)
        seen.removeAll()
        idle = false
        idleTimer.schedule(after: .milliseconds(20))
        #expect(run(loop) { idle })
        #expect(seen.isEmpty)  // the byte is still unread and the socket writable: stopped means silent
    }
}
