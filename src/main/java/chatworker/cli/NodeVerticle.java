package chatworker.cli;

import chatworker.chats.ChatApi;
import chatworker.chats.ChatApiVerticle;
import chatworker.generation.GenerationPipeline;
import chatworker.generation.GenerationSettings;
import chatworker.generation.GenerationVerticle;
import chatworker.model.BuiltinModel;
import chatworker.model.ModelProvider;
import chatworker.model.OpenAiModel;
import chatworker.model.OpenAiSettings;
import chatworker.model.Tokenizer;
import chatworker.redis.RedisSettings;
import chatworker.redis.ResilientRedis;
import chatworker.status.Metrics;
import chatworker.status.StatusVerticle;
import chatworker.store.AssistantStore;
import chatworker.store.ChatStore;
import chatworker.store.JobLookup;
import chatworker.store.JobStore;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node: opens the Redis layer, deploys the API and generation verticles and the status endpoint,
 * and logs the ready line once it takes jobs. Undeploying it (SIGTERM closes Vert.x) first undeploys
 * the children — generation stops taking jobs and drains — then closes Redis.
 */
public final class NodeVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(NodeVerticle.class);

  private final JsonObject config;
  private final String nodeId;
  private final Supplier<List<String>> clusterMembers;
  private ResilientRedis redis;
  private OpenAiModel openAi;
  private Metrics metrics;
  private int httpPort = -1;

  public NodeVerticle(JsonObject config, String nodeId, Supplier<List<String>> clusterMembers) {
    this.config = config;
    this.nodeId = nodeId;
    this.clusterMembers = clusterMembers;
  }

  @Override
  public Future<?> start() {
    RedisSettings redisSettings = RedisSettings.fromJson(section("redis"));
    GenerationSettings generation = GenerationSettings.fromJson(section("generation"), section("shutdown"));
    redis = ResilientRedis.create(vertx, redisSettings);
    JobStore jobs = new JobStore(redis, generation.jobTtlSeconds(), Tokenizer::count);
    ChatApi api = new ChatApi(new AssistantStore(redis), new ChatStore(redis, Tokenizer::count),
        new JobLookup(redis, generation.jobTtlSeconds()), redisSettings.defaultDeadlineMs());
    openAi = new OpenAiModel(vertx, OpenAiSettings.fromJson(section("models").getJsonObject("openai", new JsonObject())));
    Map<String, ModelProvider> providers = Map.of(BuiltinModel.NAME, new BuiltinModel(vertx), openAi.name(), openAi);
    GenerationPipeline pipeline = new GenerationPipeline(vertx, jobs, providers, generation, nodeId);
    metrics = Metrics.forVertx(vertx).bindRedis(redis).bindJobs(pipeline.counters())
        .bindCluster(clusterMembers);
    JsonObject http = section("http");
    StatusVerticle status = new StatusVerticle(http.getString("host", "127.0.0.1"), http.getInteger("port", 8080),
        nodeId, redis, clusterMembers, () -> pipeline.counters().toJson(), metrics.registry());
    DeploymentOptions instances = new DeploymentOptions().setInstances(generation.instances());
    log.info("Redis at {} ({} connections)", redisSettings.redactedUrl(), redisSettings.connections());
    return vertx.executeBlocking(() -> {
      Tokenizer.warmUp(); // loads the encoding once, off the event loop
      return null;
    })
        .compose(v -> redis.start())
        .compose(v -> vertx.deployVerticle(() -> new ChatApiVerticle(api), instances))
        .compose(v -> vertx.deployVerticle(() -> new GenerationVerticle(pipeline), instances))
        .compose(v -> vertx.deployVerticle(status))
        .onSuccess(id -> {
          httpPort = status.actualPort();
          log.info("chat-worker node {} ready http={}", nodeId, httpPort);
        });
  }

  /** The status endpoint's port, once started. */
  public int httpPort() {
    return httpPort;
  }

  private JsonObject section(String name) {
    return config.getJsonObject(name, new JsonObject());
  }

  @Override
  public Future<?> stop() {
    // The children are undeployed before this runs: no job is running any more.
    Future<Void> model = openAi == null ? Future.succeededFuture() : openAi.close();
    return model.compose(v -> redis == null ? Future.succeededFuture() : redis.close())
        .andThen(done -> {
          if (metrics != null) {
            metrics.close();
          }
        });
  }
}
