package chatworker.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a worker's CPU went, from the execution samples of JFR recordings (a CPU profile without
 * async-profiler): each sample in the window is charged to the first of {@link #CATEGORIES} that has
 * a frame anywhere on its stack, so the shares add up to 100 %. Prints one JSON line.
 *
 * <pre>{@code
 * java -cp … chatworker.bench.JfrBreakdown --from 2026-12-06T08:00:00Z --to 2026-12-06T08:00:20Z \
 *     [--threads vert.x-eventloop] target/bench-http/worker-0.jfr target/bench-http/worker-1.jfr
 * }</pre>
 *
 * Record with {@code -XX:StartFlightRecording=settings=profile,filename=…}
 * {@code -XX:FlightRecorderOptions=stackdepth=256} (the default depth of 64 cuts the deep Netty and
 * router stacks, and their samples would fall to "other").
 */
public final class JfrBreakdown {

  /** Category → the frame prefixes (class names) that put a sample in it; first match wins. */
  static final Map<String, List<String>> CATEGORIES = categories();

  private JfrBreakdown() {}

  private static Map<String, List<String>> categories() {
    Map<String, List<String>> c = new LinkedHashMap<>();
    c.put("openapiValidation", List.of("io.vertx.openapi.", "io.vertx.json.schema."));
    c.put("accessLogAndLogging", List.of("chatworker.http.AccessLog", "ch.qos.logback."));
    c.put("metrics", List.of("io.micrometer.", "io.vertx.micrometer."));
    c.put("redisClient", List.of("io.vertx.redis.", "chatworker.redis."));
    c.put("generationAndStore", List.of("chatworker.generation.", "chatworker.store.", "chatworker.model.",
        "chatworker.chats.", "com.knuddels."));
    c.put("clusteredEventBus", List.of("io.vertx.core.eventbus.impl.clustered.", "io.vertx.core.eventbus.impl.codecs."));
    c.put("hazelcast", List.of("com.hazelcast.", "io.vertx.spi.cluster."));
    c.put("eventBus", List.of("io.vertx.core.eventbus."));
    c.put("json", List.of("com.fasterxml.jackson.", "io.vertx.core.json."));
    c.put("httpAndRouter", List.of("io.netty.handler.codec.http.", "io.vertx.core.http.", "io.vertx.ext.web.",
        "chatworker.http."));
    return c;
  }

  public static void main(String[] args) throws IOException {
    Instant from = Instant.MIN;
    Instant to = Instant.MAX;
    String threads = "";
    List<Path> files = new java.util.ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--from" -> from = Instant.parse(args[++i]);
        case "--to" -> to = Instant.parse(args[++i]);
        case "--threads" -> threads = args[++i];
        default -> files.add(Path.of(args[i]));
      }
    }
    Map<String, Long> counts = new LinkedHashMap<>();
    CATEGORIES.keySet().forEach(k -> counts.put(k, 0L));
    counts.put("other", 0L);
    long total = 0;
    for (Path file : files) {
      for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
        if (!event.getEventType().getName().equals("jdk.ExecutionSample") || event.getStackTrace() == null
            || event.getStartTime().isBefore(from) || event.getStartTime().isAfter(to)) {
          continue;
        }
        String thread = event.getThread("sampledThread") == null ? "" : event.getThread("sampledThread").getJavaName();
        if (thread == null || !thread.startsWith(threads)) {
          continue;
        }
        total++;
        counts.merge(category(event.getStackTrace().getFrames()), 1L, Long::sum);
      }
    }
    JsonObject shares = new JsonObject();
    long all = Math.max(1, total);
    counts.forEach((k, v) -> shares.put(k, Math.round(1000.0 * v / all) / 10.0));
    System.out.println(new JsonObject().put("jfr", "breakdown").put("samples", total).put("threads", threads)
        .put("from", from.toString()).put("to", to.toString()).put("sharePct", shares).encode());
  }

  private static String category(List<RecordedFrame> frames) {
    for (Map.Entry<String, List<String>> category : CATEGORIES.entrySet()) {
      for (RecordedFrame frame : frames) {
        String type = frame.getMethod().getType().getName();
        for (String prefix : category.getValue()) {
          if (type.startsWith(prefix)) {
            return category.getKey();
          }
        }
      }
    }
    return "other";
  }
}
