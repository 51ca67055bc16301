// TLSServerContext: one SSL_CTX with the server's certificate and our fixed policy (TLS 1.2
// minimum, 1.3 allowed, no compression, no renegotiation, partial writes, moving write buffer,
// released idle buffers), plus the self-signed certificate of C-TLS-2. Create it anywhere before
// use; afterwards it belongs to the loop thread (Listener, Connection). Unsafe code (TLS files are
// allowlisted, STYLE 9.3): OpenSSL handles freed in deinit or by defer on every path.

#if canImport(Glibc)
import Glibc
#endif
import CShims

public final class TLSServerContext {
    /// SSL_CTX*; each SSL made from it holds its own reference (SSL_new up-refs the context).
    let raw: OpaquePointer
    /// "AB:CD:..." SHA-256 of the leaf certificate (DER).
    public let fingerprintSHA256: String

    /// Loads a PEM certificate chain and a PEM private key. Throws `ReactorError.tls` naming the
    /// file and the reason (errno text or OpenSSL's error string).
    public init(certificatePEMPath: String, privateKeyPEMPath: String) throws(ReactorError) {
        _ = try EventLoopProcess.setUp()
        for (what, path) in [("certificate", certificatePEMPath), ("private key", privateKeyPEMPath)] {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                let e = errno
                throw .tls("cannot read \(what) file \(path): \(Sys.describe(errno: e))")
            }
            Glibc.close(fd)
        }
        ERR_clear_error()
        guard let ctx = SSL_CTX_new(TLS_server_method()) else {
            throw .tls("SSL_CTX_new failed: \(TLSErrors.drain())")
        }
        var ok = false
        defer { if !ok { SSL_CTX_free(ctx) } }

        guard shim_SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 else {
            throw .tls("cannot set minimum TLS version 1.2: \(TLSErrors.drain())")
        }
        SSL_CTX_set_options(ctx, shim_SSL_OP_NO_COMPRESSION() | shim_SSL_OP_NO_RENEGOTIATION()
                                 | shim_SSL_OP_CIPHER_SERVER_PREFERENCE())
        // PARTIAL_WRITE: SSL_write returns after each record, so one flush can move part of the
        // ring. ACCEPT_MOVING_WRITE_BUFFER: a retried write may start elsewhere (the ring's read
        // pointer resets to 0 when it empties). RELEASE_BUFFERS: idle connections give their
        // 16 KiB+ record buffers back (the 10,000-idle-sessions memory goal).
        _ = shim_SSL_CTX_set_mode(ctx, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                                           | SSL_MODE_RELEASE_BUFFERS))
        // Read-ahead: one read(2) fills OpenSSL's record buffer with as many records as the
        // socket holds, instead of two read syscalls (header, then body) per record. Bytes it
        // buffers are not signalled by the socket again: Connection drains SSL_has_pending.
        shim_SSL_CTX_set_read_ahead(ctx, 1)
        // No server-side session cache (it grows with every client); resumption still works
        // through stateless tickets.
        _ = shim_SSL_CTX_set_session_cache_mode(ctx, Int(SSL_SESS_CACHE_OFF))

        guard SSL_CTX_use_certificate_chain_file(ctx, certificatePEMPath) == 1 else {
            throw .tls("cannot load certificate file \(certificatePEMPath): \(TLSErrors.drain())")
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, privateKeyPEMPath, SSL_FILETYPE_PEM) == 1 else {
            throw .tls("cannot load private key file \(privateKeyPEMPath): \(TLSErrors.drain())")
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            throw .tls("private key file \(privateKeyPEMPath) does not match certificate file \(certificatePEMPath): \(TLSErrors.drain())")
        }
        guard let leaf = SSL_CTX_get0_certificate(ctx), let fingerprint = TLSServerContext.fingerprint(of: leaf) else {
            throw .tls("cannot fingerprint certificate file \(certificatePEMPath): \(TLSErrors.drain())")
        }
        raw = ctx
        fingerprintSHA256 = fingerprint
        ok = true
    }

    deinit { SSL_CTX_free(raw) }

    /// File names used inside the directory given to loadOrCreateSelfSigned.
    public static let selfSignedCertificateFileName = "tls-cert.pem"
    public static let selfSignedKeyFileName = "tls-key.pem"

    /// C-TLS-2: loads `directory`/tls-cert.pem + tls-key.pem, or creates them first (EC P-256,
    /// X.509 v3, CN = commonName, SAN DNS:localhost + IP:127.0.0.1, valid 10 years, key file mode
    /// 0600). `created` tells which happened, so the daemon can print the fingerprint loudly.
    public static func loadOrCreateSelfSigned(directory: String, commonName: String) throws(ReactorError)
        -> (context: TLSServerContext, certificatePath: String, keyPath: String, created: Bool)
    {
        let certPath = directory + "/" + selfSignedCertificateFileName
        let keyPath = directory + "/" + selfSignedKeyFileName
        let haveCert = access(certPath, F_OK) == 0
        let haveKey = access(keyPath, F_OK) == 0
        if haveCert && haveKey {
            return (try TLSServerContext(certificatePEMPath: certPath, privateKeyPEMPath: keyPath), certPath, keyPath, false)
        }
        if haveCert != haveKey {
            throw .tls("found \(haveCert ? certPath : keyPath) but not \(haveCert ? keyPath : certPath); remove it or supply both")
        }
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw .system(call: "mkdir \(directory)", errno: errno)
        }
        _ = try EventLoopProcess.setUp()
        let (certPEM, keyPEM) = try SelfSigned.make(commonName: commonName)
        try writeFileAtomically(keyPath, keyPEM, mode: 0o600)
        try writeFileAtomically(certPath, certPEM, mode: 0o644)
        return (try TLSServerContext(certificatePEMPath: certPath, privateKeyPEMPath: keyPath), certPath, keyPath, true)
    }

    static func fingerprint(of certificate: OpaquePointer) -> String? {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(certificate, EVP_sha256(), &digest, &length) == 1 else { return nil }
        let hex: [Character] = Array("0123456789ABCDEF")
        var text = ""
        for (i, byte) in digest.prefix(Int(length)).enumerated() {
            if i > 0 { text.append(":") }
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0xF)])
        }
        return text
    }

    /// Writes to a temporary file created with `mode`, then renames it into place, so a crash
    /// never leaves half a key behind and the key is never readable by others, even briefly.
    private static func writeFileAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t) throws(ReactorError) {
        let temp = path + ".tmp"
        unlink(temp)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .system(call: "open \(temp)", errno: errno) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                Glibc.close(fd)
                unlink(temp)
                throw .system(call: "write \(temp)", errno: e)
            }
            written += n
        }
        _ = fchmod(fd, mode)
        _ = fsync(fd)
        Glibc.close(fd)
        guard rename(temp, path) == 0 else {
            let e = errno
            unlink(temp)
            throw .system(call: "rename \(temp) to \(path)", errno: e)
        }
    }
}

