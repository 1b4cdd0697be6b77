package chatworker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import chatworker.api.Addresses;
import chatworker.testing.Await;
import chatworker.testing.MemberCertificates;
import chatworker.testing.RedisExtension;
import chatworker.testing.TlsCertificates;
import chatworker.tls.PemFiles;
import chatworker.tls.TlsCheck;
import chatworker.tls.TlsRejectFilter;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Two nodes whose event bus is mutual TLS (node 0 also serves HTTPS), a client member with a certificate
 * from the cluster's CA, and two strangers that join the same Hazelcast cluster: one without any
 * certificate, one with a self-signed one. All clustered Vert.x instances in this JVM, real Redis.
 */
class EventBusTlsTest {

  private static final Duration START = Duration.ofSeconds(60);
  /** How long a stranger waits for an answer that must not come. */
  private static final long STRANGER_TIMEOUT_MS = 2_000;

  @RegisterExtension
  static RedisExtension redis = new RedisExtension();
  @TempDir
  static Path certDir;

  private static MemberCertificates certs;
  private static final List<ClusterMember> members = new ArrayList<>();
  private static List<ClusterMember> nodes;
  private static ClusterMember client;
  private static ClusterMember plain;
  private static ClusterMember selfSigned;

  /**
   * The loggers the rejected-handshake filter reads and writes, at WARN whatever an earlier test in this
   * JVM did to the root logger (submit quiets it to ERROR): Vert.x only logs a failed connect, which the
   * filter counts, when WARN is enabled.
   */
  private static final List<String> TLS_LOGGERS = List.of("chatworker.tls",
      "io.vertx.core.eventbus.impl.clustered.ClusteredEventBus", "io.vertx.core.net.impl.ConnectionBase");
  private static final Map<String, Level> levelsBefore = new HashMap<>();

  @BeforeAll
  static void startCluster() {
    assumeTrue(MemberCertificates.available(), "openssl and bash are needed");
    for (String name : TLS_LOGGERS) {
      Logger logger = (Logger) LoggerFactory.getLogger(name);
      levelsBefore.put(name, logger.getLevel());
      logger.setLevel(Level.WARN);
    }
    certs = MemberCertificates.generate(certDir, 2);
    String name = "cw-tls-" + UUID.randomUUID().toString().substring(0, 8);
    List<Integer> ports = FreePorts.loopback(5);
    List<Integer> nodePorts = ports.subList(0, 2);
    members.add(Await.await(ClusterMember.start(settings(name, ports.get(0), nodePorts, certs.node(0)), false), START));
    List<Future<ClusterMember>> joining = List.of(
        ClusterMember.start(settings(name, ports.get(1), nodePorts, certs.node(1)), false),
        ClusterMember.start(settings(name, ports.get(2), nodePorts, certs.client()), true),
        ClusterMember.start(settings(name, ports.get(3), nodePorts, null), true),
        ClusterMember.start(settings(name, ports.get(4), nodePorts, certs.selfSigned()), false));
    Await.await(Future.all(joining), START);
    joining.forEach(member -> members.add(member.result()));
    nodes = members.subList(0, 2);
    client = members.get(2);
    plain = members.get(3);
    selfSigned = members.get(4);
    for (ClusterMember member : members) {
      Await.until(() -> member.members().size() == 5, START, "every member to see all five");
    }
    Await.await(Future.all(nodes.get(0).deployNode(nodeConfig(certs.node(0), true)),
        nodes.get(1).deployNode(nodeConfig(certs.node(1), false))), START);
    awaitBothNodesServe();
  }

