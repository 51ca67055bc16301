// Remembers, per account, a SHA-256 of the password that last passed a slow scrypt check, so
// the next binds of the same client (Kannel opens three at once) verify in microseconds.
// Loop thread only. Holds digests, never passwords; cleared when the accounts are reloaded.
import CShims

struct VerifiedPasswordCache {
    private var digests: [String: [UInt8]] = [:]

    /// Digest of salt-tagged candidate; the account's hash text salts it so two accounts differ.
    private static func digest(_ candidate: [UInt8], account: Account) -> [UInt8]? {
        let input = Array(account.password.text.utf8) + [0] + candidate
        var md = [UInt8](repeating: 0, count: 32)
        var len = 0
        let ok = EVP_Q_digest(nil, "SHA256", nil, input, input.count, &md, &len)
        return ok == 1 && len == 32 ? md : nil
    }

    /// True when `candidate` is the password that last verified for this account.
    func matches(_ candidate: [UInt8], account: Account) -> Bool {
        guard let stored = digests[account.systemID], let d = Self.digest(candidate, account: account) else { return false }
        return CRYPTO_memcmp(stored, d, 32) == 0
    }

    mutating func remember(_ candidate: [UInt8], account: Account) {
        digests[account.systemID] = Self.digest(candidate, account: account)
    }

    mutating func removeAll() { digests.removeAll() }
}
