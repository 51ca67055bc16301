// `smppd hash-password`: reads one line (the password) from stdin and prints its scrypt hash,
// the value for `password-hash` in an [[account]] table.
#if canImport(Glibc)
import Glibc
#endif
import SMSC

enum HashPasswordCommand {
    static func run(arguments: [String]) -> Int32 {
        if arguments.contains("--help") || arguments.contains("-h") {
            print("usage: smppd hash-password < password-file\nReads one line from stdin and prints its scrypt hash for password-hash in [[account]].")
            return 0
        }
        guard arguments.isEmpty else {
            writeStderr("smppd hash-password: takes no arguments; give the password on stdin")
            return 64
        }
        guard var line = readLine(strippingNewline: true) else {
            writeStderr("smppd hash-password: no password on stdin")
            return 65
        }
        if line.hasSuffix("\r") { line.removeLast() }
        guard !line.isEmpty else {
            writeStderr("smppd hash-password: empty password")
            return 65
        }
        guard let hash = PasswordHash.make(password: line) else {
            writeStderr("smppd hash-password: OpenSSL could not derive the hash")
            return 70
        }
        print(hash.text)
        return 0
    }
}
