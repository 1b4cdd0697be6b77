package chatworker.http;

import static chatworker.testing.Await.await;

import chatworker.testing.Await;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.RecordParser;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A client of streamed generates over a real connection (Vert.x's HttpClient, HTTP/1.1, on a Vert.x
 * of its own): the server-sent events as they arrive, and how the stream ended.
 */
final class SseClient implements AutoCloseable {

  /** One server-sent event: its name and its data as JSON. */
  record Event(String name, JsonObject data) {}

  private static final Duration WAIT = Duration.ofSeconds(20);

  private final Vertx vertx = Vertx.vertx();
  private final HttpClientAgent client;

  SseClient(int port) {
    client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_1_1)
        .setDefaultHost("127.0.0.1").setDefaultPort(port).setKeepAlive(false));
  }

  /** {@code POST path} with {@code body}; returns once the response's head arrived. */
  Stream post(String path, JsonObject body) {
    return await(client.request(new RequestOptions().setMethod(HttpMethod.POST).setURI(path)
            .putHeader("content-type", "application/json"))
        .compose(request -> request.send(body.toBuffer()))
        .map(Stream::new));
  }

  @Override
  public void close() {
    await(vertx.close());
  }

  /** One streamed response as it arrives. */
  static final class Stream {
    private final HttpClientResponse response;
    private final Context context;
    private final List<Event> events = new CopyOnWriteArrayList<>();
    private volatile boolean ended;
    private volatile boolean closed;

    /** Called on the response's event loop, before any of its body is handed over. */
    private Stream(HttpClientResponse response) {
      this.response = response;
      this.context = Vertx.currentContext();
      response.handler(RecordParser.newDelimited("\n\n", record -> events.add(event(record.toString()))));
      response.endHandler(v -> ended = true);
      response.exceptionHandler(failure -> closed = true);
      response.request().connection().closeHandler(v -> closed = true);
    }

    int status() {
      return response.statusCode();
    }

    String contentType() {
      return response.getHeader("content-type");
    }

    /** The events so far. */
    List<Event> events() {
      return List.copyOf(events);
    }

    /** The body ended as HTTP says (its last chunk came), rather than by the connection closing. */
    boolean ended() {
      return ended;
    }

    /** Waits for the first event named {@code name}. */
    Event awaitEvent(String name) {
      return Await.untilPresent(
          () -> events.stream().filter(e -> e.name().equals(name)).findFirst().orElse(null), WAIT,
          "a '" + name + "' event");
    }

    /** Waits until the body ended or the connection closed; the events. */
    List<Event> awaitEnd() {
      Await.until(() -> ended || closed, WAIT, "the end of the stream");
      return events();
    }

    /** Closes the connection, as a client that goes away does. */
    void disconnect() {
      context.runOnContext(v -> response.request().connection().close());
      Await.until(() -> closed, WAIT, "the connection closed");
    }
  }

  /** The events of a stream's text; an event cut short at its end is left out. */
  static List<Event> parse(String body) {
    List<String> records = List.of(body.split("\n\n", -1)); // the last: what follows the last whole event
    return records.subList(0, records.size() - 1).stream().map(SseClient::event).toList();
  }

  /** One event's lines ({@code event: name}, {@code data: json}) as an event. */
  private static Event event(String record) {
    String name = null;
    StringBuilder data = new StringBuilder();
    for (String line : record.split("\n")) {
      if (line.startsWith("event: ")) {
        name = line.substring("event: ".length());
      } else if (line.startsWith("data: ")) {
        data.append(line.substring("data: ".length()));
      }
    }
    return new Event(name, new JsonObject(data.toString()));
  }
}
