// SPDX-License-Identifier: Apache-2.0
// The few fields runtime-watch needs from an OCI bundle's config.json and from runtime state files
// (runc state.json, crun status). Decoding ignores every other field, so a newer spec version with
// more fields still parses; a wrong type in a field we read is reported as malformed.

import Foundation

/// The parts of an OCI runtime spec (`config.json`) used for container metadata.
struct OCIConfigDocument: Decodable {
    struct Process: Decodable {
        var args: [String]?
    }
    var annotations: [String: String]?
    var process: Process?
}

/// A runtime state file: runc's `state.json` (bundle in `config.labels` as `bundle=<path>`, annotations
/// as `key=value` labels) or crun's `status` (top-level `bundle`). Some versions also write
/// `config.bundle`; all three spellings are accepted.
struct OCIRuntimeStateDocument: Decodable {
    struct Config: Decodable {
        var labels: [String]?
        var bundle: String?
    }
    var bundle: String?
    var config: Config?

    /// The labels as annotations (runc copies the spec's annotations into them).
    var labelAnnotations: [String: String] { OCIAnnotations.fromRuncLabels(config?.labels ?? []) }

    /// The bundle directory the state names, or nil.
    var bundlePath: String? {
        for candidate in [bundle, config?.bundle, labelAnnotations["bundle"]] {
            if let path = candidate, !path.isEmpty { return path }
        }
        return nil
    }
}

/// Why a document did not decode: one line naming the JSON path that failed.
struct OCIDecodeFailure: Error {
    var detail: String
}

enum OCIJSON {
    /// Decodes `bytes` as `T`, or explains in one line why not.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) -> Result<T, OCIDecodeFailure> {
        do {
            return .success(try JSONDecoder().decode(T.self, from: Data(bytes)))
        } catch let error as DecodingError {
            return .failure(OCIDecodeFailure(detail: describe(error)))
        } catch {
            return .failure(OCIDecodeFailure(detail: "\(error)"))
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func at(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "document" : path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .dataCorrupted(let c): return "invalid JSON at \(at(c.codingPath)): \(c.debugDescription)"
        case .typeMismatch(let t, let c): return "\(at(c.codingPath)) is not \(t)"
        case .valueNotFound(let t, let c): return "\(at(c.codingPath)) is null, expected \(t)"
        case .keyNotFound(let k, let c): return "\(at(c.codingPath + [k])) is missing"
        @unknown default: return "\(error)"
        }
    }
}
