// SegmentFiles: the journal's files in its directory and the system calls on them. A segment
// is named by the sequence number of its first batch (16 hex digits + ".wal"), so listing the
// directory in name order lists the log in order. Segments are pre-allocated (fallocate) so
// that a batch written into one does not also grow the file: fdatasync then has no file size
// to write back, and a full disk shows when a segment is made, not in the middle of a batch.
// Unsafe code (allow-listed): buffers handed to read/pwrite. Invariants: every pointer lent
// to a call covers exactly the array or count passed with it, for the duration of the call.

#if canImport(Glibc)
import Glibc
#endif

/// A failed system call on a journal file: what, which file, errno.
public struct JournalIOError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let path: String
    public let errno: Int32
    public var description: String { "\(call) \(path): \(String(cString: strerror(errno)))" }
}

enum SegmentFiles {
    static let suffix = ".wal"

    static func name(firstSequence: UInt64) -> String {
        let hex = String(firstSequence, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex + suffix
    }

    /// The first batch's sequence number in a segment's file name; nil for other files.
    static func firstSequence(ofName name: String) -> UInt64? {
        guard name.hasSuffix(suffix), name.count == 16 + suffix.count else { return nil }
        return UInt64(name.prefix(16), radix: 16)
    }

    /// The segments in `directory`, in log order.
    static func list(_ directory: String) throws(JournalIOError) -> [(first: UInt64, path: String)] {
        guard let dir = opendir(directory) else { throw JournalIOError(call: "opendir", path: directory, errno: errno) }
        defer { closedir(dir) }
        var found: [(first: UInt64, path: String)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if let first = firstSequence(ofName: name) { found.append((first, directory + "/" + name)) }
        }
        return found.sorted { $0.first < $1.first }
    }

    /// Makes `directory` (and its parents) if missing.
    static func makeDirectory(_ directory: String) throws(JournalIOError) {
        var path = ""
        for part in directory.split(separator: "/", omittingEmptySubsequences: false) {
            path += path.isEmpty && directory.hasPrefix("/") ? "/" : (path.isEmpty ? "" : "/")
            path += part
            if part.isEmpty || part == "." { continue }
            if mkdir(path, 0o755) != 0 && errno != EEXIST {
                throw JournalIOError(call: "mkdir", path: path, errno: errno)
            }
        }
    }

    /// The whole file, read into memory (recovery reads each segment once, front to back).
    static func readAll(_ path: String) throws(JournalIOError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw JournalIOError(call: "open", path: path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw JournalIOError(call: "fstat", path: path, errno: errno) }
        let size = Int(st.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, size - done, off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw JournalIOError(call: "read", path: path, errno: n == 0 ? EIO : errno) }
            done += n
        }
        return bytes
    }

