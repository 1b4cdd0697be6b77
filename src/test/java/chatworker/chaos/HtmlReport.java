package chatworker.chaos;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code report.html}: one self-contained page (inline SVG and CSS, no script, no network) with
 * throughput, p50/p99 latency and failures by code per second, the faults drawn as bands, and the
 * summary table.
 */
final class HtmlReport {

  private static final int W = 1120;
  private static final int H = 200;
  private static final int L = 60;
  private static final int R = 20;
  private static final int T = 14;
  private static final int B = 24;
  private static final Map<String, String> CODE_COLORS = Map.ofEntries(
      Map.entry("NO_ANSWER", "#000000"), Map.entry("STORE_UNAVAILABLE", "#d62728"),
      Map.entry("TIMEOUT", "#ff7f0e"), Map.entry("CANCELLED", "#9467bd"), Map.entry("CHAT_LOCKED", "#8c564b"),
      Map.entry("JOB_IN_PROGRESS", "#e377c2"), Map.entry("OVERLOADED", "#bcbd22"),
      Map.entry("INTERNAL", "#7f7f7f"), Map.entry("MODEL_ERROR", "#17becf"),
      Map.entry("NOT_FOUND", "#1f77b4"), Map.entry("INVALID_REQUEST", "#aec7e8"));

  private HtmlReport() {}

