package chatworker.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Named.named;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import chatworker.redis.RedisTopology.Node;
import chatworker.testing.Await;
import chatworker.testing.CapturedLogs;
import chatworker.testing.RedisServer;
import chatworker.testing.SentinelTopology;
import chatworker.testing.SentinelTopology.Auth;
import chatworker.time.Deadline;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The layer in sentinel mode against data nodes that require a login ({@code requirepass} or an ACL
 * user, {@code masterauth} on the replicas, {@code sentinel auth-pass} on the sentinels), with the
 * credentials in the sentinel URLs, as shared/CONTRACT.md says. The Vert.x client logs into the
 * sentinels with them too ({@code HELLO 3 AUTH}), and so do the layer's own sentinel connections
 * (polls and failover announcements): a sentinel without a password takes any password for the
 * default user, but not an ACL user it does not know (docs/REDIS.md, "Sentinel with passwords").
 */
class SentinelAuthTest {

  /** A comma and a slash: the URL list must carry it percent-encoded. */
  private static final String PASSWORD = "Sentinel,Pa55/word-k4";
  private static final String WRONG = "Wrong,Pa55/word-q9";
  private static final String USER = "worker";
  private static final Duration RECOVERY = Duration.ofSeconds(60);
  /** How long the layer's sentinel connections may read nothing before they are closed (TopologyWatch). */
  private static final long SENTINEL_IDLE_SECONDS = 3 * TopologyWatch.INTERVAL_MS / 1000;

  @RegisterExtension
  final CapturedLogs logs = new CapturedLogs();

  /** Deployments whose credentials the layer can use: data nodes and sentinels accept the same ones. */
  static Stream<Arguments> accepted() {
    return Stream.of(
        Arguments.of(named("requirepass on the data nodes, sentinels without a password",
            new Login(Auth.password(PASSWORD), null))),
        Arguments.of(named("requirepass on the data nodes and the same on the sentinels",
            new Login(Auth.password(PASSWORD).sentinelsRequire(PASSWORD), null))),
        Arguments.of(named("an ACL user on the data nodes, which the sentinels know too",
            new Login(Auth.aclUser(USER, PASSWORD).sentinelsKnowTheUser(), USER))));
  }

