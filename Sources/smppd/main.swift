// Entry point: `smppd hash-password`, `smppd print-config` or the server. All wiring lives in Daemon.swift.
#if canImport(Glibc)
import Glibc
#endif
import SMSC

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "hash-password" {
    exit(HashPasswordCommand.run(arguments: Array(arguments.dropFirst())))
}
if arguments.first == "print-config" {
    guard arguments.count == 1 else {
        writeStderr("usage: smppd print-config   (prints a commented config file with every key and its default)")
        exit(64)
    }
    print(ConfigDocs.defaultConfigTOML, terminator: "")
    exit(0)
}
do {
    let options = try ServeOptions.parse(arguments)
    exit(Daemon.run(options))
} catch {
    ServeOptions.exit(withError: error)
}