  static String render(JsonObject summary, List<JsonObject> buckets, JsonArray faults) {
    StringBuilder html = new StringBuilder();
    boolean pass = summary.getBoolean("pass");
    html.append("<!doctype html><html><head><meta charset=\"utf-8\">")
        .append("<title>chat-worker chaos run</title><style>")
        .append("body{font:14px system-ui,sans-serif;margin:16px;color:#222}")
        .append("h1{font-size:20px;margin:0 0 4px}")
        .append("h2{font-size:15px;margin:14px 0 2px}table{border-collapse:collapse;margin-top:6px}")
        .append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}")
        .append("td:first-child,th:first-child{text-align:left}")
        .append(".pass{color:#fff;background:#2ca02c;padding:2px 8px}")
        .append(".fail{color:#fff;background:#d62728;padding:2px 8px}.legend span{margin-right:14px}")
        .append("svg{display:block}</style></head><body>");
    html.append("<h1>chat-worker chaos run <span class=\"").append(pass ? "pass\">PASS" : "fail\">FAIL")
        .append("</span></h1>")
        .append("<div>").append(esc("Redis " + summary.getString("redis") + " (durability "
            + summary.getInteger("durabilityReplicas") + "), " + summary.getInteger("nodes") + " nodes, "
            + summary.getInteger("users")
            + " users via " + summary.getString("via", "eventbus") + ", "
            + summary.getInteger("durationSeconds") + " s, faults: " + summary.getJsonArray("faults").encode()
            + " — lost " + summary.getLong("lost") + ", cross-talk " + summary.getLong("crossTalk")
            + ", duplicates " + summary.getLong("duplicates") + ", acknowledged-but-missing "
            + summary.getLong("ackedButMissing") + ", leaked locks " + summary.getLong("leakedLocks")))
        .append("</div>");
    long maxT = buckets.size();
    html.append("<h2>Throughput (requests answered per second)</h2>")
        .append(legend(Map.of("succeeded", "#2ca02c", "failed", "#d62728")))
        .append(lineChart(buckets, maxT, faults, List.of("succeeded", "failed"),
            List.of("#2ca02c", "#d62728"), false));
    html.append("<h2>Latency of answered requests (ms, log scale)</h2>")
        .append(legend(Map.of("p50", "#1f77b4", "p99", "#ff7f0e")))
        .append(lineChart(buckets, maxT, faults, List.of("p50", "p99"), List.of("#1f77b4", "#ff7f0e"), true));
    TreeSet<String> codes = new TreeSet<>();
    buckets.forEach(b -> codes.addAll(b.getJsonObject("codes").fieldNames()));
    html.append("<h2>Failures by code per second (stacked)</h2>");
    Map<String, String> codeLegend = new java.util.TreeMap<>();
    codes.forEach(c -> codeLegend.put(c, color(c)));
    html.append(legend(codeLegend)).append(stackedChart(buckets, maxT, faults, codes));
    html.append("<h2>Summary</h2>").append(summaryTable(summary));
    html.append("<h2>Faults</h2>").append(faultTable(faults));
    html.append("</body></html>\n");
    return html.toString();
  }

  private static String lineChart(List<JsonObject> buckets, long maxT, JsonArray faults, List<String> fields,
      List<String> colors, boolean log) {
    double max = 1;
    for (JsonObject b : buckets) {
      for (String f : fields) {
        max = Math.max(max, b.getLong(f));
      }
    }
    double top = log ? Math.pow(10, Math.ceil(Math.log10(max + 1))) : niceCeil(max);
    StringBuilder svg = open(maxT, faults);
    yAxis(svg, top, log);
    for (int i = 0; i < fields.size(); i++) {
      StringBuilder points = new StringBuilder();
      for (JsonObject b : buckets) {
        double v = b.getLong(fields.get(i));
        points.append(fmt(x(b.getInteger("t") + 0.5, maxT))).append(',')
            .append(fmt(y(v, top, log))).append(' ');
      }
      svg.append("<polyline fill=\"none\" stroke-width=\"1.6\" stroke=\"").append(colors.get(i))
          .append("\" points=\"")
          .append(points).append("\"/>");
    }
    return svg.append("</svg>").toString();
  }

  private static String stackedChart(List<JsonObject> buckets, long maxT, JsonArray faults,
      TreeSet<String> codes) {
    double max = 1;
    for (JsonObject b : buckets) {
      max = Math.max(max, b.getLong("failed"));
    }
    double top = niceCeil(max);
    StringBuilder svg = open(maxT, faults);
    yAxis(svg, top, false);
    double bw = Math.max(1, (W - L - R) / (double) maxT - 1);
    for (JsonObject b : buckets) {
      double base = 0;
      for (String code : codes) {
        long n = b.getJsonObject("codes").getLong(code, 0L);
        if (n == 0) {
          continue;
        }
        double y0 = y(base, top, false);
        double y1 = y(base + n, top, false);
        svg.append("<rect x=\"").append(fmt(x(b.getInteger("t"), maxT))).append("\" y=\"").append(fmt(y1))
            .append("\" width=\"").append(fmt(bw)).append("\" height=\"").append(fmt(y0 - y1))
            .append("\" fill=\"").append(color(code)).append("\"><title>").append(code).append(": ").append(n)
            .append("</title></rect>");
        base += n;
      }
    }
    return svg.append("</svg>").toString();
  }

  /** The frame: x axis in seconds and the fault bands with their names. */
  private static StringBuilder open(long maxT, JsonArray faults) {
    StringBuilder svg = new StringBuilder("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + W
        + "\" height=\"" + H
        + "\" viewBox=\"0 0 " + W + " " + H + "\">");
    for (int i = 0; i < faults.size(); i++) {
      JsonObject f = faults.getJsonObject(i);
      double x0 = x(f.getLong("startMs") / 1000.0, maxT);
      double x1 = Math.max(x0 + 2, x(f.getLong("healMs") / 1000.0, maxT));
      svg.append("<rect x=\"").append(fmt(x0)).append("\" y=\"").append(T).append("\" width=\"")
          .append(fmt(x1 - x0))
          .append("\" height=\"").append(H - T - B).append("\" fill=\"#f5c542\" fill-opacity=\"0.28\"/>")
          .append("<text x=\"").append(fmt(x0 + 2)).append("\" y=\"").append(T + 10)
          .append("\" font-size=\"10\" fill=\"#8a6d00\">").append(esc(f.getString("fault")))
          .append("</text>");
      if (f.getLong("endMs", 0L) > f.getLong("healMs")) {
        // Healed, but not over: a restarted node not ready yet, a killed master not back as a replica yet.
        double x2 = x(f.getLong("endMs") / 1000.0, maxT);
        svg.append("<rect x=\"").append(fmt(x1)).append("\" y=\"").append(T).append("\" width=\"")
            .append(fmt(Math.max(0, x2 - x1))).append("\" height=\"").append(H - T - B)
            .append("\" fill=\"#f5c542\" fill-opacity=\"0.12\"/>");
      }
    }
    svg.append("<line x1=\"").append(L).append("\" y1=\"").append(H - B).append("\" x2=\"").append(W - R)
        .append("\" y2=\"").append(H - B).append("\" stroke=\"#444\"/>");
    long step = maxT <= 80 ? 10 : maxT <= 200 ? 20 : 60;
    for (long t = 0; t <= maxT; t += step) {
      svg.append("<text x=\"").append(fmt(x(t, maxT))).append("\" y=\"").append(H - 8)
          .append("\" font-size=\"10\" text-anchor=\"middle\">").append(t).append(" s</text>");
    }
    return svg;
  }

  private static void yAxis(StringBuilder svg, double top, boolean log) {
    svg.append("<line x1=\"").append(L).append("\" y1=\"").append(T).append("\" x2=\"").append(L)
        .append("\" y2=\"")
        .append(H - B).append("\" stroke=\"#444\"/>");
    if (log) {
      for (double v = 1; v <= top; v *= 10) {
        tick(svg, v, y(v, top, true));
      }
    } else {
      for (int i = 0; i <= 4; i++) {
        tick(svg, top * i / 4, y(top * i / 4, top, false));
      }
    }
  }

  private static void tick(StringBuilder svg, double v, double y) {
    svg.append("<line x1=\"").append(L).append("\" x2=\"").append(W - R).append("\" y1=\"").append(fmt(y))
        .append("\" y2=\"").append(fmt(y)).append("\" stroke=\"#ddd\"/><text x=\"").append(L - 4)
        .append("\" y=\"").append(fmt(y + 3)).append("\" font-size=\"10\" text-anchor=\"end\">")
        .append((long) v).append("</text>");
  }

  private static String summaryTable(JsonObject s) {
    StringBuilder t = new StringBuilder("<table><tr><th>measure</th><th>value</th></tr>");
    JsonObject req = s.getJsonObject("requests");
    row(t, "requests sent", req.getValue("sent"));
    row(t, "answered", req.getValue("answered"));
    row(t, "succeeded", req.getValue("succeeded"));
    req.getJsonObject("failedByCode").forEach(e -> row(t, "failed: " + e.getKey(), e.getValue()));
    row(t, "generates resent after the faults (no answer before)", s.getValue("resentAtEnd"));
    for (String k : List.of("lost", "crossTalk", "duplicates", "ackedButMissing", "ackedButMissingInRedis",
        "leakedLocks", "faultErrors")) {
      row(t, "<b>" + k + "</b>", "<b>" + s.getValue(k) + "</b>");
    }
    row(t, "lock keys still there one lease later", s.getValue("locksAfterLease"));
    row(t, "jobs answered TIMEOUT/CANCELLED away from faults whose record still says running",
        s.getValue("staleRunningRecords"));
    JsonObject conn = s.getJsonObject("redisConnections");
    row(t, "Redis connections at the end / configured pools",
        conn.getValue("atEnd") + " / " + conn.getValue("configured"));
    return t.append("</table>").toString();
  }

  private static String faultTable(JsonArray faults) {
    StringBuilder t = new StringBuilder("<table><tr><th>fault</th><th>start s</th><th>healed s</th>"
        + "<th>fault → first success ms</th><th>fault → ≥ 80 % ms</th>"
        + "<th>heal → first success ms</th><th>heal → ≥ 80 % ms</th><th>details</th></tr>");
    List<String> columns = List.of("faultToFirstSuccessMs", "faultToFullThroughputMs", "healToFirstSuccessMs",
        "healToFullThroughputMs");
    for (int i = 0; i < faults.size(); i++) {
      JsonObject f = faults.getJsonObject(i).copy();
      t.append("<tr><td>").append(esc(f.getString("fault"))).append("</td><td>")
          .append(String.format(Locale.ROOT, "%.1f", f.getLong("startMs") / 1000.0)).append("</td><td>")
          .append(String.format(Locale.ROOT, "%.1f", f.getLong("healMs") / 1000.0)).append("</td>");
      columns.forEach(k -> t.append("<td>").append(f.getValue(k)).append("</td>"));
      t.append("<td>");
      for (String k : List.of("fault", "startMs", "healMs")) {
        f.remove(k);
      }
      columns.forEach(f::remove);
      t.append(esc(f.encode())).append("</td></tr>");
    }
    return t.append("</table>").toString();
  }

  private static void row(StringBuilder t, String k, Object v) {
    t.append("<tr><td>").append(k).append("</td><td>").append(v).append("</td></tr>");
  }

  private static String legend(Map<String, String> entries) {
    StringBuilder l = new StringBuilder("<div class=\"legend\">");
    new java.util.TreeMap<>(entries).forEach((k, c) -> l.append("<span><b style=\"color:").append(c)
        .append("\">&#9632;</b> ").append(esc(k)).append("</span>"));
    return l.append("<span><b style=\"color:#f5c542\">&#9632;</b> fault</span></div>").toString();
  }

  private static String color(String code) {
    return CODE_COLORS.getOrDefault(code, "#555555");
  }

  private static double x(double t, long maxT) {
    return L + (W - L - R) * t / Math.max(1, maxT);
  }

  private static double y(double v, double top, boolean log) {
    double frac = log ? Math.log10(Math.max(1, v)) / Math.log10(top) : v / top;
    return H - B - (H - T - B) * Math.min(1, frac);
  }

  private static double niceCeil(double v) {
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * p >= v) {
        return m * p;
      }
    }
    return 10 * p;
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
