package chatworker.bench;

import static chatworker.bench.BenchSupport.round3;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * What the worker processes did in a measured window, read before and after it: their CPU
 * (/proc/PID/stat), where their logs were (the access log's lines of the window lie between), and
 * the API's request timer {@code chatworker_http_requests_seconds} from each one's {@code /metrics}.
 * {@link #between} makes the window's figures of it. Blocking: for the main thread.
 */
record WorkerSample(double cpuSeconds, List<Long> logLengths, JsonObject timerCounts, JsonObject timerSums) {

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final Pattern TIMER = Pattern.compile(
      "^chatworker_http_requests_seconds_(count|sum)\\{(.*)\\} ([0-9.eE+-]+)$", Pattern.MULTILINE);
  private static final Pattern ROUTE_LABEL = Pattern.compile("route=\"([^\"]*)\"");
  private static final Pattern ACCESS = Pattern.compile("\"route\":\"([^\"]+)\".*\"durationMs\":([0-9.]+)");

  /**
   * Reads the workers; {@code windowStarts}: before the window. Their {@code /metrics} are scraped
   * outside the window (before their CPU is read at its start, after it at its end), so that the
   * scrapes' own CPU is not charged to the jobs.
   */
  static WorkerSample read(List<WorkerCluster.Worker> workers, boolean windowStarts)
      throws IOException, InterruptedException {
    JsonObject counts = new JsonObject();
    JsonObject sums = new JsonObject();
    if (windowStarts) {
      scrape(workers, counts, sums);
    }
    double cpu = 0;
    List<Long> lengths = new ArrayList<>();
    for (WorkerCluster.Worker worker : workers) {
      cpu += Counters.processCpuSeconds(worker.process().pid());
      lengths.add(Files.size(worker.log()));
    }
    if (!windowStarts) {
      scrape(workers, counts, sums);
    }
    return new WorkerSample(cpu, lengths, counts, sums);
  }

  /** The API timer's count and sum per route, summed over the workers. */
  private static void scrape(List<WorkerCluster.Worker> workers, JsonObject counts, JsonObject sums)
      throws IOException, InterruptedException {
    for (WorkerCluster.Worker worker : workers) {
      String metrics = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + worker.httpPort() + "/metrics"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
      Matcher m = TIMER.matcher(metrics);
      while (m.find()) {
        Matcher route = ROUTE_LABEL.matcher(m.group(2));
        if (route.find()) {
          JsonObject into = m.group(1).equals("count") ? counts : sums;
          into.put(route.group(1), into.getDouble(route.group(1), 0.0) + Double.parseDouble(m.group(3)));
        }
      }
    }
  }

  /**
   * The window's figures: the workers' CPU per job (µs), and for {@code route} (null: none) the mean
   * time the API's timer saw per request and, from the access-log lines the workers wrote in the
   * window, that time's p50 and p99 (ms; absent when the access log is off).
   */
  static JsonObject between(WorkerSample before, WorkerSample after, List<WorkerCluster.Worker> workers, long jobs,
      String route) throws IOException {
    JsonObject out = new JsonObject()
        .put("workersCpuUsPerJob", round3((after.cpuSeconds - before.cpuSeconds) * 1e6 / Math.max(1, jobs)))
        .put("workersCpuSeconds", round3(after.cpuSeconds - before.cpuSeconds));
    if (route == null) {
      return out;
    }
    double count = after.timerCounts.getDouble(route, 0.0) - before.timerCounts.getDouble(route, 0.0);
    double sum = after.timerSums.getDouble(route, 0.0) - before.timerSums.getDouble(route, 0.0);
    out.put("serverRequests", Math.round(count)).put("serverMeanMs", count == 0 ? null : round3(sum * 1000 / count));
    Histogram server = new Histogram(60_000_000L, 3); // µs
    for (int i = 0; i < workers.size(); i++) {
      for (String line : linesBetween(workers.get(i), before.logLengths.get(i), after.logLengths.get(i))) {
        Matcher m = ACCESS.matcher(line);
        if (m.find() && m.group(1).equals(route)) {
          server.recordValue(Math.min(60_000_000L, Math.round(Double.parseDouble(m.group(2)) * 1000)));
        }
      }
    }
    if (server.getTotalCount() > 0) {
      out.put("accessLogLines", server.getTotalCount())
          .put("serverP50Ms", server.getValueAtPercentile(50) / 1000.0)
          .put("serverP99Ms", server.getValueAtPercentile(99) / 1000.0);
    }
    return out;
  }

  private static List<String> linesBetween(WorkerCluster.Worker worker, long from, long to) throws IOException {
    try (RandomAccessFile file = new RandomAccessFile(worker.log().toFile(), "r")) {
      byte[] bytes = new byte[(int) (to - from)];
      file.seek(from);
      file.readFully(bytes);
      return List.of(new String(bytes, StandardCharsets.UTF_8).split("\n"));
    }
  }
}
