package chatworker.redis;

import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisReplicas;
import io.vertx.redis.client.RedisRole;
import java.util.concurrent.TimeUnit;

/** The Vert.x Redis client's options, built from the layer's settings. */
final class ClientOptions {

  private ClientOptions() {}

  static RedisOptions of(RedisSettings settings) {
    int connections = settings.connections();
    RedisOptions options = new RedisOptions()
        .setPoolName("chatworker-redis") // a stable metrics label instead of a random id per start
        // Room for connect attempts abandoned at their deadline, which hold a socket until it idles out.
        .setMaxPoolSize(connections * 2)
        .setMaxPoolWaiting(connections * 2)
        // The client's per-connection queue must hold our own bound plus the health-check PINGs.
        .setMaxWaitingHandlers(settings.maxInFlightPerConnection() + 16);
    settings.endpoints().forEach(options::addConnectionString);
    switch (settings.mode()) {
      case STANDALONE -> options.setType(RedisClientType.STANDALONE);
      // Every connect asks the sentinels for the master, so a reconnect follows a failover.
      // The client keeps the sentinels' answer for topologyCacheTTL (1 s by default): shorter, so that
      // a reconnect after a failover asks them again.
      case SENTINEL -> options.setType(RedisClientType.SENTINEL).setMasterName(settings.masterName())
          .setRole(RedisRole.MASTER).setTopologyCacheTTL(100);
      // Commands go to the master of their slot; the client follows MOVED and ASK of a single command and
      // refreshes its slot map at most hashSlotCacheTTL after a change. A batch's redirect it does not
      // follow (RedisErrors): a short TTL lets its retry find the new owner soon.
      case CLUSTER -> options.setType(RedisClientType.CLUSTER).setUseReplicas(RedisReplicas.NEVER)
          .setHashSlotCacheTTL(200);
    }
    // Change the defaults in place: setNetClientOptions(new …) would drop keepalive and no-delay.
    options.getNetClientOptions()
        .setConnectTimeout((int) settings.connectTimeoutMs())
        .setTcpKeepAlive(true)
        .setTcpNoDelay(true)
        .setReadIdleTimeout((int) settings.readIdleTimeoutMs())
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
    applyTls(options.getNetClientOptions(), settings);
    return options;
  }

  /**
   * TLS for {@code rediss://}: on, the host name checked unless switched off, the configured CA
   * trusted. Every client of the layer takes it from here (the held connections' and
   * {@link TopologyWatch}'s sentinel connections), so none can miss the CA.
   */
  static NetClientOptions applyTls(NetClientOptions net, RedisSettings settings) {
    if (settings.tls()) {
      net.setSsl(true).setHostnameVerificationAlgorithm(settings.tlsVerifyHostname() ? "HTTPS" : "");
      if (settings.tlsCaCertPath() != null) {
        net.setTrustOptions(new PemTrustOptions().addCertPath(settings.tlsCaCertPath()));
      }
    }
    return net;
  }
}
