// Small file helpers for the daemon (config, demo password), on Glibc so the daemon itself
// needs no Foundation. Main thread only.
#if canImport(Glibc)
import Glibc
#endif

/// The whole file as UTF-8 text, or nil when it cannot be read.
func readTextFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16_384)
    while true {
        let n = read(fd, &chunk, chunk.count)
        if n < 0 { if errno == EINTR { continue }; return nil }
        if n == 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Writes a new file with `mode`, failing if it exists (O_EXCL), so a secret is never widened.
func writeNewFile(_ path: String, _ text: String, mode: mode_t) -> Bool {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return writeAll(fd, Array(text.utf8))
}

/// Writes every byte of `bytes` to `fd`, retrying after EINTR and short writes; false when
/// write fails or writes nothing. Each write is handed an array slice, so the address and
/// the count come from the same bounds-checked range.
func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var off = 0
    while off < bytes.count {
        let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return false }
        off += n
    }
    return true
}

/// `mkdir -p` with mode 0700 for directories we create.
func makeDirectories(_ path: String) -> Bool {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for part in path.split(separator: "/") {
        prefix += part
        if mkdir(prefix, 0o700) != 0 && errno != EEXIST { return false }
        prefix += "/"
    }
    return true
}

func errnoText() -> String { String(cString: strerror(errno)) }

/// One line on stderr (Swift 6 cannot touch C's `stderr` global).
func writeStderr(_ line: String) {
    var bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}
