// SPDX-License-Identifier: Apache-2.0
// Core throughput benchmarks (issue 9): events through state and detectors, trace decode and
// encode, alert encoding, and allocations per event. Each iteration handles a fixed number of
// events (named in the benchmark), so per-event figures are the reported value divided by it.
// Run: swift package --package-path Benchmarks benchmark

import Benchmark
import Foundation
import RuntimeWatchCore

/// Events per iteration of the engine, decode and encode benchmarks.
let eventCount = 1_000_000
/// Alerts per iteration of the alert-encoding benchmark.
let alertCount = 100_000

/// The synthetic node workload (Trace/SyntheticTrace.swift), generated once, outside measurement.
nonisolated(unsafe) let records: [EventRecord] = Array(SyntheticTrace(count: eventCount, liveProcesses: 1000))

/// The same records as a trace file, for the decode benchmark.
nonisolated(unsafe) let tracePath: String = {
    let path = NSTemporaryDirectory() + "rw-bench-\(getpid()).jsonl"
    let writer = try! TraceWriter(path: path, header: TraceHeader(hostname: "bench", kernel: "k", start: 0))
    for r in records { try! writer.write(r) }
    try! writer.close()
    atexit { unlink(NSTemporaryDirectory() + "rw-bench-\(getpid()).jsonl") }
    return path
}()

func makeEngine(sink: any AlertSink) -> Engine {
    let profile = try! ProfileLoader().load(files: [], includeEmbeddedDefault: true)
    return Engine(configuration: EngineConfiguration(hostname: "bench"), detectors: BuiltinDetectors.make(),
                  profile: profile, sink: sink)
}

/// Alerts the builtin detectors raise over the synthetic workload, repeated up to `alertCount`.
nonisolated(unsafe) let alerts: [Alert] = {
    let sink = InMemoryAlertSink()
    var engine = makeEngine(sink: sink)
    for r in records.prefix(200_000) { engine.process(r) }
    engine.finish()
    let raised = sink.alerts
    precondition(!raised.isEmpty, "the synthetic workload raised no alert")
    return (0..<alertCount).map { raised[$0 % raised.count] }
}()

let benchmarks: @Sendable () -> Void = {
    let metrics: [BenchmarkMetric] = [.wallClock, .cpuTotal, .throughput, .mallocCountTotal, .peakMemoryResident]
    Benchmark.defaultConfiguration = .init(metrics: metrics, timeUnits: .milliseconds, warmupIterations: 1,
                                           maxDuration: .seconds(20), maxIterations: 5)

    Benchmark("Engine.process: 1M synthetic events through state + detectors") { benchmark in
        var engine = makeEngine(sink: NoOpSink())
        benchmark.startMeasurement()
        for r in records { engine.process(r) }
        engine.finish()
        benchmark.stopMeasurement()
        blackHole(engine.stats)
    }

    Benchmark("TraceReader: decode 1M events from a file") { benchmark in
        let reader = try TraceReader(path: tracePath) { issue in fatalError("\(issue)") }
        var n = 0
        benchmark.startMeasurement()
        while let r = try reader.next() { n += 1; blackHole(r) }
        benchmark.stopMeasurement()
        precondition(n == eventCount && reader.counts.fallbackDecodes == 0)
    }

    Benchmark("TraceWriter: encode 1M events to /dev/null") { benchmark in
        let writer = try TraceWriter(path: "/dev/null", header: TraceHeader(hostname: "bench", kernel: "k", start: 0))
        benchmark.startMeasurement()
        for r in records { try writer.write(r) }
        try writer.close()
        benchmark.stopMeasurement()
    }

    // What the stdout and file outputs do: one buffer kept between alerts (LineWriter).
    Benchmark("Alert.appendJSONLine: encode 100k alerts into one reused buffer") { benchmark in
        var buffer: [UInt8] = []
        benchmark.startMeasurement()
        for a in alerts {
            buffer.removeAll(keepingCapacity: true)
            a.appendJSONLine(to: &buffer)
            blackHole(buffer.count)
        }
        benchmark.stopMeasurement()
    }
    // A String per alert (tests, in-memory sink): the buffer plus the String.
    Benchmark("Alert.jsonLine: encode 100k alerts") { benchmark in
        benchmark.startMeasurement()
        for a in alerts { blackHole(a.jsonLine()) }
        benchmark.stopMeasurement()
    }
}