  /** Generates until replies came from both nodes: the client sees every node's consumers. */
  private static void awaitBothNodesServe() {
    String assistantId = call(Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "probe")).getString("id");
    String chatId = call(Addresses.CHATS_CREATE, new JsonObject().put("assistantId", assistantId)).getString("id");
    Set<String> seen = new HashSet<>();
    Await.until(() -> {
      seen.add(call(Addresses.GENERATE, new JsonObject().put("chatId", chatId).put("text", "probe")).getString("node"));
      return seen.size() == 2;
    }, START, "replies from both nodes");
  }

  @AfterAll
  static void closeMembers() {
    ClusterMember.closeAll(members);
    levelsBefore.forEach((name, level) -> ((Logger) LoggerFactory.getLogger(name)).setLevel(level));
  }

  private static ClusterSettings settings(String name, int port, List<Integer> nodePorts, PemFiles tls) {
    return ClusterMember.settings(name, port, nodePorts).withTls(tls);
  }

  /**
   * Verifies that members without a certificate from the cluster's CA, though in the Hazelcast cluster
   * and seeing every address, get no answer from any contract address (asking for existing data, and
   * writing), that nothing they sent changed Redis, and that the client with a CA-signed certificate
   * was served by both nodes all along.
   */
  @Test
  @DisplayName("Strangers without a CA-signed certificate get no reply and change nothing; the client is served")
  void strangersGetNothing() {
    String assistantId = call(Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "victim")).getString("id");
    String chatId = call(Addresses.CHATS_CREATE, new JsonObject().put("assistantId", assistantId)).getString("id");
    call(Addresses.GENERATE, new JsonObject().put("chatId", chatId).put("jobId", "victim-job").put("text", "secret"));
    String busyChat = call(Addresses.CHATS_CREATE, new JsonObject().put("assistantId", assistantId)).getString("id");
    Map<String, String> before = redisState(busyChat);

    AtomicBoolean strangersDone = new AtomicBoolean();
    Map<String, Integer> servedBy = new TreeMap<>();
    Future<Integer> served = keepGenerating(busyChat, strangersDone, servedBy);
    for (ClusterMember stranger : List.of(plain, selfSigned)) {
      List<Future<Object>> attempts = new ArrayList<>();
      contractRequests(assistantId, chatId).forEach((address, body) -> attempts.add(stranger.vertx().eventBus()
          .request(address, body, new DeliveryOptions().setSendTimeout(STRANGER_TIMEOUT_MS)).map(m -> m.body())));
      stranger.vertx().eventBus().publish(Addresses.GENERATE_CANCEL, new JsonObject().put("jobId", "victim-job"));
      Await.await(Future.join(attempts).otherwise(f -> null), START);
      for (Future<Object> attempt : attempts) {
        assertThat(attempt.failed()).as("a stranger's request answered with " + attempt.result()).isTrue();
        assertThat(attempt.cause()).isInstanceOf(ReplyException.class);
        assertThat(((ReplyException) attempt.cause()).failureType()).isEqualTo(ReplyFailure.TIMEOUT);
      }
    }
    strangersDone.set(true);
    int generates = Await.await(served, START);

    assertThat(redisState(busyChat)).as("Redis, but for the client's busy chat").isEqualTo(before);
    assertThat(servedBy.keySet()).as("nodes that served the client meanwhile")
        .containsExactlyInAnyOrder(nodes.get(0).nodeId(), nodes.get(1).nodeId());
    assertThat(generates).isEqualTo(servedBy.values().stream().mapToInt(Integer::intValue).sum());
  }

  /**
   * Verifies that a member that refuses the stranger's certificate sends it nothing, and that its failed
   * connects (one per burst of sends) are counted and logged as one line for that member, not one stack
   * trace each.
   */
  @Test
  @DisplayName("Sends to a stranger's consumer never reach it; the failed handshakes are counted, logged once")
  void strangersConsumerGetsNothing() {
    String address = "tls.test." + UUID.randomUUID();
    AtomicInteger received = new AtomicInteger();
    Await.await(selfSigned.vertx().eventBus().consumer(address, m -> received.incrementAndGet()).completion());
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    Logger tlsLog = (Logger) LoggerFactory.getLogger("chatworker.tls");
    tlsLog.addAppender(lines);
    try {
      long before = TlsRejectFilter.refusedByNode();
      for (int burst = 0; burst < 3; burst++) {
        Future<?> sent = client.vertx().eventBus().sender(address).write(new JsonObject().put("burst", burst));
        Await.until(sent::failed, START, "the write to the stranger to fail");
      }
      assertThat(TlsRejectFilter.refusedByNode() - before).isGreaterThanOrEqualTo(3);
      assertThat(received.get()).isZero();
      assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage)
          .filteredOn(line -> line.contains(selfSigned.nodeId())).hasSize(1)
          .allMatch(line -> line.contains("TLS handshake with member") && !line.contains("\n"));
    } finally {
      tlsLog.detachAppender(lines);
    }
  }

  /**
   * Verifies that node 0's port speaks HTTPS with the node's certificate: curl with the CA file and the
   * JDK's client trusting the CA get /status (which reports the encryption and the certificate's end) and
   * create through the API; plain HTTP to that port gets no answer.
   */
  @Test
  @DisplayName("HTTPS: /status and the API with curl --cacert and the JDK client; plain HTTP fails")
  void httpsServesStatusAndApi() throws Exception {
    int port = nodes.get(0).httpPort();
    HttpClient https = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .sslContext(TlsCertificates.trusting(certs.ca())).connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> status = https.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/status"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(status.statusCode()).isEqualTo(200);
    JsonObject tls = new JsonObject(status.body()).getJsonObject("tls");
    assertThat(tls.getBoolean("eventBus")).isTrue();
    assertThat(tls.getBoolean("https")).isTrue();
    assertThat(Instant.parse(tls.getString("certificateValidUntil"))).isEqualTo(
        TlsCheck.validUntil(certs.node(0).cert()));
    HttpResponse<String> metrics = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port
        + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(metrics.body()).contains("chatworker_cluster_tls_rejected_total{refused_by=\"node\"}");

    HttpClient plainHttp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest clearText = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/status"))
        .timeout(Duration.ofSeconds(10)).build();
    assertThatThrownBy(() -> plainHttp.send(clearText,
        HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);

    if (onPath("curl")) {
      assertThat(curl("--cacert", certs.ca().toString(), "https://127.0.0.1:" + port + "/status"))
          .contains("\"https\":true");
      assertThat(curl("--cacert", certs.ca().toString(), "-H", "content-type: application/json",
          "-d", "{\"name\":\"over https\"}", "-w", "\n%{http_code}", "https://localhost:" + port + "/v1/assistants"))
          .contains("\"name\":\"over https\"").endsWith("201");
    }
  }

  /**
   * Generates on {@code chatId} one after another until {@code stop}; each must succeed; answers how
   * many. Each reply starts the next from its own callback, and the last completes one promise: a chain of
   * composed futures thousands deep would overflow the stack when it completes.
   */
  private static Future<Integer> keepGenerating(String chatId, AtomicBoolean stop, Map<String, Integer> servedBy) {
    Promise<Integer> done = Promise.promise();
    generate(chatId, stop, servedBy, 0, done);
    return done.future();
  }

  private static void generate(String chatId, AtomicBoolean stop, Map<String, Integer> servedBy, int count,
      Promise<Integer> done) {
    if (stop.get()) {
      done.complete(count);
      return;
    }
    client.request(Addresses.GENERATE, new JsonObject().put("chatId", chatId).put("jobId", "good-" + count)
        .put("text", "turn " + count)).onComplete(reply -> {
          if (reply.failed()) {
            done.fail(reply.cause());
            return;
          }
          synchronized (servedBy) {
            servedBy.merge(reply.result().getString("node"), 1, Integer::sum);
          }
          generate(chatId, stop, servedBy, count + 1, done);
        });
  }

  /** One request per contract address that answers, aimed at the victim's data or writing new data. */
  private static Map<String, JsonObject> contractRequests(String assistantId, String chatId) {
    return Map.of(
        Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "rogue"),
        Addresses.ASSISTANTS_GET, new JsonObject().put("id", assistantId),
        Addresses.ASSISTANTS_DELETE, new JsonObject().put("id", assistantId),
        Addresses.CHATS_CREATE, new JsonObject().put("assistantId", assistantId),
        Addresses.CHATS_GET, new JsonObject().put("id", chatId),
        Addresses.MESSAGES_CREATE, new JsonObject().put("chatId", chatId).put("text", "rogue"),
        Addresses.MESSAGES_LIST, new JsonObject().put("chatId", chatId),
        Addresses.GENERATE, new JsonObject().put("chatId", chatId).put("jobId", "rogue-job").put("text", "rogue"),
        Addresses.JOBS_GET, new JsonObject().put("jobId", "victim-job"));
  }

  /**
   * Every key and its value (DUMP), but for the keys of {@code busyChat}, which the client writes to
   * meanwhile; the job-index hashes, which its jobs share, by their fields other than its jobs'
   * ({@code good-*}), and only where there are such fields.
   */
  private static Map<String, String> redisState(String busyChat) {
    Map<String, String> state = new TreeMap<>();
    for (String key : redis.server().command("KEYS", "*").split("\n")) {
      if (key.isEmpty() || key.contains("{" + busyChat + "}")) {
        continue;
      }
      String value = key.startsWith("cw:jobidx:")
          ? String.join(",", new TreeSet<>(Stream.of(redis.server().command("HKEYS", key).split("\n"))
              .filter(job -> !job.startsWith("good-")).toList()))
          : redis.server().command("DUMP", key);
      if (!value.isEmpty()) { // an index hash of the client's jobs alone is theirs
        state.put(key, value);
      }
    }
    return state;
  }

  private static JsonObject call(String address, JsonObject body) {
    return Await.await(client.request(address, body), START);
  }

  private static JsonObject nodeConfig(PemFiles tls, boolean https) {
    JsonObject http = new JsonObject().put("port", 0);
    if (https) {
      http.put("tls", new JsonObject().put("cert", tls.cert()).put("key", tls.key()));
    }
    return new JsonObject()
        .put("redis", new JsonObject().put("url", redis.server().url()))
        .put("http", http)
        .put("cluster", new JsonObject().put("tls", new JsonObject().put("cert", tls.cert()).put("key", tls.key())
            .put("ca", tls.ca())))
        .put("generation", new JsonObject().put("instances", 1).put("lockLeaseMs", 5_000))
        .put("shutdown", new JsonObject().put("drainTimeoutMs", 2_000));
  }

  private static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }

  private static String curl(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "10"));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor()).as("curl exit code; output: " + output).isZero();
    return output;
  }
}
