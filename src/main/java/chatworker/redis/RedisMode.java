package chatworker.redis;

import java.util.Locale;

/** How Redis is deployed: one server, a master found through Sentinel, or a Redis Cluster. */
public enum RedisMode {
  STANDALONE,
  SENTINEL,
  CLUSTER;

  /** The configuration's spelling ({@code standalone}, {@code sentinel}, {@code cluster}). */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  static RedisMode parse(String value) {
    for (RedisMode mode : values()) {
      if (mode.label().equalsIgnoreCase(value == null ? "" : value.trim())) {
        return mode;
      }
    }
    throw new IllegalArgumentException("redis.mode must be standalone, sentinel or cluster, not " + value);
  }
}
