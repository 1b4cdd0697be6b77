package chatworker.tls;

import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * The PEM files of one TLS endpoint, as the configuration names them: this node's certificate (a
 * chain may follow it in the same file), its private key (unencrypted: Vert.x reads no passphrase), and
 * the CA bundle every peer's certificate must chain to, where peers are checked (the event bus);
 * HTTPS has no CA here. The paths are all this holds: nothing of the key is read before
 * {@link TlsCheck} and Vert.x need it, and {@link #toString()} names files only.
 *
 * @param cert PEM certificate file
 * @param key  PEM private key file ({@code BEGIN PRIVATE KEY}, {@code RSA PRIVATE KEY} or {@code EC PRIVATE KEY})
 * @param ca   PEM file of one or more CA certificates; null where peers are not authenticated
 */
public record PemFiles(String cert, String key, String ca) {

  /**
   * The {@code tls} object of a configuration section ({@code cluster} or {@code http}), or null when
   * TLS is off there: every key absent, null or blank. {@code withCa} says whether {@code ca} belongs to
   * the set; then all three are set together or none.
   *
   * @param where the section's name in messages, e.g. {@code cluster.tls}
   * @throws IllegalArgumentException when only part of the set is given
   */
  public static PemFiles fromJson(JsonObject tls, String where, boolean withCa) {
    if (tls == null) {
      return null;
    }
    String cert = path(tls, "cert");
    String key = path(tls, "key");
    String ca = withCa ? path(tls, "ca") : null;
    List<String> missing = new ArrayList<>();
    List<String> names = withCa ? List.of("cert", "key", "ca") : List.of("cert", "key");
    for (String name : names) {
      if (path(tls, name) == null) {
        missing.add(name);
      }
    }
    if (missing.size() == names.size()) {
      return null;
    }
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(where + ": " + String.join(", ", names)
          + " are set together or not at all; missing: " + String.join(", ", missing));
    }
    return new PemFiles(cert, key, ca);
  }

  private static String path(JsonObject tls, String name) {
    Object value = tls.getValue(name);
    return value == null || value.toString().isBlank() ? null : value.toString().trim();
  }

  /** This endpoint's certificate and key for Vert.x (read by Vert.x when it listens or connects). */
  public PemKeyCertOptions keyCertOptions() {
    return new PemKeyCertOptions().setCertPath(cert).setKeyPath(key);
  }

  /** The CA bundle for Vert.x; every certificate in the file is trusted. */
  public PemTrustOptions trustOptions() {
    if (ca == null) {
      throw new IllegalStateException("no CA file: peers are not checked here");
    }
    return new PemTrustOptions().addCertPath(ca);
  }
}
