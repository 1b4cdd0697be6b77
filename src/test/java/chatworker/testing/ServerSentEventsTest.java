package chatworker.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServerSentEventsTest {

  /** Verifies that events split anywhere between buffers, a character's bytes included, come out whole. */
  @Test
  void eventsSplitBetweenBuffersComeOutWhole() {
    List<ServerSentEvents.Event> events = new ArrayList<>();
    ServerSentEvents reader = new ServerSentEvents(events::add);
    byte[] stream = ("event: chunk\ndata: {\"delta\":\"Grüße\"}\n\nevent: done\ndata: {\"ok\":true}\n\n")
        .getBytes(StandardCharsets.UTF_8);
    for (byte b : stream) {
      reader.feed(Buffer.buffer(new byte[] {b}));
    }
    assertEquals(List.of(new ServerSentEvents.Event("chunk", "{\"delta\":\"Grüße\"}"),
        new ServerSentEvents.Event("done", "{\"ok\":true}")), events);
  }

  /** Verifies that data lines are joined by newlines and that an event without a name is a "message". */
  @Test
  void dataLinesJoinAndTheDefaultNameIsMessage() {
    List<ServerSentEvents.Event> events = new ArrayList<>();
    new ServerSentEvents(events::add).feed(Buffer.buffer("data: a\ndata: b\n\n: a comment\n\n"));
    assertEquals(List.of(new ServerSentEvents.Event("message", "a\nb")), events);
  }
}