/// TLSClientContext: the client side's SSL_CTX (Connector): TLS 1.2 minimum, 1.3 allowed, no
/// compression or renegotiation, the same ring-friendly modes as the server. Either verifies the
/// server's chain against a CA file (and the host name, when the connect names one: Connector's
/// `verifyName`) or verifies nothing (insecure, for self-signed test servers).
public final class TLSClientContext {
    /// SSL_CTX*; each SSL made from it holds its own reference.
    let raw: OpaquePointer
    /// Whether the peer's chain is verified (a host name to check is then checked too).
    public let verifiesPeer: Bool

    public enum Verification: Sendable {
        /// Accept any certificate (self-signed servers, benchmarks).
        case none
        /// Verify the chain against the PEM CA certificates in this file.
        case caFile(String)
    }

    public init(verification: Verification) throws(ReactorError) {
        _ = try EventLoopProcess.setUp()
        ERR_clear_error()
        guard let ctx = SSL_CTX_new(TLS_client_method()) else {
            throw .tls("SSL_CTX_new failed: \(TLSErrors.drain())")
        }
        var ok = false
        defer { if !ok { SSL_CTX_free(ctx) } }
        guard shim_SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 else {
            throw .tls("cannot set minimum TLS version 1.2: \(TLSErrors.drain())")
        }
        SSL_CTX_set_options(ctx, shim_SSL_OP_NO_COMPRESSION() | shim_SSL_OP_NO_RENEGOTIATION())
        _ = shim_SSL_CTX_set_mode(ctx, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER))
        shim_SSL_CTX_set_read_ahead(ctx, 1)   // as the server's: fewer read(2) calls
        switch verification {
        case .none:
            SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nil)
            verifiesPeer = false
        case let .caFile(path):
            verifiesPeer = true
            guard SSL_CTX_load_verify_locations(ctx, path, nil) == 1 else {
                throw .tls("cannot load CA file \(path): \(TLSErrors.drain())")
            }
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        }
        raw = ctx
        ok = true
    }

    deinit { SSL_CTX_free(raw) }
}

