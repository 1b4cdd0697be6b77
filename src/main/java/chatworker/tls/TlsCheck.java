package chatworker.tls;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.X509KeyManager;

/**
 * Checks a node's PEM files before it starts, so that a mistake stops the start with one line naming
 * the file, instead of a node that listens and then fails every handshake (Vert.x accepts a key that
 * does not match its certificate, and an expired certificate, until a peer refuses them). The checks:
 * each file readable; the certificate and key in PEM (parsed by Vert.x's own code, as at listen); the key
 * belongs to the certificate (a random nonce signed with one, verified with the other); the certificate
 * valid now; and, where there is a CA file, the certificate chains to it and may serve as both TLS client
 * and server, as every event-bus member does.
 *
 * <p>Blocking file reads: call it before Vert.x starts or in {@code executeBlocking}. No message carries
 * key material: files are named by path, failures by what is wrong.
 */
public final class TlsCheck {

  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
  private static final String ANY_USAGE = "2.5.29.37.0";

  private TlsCheck() {}

  /**
   * Checks {@code files}; with a CA file, also the chain and the client-and-server usage.
   *
   * @return when the certificate stops being valid
   * @throws TlsFileException with one line that says which file is wrong and how
   */
  public static Instant check(PemFiles files) {
    byte[] certPem = read(files.cert());
    byte[] keyPem = read(files.key());
    List<X509Certificate> chain = certificates(certPem, files.cert());
    X509Certificate cert = chain.get(0);
    PrivateKey key = privateKey(certPem, keyPem, files);
    checkValidity(cert, files.cert());
    checkKeyMatches(key, cert, files);
    if (files.ca() != null) {
      List<X509Certificate> cas = certificates(read(files.ca()), files.ca());
      checkChain(chain, cas, files);
      checkUsage(cert, files.cert());
    }
    return cert.getNotAfter().toInstant();
  }

  /** When the first certificate in {@code certFile} stops being valid; no other check. */
  public static Instant validUntil(String certFile) {
    return certificates(read(certFile), certFile).get(0).getNotAfter().toInstant();
  }

  private static byte[] read(String file) {
    try {
      return Files.readAllBytes(Path.of(file));
    } catch (NoSuchFileException e) {
      throw new TlsFileException(file + ": no such file");
    } catch (AccessDeniedException e) {
      throw new TlsFileException(file + ": cannot be read (permission denied)");
    } catch (IOException | InvalidPathException e) {
      throw new TlsFileException(file + ": cannot be read: " + e.getMessage());
    }
  }

  private static List<X509Certificate> certificates(byte[] pem, String file) {
    try {
      List<X509Certificate> certs = new ArrayList<>();
      CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem))
          .forEach(c -> certs.add((X509Certificate) c));
      if (certs.isEmpty()) {
        throw new CertificateParsingException("no certificate in it");
      }
      return certs;
    } catch (CertificateException e) {
      throw new TlsFileException(file + " is not a PEM certificate: " + e.getMessage());
    }
  }

  /** The key as Vert.x reads it at listen: PKCS#8, PKCS#1 (RSA) or SEC1 (EC), unencrypted. */
  private static PrivateKey privateKey(byte[] certPem, byte[] keyPem, PemFiles files) {
    PemKeyCertOptions pem = new PemKeyCertOptions()
        .addCertValue(Buffer.buffer(certPem)).addKeyValue(Buffer.buffer(keyPem));
    try {
      // Values, not paths: Vert.x reads no file then and does not use the Vertx argument (5.0.x).
      KeyStore store = pem.loadKeyStore(null);
      String alias = store.aliases().nextElement();
      X509KeyManager keys = (X509KeyManager) pem.getKeyManagerFactory(null).getKeyManagers()[0];
      return keys.getPrivateKey(alias);
    } catch (Exception e) {
      throw new TlsFileException(files.key() + " is not a PEM private key (unencrypted PKCS#8, PKCS#1 or SEC1): "
          + e.getMessage());
    }
  }

  private static void checkValidity(X509Certificate cert, String file) {
    try {
      cert.checkValidity();
    } catch (CertificateExpiredException e) {
      throw new TlsFileException(file + ": the certificate expired on " + cert.getNotAfter().toInstant());
    } catch (CertificateNotYetValidException e) {
      throw new TlsFileException(file + ": the certificate is not valid before " + cert.getNotBefore().toInstant());
    }
  }

  private static void checkKeyMatches(PrivateKey key, X509Certificate cert, PemFiles files) {
    String mismatch = files.key() + ": the private key does not belong to the certificate " + files.cert();
    if (!key.getAlgorithm().equals(cert.getPublicKey().getAlgorithm())) {
      throw new TlsFileException(mismatch);
    }
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      default -> key.getAlgorithm(); // EdDSA, Ed25519, Ed448 sign without a separate digest
    };
    try {
      byte[] nonce = new byte[32];
      new SecureRandom().nextBytes(nonce);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(nonce);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(nonce);
      if (!verifier.verify(signature)) {
        throw new TlsFileException(mismatch);
      }
    } catch (GeneralSecurityException e) {
      throw new TlsFileException(mismatch + " (" + e.getMessage() + ")");
    }
  }

  /** PKIX, as the peers will check it (revocation aside): signatures, dates, CA constraints. */
  private static void checkChain(List<X509Certificate> chain, List<X509Certificate> cas, PemFiles files) {
    List<X509Certificate> path = chain.stream().filter(c -> !cas.contains(c)).toList();
    try {
      Set<TrustAnchor> anchors = cas.stream().map(ca -> new TrustAnchor(ca, null)).collect(Collectors.toSet());
      PKIXParameters parameters = new PKIXParameters(anchors);
      parameters.setRevocationEnabled(false);
      CertPathValidator.getInstance("PKIX")
          .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), parameters);
    } catch (CertPathValidatorException e) {
      throw new TlsFileException(files.cert() + ": " + (e.getReason() == PKIXReason.NO_TRUST_ANCHOR
          ? "the certificate is not signed by a CA in " + files.ca()
          : "the certificate does not chain to the CA in " + files.ca() + ": " + e.getMessage()));
    } catch (GeneralSecurityException e) {
      throw new TlsFileException(files.ca() + ": cannot check the chain against it: " + e.getMessage());
    }
  }

  /** Every member is a TLS server to some peers and a client to others: both usages, if any are listed. */
  private static void checkUsage(X509Certificate cert, String file) {
    List<String> usages;
    try {
      usages = cert.getExtendedKeyUsage();
    } catch (CertificateParsingException e) {
      throw new TlsFileException(file + ": unreadable extendedKeyUsage: " + e.getMessage());
    }
    if (usages != null && !usages.contains(ANY_USAGE)
        && !(usages.contains(SERVER_AUTH) && usages.contains(CLIENT_AUTH))) {
      throw new TlsFileException(file + ": the certificate's extendedKeyUsage must allow both serverAuth and "
          + "clientAuth: every member is a TLS server and client on the event bus");
    }
  }
}
