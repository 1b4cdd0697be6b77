package chatworker.http;

import chatworker.api.Addresses;
import chatworker.api.ApiException;
import chatworker.api.CreateAssistantRequest;
import chatworker.api.CreateChatRequest;
import chatworker.api.CreateMessageRequest;
import chatworker.api.GenerateRequest;
import chatworker.api.ErrorCode;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.PlatformHandler;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.contract.OpenAPIContract;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The HTTP API (shared/CONTRACT.md, "HTTP API"): a router built from the OpenAPI document
 * {@value #DOCUMENT}, every request checked against that document's schemas before a handler sees it
 * ({@link RequestChecks}), and handlers that carry
 * each request over the clustered event bus, so that any node may run it. Nothing here reads Redis:
 * this is a gateway to the event-bus API, with its rules (keys, body limit, SSE) and no others.
 *
 * <p>{@link #router()} holds the root handlers (access log, keys, body limit) and the API's routes; the
 * caller adds its own routes (status, health) and then {@link #finish} turns every failure into the
 * contract's error body.
 */
public final class HttpApi {

  static final String DOCUMENT = "openapi/chat-worker-api.json";
  private static final String STREAM_PREFIX = "chat-worker.http.stream.";
  static final String BASIC_CHALLENGE = "Basic realm=\"chat-worker\", charset=\"UTF-8\"";
  static final String BEARER_CHALLENGE = "Bearer realm=\"chat-worker\"";

  private final Vertx vertx;
  private final HttpSettings settings;
  private final long defaultJobTimeoutMs;
  private final JsonObject document;
  private final Router router;
  private final GenerateCalls generates;
  private final AccessLog accessLog;

  private HttpApi(Vertx vertx, HttpSettings settings, long defaultJobTimeoutMs, JsonObject document,
      OpenAPIContract contract, MeterRegistry registry) {
    this.vertx = vertx;
    this.settings = settings;
    this.defaultJobTimeoutMs = defaultJobTimeoutMs;
    this.document = document;
    this.generates = new GenerateCalls(vertx);
    RouterBuilder builder = RouterBuilder.create(vertx, contract);
    this.accessLog = new AccessLog(registry);
    builder.rootHandler(accessLog);
    // A platform handler, so that it runs before the body handler: a request without a key is not read.
    builder.rootHandler((PlatformHandler) this::checkKey);
    // Refuses a body over the limit from its Content-Length, or once that many bytes came: never reads it whole.
    builder.rootHandler(BodyHandler.create(false).setBodyLimit(settings.maxBodyBytes()));
    Map<String, Function<RoutingContext, Future<Answer>>> handlers = Map.ofEntries(
        Map.entry("createAssistant", ctx -> created(request(Addresses.ASSISTANTS_CREATE, body(ctx)))),
        Map.entry("getAssistant", ctx -> ok(request(Addresses.ASSISTANTS_GET, id(ctx, "id")))),
        Map.entry("deleteAssistant", ctx -> ok(request(Addresses.ASSISTANTS_DELETE, id(ctx, "id")))),
        Map.entry("createChat", ctx -> created(request(Addresses.CHATS_CREATE, body(ctx)))),
        Map.entry("getChat", ctx -> ok(request(Addresses.CHATS_GET, id(ctx, "id")))),
        Map.entry("createMessage", ctx -> created(request(Addresses.MESSAGES_CREATE, messageBody(ctx.body().asJsonObject(), ctx)))),
        Map.entry("listMessages", ctx -> ok(request(Addresses.MESSAGES_LIST, listQuery(ctx)))),
        Map.entry("cancelJob", this::cancel),
        Map.entry("getJob", ctx -> ok(request(Addresses.JOBS_GET, new JsonObject().put("jobId", ctx.pathParam("jobId"))))),
        Map.entry("getOpenApi", ctx -> Future.succeededFuture(new Answer(200, document))));
    // The event-bus parser of each body, given the body as sent (the path's chatId is added where it
    // belongs): it words a refused body the way the event bus does, naming the field.
    Map<String, Consumer<JsonObject>> parsers = Map.of(
        "createAssistant", CreateAssistantRequest::parse,
        "createChat", CreateChatRequest::parse,
        "createMessage", body -> CreateMessageRequest.parse(body.copy().put("chatId", "c")),
        "generate", body -> {
          if (body.containsKey("streamAddress")) {
            throw ApiException.invalid("streamAddress", "is not taken over HTTP: with \"stream\": true the reply streams as server-sent events");
          }
          GenerateRequest.parse(generateBody(body, "c"));
        });
    for (OpenAPIRoute route : builder.getRoutes()) {
      String operationId = route.getOperation().getOperationId();
      String template = route.getOperation().getOpenAPIPath();
      route.setDoSecurity(false); // keys are checked for every path by checkKey, /status and /metrics too
      // Checked by RequestChecks, against the same document, with validators built once (see there).
      route.setDoValidation(false);
      RequestChecks checks = new RequestChecks(contract.getSchemaRepository(), route.getOperation(),
          parsers.get(operationId));
      route.addHandler(ctx -> {
        ctx.put(AccessLog.ROUTE, template);
        ApiException invalid = checks.check(ctx);
        if (invalid != null) {
          ErrorReplies.send(ctx, invalid);
        } else {
          ctx.next();
        }
      });
      if (operationId.equals("generate")) {
        route.addHandler(this::generate);
        continue;
      }
      Function<RoutingContext, Future<Answer>> handler = handlers.get(operationId);
      if (handler == null) {
        throw new IllegalStateException(DOCUMENT + " has an operation without a handler: " + operationId);
      }
      route.addHandler(ctx -> {
        handler.apply(ctx).onComplete(answer -> {
          if (answer.succeeded()) {
            ctx.response().setStatusCode(answer.result().status()).putHeader("content-type", "application/json")
                .end(answer.result().body().encode());
          } else {
            ErrorReplies.send(ctx, ErrorReplies.fromEventBus(answer.cause(), operationId));
          }
        });
      });
    }
    this.router = builder.createRouter();
  }

  /**
   * Loads the OpenAPI document from the class path (off the event loop) and builds the API on it;
   * fails when the document is invalid or an operation has no handler.
   *
   * @param defaultJobTimeoutMs a generate without {@code timeoutMs} runs this long on the node at most
   */
  public static Future<HttpApi> create(Vertx vertx, HttpSettings settings, long defaultJobTimeoutMs,
      MeterRegistry registry) {
    // The contract gets a copy: resolving the $refs writes "__absolute_uri__" into the object it is given,
    // and GET /v1/openapi.json serves this one.
    return vertx.executeBlocking(HttpApi::readDocument)
        .compose(document -> OpenAPIContract.from(vertx, document.copy())
            .map(contract -> new HttpApi(vertx, settings, defaultJobTimeoutMs, document, contract, registry)));
  }

  private static JsonObject readDocument() throws IOException {
    try (InputStream in = HttpApi.class.getClassLoader().getResourceAsStream(DOCUMENT)) {
      if (in == null) {
        throw new IOException(DOCUMENT + " is not on the class path");
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  /** The router: root handlers and the API; add your routes, then call {@link #finish}. */
  public Router router() {
    return router;
  }

  /** Every failure and unmatched request of {@code router} answered with the contract's error body. */
  public void finish(Router router) {
    router.route().failureHandler(ctx -> ErrorReplies.routingFailure(ctx, settings.maxBodyBytes()));
    router.errorHandler(404, ctx -> ErrorReplies.send(ctx,
        new ApiException(ErrorCode.NOT_FOUND, "no such path: " + ctx.request().path())));
    router.errorHandler(405, ctx -> ErrorReplies.send(ctx, 405, new ApiException(ErrorCode.INVALID_REQUEST,
        "method " + ctx.request().method() + " is not allowed on " + ctx.request().path()).toJson()));
  }

  /** The server closed: our meters leave the registry. */
  public void close() {
    accessLog.close();
  }

  /** A member left the cluster: generates it may have been running are sent again (GenerateCalls). */
  public void memberLeft(String nodeId) {
    generates.memberLeft(nodeId);
  }

  /**
   * Keys on every path but the health checks. The challenge of a 401 says which credentials to send:
   * on the console's paths Basic, which makes a browser ask its user for them (the key is the
   * password); elsewhere Bearer, which no browser prompts for.
   */
  private void checkKey(RoutingContext ctx) {
    String path = ctx.request().path();
    if (path.equals("/health/live") || path.equals("/health/ready") || settings.apiKeys().accepts(
        ctx.request().getHeader("authorization"))) {
      ctx.next();
      return;
    }
    ctx.response().putHeader("www-authenticate", isConsole(path) ? BASIC_CHALLENGE : BEARER_CHALLENGE);
    ErrorReplies.send(ctx, new ApiException(ErrorCode.UNAUTHORIZED,
        "a valid API key is required: Authorization: Bearer <key>, or Basic with the key as the password"));
  }

  /** The console's page and files: {@code /} and {@code /console/…}. */
  private static boolean isConsole(String path) {
    return path.equals("/") || path.equals("/console") || path.startsWith("/console/");
  }

  private record Answer(int status, JsonObject body) {}

  private static Future<Answer> ok(Future<JsonObject> reply) {
    return reply.map(body -> new Answer(200, body));
  }

  private static Future<Answer> created(Future<JsonObject> reply) {
    return reply.map(body -> new Answer(201, body));
  }

  private Future<JsonObject> request(String address, JsonObject body) {
    return vertx.eventBus().<JsonObject>request(address, body,
        new DeliveryOptions().setSendTimeout(settings.requestTimeoutMs())).map(Message::body)
        .recover(failure -> Future.failedFuture(ErrorReplies.fromEventBus(failure, address)));
  }

  private static JsonObject body(RoutingContext ctx) {
    return ctx.body().asJsonObject().copy();
  }

  private static JsonObject messageBody(JsonObject body, RoutingContext ctx) {
    return body.copy().put("chatId", ctx.pathParam("id"));
  }

  /** The event-bus body of an HTTP generate, as the parser sees it: a stream has an address (ours). */
  private static JsonObject generateBody(JsonObject body, String chatId) {
    JsonObject generate = (body == null ? new JsonObject() : body.copy()).put("chatId", chatId);
    if (Boolean.TRUE.equals(generate.getValue("stream"))) {
      generate.put("streamAddress", STREAM_PREFIX);
    }
    return generate;
  }

  private static JsonObject id(RoutingContext ctx, String param) {
    return new JsonObject().put("id", ctx.pathParam(param));
  }

  private static JsonObject listQuery(RoutingContext ctx) {
    JsonObject query = new JsonObject().put("chatId", ctx.pathParam("id"));
    String limit = ctx.queryParams().get("limit");
    String afterSeq = ctx.queryParams().get("afterSeq");
    if (limit != null) {
      query.put("limit", Integer.parseInt(limit));
    }
    if (afterSeq != null) {
      query.put("afterSeq", Long.parseLong(afterSeq));
    }
    return query;
  }

  private Future<Answer> cancel(RoutingContext ctx) {
    String jobId = ctx.pathParam("jobId");
    vertx.eventBus().publish(Addresses.GENERATE_CANCEL, new JsonObject().put("jobId", jobId));
    return Future.succeededFuture(new Answer(202, new JsonObject().put("jobId", jobId)));
  }

  /**
   * {@code POST /v1/chats/{id}/generate}: the jobId from the body or {@code Idempotency-Key} (one is
   * made when neither is given: a resend after a node's death needs it), then a reply, or with
   * {@code stream} the chunks as server-sent events through a consumer of this node's own.
   */
  private void generate(RoutingContext ctx) {
    JsonObject body = generateBody(ctx.body().asJsonObject(), ctx.pathParam("id"));
    body.remove("streamAddress");
    String header = ctx.request().getHeader("idempotency-key");
    String jobId = body.getString("jobId");
    if (header != null && jobId != null && !header.equals(jobId)) {
      ErrorReplies.send(ctx, ApiException.invalid("Idempotency-Key", "differs from the body's jobId"));
      return;
    }
    if (header != null) {
      jobId = header; // its pattern is the document's, checked by the router
    }
    body.put("jobId", jobId == null ? UUID.randomUUID().toString() : jobId);
    // The node's deadline for the job, and a margin for the cluster to carry the answer back.
    long waitMs = body.getLong("timeoutMs", defaultJobTimeoutMs) + settings.requestTimeoutMs();
    if (!body.getBoolean("stream", false)) {
      generates.run(body, waitMs).onComplete(reply -> {
        if (reply.succeeded()) {
          ctx.put(AccessLog.NODE, reply.result().getString("node"));
          ctx.response().putHeader("content-type", "application/json").end(reply.result().encode());
        } else {
          ErrorReplies.send(ctx, ApiException.fromReply(reply.cause()));
        }
      });
      return;
    }
    String streamAddress = STREAM_PREFIX + UUID.randomUUID();
    body.put("streamAddress", streamAddress);
    SseStream stream = new SseStream(vertx, ctx.request(), body.getString("jobId"), settings.streamBufferBytes());
    // Kept until the job ends, even when the reader went away: the job goes on and its chunks need a home.
    MessageConsumer<JsonObject> chunks = vertx.eventBus().consumer(streamAddress, chunk -> stream.chunk(chunk.body()));
    // Registered cluster-wide before the job starts: its first chunk must find this consumer.
    chunks.completion().onComplete(registered -> {
      if (registered.failed()) {
        chunks.unregister();
        ErrorReplies.send(ctx, new ApiException(ErrorCode.INTERNAL, "could not open the stream; try again"));
        return;
      }
      stream.start();
      generates.run(body, waitMs).onComplete(reply -> {
        chunks.unregister();
        if (reply.succeeded()) {
          ctx.put(AccessLog.NODE, reply.result().getString("node"));
          stream.done(reply.result());
        } else {
          stream.error(ApiException.fromReply(reply.cause()));
        }
      });
    });
  }
}
