package chatworker.cli;

import chatworker.chats.ChatApi;
import chatworker.chats.ChatApiVerticle;
import chatworker.cluster.ClusterSettings;
import chatworker.generation.GenerationPipeline;
import chatworker.generation.GenerationSettings;
import chatworker.generation.GenerationVerticle;
import chatworker.http.HttpSettings;
import chatworker.model.BuiltinModel;
import chatworker.model.ModelProvider;
import chatworker.model.OpenAiModel;
import chatworker.model.OpenAiSettings;
import chatworker.model.Tokenizer;
import chatworker.redis.RedisSettings;
import chatworker.redis.ResilientRedis;
import chatworker.status.Metrics;
import chatworker.status.NodeSnapshot;
import chatworker.status.StatusVerticle;
import chatworker.store.AssistantStore;
import chatworker.store.ChatStore;
import chatworker.store.JobLookup;
import chatworker.store.JobStore;
import chatworker.tls.PemFiles;
import chatworker.tls.TlsCheck;
import chatworker.tls.TlsRejectFilter;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node: opens the Redis layer, deploys the API and generation verticles and the status endpoint,
 * and logs the ready line once it takes jobs. Undeploying it (SIGTERM closes Vert.x) first undeploys
 * the children — generation stops taking jobs and drains — then closes Redis. A start that fails at
 * any step undoes the steps before it and fails with a {@link NodeStartException} naming what failed:
 * a node starts whole or leaves nothing running.
 */
