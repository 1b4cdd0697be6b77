package chatworker.chaos;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * How fast the service came back after each fault, from the ledger's successes:
 *
 * <ul>
 *   <li>the baseline: the median successes per second away from every fault (from 1 s before it starts
 *       to 2 s after its end);
 *   <li>from the fault's start: to the first success of a request sent after it started, and to the
 *       first one-second window (sliding by 100 ms) back at ≥ 80 % of the baseline once the rate has
 *       dipped below that (0 when it never dipped);
 *   <li>from the heal (the moment the fault itself was undone or over): to the first success, and to
 *       the first window at ≥ 80 % of the baseline.
 * </ul>
 *
 * <p>A fault record carries {@code startMs}, {@code healMs} and {@code endMs} (when everything the
 * fault did was over: a killed node ready again, a killed master back as a replica).
 */
final class Recovery {

  private static final double FULL = 0.8;
  private static final long WINDOW_MS = 1_000;
  private static final long STEP_MS = 100;

  private final List<Ledger.Event> successes;
  private final long[] okEnds;
  private final double baseline;

  private Recovery(List<Ledger.Event> successes, double baseline) {
    this.successes = successes;
    this.okEnds = successes.stream().mapToLong(Ledger.Event::endMs).toArray();
    this.baseline = baseline;
  }

  /** Each fault record, copied, with its recovery times and the baseline added. */
  static JsonArray of(Ledger ledger, long endMs) {
    List<Ledger.Event> ok = ledger.sortedEvents().stream().filter(e -> e.outcome().equals("OK")).toList();
    List<JsonObject> faults = new ArrayList<>(ledger.faults);
    Recovery r = new Recovery(ok, baseline(ok, faults, endMs));
    JsonArray result = new JsonArray();
    for (int i = 0; i < faults.size(); i++) {
      long limit = i + 1 < faults.size() ? faults.get(i + 1).getLong("startMs") : endMs;
      result.add(r.measure(faults.get(i).copy(), limit));
    }
    return result;
  }

  private JsonObject measure(JsonObject f, long limitMs) {
    long start = f.getLong("startMs");
    long heal = f.getLong("healMs");
    Long firstAfterStart = successes.stream().filter(e -> e.startMs() >= start).map(Ledger.Event::endMs)
        .min(Long::compare).orElse(null);
    Long firstAfterHeal = successes.stream().map(Ledger.Event::endMs).filter(t -> t >= heal)
        .findFirst().orElse(null);
    Long fullAfterHeal = firstFullWindow(heal, limitMs);
    return f.put("faultToFirstSuccessMs", firstAfterStart == null ? null : firstAfterStart - start)
        .put("faultToFullThroughputMs", fullAfterDip(start, f.getLong("endMs", heal), limitMs))
        .put("healToFirstSuccessMs", firstAfterHeal == null ? null : firstAfterHeal - heal)
        .put("healToFullThroughputMs", fullAfterHeal == null ? null : fullAfterHeal - heal)
        .put("baselinePerSecond", Math.round(baseline));
  }

  /**
   * From {@code start}: the first window under 80 % of the baseline that begins before the fault's end
   * (plus 2 s for the effect to show), then the first full window after it; 0 when the rate never
   * dipped, null when it did not come back before {@code limitMs}.
   */
  private Long fullAfterDip(long start, long endMs, long limitMs) {
    Long dip = null;
    for (long t = start; t + WINDOW_MS <= limitMs && t <= endMs + 2_000 && dip == null; t += STEP_MS) {
      if (count(t) < FULL * baseline) {
        dip = t;
      }
    }
    if (dip == null) {
      return 0L;
    }
    Long full = firstFullWindow(dip, limitMs);
    return full == null ? null : full - start;
  }

  /** The start of the first window at or after {@code from} with ≥ 80 % of the baseline, or null. */
  private Long firstFullWindow(long from, long limitMs) {
    for (long t = from; t + WINDOW_MS <= limitMs; t += STEP_MS) {
      if (count(t) >= FULL * baseline) {
        return t;
      }
    }
    return null;
  }

  /** Successes that ended in [t, t + 1 s). */
  private int count(long t) {
    return lowerBound(t + WINDOW_MS) - lowerBound(t);
  }

  private int lowerBound(long t) {
    int lo = 0;
    int hi = okEnds.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (okEnds[mid] < t) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private static double baseline(List<Ledger.Event> ok, List<JsonObject> faults, long endMs) {
    int seconds = (int) (endMs / 1000);
    int[] perSecond = new int[seconds + 1];
    ok.forEach(e -> perSecond[(int) Math.min(seconds, e.endMs() / 1000)]++);
    List<Integer> quiet = new ArrayList<>();
    for (int s = 2; s < seconds; s++) {
      long t0 = s * 1000L;
      boolean nearFault = faults.stream().anyMatch(f -> t0 + 1000 > f.getLong("startMs") - 1_000
          && t0 < f.getLong("endMs", f.getLong("healMs")) + 2_000);
      if (!nearFault) {
        quiet.add(perSecond[s]);
      }
    }
    quiet.sort(Integer::compare);
    return quiet.isEmpty() ? 0 : quiet.get(quiet.size() / 2);
  }
}
