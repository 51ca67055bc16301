// swift-tools-version:6.0
// smppd: targets and products only. Module boundaries and the import rules are in
// ARCHITECTURE.md; every target builds in Swift 6 language mode. Each target declares exactly
// what it imports: CI builds with --explicit-target-dependency-import-check error, so an
// import of an undeclared module fails the build.
import PackageDescription
import class Foundation.ProcessInfo

/// Release builds optimise across our module boundaries (hot codec calls from SMSC), and
/// leave out the run-time exclusivity checks: every access to a class's stored var went
/// through swift_beginAccess/endAccess, ~36 calls and ~20 % of the loop thread's instructions
/// per submit_sm (callgrind, perf/RESULTS.md "Profiles"). Debug builds, and so `swift test`
/// and the sanitizer runs, keep the checks: an overlapping access still traps there.
let common: [SwiftSetting] = [
    .unsafeFlags(["-cross-module-optimization", "-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

var package = Package(
    name: "smppd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "smppd", targets: ["smppd"]),
        .executable(name: "codec-bench", targets: ["codec-bench"]),
        .executable(name: "smppbench", targets: ["smppbench"]),
        .executable(name: "redis-bench", targets: ["redis-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // C: static-inline wrappers for libev/OpenSSL macros Swift cannot import.
        .target(
            name: "CShims",
            path: "CShims",
            linkerSettings: [.linkedLibrary("ev"), .linkedLibrary("ssl"), .linkedLibrary("crypto"), .linkedLibrary("microhttpd")]
        ),
        // C: typed wrappers for libcurl's variadic setopt/getinfo (the HTTP upstream carrier).
        .target(name: "CCurl", path: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        // C: hiredis 0.14's async API and accessors for what Swift cannot read (Redis client).
        .target(name: "CHiredis", path: "CHiredis", linkerSettings: [.linkedLibrary("hiredis")]),
        // CPU intrinsics Swift cannot spell (a prefetch hint): header-only, no libraries.
        .target(name: "CIntrinsics", path: "CIntrinsics"),
        // The protocol: no I/O, no threads, imports nothing of ours. PDU/pdus.def is the input of
        // scripts/gen-pdus.py, whose output (PDU/Generated/) is committed. Release builds start
        // every codec function on a cache line, so a decode's speed does not depend on how much
        // unrelated code happens to precede it (perf/RESULTS.md, "one definition per PDU").
        .target(
            name: "SMPP", exclude: ["PDU/pdus.def"],
            swiftSettings: common + [.unsafeFlags(["-Xllvm", "-align-all-functions=6"], .when(configuration: .release))]
        ),
        // Bounded lock-free queues between the loop thread and the workers.
        .target(name: "Queues", swiftSettings: common),
        // The write-ahead log: segments, CRC32C-framed batches, the writer thread, recovery's
        // scan. Knows bytes and files, not messages.
        .target(name: "Journal", dependencies: ["Queues", "CIntrinsics"], swiftSettings: common),
        // Message records, states, pending deliveries (loop-thread logic), and their journal
        // entries and replay (Durable/).
        .target(name: "Store", dependencies: ["SMPP", "CIntrinsics", "Journal"], swiftSettings: common),
        // libev + OpenSSL + sockets + rings: knows bytes, not SMPP.
        .target(name: "Reactor", dependencies: ["CShims"], swiftSettings: common),
        // The worker pool that plays the carrier: latency, outcomes, MO (CONTRACT §8).
        .target(name: "Carrier", dependencies: ["SMPP", "Queues"], swiftSettings: common),
        // Forwarding to a real SMS service upstream: the carrier seam, the SMPP client carrier
        // and the HTTP carrier (libcurl's multi interface on the loop).
        .target(name: "Upstream", dependencies: ["SMPP", "Reactor", "CShims", "CCurl"], swiftSettings: common),
        // An asynchronous Redis client on the loop thread (hiredis; the cluster layer's transport).
        .target(name: "Redis", dependencies: ["CHiredis", "Reactor", "CShims"], swiftSettings: common),
        // What several nodes share through Redis (issue 15): presence, bind slots and lock-outs,
        // leased credits and rates, deliveries that cross nodes. Never per message.
        .target(name: "Cluster", dependencies: ["Redis", "Reactor"], swiftSettings: common),
        // The admin HTTP interface: libmicrohttpd's thread, handler on the loop.
        .target(name: "Admin", dependencies: ["CShims", "Reactor"], swiftSettings: common),
        // The loop-thread domain: sessions, binds, accounts, messaging.
        .target(
            name: "SMSC",
            dependencies: ["SMPP", "Reactor", "CShims", "Store", "Journal", "Carrier", "Admin", "Upstream", "Cluster",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: common
        ),
        // The daemon: options, config, signals, logging, wiring.
        .executableTarget(
            name: "smppd",
            dependencies: [
                "SMSC", "Reactor", "Admin", "Store", "Journal", "Upstream", "Cluster",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: common
        ),
        // codec-bench's allocation counter: defines malloc & co. (C: Swift reserves those names).
        .target(name: "MallocCounter"),
        // --export-dynamic: the libraries' calls reach MallocCounter's malloc only if exported;
        // m: rounded() calls libm's round.
        .executableTarget(
            name: "codec-bench", dependencies: ["SMPP", "MallocCounter"], swiftSettings: common,
            linkerSettings: [.unsafeFlags(["-Xlinker", "--export-dynamic"]), .linkedLibrary("m")]
        ),
        // The load generator: an SMPP client on our own Reactor (never SMSC/Store/Carrier).
        .executableTarget(
            name: "smppbench",
            dependencies: [
                "SMPP", "Reactor",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: common
        ),
        // The Redis client against a local redis-server: commands/s and CPU per command.
        .executableTarget(
            name: "redis-bench", dependencies: ["Redis", "Reactor"], path: "perf/redis_client_bench",
            exclude: ["run.sh"], swiftSettings: common
        ),
        .testTarget(name: "SMPPTests", dependencies: ["SMPP"]),
        .testTarget(name: "QueuesTests", dependencies: ["Queues"]),
        .testTarget(name: "JournalTests", dependencies: ["Journal"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "SMPP", "Carrier"]),   // Carrier: SplitMix64
        .testTarget(name: "CarrierTests", dependencies: ["Carrier", "SMPP"]),
        .testTarget(name: "AdminTests", dependencies: ["Admin"]),
        .testTarget(name: "ReactorTests", dependencies: ["Reactor", "CShims", "Queues"]),
        .testTarget(name: "RedisTests", dependencies: ["Redis", "Reactor", "Cluster"]),   // and the cluster's coordinator
        .testTarget(name: "UpstreamTests", dependencies: ["Upstream", "SMPP", "Reactor"]),
        .testTarget(name: "SMSCTests", dependencies: ["SMSC", "SMPP", "Store", "Carrier", "Journal", "Upstream", "Reactor"]),
        // Pure parts of the load generator (options, backoff, report formatting): no loop, no sockets.
        .testTarget(name: "SmppbenchTests", dependencies: ["smppbench"]),
    ]
)

// The libFuzzer target links only with -sanitize=fuzzer, and `swift test` builds every
// target, so it exists only when asked for (perf/fuzz/run.sh sets SMPPD_FUZZ=1).
if ProcessInfo.processInfo.environment["SMPPD_FUZZ"] != nil {
    package.targets.append(
        .executableTarget(
            name: "FuzzDecode",
            dependencies: ["SMPP"],
            path: "perf/fuzz/FuzzDecode",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    )
}
