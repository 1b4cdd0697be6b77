package chatworker.chaos;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;

/**
 * Runs the faults one after another on a plain thread, with a quiet gap before each, and records for
 * each one when it started, when it healed and when everything it did was over (milliseconds since the
 * run started). The node faults are here; Redis's are in {@link ServerFaults} (standalone) and
 * {@link TopologyFaults} (sentinel, cluster).
 */
final class FaultSchedule {

  private final ChaosOptions options;
  private final NodeFleet fleet;
  private final Ledger ledger;
  private final ServerFaults serverFaults;
  private final TopologyFaults topologyFaults;

  FaultSchedule(ChaosOptions options, RedisUnderTest redis, NodeFleet fleet, Ledger ledger) {
    this.options = options;
    this.fleet = fleet;
    this.ledger = ledger;
    this.serverFaults = redis instanceof RedisUnderTest.Standalone s ? new ServerFaults(s, ledger, options) : null;
    this.topologyFaults = redis instanceof RedisUnderTest.Standalone ? null
        : new TopologyFaults(redis, ledger, options);
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
  static int faultSeconds(ChaosOptions options) {
    int longFault = options.longFaultSeconds();
    boolean sentinel = options.redis().equals("sentinel");
    int sum = 0;
    for (String f : options.faults()) {
      sum += switch (f) {
        case "restart" -> 4;
        case "blackhole" -> 5;
        case "oom" -> 5;
        case "rolling-restart" -> 10 * options.nodes();
        // Sentinel demotes the old master only at its next INFO, about 10 s later.
        case "failover" -> sentinel ? 10 : 3;
        case "reshard" -> 3;
        case "master-kill" -> 5 + longFault;
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
      } catch (RuntimeException | AssertionError e) {
        // A fault that did not happen proves nothing: the run reports it and fails.
        e.printStackTrace();
        record.put("error", e.toString());
        if (serverFaults != null) {
          serverFaults.heal();
        }
      }
      if (!record.containsKey("healMs")) {
        record.put("healMs", ledger.nowMs());
      }
      record.put("endMs", ledger.nowMs());
      System.err.printf("chaos: t=%ds healed %s %s%n", ledger.nowMs() / 1000, fault, record.encode());
      ledger.faults.add(record);
      NodeFleet.sleep(gapMs);
    }
  }

  private void inject(String fault, JsonObject record, int nodeToKill) {
    switch (fault) {
      case "node-kill" -> {
        fleet.kill(nodeToKill);
        record.put("node", nodeToKill);
        NodeFleet.sleep(options.longFaultSeconds() * 1000L);
        fleet.launch(nodeToKill);
        record.put("healMs", ledger.nowMs());
        fleet.awaitReady(nodeToKill, 60_000);
        record.put("nodeReadyMs", ledger.nowMs());
      }
      case "rolling-restart" -> rollingRestart(record);
      case "failover", "master-kill", "reshard" -> topologyFaults.inject(fault, record);
      default -> serverFaults.inject(fault, record);
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
}
