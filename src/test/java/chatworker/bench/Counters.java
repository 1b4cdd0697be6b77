package chatworker.bench;

import static chatworker.bench.BenchSupport.round3;

import chatworker.testing.RedisServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a measured window is charged with: Redis's calls per command ({@code INFO commandstats}) and
 * CPU ({@code INFO cpu}), this JVM's CPU (the node and its load generator) and the machine's busy
 * and total jiffies from /proc/stat (others' work included: the machine is shared). Read it before
 * and after the window; the differences are the window's.
 */
record Counters(Map<String, Long> calls, double redisCpuSeconds, long processCpuNanos, long[] machine) {

  /** Jiffies per second in /proc/stat (USER_HZ, 100 on Linux). */
  private static final int USER_HZ = 100;

  /** The counters of one Redis server. */
  static Counters read(RedisServer redis) {
    return read(List.of(redis), List.of(redis));
  }

  /**
   * Calls summed over {@code commandsFrom}, Redis CPU over {@code cpuFrom}. A replica counts the
   * commands it replays from its master in its own commandstats: give it to {@code cpuFrom} only.
   */
  static Counters read(List<RedisServer> commandsFrom, List<RedisServer> cpuFrom) {
    Map<String, Long> calls = new TreeMap<>();
    for (RedisServer server : commandsFrom) {
      for (String line : server.command("INFO", "commandstats").split("\r?\n")) {
        if (line.startsWith("cmdstat_")) {
          int colon = line.indexOf(':');
          String fields = line.substring(colon + 1);
          String count = fields.substring("calls=".length(), fields.indexOf(','));
          calls.merge(line.substring("cmdstat_".length(), colon), Long.parseLong(count), Long::sum);
        }
      }
    }
    long processCpu = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
    return new Counters(calls, redisCpuSeconds(cpuFrom), processCpu, machineJiffies());
  }

  /** The CPU the servers have used since they started (user + system), in seconds. */
  static double redisCpuSeconds(List<RedisServer> servers) {
    double seconds = 0;
    for (RedisServer server : servers) {
      for (String line : server.command("INFO", "cpu").split("\r?\n")) {
        if (line.startsWith("used_cpu_sys:") || line.startsWith("used_cpu_user:")) {
          seconds += Double.parseDouble(line.substring(line.indexOf(':') + 1).trim());
        }
      }
    }
    return seconds;
  }

  /**
   * The CPU (user + system) that process {@code pid} (another JVM: a worker node) has used since it
   * started, in seconds, from /proc/PID/stat; NaN where there is none (off Linux, the process gone).
   */
  static double processCpuSeconds(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // After "pid (comm) ": state is the first field, utime the 12th and stime the 13th.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) USER_HZ;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /** Per job: Redis CPU, this process's CPU (microseconds); and how busy the machine was (%). */
  static JsonObject cpu(Counters before, Counters after, long jobs) {
    long busy = after.machine[0] - before.machine[0];
    long total = after.machine[1] - before.machine[1];
    return new JsonObject()
        .put("redisCpuUsPerJob", round3((after.redisCpuSeconds - before.redisCpuSeconds) * 1e6 / jobs))
        .put("clientCpuUsPerJob", round3((after.processCpuNanos - before.processCpuNanos) / 1e3 / jobs))
        .put("machineBusyPct", total == 0 ? null : Math.round(100.0 * busy / total));
  }

  /**
   * The share of the whole machine (all cores, %) that other processes used between the two reads:
   * its busy time less this JVM's CPU and {@code ownRedisSeconds}, the CPU of the Redis servers the
   * window was measured on. On a shared machine, what tells a slow round from a crowded one.
   */
  static double othersPct(Counters before, Counters after, double ownRedisSeconds) {
    long total = after.machine[1] - before.machine[1];
    if (total == 0) {
      return Double.NaN;
    }
    double busySeconds = (after.machine[0] - before.machine[0]) / (double) USER_HZ;
    double jvmSeconds = (after.processCpuNanos - before.processCpuNanos) / 1e9;
    return 100 * (busySeconds - jvmSeconds - ownRedisSeconds) * USER_HZ / total;
  }

  /** Per-command increase, health-check PINGs and our own INFO calls left out. */
  static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
    Map<String, Long> delta = new TreeMap<>();
    after.forEach((name, calls) -> {
      long d = calls - before.getOrDefault(name, 0L);
      if (d > 0 && !name.equals("ping") && !name.equals("info")) {
        delta.put(name, d);
      }
    });
    return delta;
  }

  /** busy and total jiffies of all CPUs ({@code cpu} line of /proc/stat); zeros where there is none. */
  private static long[] machineJiffies() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < f.length; i++) {
        total += Long.parseLong(f[i]);
      }
      long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]); // idle + iowait
      return new long[] {total - idle, total};
    } catch (IOException | RuntimeException e) {
      return new long[] {0, 0};
    }
  }
}
