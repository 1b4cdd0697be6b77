package chatworker.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throwaway CA and a server certificate for {@code 127.0.0.1}/{@code localhost}, made with the
 * {@code openssl} CLI into a directory, and an {@link SSLContext} that trusts that CA.
 */
public final class TlsCertificates {

  static final String CA_CERT = "ca.crt";
  static final String SERVER_CERT = "server.crt";
  static final String SERVER_KEY = "server.key";

  private static final String CONFIG = String.join("\n",
      "[req]",
      "distinguished_name = dn",
      "prompt = no",
      "[dn]",
      "CN = chatworker-test",
      "[ca_ext]",
      "basicConstraints = critical,CA:TRUE",
      "keyUsage = critical,keyCertSign,cRLSign",
      "subjectKeyIdentifier = hash",
      "[server_ext]",
      "basicConstraints = CA:FALSE",
      "keyUsage = critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage = serverAuth",
      "subjectAltName = IP:127.0.0.1,DNS:localhost",
      "");

  private TlsCertificates() {
  }

  /** Whether the {@code openssl} CLI is on the PATH. */
  static boolean opensslAvailable() {
    return RedisBinary.onPath("openssl").isPresent();
  }

  /** Writes ca.crt, server.crt and server.key (EC P-256, valid 30 days) into {@code dir}. */
  static void generate(Path dir) {
    try {
      Path config = Files.writeString(dir.resolve("openssl.cnf"), CONFIG);
      String cnf = config.toString();
      String ca = dir.resolve(CA_CERT).toString();
      String caKey = dir.resolve("ca.key").toString();
      String csr = dir.resolve("server.csr").toString();
      RedisBinary.run("openssl", "req", "-x509", "-config", cnf, "-extensions", "ca_ext",
          "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
          "-keyout", caKey, "-out", ca, "-days", "30", "-subj", "/CN=chatworker-test-ca");
      RedisBinary.run("openssl", "req", "-new", "-config", cnf,
          "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
          "-keyout", dir.resolve(SERVER_KEY).toString(), "-out", csr, "-subj", "/CN=localhost");
      RedisBinary.run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey,
          "-CAcreateserial", "-out", dir.resolve(SERVER_CERT).toString(), "-days", "30",
          "-extfile", cnf, "-extensions", "server_ext");
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the openssl config", e);
    }
  }

  /** An SSLContext whose only trusted root is the PEM certificate at {@code caCert}. */
  public static SSLContext trusting(Path caCert) {
    try (InputStream in = Files.newInputStream(caCert)) {
      Certificate ca = CertificateFactory.getInstance("X.509").generateCertificate(in);
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      trust.setCertificateEntry("ca", ca);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + caCert, e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Cannot trust " + caCert, e);
    }
  }
}
