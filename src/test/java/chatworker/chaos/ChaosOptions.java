package chatworker.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a chaos run does: which Redis topology, how many nodes and simulated users, how long, which
 * faults, how long each fault lasts, and which way the users come in ({@code --via}: the clustered
 * event bus as a lite member, or the nodes' HTTP API). {@code --short} is the CI profile: about a
 * minute, 30 users, every fault once, shorter fault windows.
 */
record ChaosOptions(String redis, int durability, int nodes, int users, int durationSeconds,
    List<String> faults, boolean shortRun, String outDir, String via) {

  static final List<String> TOPOLOGIES = List.of("standalone", "sentinel", "cluster");
  static final String VIA_EVENT_BUS = "eventbus";
  static final String VIA_HTTP = "http";

  /** What {@code --faults all} (and no {@code --faults}) runs, per topology. */
  static final Map<String, List<String>> ALL_FAULTS = Map.of(
      "standalone", List.of("restart", "kill-clients", "blackhole", "slow", "node-kill", "oom"),
      "sentinel", List.of("failover", "master-kill", "node-kill"),
      "cluster", List.of("failover", "master-kill", "reshard", "node-kill"));

  /**
   * Every fault each topology can take; those beyond {@link #ALL_FAULTS} run only when named. The
   * standalone faults act on the one server or on the proxy in front of it, which the topologies have
   * not; the topology faults need a master to fail over, kill or move slots from.
   */
  static final Map<String, List<String>> KNOWN_FAULTS = Map.of(
      "standalone", List.of("restart", "kill-clients", "blackhole", "slow", "node-kill", "oom", "rolling-restart"),
      "sentinel", List.of("failover", "master-kill", "node-kill", "rolling-restart"),
      "cluster", List.of("failover", "master-kill", "reshard", "node-kill", "rolling-restart"));

  static ChaosOptions parse(String[] args) {
    String redis = "standalone";
    Integer durability = null;
    int nodes = 3;
    Integer users = null;
    Integer duration = null;
    String faultArg = "all";
    boolean shortRun = false;
    String out = "target/chaos";
    String via = VIA_EVENT_BUS;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--redis" -> redis = args[++i];
        case "--durability" -> durability = Integer.parseInt(args[++i]);
        case "--nodes" -> nodes = Integer.parseInt(args[++i]);
        case "--users" -> users = Integer.parseInt(args[++i]);
        case "--duration" -> duration = Integer.parseInt(args[++i]);
        case "--faults" -> faultArg = args[++i];
        case "--short" -> shortRun = true;
        case "--out" -> out = args[++i];
        case "--via" -> via = args[++i];
        default -> throw new IllegalArgumentException("unknown argument " + arg + " (use --redis "
            + "standalone|sentinel|cluster --durability N --nodes N --users N --duration S --faults all|a,b "
            + "--short --out DIR --via eventbus|http)");
      }
    }
    if (!List.of(VIA_EVENT_BUS, VIA_HTTP).contains(via)) {
      throw new IllegalArgumentException("--via must be " + VIA_EVENT_BUS + " or " + VIA_HTTP + ", not " + via);
    }
    if (!TOPOLOGIES.contains(redis)) {
      throw new IllegalArgumentException("--redis must be one of " + TOPOLOGIES + ", not " + redis);
    }
    // Every replica must confirm a write (sentinel: 2, cluster: 1), what a master's loss tests: with
    // fewer, Sentinel may promote a replica that had not confirmed (docs/REDIS.md).
    int replicas = durability != null ? durability : switch (redis) {
      case "sentinel" -> 2;
      case "cluster" -> 1;
      default -> 0;
    };
    if (replicas < 0 || redis.equals("standalone") && replicas > 0) {
      throw new IllegalArgumentException("--durability must be 0 with --redis standalone (no replicas), "
          + "and not negative");
    }
    List<String> faults = parseFaults(redis, faultArg);
    for (String needsTwo : List.of("node-kill", "rolling-restart")) {
      if (nodes < 2 && faults.contains(needsTwo)) {
        throw new IllegalArgumentException(needsTwo + " needs --nodes 2 or more");
      }
    }
    return new ChaosOptions(redis, replicas, nodes, users != null ? users : shortRun ? 30 : 200,
        duration != null ? duration : shortRun ? 60 : 120, faults, shortRun, out, via);
  }

  private static List<String> parseFaults(String redis, String value) {
    if (value.equals("all")) {
      return ALL_FAULTS.get(redis);
    }
    if (value.equals("none")) {
      return List.of();
    }
    List<String> faults = new ArrayList<>();
    for (String f : value.split(",")) {
      String fault = f.trim();
      if (!KNOWN_FAULTS.get(redis).contains(fault)) {
        throw new IllegalArgumentException(whyNot(redis, fault));
      }
      faults.add(fault);
    }
    return faults;
  }

  private static String whyNot(String redis, String fault) {
    String known = "; with --redis " + redis + " the faults are " + KNOWN_FAULTS.get(redis);
    if (KNOWN_FAULTS.get("standalone").contains(fault)) {
      return "fault " + fault + " acts on the single server or the fault proxy in front of it, which only "
          + "--redis standalone has" + known;
    }
    if (KNOWN_FAULTS.get("cluster").contains(fault)) {
      return "fault " + fault + (fault.equals("reshard") ? " moves slots: it needs --redis cluster"
          : " needs masters and replicas: --redis sentinel or cluster") + known;
    }
    return "unknown fault " + fault + known;
  }

  boolean viaHttp() {
    return via.equals(VIA_HTTP);
  }

  /** How long a timed fault (kill-clients, slow, node-kill down time, a killed master's) lasts, in seconds. */
  int longFaultSeconds() {
    return shortRun ? 5 : 10;
  }
}
