package chatworker.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import chatworker.api.Addresses;
import chatworker.api.ApiException;
import chatworker.api.ErrorCode;
import chatworker.cluster.ClusterSettings;
import chatworker.cluster.EventBusSetup;
import chatworker.cluster.HazelcastSetup;
import chatworker.config.ConfigLoader;
import chatworker.tls.TlsCheck;
import chatworker.tls.TlsFileException;
import io.vertx.circuitbreaker.RetryPolicy;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar chat-worker.jar submit …}: joins the cluster as a lite member (holds no data, takes
 * no jobs), or with {@code --http URL} uses a node's HTTP API instead, and sends generates. One job:
 * prints the streamed text as it arrives and the final JSON. Many jobs ({@code --count}): spreads them
 * over new chats, resends each with its jobId until it completes, and prints a JSON summary.
 */
@Command(name = "submit", mixinStandardHelpOptions = true,
    description = "Sends chat.generate jobs to a chat-worker cluster (exit codes: README).")
public final class SubmitCommand implements Callable<Integer> {

  /** Failures a batch resends (same jobId) until its deadline: they pass. */
  private static final Set<ErrorCode> TRANSIENT = Set.of(ErrorCode.CHAT_LOCKED, ErrorCode.JOB_IN_PROGRESS,
      ErrorCode.OVERLOADED, ErrorCode.STORE_UNAVAILABLE, ErrorCode.TIMEOUT);

