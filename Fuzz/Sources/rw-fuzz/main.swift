// SPDX-License-Identifier: Apache-2.0
// The fuzzer's main: checks RW_FUZZ_TARGET (FuzzTarget), then hands over to libFuzzer's driver, which
// reads libFuzzer's usual flags and corpus directories from the command line. A decoder may refuse an
// input with an error (that is its job); a crash, a sanitizer report or a hang is a bug.

#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer's driver, for a program that has its own main (SwiftPM gives every executable one).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// One input to the selected decoder. libFuzzer's runtime also links this symbol by name.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTarget.selected?.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

guard FuzzTarget.selected != nil else {
    let message = "rw-fuzz: set RW_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n"
    _ = message.withCString { write(2, $0, strlen($0)) }
    exit(2)
}
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
