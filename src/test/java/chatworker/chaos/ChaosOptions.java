package chatworker.chaos;

import java.util.ArrayList;
import java.util.List;

/**
 * What a chaos run does: how many nodes and simulated users, how long, which faults, and how long each
 * fault lasts. {@code --short} is the CI profile: about a minute, 30 users, every fault once, shorter
 * fault windows.
 */
record ChaosOptions(int nodes, int users, int durationSeconds, List<String> faults, boolean shortRun,
    String outDir) {

  /** What {@code --faults all} runs (the full run and CI's {@code --short} run). */
  static final List<String> ALL_FAULTS =
      List.of("restart", "kill-clients", "blackhole", "slow", "node-kill", "oom");
  /** Every fault there is; those beyond {@link #ALL_FAULTS} run only when named in {@code --faults}. */
  static final List<String> KNOWN_FAULTS =
      List.of("restart", "kill-clients", "blackhole", "slow", "node-kill", "oom", "rolling-restart");

  static ChaosOptions parse(String[] args) {
    int nodes = 3;
    Integer users = null;
    Integer duration = null;
    List<String> faults = ALL_FAULTS;
    boolean shortRun = false;
    String out = "target/chaos";
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--nodes" -> nodes = Integer.parseInt(args[++i]);
        case "--users" -> users = Integer.parseInt(args[++i]);
        case "--duration" -> duration = Integer.parseInt(args[++i]);
        case "--faults" -> faults = parseFaults(args[++i]);
        case "--short" -> shortRun = true;
        case "--out" -> out = args[++i];
        default -> throw new IllegalArgumentException("unknown argument " + arg
            + " (use --nodes N --users N --duration S --faults all|a,b --short --out DIR)");
      }
    }
    for (String needsTwo : List.of("node-kill", "rolling-restart")) {
      if (nodes < 2 && faults.contains(needsTwo)) {
        throw new IllegalArgumentException(needsTwo + " needs --nodes 2 or more");
      }
    }
    return new ChaosOptions(nodes, users != null ? users : shortRun ? 30 : 200,
        duration != null ? duration : shortRun ? 60 : 120, faults, shortRun, out);
  }

  private static List<String> parseFaults(String value) {
    if (value.equals("all")) {
      return ALL_FAULTS;
    }
    if (value.equals("none")) {
      return List.of();
    }
    List<String> faults = new ArrayList<>();
    for (String f : value.split(",")) {
      if (!KNOWN_FAULTS.contains(f.trim())) {
        throw new IllegalArgumentException("unknown fault " + f + "; known: " + KNOWN_FAULTS);
      }
      faults.add(f.trim());
    }
    return faults;
  }

  /** How long a timed fault (kill-clients, slow, node-kill down time) lasts, in seconds. */
  int longFaultSeconds() {
    return shortRun ? 5 : 10;
  }
}
