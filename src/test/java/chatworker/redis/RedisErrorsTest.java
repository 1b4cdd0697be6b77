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

  /**
   * Verifies that one place tells a refused login from other errors, for both who need it: a connect
   * attempt (which then waits the auth retry delay) and a command's failure (which drops its connection).
   */
  @Test
  @DisplayName("A refused login is recognised the same way at connect and on a command")
  void refusedLoginIsRecognisedAtConnectAndOnCommands() {
    assertThat(RedisErrors.authRefused("WRONGPASS invalid username-password pair or user is disabled.")).isTrue();
    assertThat(RedisErrors.authRefused("NOAUTH Authentication required.")).isTrue();
    assertThat(RedisErrors.authRefused("ERR invalid password")).isTrue();
    assertThat(RedisErrors.authRefused("WRONGTYPE Operation against a key holding the wrong kind of value")).isFalse();
    assertThat(RedisErrors.authRefused("Connection refused: /127.0.0.1:6379")).isFalse();

    RedisFailure noAuth = RedisErrors.classify(ErrorType.create("NOAUTH Authentication required."));
    assertThat(noAuth.kind()).isEqualTo(Kind.CONNECTION_LOST);
    assertThat(noAuth.outage()).isTrue();
    assertThat(RedisErrors.connectionUnusable(noAuth)).isTrue();
    RedisFailure readOnly = RedisErrors.classify(ErrorType.create("READONLY You can't write against a read only replica."));
    assertThat(RedisErrors.connectionUnusable(readOnly)).isTrue();
    assertThat(RedisErrors.connectionUnusable(RedisErrors.classify(ErrorType.create("WRONGTYPE x")))).isFalse();
  }

  /**
   * Verifies that a refusal by the sentinels is recognised too: when none of them serves, the
   * sentinel client fails the connect with one line per sentinel ({@code - <error>}), the error of its
   * topology read being a failed batch ({@code ERR [i] NOAUTH …}) when the sentinel wants a password
   * the URL does not give; that such a failure says no endpoint answered; and that its log form is one
   * line.
   */
  @Test
  @DisplayName("A login refused by every sentinel is recognised, and logged on one line")
  void refusalBySentinelsIsRecognised() {
    String wrongPassword = "Cannot connect to any of the provided endpoints\n"
        + "- WRONGPASS invalid username-password pair or user is disabled.\n"
        + "- WRONGPASS invalid username-password pair or user is disabled.";
    String noPassword = "Cannot connect to any of the provided endpoints\n"
        + "- ERR [0] NOAUTH Authentication required.\nERR [1] NOAUTH Authentication required.";
    String down = "Cannot connect to any of the provided endpoints\n"
        + "- io.netty.channel.AbstractChannel$AnnotatedConnectException: Connection refused: /127.0.0.1:26379";
    assertThat(RedisErrors.authRefused(wrongPassword)).isTrue();
    assertThat(RedisErrors.authRefused(noPassword)).isTrue();
    assertThat(RedisErrors.authRefused(down)).isFalse();
    assertThat(RedisErrors.noEndpointAnswered(wrongPassword)).isTrue();
    assertThat(RedisErrors.noEndpointAnswered("WRONGPASS invalid username-password pair or user is disabled.")).isFalse();
    assertThat(RedisErrors.oneLine(wrongPassword)).doesNotContain("\n")
        .startsWith("Cannot connect to any of the provided endpoints - WRONGPASS");
    assertThat(RedisErrors.authRefused(RedisErrors.oneLine(noPassword))).isTrue();
  }

  /**
   * Verifies how a failover reaches a call: READONLY (a demoted master) and a cluster connection with
   * no socket to the slot's node mean the command did not run, so it may be sent again (NOT_CONNECTED)
   * and the connection is replaced; CLUSTERDOWN is "not ready yet".
   */
  @Test
  @DisplayName("READONLY, a missing node connection and CLUSTERDOWN are retryable; READONLY replaces the connection")
  void failoverErrorsAreRetryable() {
    RedisFailure readOnly = RedisErrors.classify(ErrorType.create("READONLY You can't write against a read only replica."));
    assertThat(readOnly.kind()).isEqualTo(Kind.NOT_CONNECTED);
    assertThat(readOnly.outage()).isTrue();
    assertThat(RedisErrors.connectionUnusable(readOnly)).isTrue();
    assertThat(RedisErrors.classify(ErrorType.create("ERR [0] READONLY You can't write against a read only replica."))
        .kind()).isEqualTo(Kind.NOT_CONNECTED);

    RedisFailure noNode = RedisErrors.classify(new IllegalStateException("Failed obtaining connection to: redis://127.0.0.1:7001"));
    assertThat(noNode.kind()).isEqualTo(Kind.NOT_CONNECTED);
    RedisFailure closed = RedisErrors.classify(new IllegalStateException("Connection is closed"));
    assertThat(closed.kind()).isEqualTo(Kind.NOT_CONNECTED);
    assertThat(RedisErrors.connectionUnusable(closed)).as("a cluster connection with a closed node socket").isTrue();
    assertThat(RedisErrors.classify(ErrorType.create("CLUSTERDOWN The cluster is down")).kind())
        .isEqualTo(Kind.NOT_CONNECTED);
  }

  /**
   * Verifies that a WAIT unblocked because its master became a replica (alone, or behind its write in a
   * cluster batch: a CI run of ClusterJobsTest met it in a CLUSTER FAILOVER) is NOT_REPLICATED, the
   * contract's 503, and not a command error: the write ran, whether it survives is unknown.
   */
  @Test
  @DisplayName("A WAIT unblocked by its master's demotion is NOT_REPLICATED, not a command error")
  void unblockedWaitIsNotReplicated() {
    String unblocked = "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)";
    for (RedisFailure failure : java.util.List.of(RedisErrors.classify(ErrorType.create(unblocked)),
        RedisErrors.classify(ErrorType.create("ERR [1] " + unblocked)))) {
      assertThat(failure.kind()).isEqualTo(Kind.NOT_REPLICATED);
      assertThat(failure.outage()).isFalse();
      assertThat(failure.getMessage()).contains("demoted");
    }
  }

  /** Verifies that a client error quoting a Redis URL is logged on one line without the URL's user and password. */
  @Test
  @DisplayName("An error text for a log line is one line, without the credentials of a URL in it")
  void credentialsInErrorTextsAreLeftOut() {
    assertThat(RedisErrors.oneLine(
        "Failed obtaining connection to: redis://app:S3cret-pw@10.0.0.1:26379,\nrediss://:pw2@h:1/0"))
        .isEqualTo("Failed obtaining connection to: redis://10.0.0.1:26379, rediss://h:1/0");
    assertThat(RedisErrors.oneLine("Connection refused: /127.0.0.1:6379"))
        .isEqualTo("Connection refused: /127.0.0.1:6379");
  }
}
