package chatworker.http;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.api.ErrorCode;
import chatworker.testing.Await;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A client of a node's HTTP API over a real connection (the JDK's HttpClient, HTTP/1.1), with the
 * shortcuts the tests share: create an assistant and a chat, read a job, and check a failure's body.
 * Blocking: call it from the test thread.
 */
final class ApiClient {

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final int port;
  private final String key;

  /** A client that sends no key. */
  ApiClient(int port) {
    this(port, null);
  }

  /** A client that sends {@code Authorization: Bearer key} unless key is null. */
  ApiClient(int port, String key) {
    this.port = port;
    this.key = key;
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  HttpResponse<String> get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  HttpResponse<String> delete(String path) {
    return send(HttpRequest.newBuilder(uri(path)).DELETE());
  }

  /** {@code POST path} without a body. */
  HttpResponse<String> post(String path) {
    return send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.noBody()));
  }

  HttpResponse<String> post(String path, JsonObject body) {
    return post(path, body.encode());
  }

  /** {@code POST path} with {@code body} as given (it need not be JSON) and Content-Type application/json. */
  HttpResponse<String> post(String path, String body) {
    return send(HttpRequest.newBuilder(uri(path)).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  /** Sends the request, with the key when this client has one; bounded in time, body included. */
  HttpResponse<String> send(HttpRequest.Builder request) {
    if (key != null) {
      request.header("authorization", "Bearer " + key);
    }
    try {
      return http.sendAsync(request.timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString()).get(40, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Creates an assistant with {@code body}; its id. */
  String createAssistant(JsonObject body) {
    return created(post("/v1/assistants", body)).getString("id");
  }

  /** Creates a builtin assistant whose model waits {@code tokenDelayMs} before each word; its id. */
  String createAssistant(String name, long tokenDelayMs) {
    return createAssistant(new JsonObject().put("name", name).put("model", new JsonObject()
        .put("provider", "builtin").put("options", new JsonObject().put("tokenDelayMs", tokenDelayMs))));
  }

  /** Creates a chat with the assistant; its id. */
  String createChat(String assistantId) {
    return created(post("/v1/chats", new JsonObject().put("assistantId", assistantId))).getString("id");
  }

  /** {@code GET /v1/jobs/{jobId}}, checked to be 200. */
  JsonObject job(String jobId) {
    return ok(get("/v1/jobs/" + jobId));
  }

  /** Waits until the job exists with {@code status}; the job record. Another end fails at once. */
  JsonObject awaitJob(String jobId, String status) {
    return Await.untilPresent(() -> {
      HttpResponse<String> response = get("/v1/jobs/" + jobId);
      if (response.statusCode() != 200) {
        return null; // not started yet
      }
      JsonObject job = json(response);
      if (!job.getString("status").equals(status) && !job.getString("status").equals("running")) {
        throw new AssertionError("job " + jobId + " ended " + job.getString("status") + ", not " + status
            + ": " + job);
      }
      return job.getString("status").equals(status) ? job : null;
    }, Duration.ofSeconds(20), "job " + jobId + " " + status);
  }

  /** The messages of the chat, oldest first (at most 1000). */
  JsonArray messages(String chatId) {
    return ok(get("/v1/chats/" + chatId + "/messages?limit=1000")).getJsonArray("messages");
  }

  static JsonObject json(HttpResponse<String> response) {
    return new JsonObject(response.body());
  }

  /** The JSON body of a 200. */
  static JsonObject ok(HttpResponse<String> response) {
    return expect(response, 200);
  }

  /** The JSON body of a 201. */
  static JsonObject created(HttpResponse<String> response) {
    return expect(response, 201);
  }

  static JsonObject expect(HttpResponse<String> response, int status) {
    assertThat(response.statusCode()).as("%s %s: %s", response.request().method(), response.request().uri(),
        response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    return json(response);
  }

  /**
   * Checks that {@code response} is the contract's failure {@code code}: the code's number as status,
   * a JSON body of exactly {@code code} and a non-blank {@code message}; the message.
   */
  static String assertFailure(HttpResponse<String> response, ErrorCode code) {
    return assertFailure(response, code.failureCode(), code);
  }

  /** As {@link #assertFailure(HttpResponse, ErrorCode)} with a status other than the code's (405). */
  static String assertFailure(HttpResponse<String> response, int status, ErrorCode code) {
    assertThat(response.statusCode()).as("status of %s %s: %s", response.request().method(),
        response.request().uri(), response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    JsonObject body = json(response);
    assertThat(body.fieldNames()).containsExactlyInAnyOrder("code", "message");
    assertThat(body.getString("code")).isEqualTo(code.name());
    assertThat(body.getString("message")).isNotBlank();
    return body.getString("message");
  }
}
