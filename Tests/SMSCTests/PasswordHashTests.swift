// Stored credentials: scrypt hashes round-trip through their text form and verify in
// constant time; plaintext (tests only) compares exactly (C-BIND-2).
import Testing
@testable import SMSC

@Suite struct PasswordHashTests {
    // Small N keeps the test fast; the format and the check are the same as the default's.
    let cheap = PasswordHash.ScryptParameters(n: 1024, r: 8, p: 1)

    @Test func scryptHashVerifiesOnlyTheRightPassword() throws {
        let hash = try #require(PasswordHash.make(password: "s3cret", parameters: cheap))
        #expect(hash.verify(Array("s3cret".utf8)))
        #expect(!hash.verify(Array("s3cre".utf8)))
        #expect(!hash.verify(Array("s3cret ".utf8)))
        #expect(!hash.verify([]))
    }

    @Test func textFormRoundTrips() throws {
        let hash = try #require(PasswordHash.make(password: "pw", parameters: cheap))
        #expect(hash.text.hasPrefix("scrypt$1024$8$1$"))
        let parsed = try PasswordHash(parsing: hash.text)
        #expect(parsed == hash)
        #expect(parsed.verify(Array("pw".utf8)))
    }

    @Test func twoHashesOfOnePasswordDifferBySalt() throws {
        let a = try #require(PasswordHash.make(password: "pw", parameters: cheap))
        let b = try #require(PasswordHash.make(password: "pw", parameters: cheap))
        #expect(a != b)
    }

    @Test func knownVectorFromRFC7914() throws {
        // RFC 7914 §12: scrypt("password", "NaCl", N=1024, r=8, p=16, dkLen=64).
        let key = try #require(PasswordHash.derive(Array("password".utf8), salt: Array("NaCl".utf8),
                                                   parameters: .init(n: 1024, r: 8, p: 16), count: 64))
        #expect(Hex.encode(Array(key.prefix(16))) == "fdbabe1c9d3472007856e7190d01e9fe")
    }

    @Test(arguments: ["", "bcrypt$x", "scrypt$1000$8$1$00112233445566778899aabbccddeeff$00112233445566778899aabbccddeeff",
                      "scrypt$1024$8$1$zz$00", "scrypt$1024$0$1$0011223344556677$00112233445566778899aabbccddeeff"])
    func malformedHashTextIsRejected(_ text: String) {
        #expect(throws: PasswordHash.ParseError.self) { try PasswordHash(parsing: text) }
    }

    @Test func plaintextComparesWholeValue() {
        let p = PasswordHash.plaintext(Array("abc".utf8))
        #expect(p.verify(Array("abc".utf8)))
        #expect(!p.verify(Array("ab".utf8)))
        #expect(!p.verify(Array("abcd".utf8)))
        #expect(!p.verify([]))
        #expect(!p.isSlowToVerify)
    }

    @Test func randomPasswordsAreDistinctAndFitTheSMPPField() throws {
        let a = try #require(PasswordHash.randomPassword())
        let b = try #require(PasswordHash.randomPassword())
        #expect(a != b)
        #expect(a.utf8.count == 8, "SMPP 3.4 password is at most 8 characters + NUL")
    }
}
