// The bind state table (CONTRACT §2–§3) checked without sockets.
import Testing
@testable import SMSC

@Suite struct SessionRulesTests {
    @Test func bindIsAllowedOnlyOnAnOpenSession_C_BIND_3() {
        for mode in BindMode.allCases {
            #expect(SessionRules.verdict(.open, .bind(mode)) == .proceed)
            #expect(SessionRules.verdict(.binding, .bind(mode)) == .alreadyBound)
            for bound in BindMode.allCases {
                #expect(SessionRules.verdict(.bound(bound), .bind(mode)) == .alreadyBound)
            }
        }
    }

    @Test func nothingButBindEnquireLinkAndUnbindBeforeBinding_C_BIND_4() {
        #expect(SessionRules.verdict(.open, .send) == .invalidBindStatus)
        #expect(SessionRules.verdict(.open, .manage) == .invalidBindStatus)
        #expect(SessionRules.verdict(.binding, .send) == .invalidBindStatus)
        #expect(SessionRules.verdict(.open, .enquireLink) == .proceed)
        #expect(SessionRules.verdict(.open, .unbind) == .proceed)
    }

    @Test func receiverMayNotSendOrManage_C_BIND_4() {
        #expect(SessionRules.verdict(.bound(.receiver), .send) == .invalidBindStatus)
        #expect(SessionRules.verdict(.bound(.receiver), .manage) == .invalidBindStatus)
        #expect(SessionRules.verdict(.bound(.transmitter), .send) == .proceed)
        #expect(SessionRules.verdict(.bound(.transceiver), .manage) == .proceed)
    }

    @Test func enquireLinkIsAnsweredInEveryLiveState_C_SESS_1() {
        let live: [SessionPhase] = [.open, .binding, .bound(.transmitter), .bound(.receiver), .unbinding(.transceiver)]
        for phase in live { #expect(SessionRules.verdict(phase, .enquireLink) == .proceed) }
        #expect(SessionRules.verdict(.closing, .enquireLink) == .ignore)
    }

    @Test func smscOnlyCommandsFromAnESMEAreRefused() {
        for phase: SessionPhase in [.open, .bound(.transceiver)] {
            #expect(SessionRules.verdict(phase, .smscOnly) == .invalidBindStatus)
        }
    }

    @Test func noNewWorkWhileWeUnbind_C_SESS_4() {
        #expect(SessionRules.verdict(.unbinding(.transceiver), .send) == .invalidBindStatus)
        #expect(SessionRules.verdict(.unbinding(.transceiver), .response) == .proceed)
    }

    @Test func bindModesSayWhoSendsAndWhoReceives_C_BIND_5() {
        #expect(BindMode.transmitter.canSubmit && !BindMode.transmitter.canReceive)
        #expect(!BindMode.receiver.canSubmit && BindMode.receiver.canReceive)
        #expect(BindMode.transceiver.canSubmit && BindMode.transceiver.canReceive)
    }
}
