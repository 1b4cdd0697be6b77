package chatworker.bench;

import static chatworker.testing.Await.await;

import chatworker.api.Addresses;
import chatworker.api.ApiException;
import chatworker.api.ErrorCode;
import chatworker.testing.Await;
import chatworker.testing.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * What the benchmarks share: their command line, their JSON lines on stdout, the figures those
 * lines carry (medians, rounding, the load average) and blocking on a Vert.x future from main.
 */
final class BenchSupport {

  private BenchSupport() {
  }

  /**
   * Hands stdout to the results alone: returns it, and points {@code System.out} at stderr, so that
   * logback's console appender and anything else that prints end up with the logs.
   */
  static PrintStream resultsStream() {
    PrintStream results = System.out;
    System.setOut(System.err);
    return results;
  }

  /**
   * {@code parse(args)}; when it rejects them, prints why and {@code usage} on stderr and exits with 2
   * (a bench that runs on arguments it misread wastes minutes).
   */
  static <S> S settingsOrExit(String[] args, Function<String[], S> parse, String usage) {
    try {
      return parse.apply(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println(usage);
      System.exit(2);
      throw e; // not reached
    }
  }

  /** A benchmark's body: may throw anything (it is reported, and the exit code is 1). */
  interface Run {
    void run() throws Exception;
  }

  /**
   * Runs {@code bench}, then {@code cleanUp} (also at a JVM shutdown, so that worker processes never
   * outlive an interrupted bench), and exits: 0, or 1 after printing what failed. Exits explicitly,
   * as Vert.x's threads would keep the JVM alive.
   */
  static void runAndExit(Run bench, Runnable cleanUpOnce) {
    java.util.concurrent.atomic.AtomicBoolean cleaned = new java.util.concurrent.atomic.AtomicBoolean();
    Runnable cleanUp = () -> {
      if (cleaned.compareAndSet(false, true)) {
        cleanUpOnce.run();
      }
    };
    Runtime.getRuntime().addShutdownHook(new Thread(cleanUp, "bench-clean-up"));
    int exit = 0;
    try {
      bench.run();
    } catch (Exception | AssertionError e) {
      e.printStackTrace();
      exit = 1;
    } finally {
      cleanUp.run();
    }
    System.exit(exit);
  }

  /**
   * {@code defaults} with the values {@code args} gives them, as {@code --name value} or
   * {@code --name=value}; fails on a name not in {@code defaults}, a missing value or a stray word.
   */
  static Map<String, String> options(String[] args, Map<String, String> defaults) {
    Map<String, String> values = new LinkedHashMap<>(defaults);
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument " + arg);
      }
      String name = arg.substring(2);
      String value;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new IllegalArgumentException("missing value for " + arg);
      }
      if (!values.containsKey(name)) {
        throw new IllegalArgumentException("unknown option --" + name);
      }
      values.put(name, value);
    }
    return values;
  }

  /**
   * The shipped conf/chat-worker.json (empty where there is none) with {@code redis.url} set, HTTP on
   * a free port and 2 generation instances. The shipped maxInFlight (448) is kept: 448 jobs x 4
   * commands (a start's pipeline) fit the ordinary part of the Redis layer's queue (7/8 x 4
   * connections x 512), so overload shows as OVERLOADED, not as a full Redis queue.
   */
  static JsonObject shippedNodeConfig(String redisUrl) throws IOException {
    Path shipped = Path.of("conf", "chat-worker.json");
    JsonObject config = Files.exists(shipped) ? new JsonObject(Files.readString(shipped)) : new JsonObject();
    config.put("redis", config.getJsonObject("redis", new JsonObject()).put("url", redisUrl));
    config.put("http", config.getJsonObject("http", new JsonObject()).put("port", 0));
    config.put("generation", config.getJsonObject("generation", new JsonObject()).put("instances", 2));
    return config;
  }

  /** Writes one result line and flushes it, so that a run cut short still leaves what it measured. */
  static void print(PrintStream results, JsonObject line) {
    results.println(line.encode());
    results.flush();
  }

  /** The median of {@code metric} over {@code runs} (the mean of the middle two for an even count). */
  static <T> double median(List<T> runs, ToDoubleFunction<T> metric) {
    double[] values = runs.stream().mapToDouble(metric).sorted().toArray();
    int mid = values.length / 2;
    return values.length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
  }

  static double round3(double value) {
    return Math.round(value * 1000) / 1000.0;
  }

  /**
   * The first {@code fields} fields of /proc/loadavg (1, 5 and 15 minute load, runnable/all tasks,
   * last pid), space separated: the other load on a shared machine, for the record. "?" off Linux.
   */
  static String loadAverage(int fields) {
    try {
      String[] all = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return String.join(" ", Arrays.copyOf(all, Math.min(fields, all.length)));
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  /** One progress line on stderr (stdout is for results). */
  static void log(String format, Object... args) {
    System.err.println("[bench] " + String.format(format, args));
  }

  /**
   * Empties Redis between phases without blocking it: a synchronous FLUSHALL of a phase's data took
   * Redis away for seconds, past the node's command timeout, so the node rightly dropped its
   * connections and the next phase met an open breaker. Waits until Redis has freed the data and a
   * store read through {@code on}'s event bus answers (a missing chat is NOT_FOUND, not 503).
   */
  static void flushAndWait(RedisServer redis, Vertx on) {
    redis.command("FLUSHALL", "ASYNC");
    Await.until(() -> !lazyFreePending(redis) && storeAnswers(on), Duration.ofSeconds(30),
        "Redis to free the flushed data and the node's store to answer");
  }

  /** Whether Redis is still freeing flushed data in the background ({@code lazyfree_pending_objects}). */
  static boolean lazyFreePending(RedisServer redis) {
    for (String line : redis.command("INFO", "memory").split("\n")) {
      if (line.startsWith("lazyfree_pending_objects:")) {
        return !line.substring(line.indexOf(':') + 1).trim().equals("0");
      }
    }
    return false;
  }

  private static boolean storeAnswers(Vertx on) {
    try {
      await(on.eventBus().request(Addresses.CHATS_GET, new JsonObject().put("id", "no-such-chat")), Duration.ofSeconds(10));
      return true;
    } catch (RuntimeException | AssertionError e) {
      return ApiException.fromReply(e).code() == ErrorCode.NOT_FOUND; // the store read Redis and found nothing
    }
  }
}
