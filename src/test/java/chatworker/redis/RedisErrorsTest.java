package chatworker.redis;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.redis.RedisFailure.Kind;
import io.vertx.redis.client.impl.types.ErrorType;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RedisErrorsTest {

  /**
   * Verifies that a failed batch is read line by line as the client writes it ({@code ERR [i] cause}):
   * a socket exception in it is a lost connection (retried when idempotent, counted by the breaker),
   * while error replies from Redis stay command errors.
   */
  @Test
  @DisplayName("A batch failed by a reset socket is CONNECTION_LOST; one failed by Redis is COMMAND_ERROR")
  void batchFailuresAreClassifiedByTheirCause() {
    RedisFailure reset = RedisErrors.classify(ErrorType.create(
        "ERR [0] java.net.SocketException: Connection reset" + System.lineSeparator()
            + "ERR [1] java.net.SocketException: Connection reset"));
    assertThat(reset.kind()).isEqualTo(Kind.CONNECTION_LOST);
    assertThat(reset.getMessage()).contains("Connection reset").doesNotContain("ERR [1]");

    assertThat(RedisErrors.classify(ErrorType.create("ERR [0] NOSCRIPT No matching script. Please use EVAL."))
        .kind()).isEqualTo(Kind.COMMAND_ERROR);
    assertThat(RedisErrors.classify(ErrorType.create(
        "ERR [1] WRONGTYPE Operation against a key holding the wrong kind of value")).kind())
        .isEqualTo(Kind.COMMAND_ERROR);
    assertThat(RedisErrors.classify(ErrorType.create("ERR [0] LOADING Redis is loading the dataset in memory"))
        .kind()).isEqualTo(Kind.NOT_CONNECTED);
  }
}
