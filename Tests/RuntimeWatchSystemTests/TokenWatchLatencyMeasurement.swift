// SPDX-License-Identifier: Apache-2.0
// Measurement, not a test: how much the token watcher adds to one open+read+close of a watched token.
// Runs only with RW_MEASURE_TOKEN_LATENCY=1 (needs root and cc) and asserts nothing about time;
// it prints ns per open+read+close without a watcher, with permission events, and with notifications.
//
//   RW_MEASURE_TOKEN_LATENCY=1 swift test --filter TokenWatchLatencyMeasurement

import Foundation
import Glibc
import RuntimeWatchCapture
import XCTest

final class TokenWatchLatencyMeasurement: XCTestCase {
    private static let loopSource = """
    #include <fcntl.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <time.h>
    #include <unistd.h>
    int main(int argc, char **argv) {
        if (argc != 4) return 64;
        int n = atoi(argv[2]);
        char buf[4096];
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int i = 0; i < n; i++) {
            int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
            if (fd < 0) return 1;
            if (read(fd, buf, sizeof buf) < 0) return 2;
            close(fd);
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        FILE *out = fopen(argv[3], "w");
        if (!out) return 3;
        fprintf(out, "%.0f\\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
        return fclose(out) == 0 ? 0 : 4;
    }
    """

    func testMeasureAddedLatencyPerOpen() throws {
        guard ProcessInfo.processInfo.environment["RW_MEASURE_TOKEN_LATENCY"] == "1" else {
            throw XCTSkip("measurement only: set RW_MEASURE_TOKEN_LATENCY=1 to run it")
        }
        try requireRoot()
        let dir = try TemporaryDirectory(prefix: "rw-tokenlatency")
        defer { dir.remove() }
        try Data(Self.loopSource.utf8).write(to: URL(fileURLWithPath: dir.path + "/loop.c"))
        XCTAssertEqual(try Spawned.run(["/usr/bin/cc", "-O2", "-o", dir.path + "/loop", dir.path + "/loop.c"]).status, 0)
        let volume = try FakeKubeletVolume(kubeletRoot: dir.path + "/kubelet", podUID: "0b7e4f6c-1d2a-4c3b-9e8f-a1b2c3d4e5f6")
        let iterations = 10_000

        func nanosecondsPerOpen() throws -> Double {
            var runs: [Double] = []
            for _ in 0..<3 {
                let result = dir.path + "/result"
                XCTAssertEqual(try Spawned.run([dir.path + "/loop", volume.tokenPath, String(iterations), result]).status, 0)
                runs.append(Double(try String(contentsOfFile: result, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? .nan)
            }
            return runs.sorted()[1]  // median of 3
        }

        let baseline = try nanosecondsPerOpen()
        var lines = ["token-watch latency: \(iterations) open+read+close per run, median of 3 runs",
                     String(format: "  no watcher:            %8.0f ns/open", baseline)]
        for mode in [TokenWatcher.Mode.permission, .notification] {
            var configuration = TokenWatcher.Configuration()
            configuration.kubeletRoot = dir.path + "/kubelet"
            configuration.hostTokenPaths = []
            configuration.mode = mode
            let watcher = TokenWatcher(configuration: configuration)
            let collector = RecordCollector(watcher.events)
            try watcher.start()
            let measured = try nanosecondsPerOpen()
            collector.wait(timeout: 30) { _ in watcher.counters.events >= UInt64(3 * iterations) }
            let counters = watcher.counters
            watcher.stop()
            collector.cancel()
            lines.append(String(format: "  %@ mode: %8.0f ns/open (+%.0f ns); events %llu, dropped %llu, answer latency avg %llu ns max %llu ns",
                                mode.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0), measured, measured - baseline,
                                counters.events, counters.dropped, counters.answerLatencyAverageNanoseconds, counters.answerLatencyMaxNanoseconds))
        }
        print(lines.joined(separator: "\n"))
    }
}
