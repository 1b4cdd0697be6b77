package chatworker.cli;

import chatworker.api.Addresses;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Where a contract request goes on a node's HTTP API (shared/CONTRACT.md, "HTTP API"): the method, the
 * path under the base URL, and the body (null: none), with the ids that the path carries taken out of
 * it. {@code chat.generate} is {@link #generate}: its jobId travels as the {@code Idempotency-Key}.
 */
record HttpRoute(HttpMethod method, String path, JsonObject body) {

  /**
   * The route of a request to {@code address}; IllegalArgumentException for an address HTTP does not
   * serve, or a body without the id the path needs.
   */
  static HttpRoute of(String address, JsonObject request) {
    JsonObject body = request.copy();
    return switch (address) {
      case Addresses.ASSISTANTS_CREATE -> post("/v1/assistants", body);
      case Addresses.ASSISTANTS_GET -> get("/v1/assistants/" + id(body, "id"));
      case Addresses.ASSISTANTS_DELETE ->
          new HttpRoute(HttpMethod.DELETE, "/v1/assistants/" + id(body, "id"), null);
      case Addresses.CHATS_CREATE -> post("/v1/chats", body);
      case Addresses.CHATS_GET -> get("/v1/chats/" + id(body, "id"));
      case Addresses.MESSAGES_CREATE -> post("/v1/chats/" + id(body, "chatId") + "/messages", body);
      case Addresses.MESSAGES_LIST ->
          get("/v1/chats/" + id(body, "chatId") + "/messages" + query(body, "limit", "afterSeq"));
      case Addresses.JOBS_GET -> get("/v1/jobs/" + id(body, "jobId"));
      case Addresses.GENERATE_CANCEL -> post("/v1/jobs/" + id(body, "jobId") + "/cancel", null);
      case Addresses.GENERATE -> generate(body);
      default -> throw new IllegalArgumentException("no HTTP route for " + address);
    };
  }

  /** {@code POST /v1/chats/{chatId}/generate} with the rest of the body; not its jobId (a header). */
  static HttpRoute generate(JsonObject request) {
    JsonObject body = request.copy();
    body.remove("jobId");
    body.remove("streamAddress");
    return post("/v1/chats/" + id(body, "chatId") + "/generate", body);
  }

  private static HttpRoute get(String path) {
    return new HttpRoute(HttpMethod.GET, path, null);
  }

  private static HttpRoute post(String path, JsonObject body) {
    return new HttpRoute(HttpMethod.POST, path, body);
  }

  /** Removes {@code field} from the body and returns it encoded as one path segment. */
  private static String id(JsonObject body, String field) {
    Object value = body.remove(field);
    if (!(value instanceof String id) || id.isEmpty()) {
      throw new IllegalArgumentException("'" + field + "' is required");
    }
    return URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String query(JsonObject body, String... fields) {
    StringBuilder query = new StringBuilder();
    for (String field : fields) {
      Object value = body.remove(field);
      if (value != null) {
        query.append(query.isEmpty() ? '?' : '&').append(field).append('=')
            .append(URLEncoder.encode(String.valueOf(value), StandardCharsets.UTF_8));
      }
    }
    return query.toString();
  }
}
