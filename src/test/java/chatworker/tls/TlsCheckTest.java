package chatworker.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import chatworker.testing.MemberCertificates;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The start-time checks of a node's PEM files, against certificates made with openssl. */
class TlsCheckTest {

  @TempDir
  static Path dir;
  private static MemberCertificates certs;

  @BeforeAll
  static void makeCertificates() {
    assumeTrue(MemberCertificates.available(), "openssl and bash are needed");
    certs = MemberCertificates.generate(dir, 2);
  }

  /** Verifies that a CA-signed member certificate passes and its end of validity is returned. */
  @Test
  @DisplayName("A CA-signed node certificate with its key passes; valid-until is the certificate's notAfter")
  void goodFilesPass() throws Exception {
    PemFiles node = certs.node(0);
    X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(Path.of(node.cert()))));

    assertThat(TlsCheck.check(node)).isEqualTo(cert.getNotAfter().toInstant()).isAfter(Instant.now());
    assertThat(TlsCheck.check(new PemFiles(node.cert(), node.key(), null))).as("HTTPS: no CA").isNotNull();
    assertThat(TlsCheck.validUntil(node.cert())).isEqualTo(cert.getNotAfter().toInstant());
  }

  /** Verifies that each kind of wrong file is named in one line that says what is wrong with it. */
  @Test
  @DisplayName("Missing, not PEM, foreign key, expired, not from the CA, server-only: one line each")
  void wrongFilesAreNamed() throws Exception {
    PemFiles node = certs.node(0);
    PemFiles other = certs.node(1);
    Path text = Files.writeString(dir.resolve("notes.txt"), "not a certificate\n");
    assertRefused(new PemFiles(dir.resolve("nope.pem").toString(), node.key(), node.ca()),
        dir.resolve("nope.pem") + ": no such file");
    assertRefused(new PemFiles(text.toString(), node.key(), node.ca()), text + " is not a PEM certificate");
    assertRefused(new PemFiles(node.cert(), text.toString(), node.ca()), text + " is not a PEM private key");
    assertRefused(new PemFiles(node.cert(), node.cert(), node.ca()), node.cert() + " is not a PEM private key");
    assertRefused(new PemFiles(node.cert(), other.key(), node.ca()),
        other.key() + ": the private key does not belong to the certificate " + node.cert());
    assertRefused(certs.expired(), certs.expired().cert() + ": the certificate expired on 2020-02-01T00:00:00Z");
    assertRefused(certs.selfSigned(), certs.selfSigned().cert() + ": the certificate is not signed by a CA in "
        + node.ca());
    assertRefused(certs.serverOnly(), certs.serverOnly().cert()
        + ": the certificate's extendedKeyUsage must allow both serverAuth and clientAuth");
    assertRefused(new PemFiles(node.cert(), node.key(), text.toString()), text + " is not a PEM certificate");
  }

  /** Verifies that no message carries a line of the key file, whatever is wrong. */
  @Test
  @DisplayName("No message contains key material")
  void messagesHoldNoKeyMaterial() throws Exception {
    PemFiles node = certs.node(0);
    String keyBody = Files.readAllLines(Path.of(node.key())).get(1);
    for (PemFiles wrong : new PemFiles[] {new PemFiles(node.cert(), certs.node(1).key(), node.ca()),
        new PemFiles(node.key(), node.key(), node.ca()), new PemFiles(node.cert(), node.key(), node.key())}) {
      assertThatThrownBy(() -> TlsCheck.check(wrong)).isInstanceOf(TlsFileException.class)
          .message().doesNotContain(keyBody).doesNotContain("\n");
    }
  }

  private static void assertRefused(PemFiles files, String messageStart) {
    assertThatThrownBy(() -> TlsCheck.check(files)).isInstanceOf(TlsFileException.class)
        .message().startsWith(messageStart).doesNotContain("\n");
  }
}
