// SPDX-License-Identifier: Apache-2.0
// A value set once by whoever comes first (server-running callback, run failure, timeout) and
// awaited by one caller. Later fulfilments are ignored, which is what makes the race safe.

import NIOConcurrencyHelpers

final class OneShot<Value: Sendable>: Sendable {
    private enum State {
        case empty
        case waiting(CheckedContinuation<Value, Never>)
        case done(Value)
    }
    private let state = NIOLockedValueBox(State.empty)

    /// Sets the value if none was set yet; returns whether this call set it.
    @discardableResult
    func fulfil(_ value: Value) -> Bool {
        let (didSet, waiter): (Bool, CheckedContinuation<Value, Never>?) = state.withLockedValue { s in
            switch s {
            case .done: return (false, nil)
            case .empty: s = .done(value); return (true, nil)
            case .waiting(let c): s = .done(value); return (true, c)
            }
        }
        waiter?.resume(returning: value)
        return didSet
    }

    /// The value, waiting for it if needed. Only one caller may wait.
    var value: Value {
        get async {
            await withCheckedContinuation { c in
                let ready: Value? = state.withLockedValue { s in
                    switch s {
                    case .done(let v): return v
                    case .empty: s = .waiting(c); return nil
                    case .waiting: preconditionFailure("OneShot supports a single waiter")
                    }
                }
                if let ready { c.resume(returning: ready) }
            }
        }
    }
}