/// Process-wide OpenSSL/SIGPIPE set-up shared by EventLoop and TLSServerContext.
enum EventLoopProcess {
    private static let done: Bool = {
        signal(SIGPIPE, SIG_IGN)
        return OPENSSL_init_ssl(UInt64(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS), nil) == 1
    }()

    static func setUp() throws(ReactorError) -> Bool {
        guard done else { throw .tls("OPENSSL_init_ssl failed") }
        return true
    }
}

/// OpenSSL's thread-local error queue as text.
enum TLSErrors {
    /// Pops every queued error; returns their reason strings joined by "; " (or "unknown error").
    static func drain() -> String {
        var parts: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if let reason = ERR_reason_error_string(code) {
                parts.append(String(cString: reason))
            } else {
                var buffer = [CChar](repeating: 0, count: 256)
                ERR_error_string_n(code, &buffer, buffer.count)
                parts.append(Sys.cString(buffer))
            }
        }
        return parts.isEmpty ? "unknown error" : parts.joined(separator: "; ")
    }
}

/// The self-signed certificate builder (C-TLS-2).
enum SelfSigned {
    static func make(commonName: String) throws(ReactorError) -> (certificatePEM: [UInt8], keyPEM: [UInt8]) {
        ERR_clear_error()
        guard let key = shim_EVP_EC_gen("P-256") else { throw .tls("EC P-256 key generation failed: \(TLSErrors.drain())") }
        defer { EVP_PKEY_free(key) }
        guard let cert = X509_new() else { throw .tls("X509_new failed: \(TLSErrors.drain())") }
        defer { X509_free(cert) }

        var serial: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &serial) { RAND_bytes($0.baseAddress!.assumingMemoryBound(to: UInt8.self), 8) }
        serial &= 0x3FFF_FFFF_FFFF_FFFF  // positive, fits a C long
        let tenYears = 3653 * 24 * 3600
        let cn = Array(commonName.utf8)
        guard !cn.isEmpty, cn.count <= 64 else { throw .invalidArgument("certificate common name must be 1-64 bytes: \(commonName)") }
        guard X509_set_version(cert, 2) == 1,  // v3
              ASN1_INTEGER_set(X509_get_serialNumber(cert), Int(serial == 0 ? 1 : serial)) == 1,
              X509_gmtime_adj(X509_getm_notBefore(cert), -3600) != nil,  // tolerate small clock skew
              X509_gmtime_adj(X509_getm_notAfter(cert), tenYears) != nil,
              X509_set_pubkey(cert, key) == 1,
              let name = X509_get_subject_name(cert),
              // Explicit length: the byte array is not NUL-terminated (-1 would make OpenSSL strlen it).
              X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, Int32(cn.count), -1, 0) == 1,
              X509_set_issuer_name(cert, name) == 1
        else { throw .tls("cannot build certificate for CN=\(commonName): \(TLSErrors.drain())") }

        // The extensions `openssl req -x509` adds by default, plus the SAN clients check.
        var v3 = X509V3_CTX()
        X509V3_set_ctx(&v3, cert, cert, nil, nil, 0)
        for (nid, value) in [(NID_subject_key_identifier, "hash"),
                             (NID_authority_key_identifier, "keyid:always"),
                             (NID_basic_constraints, "critical,CA:TRUE"),
                             (NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1")] {
            guard let ext = X509V3_EXT_conf_nid(nil, &v3, nid, value) else {
                throw .tls("cannot add certificate extension \(value): \(TLSErrors.drain())")
            }
            let added = X509_add_ext(cert, ext, -1)
            X509_EXTENSION_free(ext)
            guard added == 1 else { throw .tls("cannot add certificate extension \(value): \(TLSErrors.drain())") }
        }
        guard X509_sign(cert, key, EVP_sha256()) > 0 else {
            throw .tls("cannot sign certificate: \(TLSErrors.drain())")
        }

        let certPEM = try pem { PEM_write_bio_X509($0, cert) }
        let keyPEM = try pem { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) }
        return (certPEM, keyPEM)
    }

    private static func pem(_ write: (OpaquePointer) -> Int32) throws(ReactorError) -> [UInt8] {
        guard let bio = BIO_new(BIO_s_mem()) else { throw .tls("BIO_new failed") }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { throw .tls("PEM encoding failed: \(TLSErrors.drain())") }
        var data: UnsafeMutablePointer<CChar>?
        let length = shim_BIO_get_mem_data(bio, &data)
        guard length > 0, let data else { throw .tls("PEM encoding produced nothing") }
        return Array(UnsafeRawBufferPointer(start: data, count: length))
    }
}
