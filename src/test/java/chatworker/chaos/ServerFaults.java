package chatworker.chaos;

import chatworker.testing.FaultProxy;
import chatworker.testing.RedisServer;
import chatworker.testing.RespClient;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/**
 * The faults of a standalone Redis: on the one server (restart, kill-clients, oom) or on the fault
 * proxy the nodes reach it through (blackhole, slow). Each records when it healed.
 */
final class ServerFaults {

  private final RedisServer redis;
  private final FaultProxy proxy;
  private final Ledger ledger;
  private final long longMs;

  ServerFaults(RedisUnderTest.Standalone standalone, Ledger ledger, ChaosOptions options) {
    this.redis = standalone.server();
    this.proxy = standalone.proxy();
    this.ledger = ledger;
    this.longMs = options.longFaultSeconds() * 1000L;
  }

  void inject(String fault, JsonObject record) {
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
      case "oom" -> oom(record);
      default -> throw new IllegalArgumentException(fault);
    }
  }

  /** After a fault failed half-way: the proxy forwards again. */
  void heal() {
    proxy.heal();
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