public final class NodeVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(NodeVerticle.class);

  private final JsonObject config;
  private final String nodeId;
  private final Supplier<List<String>> clusterMembers;
  private ResilientRedis redis;
  private OpenAiModel openAi;
  private Metrics metrics;
  private final List<String> children = new ArrayList<>();
  private StatusVerticle status;
  private volatile GenerationPipeline pipeline;
  private int httpPort = -1;
  private PemFiles eventBusTls;

  public NodeVerticle(JsonObject config, String nodeId, Supplier<List<String>> clusterMembers) {
    this.config = config;
    this.nodeId = nodeId;
    this.clusterMembers = clusterMembers;
  }

  @Override
  public Future<?> start() {
    RedisSettings redisSettings;
    GenerationSettings generation;
    ChatApi api;
    NodeSnapshot snapshot;
    boolean https;
    try {
      redisSettings = RedisSettings.fromJson(section("redis"));
      generation = GenerationSettings.fromJson(section("generation"), section("shutdown"));
      HttpSettings http = HttpSettings.fromJson(section("http"));
      https = http.https();
      redis = ResilientRedis.create(vertx, redisSettings);
      JobStore jobs = new JobStore(redis, generation.jobTtlSeconds(), Tokenizer::count);
      api = new ChatApi(new AssistantStore(redis), new ChatStore(redis, Tokenizer::count),
          new JobLookup(redis, generation.jobTtlSeconds()), redisSettings.defaultDeadlineMs());
      OpenAiSettings openAiSettings = OpenAiSettings.fromJson(section("models").getJsonObject("openai", new JsonObject()));
      openAi = new OpenAiModel(vertx, openAiSettings);
      Map<String, ModelProvider> providers = Map.of(BuiltinModel.NAME, new BuiltinModel(vertx), openAi.name(), openAi);
      pipeline = new GenerationPipeline(vertx, jobs, providers, generation, nodeId);
      metrics = Metrics.forVertx(vertx).bindRedis(redis).bindJobs(pipeline.counters())
          .bindCluster(clusterMembers)
          .bindTlsRejections(TlsRejectFilter::refusedByNode, TlsRejectFilter::refusedByMember);
      eventBusTls = ClusterSettings.fromJson(section("cluster")).tls();
      snapshot = NodeSnapshot.of(nodeId, clusterMembers, redis, () -> pipeline.counters().toJson(),
          openAiSettings.configured());
      status = new StatusVerticle(http, generation.defaultTimeoutMs(), snapshot, metrics.registry());
    } catch (RuntimeException invalid) {
      return failStart(new NodeStartException("invalid configuration: " + invalid.getMessage(), invalid));
    }
    DeploymentOptions instances = new DeploymentOptions().setInstances(generation.instances());
    log.info("Redis at {} ({} connections)", redisSettings.redactedUrl(), redisSettings.connections());
    // Each step runs only when the one before it succeeded; a failed step undoes them all (failStart).
    return step("the TLS files", vertx.executeBlocking(() -> {
      // /status shows until when the event bus's certificate is valid (NodeHooks checked the files)
      snapshot.tls(eventBusTls == null ? null : TlsCheck.validUntil(eventBusTls.cert()), https);
      return null;
    })).compose(v -> step("the Redis layer", vertx.executeBlocking(() -> {
      Tokenizer.warmUp(); // loads the encoding once, off the event loop
      return null;
    }).compose(v2 -> redis.start())))
        .compose(v -> step("the API verticles", deployChild(() -> new ChatApiVerticle(api), instances)))
        .compose(v -> step("the generation verticles",
            deployChild(() -> new GenerationVerticle(pipeline), instances)))
        // Its own message says which port on which address: an operator acts on that alone.
        .compose(v -> deployChild(status).recover(failure ->
            Future.failedFuture(new NodeStartException(failure.getMessage(), failure))))
        .onSuccess(v -> {
          httpPort = status.actualPort();
          log.info("chat-worker node {} ready http={}", nodeId, httpPort);
        })
        .recover(this::failStart);
  }

  /** {@code work}, its failure named after {@code what}. */
  private static Future<Void> step(String what, Future<?> work) {
    return work.<Void>mapEmpty().recover(failure -> Future.failedFuture(
        new NodeStartException(what + " failed: " + failure.getMessage(), failure)));
  }

  private Future<Void> deployChild(Supplier<? extends Deployable> verticles, DeploymentOptions options) {
    return vertx.deployVerticle(verticles, options).onSuccess(children::add).mapEmpty();
  }

  private Future<Void> deployChild(Deployable verticle) {
    return vertx.deployVerticle(verticle).onSuccess(children::add).mapEmpty();
  }

  /**
   * Undoes a start that failed part way: Vert.x would undeploy the children, but it never calls
   * {@link #stop()} of a verticle whose start failed, so the Redis layer (its connections, health
   * checks and reconnect loops on contexts of their own), the model's HTTP client and our meters
   * would outlive the failed deployment. Children go first, newest first, as at a normal stop.
   */
  private Future<Void> failStart(Throwable failure) {
    Future<Void> undone = Future.succeededFuture();
    for (int i = children.size() - 1; i >= 0; i--) {
      String id = children.get(i);
      undone = undone.compose(v -> vertx.undeploy(id)).recover(ignored -> Future.succeededFuture());
    }
    children.clear();
    return undone.compose(v -> closeResources()).transform(closed -> Future.failedFuture(failure));
  }

  /** The node is about to stop: readiness goes DOWN now, before anything else changes. */
  public void stopping() {
    if (status != null) {
      status.stopping();
    }
  }

  /** A member left the cluster (called from any thread): the HTTP API resends what may have run there. */
  public void memberLeft(String leftNodeId) {
    if (pipeline != null) {
      pipeline.memberLeft(leftNodeId);
    }
    if (status != null) {
      status.memberLeft(leftNodeId);
    }
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
    return closeResources();
  }

  /** Closes what {@link #start()} opened itself (not the children), whichever of it exists. */
  private Future<Void> closeResources() {
    Future<Void> model = openAi == null ? Future.succeededFuture() : openAi.close();
    return model.transform(v -> redis == null ? Future.<Void>succeededFuture() : redis.close())
        .andThen(done -> {
          if (metrics != null) {
            metrics.close();
          }
        });
  }
}
