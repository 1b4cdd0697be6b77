package chatworker.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Builds the {@code redis-server} command line for a {@link RedisServer}; no config file is used. */
final class RedisCommandLine {

  static final String LOG_FILE = "redis.log";

  private RedisCommandLine() {
  }

  /** {@code tlsDir}: where the certificates of a TLS server are (see {@link TlsCertificates#generate}). */
  static List<String> build(RedisServer.Options options, Path dataDir, Path tlsDir, int port) {
    List<String> args = new ArrayList<>();
    args.add(RedisBinary.path().toString());
    if (options.tls()) {
      // TLS only: the plain port is off, so nothing can reach this server in clear text.
      add(args, "--port", "0", "--tls-port", Integer.toString(port),
          "--tls-cert-file", tlsDir.resolve(TlsCertificates.SERVER_CERT).toString(),
          "--tls-key-file", tlsDir.resolve(TlsCertificates.SERVER_KEY).toString(),
          "--tls-ca-cert-file", tlsDir.resolve(TlsCertificates.CA_CERT).toString(),
          "--tls-auth-clients", "no");
    } else {
      add(args, "--port", Integer.toString(port));
    }
    add(args, "--bind", RedisServer.HOST, "--daemonize", "no",
        "--dir", dataDir.toString(), "--logfile", dataDir.resolve(LOG_FILE).toString(),
        "--protected-mode", options.password() == null ? "no" : "yes");
    if (options.appendOnly()) {
      add(args, "--appendonly", "yes", "--appendfsync", "always");
    } else {
      add(args, "--save", "", "--appendonly", "no");
    }
    if (RedisBinary.majorVersion() >= 7) {
      // Redis 7 refuses DEBUG (needed for DEBUG SLEEP) unless enabled; 6.x rejects the option.
      add(args, "--enable-debug-command", "local");
    }
    if (options.password() != null && options.aclUser() == null) {
      add(args, "--requirepass", options.password());
    } else if (options.password() != null) {
      // The default user is switched off, so every client must log in as the ACL user.
      add(args, "--user", "default", "off",
          "--user", options.aclUser(), "on", ">" + options.password(), "~*", "&*", "+@all");
    }
    args.addAll(options.extraArgs());
    return args;
  }

  private static void add(List<String> args, String... more) {
    args.addAll(List.of(more));
  }
}
