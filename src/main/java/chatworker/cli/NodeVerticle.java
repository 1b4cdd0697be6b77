package chatworker.cli;

import chatworker.redis.RedisSettings;
import chatworker.redis.ResilientRedis;
import chatworker.status.StatusVerticle;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node: opens the Redis layer, serves the status endpoint, and logs the ready line. Undeploying it
 * (SIGTERM closes Vert.x, which undeploys) closes what it opened, Redis last.
 */
public final class NodeVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(NodeVerticle.class);

  private final JsonObject config;
  private final String nodeId;
  private final Supplier<List<String>> clusterMembers;
  private ResilientRedis redis;

  public NodeVerticle(JsonObject config, String nodeId, Supplier<List<String>> clusterMembers) {
    this.config = config;
    this.nodeId = nodeId;
    this.clusterMembers = clusterMembers;
  }

  @Override
  public Future<?> start() {
    RedisSettings redisSettings = RedisSettings.fromJson(config.getJsonObject("redis", new JsonObject()));
    redis = ResilientRedis.create(vertx, redisSettings);
    JsonObject http = config.getJsonObject("http", new JsonObject());
    StatusVerticle status = new StatusVerticle(http.getString("host", "127.0.0.1"),
        http.getInteger("port", 8080), nodeId, redis, clusterMembers, JsonObject::new);
    log.info("Redis at {} ({} connections)", redisSettings.redactedUrl(), redisSettings.connections());
    return redis.start()
        .compose(v -> vertx.deployVerticle(status))
        .onSuccess(id -> log.info("chat-worker node {} ready http={}", nodeId, status.actualPort()));
  }

  @Override
  public Future<?> stop() {
    // Child verticles are undeployed by Vert.x before this; Redis goes last.
    return redis == null ? Future.succeededFuture() : redis.close();
  }
}
