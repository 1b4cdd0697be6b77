package chatworker.testing;

import chatworker.tls.PemFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Certificates for event-bus and HTTPS tests, made with {@code openssl} into a directory: the set of
 * {@code scripts/tls-dev-certs.sh} (a CA, nodes, a client; so the script is tested too), plus what a
 * test needs to be refused: a self-signed certificate (a stranger's), one that the CA signed but that
 * expired, and one that the CA signed for servers only.
 */
public final class MemberCertificates {

  private final Path dir;

  private MemberCertificates(Path dir) {
    this.dir = dir;
  }

  /** Whether {@code openssl} and {@code bash} are on the PATH. */
  public static boolean available() {
    return RedisBinary.onPath("openssl").isPresent() && RedisBinary.onPath("bash").isPresent();
  }

  /** Writes the certificates of {@code nodes} nodes and the rest into {@code dir}. */
  public static MemberCertificates generate(Path dir, int nodes) {
    String out = dir.toAbsolutePath().toString();
    RedisBinary.run("bash", Path.of("scripts", "tls-dev-certs.sh").toString(), out, Integer.toString(nodes));
    RedisBinary.run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-days", "30", "-keyout", file(dir, "rogue.key"), "-out", file(dir, "rogue.pem"), "-subj", "/CN=rogue",
        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-addext", "extendedKeyUsage=serverAuth,clientAuth");
    signedByTheCa(dir, "expired", "20200101000000Z", "20200201000000Z", "serverAuth,clientAuth");
    signedByTheCa(dir, "server-only", "20240101000000Z", "20991231000000Z", "serverAuth");
    return new MemberCertificates(dir);
  }

  /** A CA-signed certificate with explicit dates ({@code openssl ca}: {@code x509 -req} has no start date). */
  private static void signedByTheCa(Path dir, String name, String start, String end, String usage) {
    try {
      Path db = Files.createDirectories(dir.resolve("ca-db-" + name));
      Files.writeString(db.resolve("index.txt"), "");
      Files.writeString(db.resolve("serial"), "1000\n");
      Path config = Files.writeString(dir.resolve(name + ".cnf"), String.join("\n",
          "[ca]", "default_ca = dev", "[dev]", "database = " + db.resolve("index.txt"),
          "serial = " + db.resolve("serial"), "new_certs_dir = " + db, "default_md = sha256", "policy = any",
          "copy_extensions = none", "[any]", "commonName = supplied",
          "[ext]", "basicConstraints = critical,CA:FALSE", "keyUsage = critical,digitalSignature,keyEncipherment",
          "extendedKeyUsage = " + usage, "subjectAltName = IP:127.0.0.1,DNS:localhost", ""));
      RedisBinary.run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
          "-keyout", file(dir, name + ".key"), "-out", file(dir, name + ".csr"), "-subj", "/CN=" + name);
      RedisBinary.run("openssl", "ca", "-batch", "-config", config.toString(), "-cert", file(dir, "ca.pem"),
          "-keyfile", file(dir, "ca.key"), "-in", file(dir, name + ".csr"), "-out", file(dir, name + ".pem"),
          "-notext", "-startdate", start, "-enddate", end, "-extensions", "ext");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String file(Path dir, String name) {
    return dir.resolve(name).toAbsolutePath().toString();
  }

  public Path dir() {
    return dir;
  }

  public Path ca() {
    return dir.resolve("ca.pem");
  }

  /** Node {@code i}'s certificate and key, with the cluster's CA. */
  public PemFiles node(int i) {
    return member("node-" + i);
  }

  /** The client's (a member that sends only), with the cluster's CA. */
  public PemFiles client() {
    return member("client");
  }

  /** A self-signed certificate, with the cluster's CA as its trust: a stranger that knows the CA. */
  public PemFiles selfSigned() {
    return member("rogue");
  }

  /** Signed by the cluster's CA, valid in January 2020 only. */
  public PemFiles expired() {
    return member("expired");
  }

  /** Signed by the cluster's CA for serverAuth only: no member can use it as a client. */
  public PemFiles serverOnly() {
    return member("server-only");
  }

  private PemFiles member(String name) {
    return new PemFiles(file(dir, name + ".pem"), file(dir, name + ".key"), ca().toAbsolutePath().toString());
  }
}
