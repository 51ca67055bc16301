// The transition table, exhaustively: never both cancelled and delivered (C-MGT-2), finals
// absorbing, expiry (C-SUB-7).
import Testing
import SMPP
@testable import Store

@Suite struct MessageTransitionTests {
    static let allStatuses: [MessageStatus] = MessageState.allCases.flatMap { state in
        [MessageStatus(state: state, isForwarded: false), MessageStatus(state: state, isForwarded: true)]
    }
    static let allEvents: [MessageEvent] = [.forward, .cancel, .expire] + MessageState.allCases.map { .outcome($0) }

    @Test func cancelledNeverDeliveredAndDeliveredNeverCancelled_C_MGT_2() {
        // Explore every status reachable from a fresh message, remembering whether a cancel
        // succeeded and whether DELIVERED was reached on the way; no path may do both.
        struct Node: Hashable { var status: MessageStatus; var wasCancelled: Bool; var wasDelivered: Bool }
        var frontier = [Node(status: .stored, wasCancelled: false, wasDelivered: false)]
        var visited = Set(frontier)
        while let node = frontier.popLast() {
            #expect(!(node.wasCancelled && node.wasDelivered), "\(node)")
            for event in Self.allEvents {
                guard case .move(let next) = MessageTransition.apply(event, to: node.status) else { continue }
                let successor = Node(status: next, wasCancelled: node.wasCancelled || event == .cancel,
                                     wasDelivered: node.wasDelivered || next.state == .delivered)
                if visited.insert(successor).inserted { frontier.append(successor) }
            }
        }
        // And the reachable set is what the table promises: DELETED only unforwarded.
        #expect(visited.contains { $0.status.state == .delivered })
        #expect(visited.contains { $0.status.state == .deleted })
        #expect(!visited.contains { $0.status.state == .deleted && $0.status.isForwarded })
        #expect(!visited.contains { $0.status.state == .delivered && !$0.status.isForwarded })
    }

    @Test func everyStatusAndEventFollowsTheRules_C_MGT_2_C_SUB_7() {
        for status in Self.allStatuses {
            for event in Self.allEvents {
                let result = MessageTransition.apply(event, to: status)
                if status.state.isFinal {
                    #expect(result == .refused(.final(status.state)), "\(status) \(event)")
                    continue
                }
                let carrierHasIt = status.isForwarded || status.state == .accepted
                switch event {
                case .cancel:
                    #expect(result == (carrierHasIt ? .refused(.alreadyForwarded) : .move(MessageStatus(state: .deleted, isForwarded: false))))
                case .forward:
                    if case .move(let next) = result { #expect(next == MessageStatus(state: status.state, isForwarded: true)) }
                    else { #expect(result == .unchanged && status.isForwarded) }
                case .expire:
                    #expect(result == .move(MessageStatus(state: .expired, isForwarded: carrierHasIt)))
                case .outcome(let outcome):
                    switch result {
                    case .move(let next):
                        #expect(next.isForwarded, "an outcome forwards: \(status) \(event)")
                        #expect(next.state == outcome)
                    case .unchanged: #expect(outcome == status.state || outcome == .enroute)
                    case .refused(let refusal): #expect(refusal == .invalidOutcome(outcome))
                    }
                    if outcome == .deleted { #expect(result == .refused(.invalidOutcome(.deleted))) }
                }
            }
        }
    }

    @Test func forwardedByTheHoldRuleIsNotCancellable_C_MGT_2() {
        var record = makeRecord(MessageID(rawValue: 1), forwardDeadline: testNow + 60_000)
        #expect(MessageTransition.apply(.cancel, to: record.status(at: testNow + 59_999)) == .move(MessageStatus(state: .deleted, isForwarded: false)))
        #expect(MessageTransition.apply(.cancel, to: record.status(at: testNow + 60_000)) == .refused(.alreadyForwarded))
        record.isForwarded = true
        #expect(MessageTransition.apply(.cancel, to: record.status(at: testNow)) == .refused(.alreadyForwarded))
    }

    @Test func receiptWantedFollowsRegisteredDelivery_C_SUB_8() {
        for state in MessageState.allCases {
            #expect(!makeRecord(MessageID(rawValue: 1), registeredDelivery: 0).wantsReceipt(for: state))
            #expect(makeRecord(MessageID(rawValue: 1), registeredDelivery: 1).wantsReceipt(for: state) == state.isFinal)
            #expect(makeRecord(MessageID(rawValue: 1), registeredDelivery: 2).wantsReceipt(for: state) == (state.isFinal && state != .delivered))
            #expect(makeRecord(MessageID(rawValue: 1), registeredDelivery: 0x10).wantsReceipt(for: state) == !state.isFinal)
        }
    }
}