  /**
   * Verifies that with the data nodes' credentials in the sentinel URLs the layer finds the master,
   * reads, writes and writes durably (both replicas confirm); that its own sentinel connections log in
   * (the polls name the master, and each sentinel holds its subscription past the read-idle timeout);
   * and that a commanded failover under durable writes is followed: writes succeed on the new master,
   * none acknowledged is missing, the announcements are heard and {@code topology()} names the new
   * master. The password appears in no log line, status or settings print.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("accepted")
  @DisplayName("Sentinel URLs with the data nodes' credentials: master found, durable writes, failover followed")
  void credentialsInTheSentinelUrlsReachTheMasterThroughAFailover(Login login) {
    try (SentinelTopology topology = SentinelTopology.start(login.auth());
        LayerHarness layer = new LayerHarness(sentinelMode(topology.sentinelUrls(login.user(), PASSWORD)))) {
      RedisServer first = topology.master();
      AcknowledgedWrites.writeReadAndReplicate(layer, topology.replicas());
      Await.until(() -> mastersNamed(layer).equals(List.of(address(first))), RECOVERY,
          "the layer's sentinel polls to name the master");
      // A subscription older than the read-idle timeout is one that the PINGs keep alive.
      Await.until(() -> IntStream.range(0, topology.sentinelCount())
              .allMatch(i -> subscribedFor(topology, i) > SENTINEL_IDLE_SECONDS), RECOVERY,
          "a subscription older than " + SENTINEL_IDLE_SECONDS + " s on every sentinel");

      RedisServer promoted = AcknowledgedWrites.acrossFailover(layer, "sentinel-auth-failover", RECOVERY,
          topology::failover);
      Await.until(() -> mastersNamed(layer).equals(List.of(address(promoted)))
          && layer.redis.topology().failovers() >= 1, RECOVERY, "topology() to name the new master");
      assertThat(logged("Redis sentinels switched the master")).as("+switch-master heard").isNotEmpty();
      assertThat(logged("Redis failover under way")).as("+try-failover heard (durable writes fenced)").isNotEmpty();
      assertThat(logged("refused the configured credentials")).isEmpty();
      assertThat(layer.redis.health().authRejected()).isFalse();
      assertNoSecretIn(layer, PASSWORD);
    }
    assertNoSecretLogged(PASSWORD);
  }

  /** Deployments that refuse the credentials in the URL, and who refuses them. */
  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of(named("a wrong password, sentinels without a password: the data nodes refuse it",
            new Refusal(Auth.password(PASSWORD), null, WRONG, false))),
        Arguments.of(named("a wrong password, sentinels with requirepass: the sentinels refuse it",
            new Refusal(Auth.password(PASSWORD).sentinelsRequire(PASSWORD), null, WRONG, true))),
        Arguments.of(named("the data nodes' ACL user, which the sentinels do not know: the sentinels refuse it",
            new Refusal(Auth.aclUser(USER, PASSWORD), USER, PASSWORD, true))),
        Arguments.of(named("no password in the URL, sentinels with requirepass: the sentinels refuse the client",
            new Refusal(Auth.password(PASSWORD).sentinelsRequire(PASSWORD), null, null, true))));
  }

  /**
   * Verifies that credentials that the data nodes or the sentinels refuse fail calls at once with
   * "refused the configured credentials", that readiness says so and the log names who refused them;
   * that nothing storms: each refused login is tried again only after {@code authRetryDelayMs}, and
   * the sockets the client leaves open after a refused handshake are closed, so no data node or
   * sentinel keeps a connection of the layer that does not serve; and that the password appears in
   * no log line, failure, status or settings print.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  @DisplayName("Refused credentials in sentinel mode fail fast, say who refused them, leave no socket and never print the password")
  void refusedCredentialsFailFastWithoutStormOrLeak(Refusal refusal) {
    try (SentinelTopology topology = SentinelTopology.start(refusal.auth())) {
      int sentinels = topology.sentinelCount();
      // The sentinels connect to each other a moment after they know of each other: count from then on.
      Await.until(() -> IntStream.range(0, sentinels).allMatch(i -> sentinelLinks(topology, i) == sentinels - 1),
          RECOVERY, "every sentinel to be connected to by the two others");
      long[] receivedBefore = IntStream.range(0, sentinels).mapToLong(i -> connectionsReceived(topology, i)).toArray();
      String urls = refusal.password() == null ? topology.sentinelUrls()
          : topology.sentinelUrls(refusal.user(), refusal.password());
      try (LayerHarness layer = new LayerHarness(sentinelMode(urls))) {
        Await.until(() -> layer.redis.health().authRejected(), Duration.ofSeconds(10), "credentials refused");
        long started = System.nanoTime();
        RedisFailure failure = LayerHarness.failureOf(
            layer.redis.send(Request.cmd(Command.GET).arg("k"), true, Deadline.inMillis(10_000)));
        long failedAfterMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(failure.getMessage()).contains("refused the configured credentials");
        // Not retried while the credentials stand refused: it fails long before its 10 s deadline.
        assertThat(failedAfterMs).as("ms until the call failed").isLessThan(5_000);
        assertThat(layer.redis.health().ready()).isFalse();
        String whoRefused = refusal.sentinelsRefuse() ? "Redis sentinels refused the configured credentials"
            : "Redis refused the configured credentials";
        Await.until(() -> !logged(whoRefused).isEmpty(), Duration.ofSeconds(10), "the log line: " + whoRefused);
        assertThat(events()).filteredOn(e -> e.getLevel() == Level.ERROR)
            .as("one ERROR line for all four connections").hasSize(1);
        if (refusal.sentinelsRefuse()) {
          for (int port : ports(topology)) {
            Await.until(() -> !logged("Redis sentinel redis://127.0.0.1:" + port + " refused").isEmpty(),
                Duration.ofSeconds(10), "the log line naming the sentinel on port " + port);
          }
        } else {
          // A sentinel without a password takes any password: the polls still name the master.
          Await.until(() -> mastersNamed(layer).equals(List.of(address(topology.master()))), RECOVERY,
              "the sentinel polls to name the master");
        }

        // Sockets of refused handshakes close after their read-idle timeout; what stays open serves (the
        // polls and subscriptions of sentinels that accept the login). Nothing is tried again meanwhile.
        int kept = refusal.sentinelsRefuse() ? 0 : 2;
        Await.until(() -> IntStream.range(0, sentinels).allMatch(i -> layerClients(topology, i) == kept),
            RECOVERY, "every sentinel to hold " + kept + " connections of the layer");
        Await.until(() -> topology.dataNodes().stream().allMatch(n -> layerClients(n) == 0), RECOVERY,
            "no data node holding a connection of the layer");
        for (int i = 0; i < sentinels; i++) {
          // The first round: the layer's connections (four, which may share one topology read) and the
          // watch's poll and subscription; without the retry delay there would be two more every 2 s.
          assertThat(connectionsReceived(topology, i) - receivedBefore[i])
              .as("connections the sentinel on port " + ports(topology).get(i) + " received").isLessThanOrEqualTo(8);
        }
        assertThat(logged("could not connect")).as("one warning per connection, each on one line")
            .hasSizeLessThanOrEqualTo(layer.redis.settings().connections())
            .allSatisfy(line -> assertThat(line).doesNotContain("\n"));
        assertThat(failure.getMessage()).doesNotContain(PASSWORD).doesNotContain(WRONG);
        assertNoSecretIn(layer, PASSWORD);
        assertNoSecretIn(layer, WRONG);
      }
    }
    assertNoSecretLogged(PASSWORD);
    assertNoSecretLogged(WRONG);
  }

  /** Who logs in with what: the topology's {@link Auth}, and the user in the URL (null: the default user). */
  record Login(Auth auth, String user) {
  }

  /**
   * A refused login: the topology's {@link Auth}; the user and password in the URL (password null: no
   * credentials); whether the sentinels refuse them (else the data nodes do).
   */
  record Refusal(Auth auth, String user, String password, boolean sentinelsRefuse) {
  }

  private static RedisSettings sentinelMode(String urls) {
    return RedisSettings.fromJson(LayerHarness.fastJson(urls)
        .put("mode", "sentinel").put("masterName", SentinelTopology.MASTER_NAME)
        .put("durability", new JsonObject().put("replicas", 2).put("waitTimeoutMs", 150)));
  }

  private static List<String> mastersNamed(LayerHarness layer) {
    return layer.redis.topology().masters().stream().map(Node::address).toList();
  }

  private static String address(RedisServer node) {
    return RedisServer.HOST + ":" + node.port();
  }

  /** Normal clients of a data node other than the sentinels' ({@code name=sentinel-…}) and the fixture's. */
  private static long layerClients(RedisServer node) {
    return node.clientList().stream().filter(c -> c.contains(" flags=N ") && !c.contains(" name=sentinel-")).count();
  }

  private static List<Integer> ports(SentinelTopology topology) {
    return IntStream.range(0, topology.sentinelCount())
        .mapToObj(i -> Integer.parseInt(info(topology, i, "server", "tcp_port"))).toList();
  }

  /** Clients of a sentinel other than the other sentinels and the fixture (the one running CLIENT LIST). */
  private static long layerClients(SentinelTopology topology, int sentinel) {
    return clientsOf(topology, sentinel).stream()
        .filter(c -> !c.contains(" name=sentinel-") && !c.contains(" cmd=client")).count();
  }

  /** Connections the other sentinels opened to this one ({@code name=sentinel-<id>-cmd}). */
  private static long sentinelLinks(SentinelTopology topology, int sentinel) {
    return clientsOf(topology, sentinel).stream().filter(c -> c.contains(" name=sentinel-")).count();
  }

  private static List<String> clientsOf(SentinelTopology topology, int sentinel) {
    return topology.sentinelCommand(sentinel, "CLIENT", "LIST").lines().filter(line -> !line.isBlank()).toList();
  }

  private static long connectionsReceived(SentinelTopology topology, int sentinel) {
    return Long.parseLong(info(topology, sentinel, "stats", "total_connections_received"));
  }

  private static String info(SentinelTopology topology, int sentinel, String section, String field) {
    return topology.sentinelCommand(sentinel, "INFO", section).lines()
        .filter(line -> line.startsWith(field + ":")).map(line -> line.substring(field.length() + 1).trim())
        .findFirst().orElseThrow(() -> new AssertionError("no " + field + " in INFO " + section));
  }

  /** The age in seconds of the oldest subscribed client of sentinel {@code i} (-1 when none). */
  private static long subscribedFor(SentinelTopology topology, int sentinel) {
    long oldest = -1;
    for (String client : clientsOf(topology, sentinel)) {
      long subscriptions = field(client, "sub");
      if (subscriptions > 0) {
        oldest = Math.max(oldest, field(client, "age"));
      }
    }
    return oldest;
  }

  private static long field(String clientLine, String name) {
    for (String pair : clientLine.split(" ")) {
      if (pair.startsWith(name + "=")) {
        return Long.parseLong(pair.substring(name.length() + 1));
      }
    }
    return -1;
  }

  private List<String> logged(String text) {
    return logs.containing(text);
  }

  private List<ILoggingEvent> events() {
    return logs.events();
  }

  private static void assertNoSecretIn(LayerHarness layer, String secret) {
    for (String form : forms(secret)) {
      assertThat(layer.redis.settings().toString()).doesNotContain(form);
      assertThat(layer.redis.health().toJson().encode()).doesNotContain(form);
      assertThat(layer.redis.topology().toJson().encode()).doesNotContain(form);
    }
  }

  private void assertNoSecretLogged(String secret) {
    for (String form : forms(secret)) {
      assertThat(events()).allSatisfy(event -> {
        assertThat(event.getFormattedMessage()).doesNotContain(form);
        if (event.getThrowableProxy() != null) {
          assertThat(event.getThrowableProxy().getMessage()).doesNotContain(form);
        }
      });
    }
  }

  /** The password as it is and as it stands in a URL. */
  private static List<String> forms(String secret) {
    return List.of(secret, URLEncoder.encode(secret, StandardCharsets.UTF_8));
  }
}
