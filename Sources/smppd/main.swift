// Entry point: `smppd hash-password` or the server. All wiring lives in Daemon.swift.
#if canImport(Glibc)
import Glibc
#endif
import SMSC

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "hash-password" {
    exit(HashPasswordCommand.run(arguments: Array(arguments.dropFirst())))
}
do {
    let options = try ServeOptions.parse(arguments)
    exit(Daemon.run(options))
} catch {
    ServeOptions.exit(withError: error)
}
