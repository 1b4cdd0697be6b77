package chatworker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import chatworker.testing.MemberCertificates;
import chatworker.tls.PemFiles;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node process ({@code chatworker.cli.Main}, as {@code java -jar}) given wrong TLS files through the
 * environment refuses to start: exit 1 and one line on stderr, before it joins any cluster.
 */
class TlsStartTest {

  private static final Path DIR = Path.of("target", "cluster-tests", "tls-start").toAbsolutePath();

  @TempDir
  static Path certDir;
  private static MemberCertificates certs;

  @BeforeAll
  static void makeCertificates() {
    assumeTrue(MemberCertificates.available(), "openssl and bash are needed");
    certs = MemberCertificates.generate(certDir, 2);
  }

  /** Verifies that a node whose event-bus certificate expired says so in one line and exits 1. */
  @Test
  @DisplayName("An expired cluster certificate: exit 1, one line naming the file and the date")
  void expiredCertificateDoesNotStart() {
    assertCannotStart("expired", cluster(certs.expired()), "chat-worker: cannot start: cluster.tls: "
        + certs.expired().cert() + ": the certificate expired on 2020-02-01T00:00:00Z");
  }

  /** Verifies that an HTTPS key that belongs to another certificate stops the start, and so does half a set. */
  @Test
  @DisplayName("An HTTPS key of another certificate, or a cluster key without its CA: exit 1, one line")
  void wrongHttpsKeyAndPartialSetDoNotStart() {
    Map<String, String> env = new HashMap<>(Map.of(
        "CHATWORKER_HTTP_TLS_CERT", certs.node(0).cert(), "CHATWORKER_HTTP_TLS_KEY", certs.node(1).key()));
    assertCannotStart("https-key", env, "chat-worker: cannot start: http.tls: " + certs.node(1).key()
        + ": the private key does not belong to the certificate " + certs.node(0).cert());
    Map<String, String> partial = cluster(certs.node(0));
    partial.remove("CHATWORKER_CLUSTER_TLS_CA");
    assertCannotStart("partial", partial, "chat-worker: cannot start: invalid configuration: cluster.tls: "
        + "cert, key, ca are set together or not at all; missing: ca");
  }

  private static Map<String, String> cluster(PemFiles files) {
    return new HashMap<>(Map.of("CHATWORKER_CLUSTER_TLS_CERT", files.cert(), "CHATWORKER_CLUSTER_TLS_KEY", files.key(),
        "CHATWORKER_CLUSTER_TLS_CA", files.ca()));
  }

  private static void assertCannotStart(String name, Map<String, String> tlsEnv, String line) {
    Map<String, String> env = new HashMap<>(tlsEnv);
    env.put("CHATWORKER_CLUSTER_PORT", Integer.toString(FreePorts.loopback(1).get(0)));
    env.put("CHATWORKER_HTTP_PORT", "0");
    try (JavaProcess node = JavaProcess.start(name, DIR, env, List.of("--conf", "conf/chat-worker.json"))) {
      assertThat(node.awaitExit(Duration.ofSeconds(60))).as(node.logTail(20)).isEqualTo(1);
      assertThat(node.log().lines().filter(l -> !l.isBlank()).toList()).as("stderr").containsExactly(line);
    }
  }
}
