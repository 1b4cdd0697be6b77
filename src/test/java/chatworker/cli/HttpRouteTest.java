package chatworker.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import chatworker.api.Addresses;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class HttpRouteTest {

  /** Verifies that ids move from the body into the path, encoded, and list options into the query. */
  @Test
  @DisplayName("ids go into the path, list options into the query, the rest stays the body")
  void idsGoIntoThePath() {
    HttpRoute message =
        HttpRoute.of(Addresses.MESSAGES_CREATE, new JsonObject().put("chatId", "c 1/2").put("text", "hi"));
    assertThat(message.method()).isEqualTo(HttpMethod.POST);
    assertThat(message.path()).isEqualTo("/v1/chats/c%201%2F2/messages");
    assertThat(message.body()).isEqualTo(new JsonObject().put("text", "hi"));

    HttpRoute list = HttpRoute.of(Addresses.MESSAGES_LIST,
        new JsonObject().put("chatId", "c").put("limit", 5).put("afterSeq", 2));
    assertThat(list.method()).isEqualTo(HttpMethod.GET);
    assertThat(list.path()).isEqualTo("/v1/chats/c/messages?limit=5&afterSeq=2");
    assertThat(list.body()).isNull();

    assertThat(HttpRoute.of(Addresses.GENERATE_CANCEL, new JsonObject().put("jobId", "j")).path())
        .isEqualTo("/v1/jobs/j/cancel");
  }

  /** Verifies that a generate's jobId and streamAddress stay out of its body (the jobId is a header). */
  @Test
  @DisplayName("generate: chatId in the path; jobId and streamAddress not in the body")
  void generateKeepsItsJobIdOutOfTheBody() {
    HttpRoute route = HttpRoute.generate(new JsonObject().put("chatId", "c").put("jobId", "j")
        .put("text", "t").put("streamAddress", "a").put("stream", true));
    assertThat(route.path()).isEqualTo("/v1/chats/c/generate");
    assertThat(route.body()).isEqualTo(new JsonObject().put("text", "t").put("stream", true));
  }

  /** Verifies that a request without the id its path needs is refused before anything is sent. */
  @Test
  @DisplayName("a missing id is refused, naming the field")
  void missingIdIsRefused() {
    assertThatThrownBy(() -> HttpRoute.of(Addresses.CHATS_GET, new JsonObject()))
        .hasMessage("'id' is required");
  }
}
