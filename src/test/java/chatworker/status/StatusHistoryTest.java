package chatworker.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class StatusHistoryTest {

  /** Verifies that the default history keeps 5 minutes of samples taken every 2 s. */
  @Test
  @DisplayName("Defaults: a sample every 2 s, 150 kept (5 minutes)")
  void defaultsKeepFiveMinutes() {
    StatusHistory history = new StatusHistory();

    assertThat(history.periodMs()).isEqualTo(2_000);
    assertThat(history.capacity()).isEqualTo(150);
    assertThat(history.toJson()).isEqualTo(new JsonObject().put("periodMs", 2_000L).put("samples", new JsonArray()));
  }

  /** Verifies that samples come oldest first and that, once full, each new one pushes out the oldest. */
  @Test
  @DisplayName("Oldest first; when full the oldest goes")
  void keepsTheNewestOldestFirst() {
    StatusHistory history = new StatusHistory(2_000, 3);
    IntStream.range(0, 5).forEach(i -> history.add(new JsonObject().put("at", i)));

    JsonArray samples = history.toJson().getJsonArray("samples");

    assertThat(samples.stream().map(s -> ((JsonObject) s).getInteger("at")).toList()).containsExactly(2, 3, 4);
  }

  /** Verifies that what toJson hands out is a copy: changing it changes nothing kept. */
  @Test
  @DisplayName("toJson hands out copies")
  void toJsonIsACopy() {
    StatusHistory history = new StatusHistory(1_000, 2);
    JsonObject sample = new JsonObject().put("at", 1);
    history.add(sample);

    history.toJson().getJsonArray("samples").getJsonObject(0).put("at", 99);
    sample.put("at", 98);

    assertThat(history.toJson().getJsonArray("samples").getJsonObject(0).getInteger("at")).isEqualTo(1);
  }

  /** Verifies that a period or capacity below 1 is refused. */
  @Test
  @DisplayName("Period and capacity must be positive")
  void refusesNonPositiveSettings() {
    assertThatThrownBy(() -> new StatusHistory(0, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new StatusHistory(1, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
