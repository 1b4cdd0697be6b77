package chatworker.chaos;

import chatworker.testing.FaultProxy;
import chatworker.testing.RedisServer;
import chatworker.testing.RespClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Runs the faults one after another on a plain thread, with a quiet gap before each, and records for
 * each one when it started and when it healed (milliseconds since the run started).
 */
final class FaultSchedule {

  private final ChaosOptions options;
  private final RedisServer redis;
  private final FaultProxy proxy;
  private final NodeFleet fleet;
  private final Ledger ledger;

  FaultSchedule(ChaosOptions options, RedisServer redis, FaultProxy proxy, NodeFleet fleet, Ledger ledger) {
    this.options = options;
    this.redis = redis;
    this.proxy = proxy;
    this.fleet = fleet;
    this.ledger = ledger;
  }

  /**
   * Faults after which every request must still succeed (besides those the users asked to fail): a
   * client that resends as the contract allows sees nothing of them.
   */
  static final Set<String> COST_NOTHING = Set.of("rolling-restart");

  /** Waiting for a node stopped by SIGTERM to exit: its drain (3 s here) and leaving the cluster. */
  private static final long STOP_TIMEOUT_MS = 60_000;
  private static final long READY_TIMEOUT_MS = 120_000;

  /** How long the faults themselves take, roughly, in seconds. */
  static int faultSeconds(List<String> faults, int longFault, int nodes) {
    int sum = 0;
    for (String f : faults) {
      sum += switch (f) {
        case "restart" -> 4;
        case "blackhole" -> 5;
        case "oom" -> 5;
        case "rolling-restart" -> 10 * nodes;
        default -> longFault;
      };
    }
    return sum;
  }

  /** Runs every fault, each after {@code gapMs} of quiet. */
  void run(long warmupMs, long gapMs) {
    NodeFleet.sleep(warmupMs);
    int nodeToKill = fleet.size() - 1;
    for (String fault : options.faults()) {
      JsonObject record = new JsonObject().put("fault", fault).put("startMs", ledger.nowMs());
      System.err.printf("chaos: t=%ds fault %s%n", ledger.nowMs() / 1000, fault);
      try {
        inject(fault, record, nodeToKill);
      } catch (RuntimeException e) {
        record.put("error", e.toString());
        proxy.heal();
      }
      if (!record.containsKey("healMs")) {
        record.put("healMs", ledger.nowMs());
      }
      System.err.printf("chaos: t=%ds healed %s %s%n", ledger.nowMs() / 1000, fault, record.encode());
      ledger.faults.add(record);
      NodeFleet.sleep(gapMs);
    }
  }

  private void inject(String fault, JsonObject record, int nodeToKill) {
    long longMs = options.longFaultSeconds() * 1000L;
    switch (fault) {
      case "restart" -> {
        redis.stop();
        NodeFleet.sleep(3_000);
        redis.restart();
        record.put("healMs", ledger.nowMs());
      }
      case "kill-clients" -> {
        int killed = 0;
        long end = System.currentTimeMillis() + longMs;
        while (System.currentTimeMillis() < end) {
          killed += redis.clientKillNormal();
          NodeFleet.sleep(1_000);
        }
        record.put("healMs", ledger.nowMs()).put("connectionsKilled", killed);
      }
      case "blackhole" -> {
        proxy.blackhole();
        NodeFleet.sleep(5_000);
        proxy.heal();
        record.put("healMs", ledger.nowMs());
      }
      case "slow" -> {
        proxy.latency(Duration.ofMillis(200));
        NodeFleet.sleep(longMs);
        proxy.heal();
        record.put("healMs", ledger.nowMs());
      }
      case "node-kill" -> {
        fleet.kill(nodeToKill);
        record.put("node", nodeToKill);
        NodeFleet.sleep(longMs);
        fleet.launch(nodeToKill);
        record.put("healMs", ledger.nowMs());
        fleet.awaitReady(nodeToKill, 60_000);
        record.put("nodeReadyMs", ledger.nowMs());
      }
      case "oom" -> oom(record);
      case "rolling-restart" -> rollingRestart(record);
      default -> throw new IllegalArgumentException(fault);
    }
  }

  /**
   * Each node in turn: SIGTERM, wait for it to exit, start it again, wait for its ready line; only
   * then the next one. Records per node its exit code and when it stopped and was ready again.
   */
  private void rollingRestart(JsonObject record) {
    JsonArray nodes = new JsonArray();
    for (int node = 0; node < fleet.size(); node++) {
      JsonObject step = new JsonObject().put("node", node).put("sigtermMs", ledger.nowMs());
      int exit = fleet.terminate(node, STOP_TIMEOUT_MS);
      step.put("exitCode", exit).put("exitedMs", ledger.nowMs());
      System.err.printf("chaos: t=%ds node %d exited %d after SIGTERM%n", ledger.nowMs() / 1000, node, exit);
      fleet.launch(node);
      fleet.awaitReady(node, READY_TIMEOUT_MS);
      step.put("readyMs", ledger.nowMs());
      nodes.add(step);
    }
    record.put("healMs", ledger.nowMs()).put("nodes", nodes)
        .put("cleanExits", nodes.stream().allMatch(n -> ((JsonObject) n).getInteger("exitCode") == 0));
  }

  /** Lowers maxmemory step by step until a write fails with OOM, holds it there, then restores it. */
  private void oom(JsonObject record) {
    String before = configValue("maxmemory");
    long used = Long.parseLong(info("used_memory"));
    long limit = used;
    boolean failing = false;
    for (int step = 0; step < 20 && !failing; step++) {
      redis.configSet("maxmemory", Long.toString(Math.max(1, limit)));
      try {
        redis.command("SET", "chaos:oom-probe", "x".repeat(1024));
      } catch (RespClient.ErrorReply e) {
        failing = e.getMessage().contains("OOM");
      }
      limit = limit * 9 / 10;
    }
    record.put("maxmemory", limit * 10 / 9).put("usedMemory", used).put("writesFailed", failing);
    NodeFleet.sleep(5_000);
    redis.configSet("maxmemory", before);
    redis.command("DEL", "chaos:oom-probe");
    record.put("healMs", ledger.nowMs());
  }

  private String configValue(String key) {
    String[] pair = redis.command("CONFIG", "GET", key).split("\n");
    return pair.length > 1 ? pair[1] : "0";
  }

  private String info(String field) {
    for (String line : redis.command("INFO", "memory").split("\r?\n")) {
      if (line.startsWith(field + ":")) {
        return line.substring(field.length() + 1).trim();
      }
    }
    throw new IllegalStateException("no " + field + " in INFO memory");
  }
}