  @Option(names = "--conf", paramLabel = "FILE", description = "configuration file (cluster settings)")
  String confFile;
  @Option(names = "--http", paramLabel = "URL",
      description = "use this node's HTTP API (e.g. http://127.0.0.1:8080) instead of joining the cluster")
  String httpUrl;
  @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:CHATWORKER_API_KEY}",
      description = "with --http: the API key (default: $CHATWORKER_API_KEY; never printed)")
  String apiKey;
  @Option(names = "--chat-id", description = "an existing chat; default: a new assistant and chat")
  String chatId;
  @Option(names = "--text", description = "the user message to send with the generate")
  String text;
  @Option(names = "--job-id", description = "the idempotency key; default: a new UUID")
  String jobId;
  @Option(names = "--stream", description = "print the reply as it streams")
  boolean stream;
  @Option(names = "--timeout-ms", description = "the job's deadline")
  Long timeoutMs;
  @Option(names = "--token-delay-ms", defaultValue = "0", description = "builtin model's delay per word (new assistants)")
  int tokenDelayMs;
  @Option(names = "--count", defaultValue = "1", description = "how many generates (batch mode when > 1)")
  int count;
  @Option(names = "--chats", defaultValue = "10", description = "batch: spread over this many new chats")
  int chats;
  @Option(names = "--concurrency", defaultValue = "16", description = "batch: chats worked on at once")
  int concurrency;
  @Option(names = "--job-prefix", defaultValue = "job", description = "batch: jobIds are <prefix>-<n>")
  String jobPrefix;
  @Option(names = "--out", description = "batch: write one JSON line per job here")
  Path out;
  @Option(names = "--request-timeout-ms", defaultValue = "30000",
      description = "wait for one answer (over HTTP: at most this long without a byte)")
  long requestTimeoutMs;
  @Option(names = "--resends", defaultValue = "10", description = "resends of a generate that got no answer")
  int resends;
  @Option(names = "--give-up-after-ms", defaultValue = "180000", description = "batch: stop resending after this")
  long giveUpAfterMs;
  @Option(names = "--verbose", description = "also print the log (cluster membership, Hazelcast, Vert.x) on stderr")
  boolean verbose;

  private final PrintStream stdout = new PrintStream(System.out, true, StandardCharsets.UTF_8);

  @Override
  public Integer call() {
    if (!verbose) {
      quietLogs();
    }
    if (httpUrl != null) {
      return overHttp();
    }
    Vertx vertx;
    try {
      JsonObject config = loadConfig();
      ClusterSettings cluster = ClusterSettings.fromJson(config.getJsonObject("cluster", new JsonObject()));
      if (cluster.tls() != null) {
        TlsCheck.check(cluster.tls()); // a wrong file would otherwise mean requests that time out
      }
      VertxOptions options = EventBusSetup.configure(new VertxOptions(), cluster);
      // The main thread, not an event loop: waiting here blocks no one.
      vertx = Vertx.builder().with(options).withClusterManager(HazelcastSetup.clusterManager(cluster, true))
          .buildClustered().await();
    } catch (TlsFileException e) {
      System.err.println("chat-worker submit: cluster.tls: " + e.getMessage());
      return ExitCodes.SETUP;
    } catch (Exception e) {
      System.err.println("chat-worker submit: cannot join the cluster: " + e.getMessage());
      return ExitCodes.SETUP;
    }
    try {
      SubmitClient client = new SubmitClient(vertx, requestTimeoutMs, resends);
      return count > 1 ? batch(vertx, client) : single(client);
    } finally {
      vertx.close().await();
    }
  }

  /** The same commands through a node's HTTP API: a plain (not clustered) Vert.x for the client. */
  private int overHttp() {
    URI base;
    try {
      base = HttpSubmitClient.baseUri(httpUrl);
    } catch (IllegalArgumentException e) {
      System.err.println("chat-worker submit: --http: " + e.getMessage());
      return ExitCodes.USAGE;
    }
    Vertx vertx = Vertx.vertx();
    try {
      HttpSubmitClient client = new HttpSubmitClient(vertx, base, apiKey, requestTimeoutMs, resends,
          Math.max(5, concurrency));
      return count > 1 ? batch(vertx, client) : single(client);
    } finally {
      vertx.close().await();
    }
  }

  /**
   * Only errors reach the log: the lines a node logs for its operator (members joining and leaving,
   * Hazelcast's and Vert.x's notices) are not this command's output, which is its own lines alone.
   */
  private static void quietLogs() {
    if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof Logger root) {
      root.setLevel(Level.ERROR);
      for (String chatty : List.of("com.hazelcast", "io.netty")) {
        ((Logger) LoggerFactory.getLogger(chatty)).setLevel(null); // WARN in logback.xml: follow the root
      }
    }
  }

  private JsonObject loadConfig() throws Exception {
    Vertx bootstrap = Vertx.vertx();
    try {
      return ConfigLoader.load(bootstrap, ConfigLoader.chooseFile(confFile)).await();
    } finally {
      bootstrap.close();
    }
  }

  private int single(ContractClient client) {
    if (text == null) {
      System.err.println("chat-worker submit: --text is required");
      return ExitCodes.USAGE;
    }
    try {
      String chat = chatId != null ? chatId : newChat(client).await();
      JsonObject request = new JsonObject().put("chatId", chat).put("text", text);
      if (jobId != null) {
        request.put("jobId", jobId);
      }
      if (timeoutMs != null) {
        request.put("timeoutMs", timeoutMs);
      }
      ContractClient.Outcome outcome = client.generate(request, stream ? stdout::print : null).await();
      if (stream) {
        stdout.println();
      }
      if (outcome.noAnswer()) {
        System.err.println("no answer after " + outcome.resends() + " resends of job " + request.getString("jobId"));
        return ExitCodes.NO_ANSWER;
      }
      if (outcome.failure() != null) {
        System.err.println(outcome.failure().toJson().encode());
        return ExitCodes.of(outcome.failure().code());
      }
      stdout.println(outcome.reply().encode());
      return ExitCodes.OK;
    } catch (ApiException e) {
      System.err.println(e.toJson().encode());
      return ExitCodes.of(e.code());
    } catch (Exception e) {
      System.err.println("chat-worker submit: " + e.getMessage());
      return ExitCodes.NO_ANSWER;
    }
  }

  private Future<String> newChat(ContractClient client) {
    return client.request(Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "submit")
            .put("model", new JsonObject().put("options", new JsonObject().put("tokenDelayMs", tokenDelayMs))))
        .compose(assistant -> client.request(Addresses.CHATS_CREATE,
            new JsonObject().put("assistantId", assistant.getString("id"))))
        .map(chat -> chat.getString("id"));
  }

  /** Jobs per chat run one after another; {@code concurrency} chats at once. */
  private int batch(Vertx vertx, ContractClient client) {
    long started = System.nanoTime();
    List<String> chatIds = new ArrayList<>();
    for (int i = 0; i < chats; i++) {
      chatIds.add(newChat(client).await());
    }
    Map<ErrorCode, Integer> gaveUp = new EnumMap<>(ErrorCode.class);
    AtomicInteger succeeded = new AtomicInteger();
    AtomicInteger noAnswer = new AtomicInteger();
    AtomicInteger resent = new AtomicInteger();
    List<JsonObject> lines = new ArrayList<>();
    AtomicInteger nextChat = new AtomicInteger();
    long giveUpAt = System.nanoTime() + giveUpAfterMs * 1_000_000;
    RetryPolicy backoff = RetryPolicy.exponentialDelayWithJitter(50, 2_000);
    Promise<Void> done = Promise.promise();
    AtomicInteger runningChats = new AtomicInteger(Math.min(concurrency, chats));
    Runnable[] nextChatWork = new Runnable[1];
    nextChatWork[0] = () -> {
      int c = nextChat.getAndIncrement();
      if (c >= chats) {
        if (runningChats.decrementAndGet() == 0) {
          done.complete();
        }
        return;
      }
      List<Integer> jobs = new ArrayList<>();
      for (int n = c; n < count; n += chats) {
        jobs.add(n);
      }
      runJobs(vertx, client, chatIds.get(c), jobs, 0, 0, giveUpAt, backoff, succeeded, noAnswer, resent, gaveUp,
          lines, nextChatWork[0]);
    };
    vertx.runOnContext(v -> {
      for (int i = 0; i < Math.min(concurrency, chats); i++) {
        nextChatWork[0].run();
      }
    });
    done.future().await();
    JsonObject failedByCode = new JsonObject();
    gaveUp.forEach((code, n) -> failedByCode.put(code.name(), n));
    JsonObject summary = new JsonObject().put("jobs", count).put("chats", chats).put("succeeded", succeeded.get())
        .put("noAnswer", noAnswer.get()).put("resent", resent.get()).put("failedByCode", failedByCode)
        .put("durationMs", (System.nanoTime() - started) / 1_000_000);
    if (out != null) {
      try {
        Files.write(out, lines.stream().map(JsonObject::encode).toList(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        System.err.println("chat-worker submit: cannot write " + out + ": " + e.getMessage());
      }
    }
    stdout.println(summary.encode());
    return succeeded.get() == count ? ExitCodes.OK : 1;
  }

  private void runJobs(Vertx vertx, ContractClient client, String chat, List<Integer> jobs, int index, int tries,
      long giveUpAt, RetryPolicy backoff, AtomicInteger succeeded, AtomicInteger noAnswer, AtomicInteger resent,
      Map<ErrorCode, Integer> gaveUp, List<JsonObject> lines, Runnable whenDone) {
    if (index == jobs.size()) {
      whenDone.run();
      return;
    }
    String id = jobPrefix + "-" + jobs.get(index);
    JsonObject request = new JsonObject().put("chatId", chat).put("jobId", id).put("text", "message " + id);
    if (timeoutMs != null) {
      request.put("timeoutMs", timeoutMs);
    }
    if (tries == 0 && System.nanoTime() - giveUpAt >= 0) {
      // Past the give-up time: the remaining jobs are not sent at all (counted as no answer).
      noAnswer.incrementAndGet();
      synchronized (lines) {
        lines.add(new JsonObject().put("jobId", id).put("chatId", chat).put("status", "notSent"));
      }
      runJobs(vertx, client, chat, jobs, index + 1, 0, giveUpAt, backoff, succeeded, noAnswer, resent, gaveUp, lines,
          whenDone);
      return;
    }
    client.generate(request, null, giveUpAt).onComplete(ar -> {
      ContractClient.Outcome outcome = ar.result();
      resent.addAndGet(outcome.resends());
      boolean again = (outcome.noAnswer() || outcome.failure() != null && TRANSIENT.contains(outcome.failure().code()))
          && System.nanoTime() - giveUpAt < 0;
      if (again) {
        resent.incrementAndGet();
        vertx.setTimer(Math.max(1, backoff.delay(null, Math.min(tries + 1, 16))), t -> runJobs(vertx, client, chat,
            jobs, index, tries + 1, giveUpAt, backoff, succeeded, noAnswer, resent, gaveUp, lines, whenDone));
        return;
      }
      JsonObject line = new JsonObject().put("jobId", id).put("chatId", chat);
      if (outcome.reply() != null) {
        succeeded.incrementAndGet();
        line.put("status", "succeeded").put("node", outcome.reply().getString("node"))
            .put("text", outcome.reply().getJsonObject("message").getString("text"));
      } else if (outcome.noAnswer()) {
        noAnswer.incrementAndGet();
        line.put("status", "noAnswer");
      } else {
        synchronized (gaveUp) {
          gaveUp.merge(outcome.failure().code(), 1, Integer::sum);
        }
        line.put("status", "failed").put("error", outcome.failure().toJson());
      }
      synchronized (lines) {
        lines.add(line);
      }
      runJobs(vertx, client, chat, jobs, index + 1, 0, giveUpAt, backoff, succeeded, noAnswer, resent, gaveUp, lines,
          whenDone);
    });
  }
}
