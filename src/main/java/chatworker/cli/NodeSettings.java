package chatworker.cli;

import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;

/**
 * Process-wide settings of a node, from the {@code node} section of the configuration.
 *
 * @param eventLoops Vert.x event-loop threads; 0 picks {@link #autoEventLoops}. Fewer than Vert.x's
 *                   default (twice the cores) is faster here: a job hops between the verticle that
 *                   took it and the Redis connection that serves it, and every hop to another loop
 *                   costs a thread wake-up, while Redis and the kernel's socket work want cores too
 *                   (docs/BENCHMARKS.md: one loop 31–34k jobs/s on two cores, four 23–25k)
 */
public record NodeSettings(int eventLoops) {

  public NodeSettings {
    if (eventLoops < 0) {
      throw new IllegalArgumentException("node.eventLoops must be 0 (automatic) or more: " + eventLoops);
    }
  }

  public static NodeSettings fromJson(JsonObject node) {
    return new NodeSettings(node.getInteger("eventLoops", 0));
  }

  /** Half the cores, at least one: the other half is left to Redis (often on the same machine) and the kernel. */
  public static int autoEventLoops() {
    return Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
  }

  /** The event loops this node runs. */
  public int effectiveEventLoops() {
    return eventLoops > 0 ? eventLoops : autoEventLoops();
  }

  /** {@code options} with this node's event loops; returns them for chaining. */
  public VertxOptions applyTo(VertxOptions options) {
    return options.setEventLoopPoolSize(effectiveEventLoops());
  }
}
