// SPDX-License-Identifier: Apache-2.0
// A set that keeps up to four members inline and only allocates beyond that. The process table's
// indexes map a parent to its children and a pipe to the processes holding it: almost always one
// to four members, and a `Set` per key cost one allocation per new parent or pipe (the table's
// largest source of allocations per event, issue 17's profile).

struct SmallSet<Element: Hashable & Sendable>: Sendable, Sequence {
    private var inline: (Element?, Element?, Element?, Element?) = (nil, nil, nil, nil)
    private var inlineCount = 0
    /// Every member once the set outgrew its inline slots (then `inline` is unused).
    private var spilled: Set<Element>?

    init() {}

    var isEmpty: Bool { spilled?.isEmpty ?? (inlineCount == 0) }
    var count: Int { spilled?.count ?? inlineCount }

    func contains(_ member: Element) -> Bool {
        if let spilled { return spilled.contains(member) }
        return inline.0 == member || inline.1 == member || inline.2 == member || inline.3 == member
    }

    /// Adds `member`; returns whether it was new (as `Set.insert(_:).inserted`).
    @discardableResult
    mutating func insert(_ member: Element) -> Bool {
        if spilled != nil { return spilled!.insert(member).inserted }
        if contains(member) { return false }
        switch inlineCount {
        case 0: inline.0 = member
        case 1: inline.1 = member
        case 2: inline.2 = member
        case 3: inline.3 = member
        default:
            var all = Set(self)
            all.insert(member)
            spilled = all
            inline = (nil, nil, nil, nil)
            return true
        }
        inlineCount += 1
        return true
    }

    mutating func remove(_ member: Element) {
        if spilled != nil { spilled!.remove(member); return }
        // Keeps the inline members packed at the front, so `inlineCount` says where the next goes.
        guard let at = (0..<inlineCount).first(where: { slot($0) == member }) else { return }
        let last = inlineCount - 1
        if at != last { setSlot(at, slot(last)) }
        setSlot(last, nil)
        inlineCount -= 1
    }

    private func slot(_ i: Int) -> Element? {
        switch i { case 0: inline.0; case 1: inline.1; case 2: inline.2; default: inline.3 }
    }

    private mutating func setSlot(_ i: Int, _ value: Element?) {
        switch i { case 0: inline.0 = value; case 1: inline.1 = value; case 2: inline.2 = value; default: inline.3 = value }
    }

    func makeIterator() -> Iterator {
        if let spilled { return Iterator(inline: nil, spilled: spilled.makeIterator()) }
        return Iterator(inline: (self, 0), spilled: nil)
    }

    struct Iterator: IteratorProtocol {
        var inline: (set: SmallSet, position: Int)?
        var spilled: Set<Element>.Iterator?
        mutating func next() -> Element? {
            if spilled != nil { return spilled!.next() }
            guard let (set, position) = inline, position < set.inlineCount else { return nil }
            inline = (set, position + 1)
            return set.slot(position)
        }
    }
}
