// SPDX-License-Identifier: Apache-2.0
// The /proc parsers, on what a process can make its own files say (its comm, argv, cgroup names) and
// what a hostile or broken kernel interface could: the first byte picks the parser.

import RuntimeWatchCapture
import RuntimeWatchCore

enum ProcTarget {
    static func run(_ bytes: [UInt8]) {
        let (selector, rest) = bytes.selectorAndRest
        let text = String(decoding: rest, as: UTF8.self)
        switch selector % 9 {
        case 0: _ = try? ProcStat.parse(utf8: rest)
        case 1: _ = ProcStatus.parse(utf8: rest)
        case 2: _ = CmdlineParser.parse(rest)
        case 3: _ = CgroupSelection.choose(utf8: rest).map(CgroupParser.parse)
        case 4:
            var problems: [ProcParseError] = []
            for table in ["tcp", "tcp6", "udp", "udp6", "unix"] { _ = ProcNetParser.find(inode: 9001, table: table, text: text, problems: &problems) }
        case 5: _ = ProcSyscall.parse(utf8: rest)
        case 6: _ = try? AuditExecveParser.arguments(execveRecord: text)
        case 7: _ = DescriptorClassifier.classify(fd: 0, target: text)
        default: _ = CgroupParser.parse(text)
        }
    }
}