    /// Cuts `path` at `length`: recovery's way of removing a torn tail, so that bytes of it
    /// can never be read as a record later (the writer starts a new segment after it).
    static func truncate(_ path: String, at length: Int) throws(JournalIOError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw JournalIOError(call: "open", path: path, errno: errno) }
        defer { close(fd) }
        guard ftruncate(fd, off_t(length)) == 0 else { throw JournalIOError(call: "ftruncate", path: path, errno: errno) }
        _ = fdatasync(fd)
    }

    /// Creates a new segment of `size` bytes, pre-allocated, and syncs its directory entry.
    static func create(_ path: String, size: Int) throws(JournalIOError) -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw JournalIOError(call: "open", path: path, errno: errno) }
        let rc = posix_fallocate(fd, 0, off_t(size))
        guard rc == 0 else {
            close(fd)
            unlink(path)
            throw JournalIOError(call: "fallocate", path: path, errno: rc)
        }
        syncDirectory(of: path)
        return fd
    }

    /// Writes all of `bytes` at `offset` (retrying short writes and EINTR).
    static func write(_ fd: Int32, _ bytes: [UInt8], at offset: Int, path: String) throws(JournalIOError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(offset + done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw JournalIOError(call: "write", path: path, errno: n == 0 ? EIO : errno) }
            done += n
        }
    }

    /// Writes all of `bytes` at `offset` (retrying short writes and EINTR).
    static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int, path: String) throws(JournalIOError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw JournalIOError(call: "write", path: path, errno: n == 0 ? EIO : errno) }
            done += n
        }
    }

    /// Writes the buffers `vectors` names back to back at `offset` with pwritev (one call for
    /// the lot, unless it comes back short: then again from where it stopped). Adjusts the
    /// vectors as it goes.
    static func write(_ fd: Int32, _ vectors: inout [iovec], at offset: Int, path: String) throws(JournalIOError) {
        let total = vectors.reduce(0) { $0 + $1.iov_len }
        var done = 0
        var first = 0
        while done < total {
            let n = vectors.withUnsafeMutableBufferPointer { v in
                pwritev(fd, v.baseAddress! + first, Int32(v.count - first), off_t(offset + done))
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw JournalIOError(call: "write", path: path, errno: n == 0 ? EIO : errno) }
            done += n
            // Skip the vectors written whole; trim the one written in part.
            var left = n
            while first < vectors.count && left >= vectors[first].iov_len {
                left -= vectors[first].iov_len
                first += 1
            }
            if left > 0 {
                vectors[first].iov_base = vectors[first].iov_base! + left
                vectors[first].iov_len -= left
            }
        }
    }

    static func sync(_ fd: Int32, path: String) throws(JournalIOError) {
        guard fdatasync(fd) == 0 else { throw JournalIOError(call: "fdatasync", path: path, errno: errno) }
    }

    static func remove(_ path: String) { unlink(path) }

    /// A segment compaction replaced, renamed out of the log (recovery no longer reads it),
    /// waiting to be trimmed away a few MiB at a time (see JournalWriter.trimRetired).
    static let retiredSuffix = ".retired"

    static func retire(_ path: String) -> String {
        let retired = path + retiredSuffix
        rename(path, retired)
        return retired
    }

    /// A segment compaction replaced, renamed out of the log and kept to be written over as a
    /// later segment (JournalWriter's spares): its blocks are allocated and its pages likely
    /// still cached, so writing into it allocates nothing.
    static let spareSuffix = ".spare"

    static func makeSpare(_ path: String) -> String {
        let spare = path + spareSuffix
        rename(path, spare)
        return spare
    }

    /// Puts `spare` back into the log as the segment `path` and opens it for writing: its first
    /// frame is zeroed first, so it reads as an empty segment until a batch is written, and
    /// what it held before (batches older than `path`'s first) is never taken for new ones
    /// (JournalReader stops at a zero length or an older batch). Returns the descriptor and
    /// the file's size.
    static func reuse(_ spare: String, as path: String) throws(JournalIOError) -> (fd: Int32, size: Int) {
        let fd = open(spare, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw JournalIOError(call: "open", path: spare, errno: errno) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            throw JournalIOError(call: "fstat", path: spare, errno: errno)
        }
        do {
            try write(fd, [UInt8](repeating: 0, count: JournalFrame.prefixBytes), at: 0, path: spare)
        } catch {
            close(fd)
            throw error
        }
        guard rename(spare, path) == 0 else {
            close(fd)
            throw JournalIOError(call: "rename", path: spare, errno: errno)
        }
        syncDirectory(of: path)
        return (fd, Int(st.st_size))
    }

    /// Retired segments left by a run that stopped before trimming them.
    static func listRetired(_ directory: String) -> [String] { list(directory, suffix: retiredSuffix) }

    /// Spare segments left by an earlier run.
    static func listSpares(_ directory: String) -> [String] { list(directory, suffix: spareSuffix) }

    private static func list(_ directory: String, suffix: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var found: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name.hasSuffix(suffix) { found.append(directory + "/" + name) }
        }
        return found
    }

    /// Cuts `step` bytes off the end of `path`; removes it once empty. Returns true when gone.
    static func trim(_ path: String, step: Int) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return true }
        let size = Int(st.st_size)
        if size <= step {
            unlink(path)
            return true
        }
        _ = Glibc.truncate(path, off_t(size - step))
        return false
    }

    /// A new or removed file is durable only once its directory is synced.
    static func syncDirectory(of path: String) {
        let dir = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let fd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
