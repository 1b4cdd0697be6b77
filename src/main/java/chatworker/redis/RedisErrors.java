package chatworker.redis;

import chatworker.redis.RedisFailure.Kind;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.impl.types.ErrorType;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** What a failure from the client means for the layer, and which commands a shared connection refuses. */
final class RedisErrors {

  /** Redis is reloading, busy or failing over: the command did not run, try again. */
  private static final List<String> NOT_READY = List.of("LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN");
  /** The error codes with which Redis refuses a login or a command of a client not logged in. */
  private static final List<String> AUTH_REFUSED = List.of("NOAUTH", "WRONGPASS");
  /** How servers without those codes say it (Redis before 6: {@code ERR invalid password}). */
  private static final List<String> AUTH_REFUSED_TEXT = List.of("invalid password", "invalid username-password");
  /**
   * The connection reaches a replica: the master it was opened to was demoted in a failover. The
   * command did not run (a replica refuses every write), so it may be sent again, to the new master.
   */
  private static final String READONLY = "READONLY";
  /** What Redis answers a blocked WAIT when its master becomes a replica (CLUSTER FAILOVER, REPLICAOF). */
  private static final String UNBLOCKED = "UNBLOCKED";
  /** The user and password part of a Redis URL inside an error text. */
  private static final Pattern CREDENTIALS_IN_URL = Pattern.compile("(rediss?://)[^@\\s/]*@");
  /**
   * This connection can no longer serve: not logged in, talking to a replica, or (a cluster
   * connection) one of its sockets to the cluster's nodes closed.
   */
  private static final List<String> CONNECTION_UNUSABLE =
      Stream.concat(AUTH_REFUSED.stream(), Stream.of(READONLY, "Connection is closed")).toList();
  /** A cluster connection found no live socket to the node that owns the slot: nothing was sent. */
  private static final List<String> NO_NODE = List.of("Failed obtaining connection to",
      "Failed to connect to all nodes of the cluster");

  /**
   * Commands that change the state of the connection they run on, or block it: on a connection that
   * many callers share they would hand one caller's replies to another (MULTI queues others' commands,
   * SUBSCRIBE and CLIENT REPLY shift the reply order) or hold everyone up. Atomic work goes to Lua.
   */
  private static final Set<Command> UNSAFE_ON_SHARED = Set.of(
      Command.MULTI, Command.EXEC, Command.DISCARD, Command.WATCH, Command.UNWATCH,
      Command.SELECT, Command.AUTH, Command.HELLO, Command.CLIENT, Command.MONITOR, Command.RESET,
      Command.QUIT, Command.SYNC, Command.PSYNC, Command.WAIT,
      Command.SUBSCRIBE, Command.PSUBSCRIBE, Command.SSUBSCRIBE, Command.UNSUBSCRIBE, Command.PUNSUBSCRIBE,
      Command.SUNSUBSCRIBE,
      Command.BLPOP, Command.BRPOP, Command.BRPOPLPUSH, Command.BLMOVE, Command.BLMPOP,
      Command.BZPOPMIN, Command.BZPOPMAX, Command.BZMPOP, Command.XREAD, Command.XREADGROUP);

  /**
   * A line of a failed batch ({@code ERR [i] <cause>}) whose cause is a Java exception (a reset or
   * broken socket), not an error reply from Redis: Redis error codes are upper case, class names are not.
   */
  private static final Pattern BATCH_LINE_WITH_EXCEPTION = Pattern.compile("(?m)^ERR \\[\\d+] [a-z][\\w$]*(\\.[\\w$]+)+");

  private RedisErrors() {}

  /** A failure for a request the layer refuses to send, or null when it may be sent. */
  static RedisFailure refuse(Request request) {
    Command command = request.command();
    if (UNSAFE_ON_SHARED.contains(command)) {
      return RedisFailure.of(Kind.COMMAND_ERROR, command + " is not allowed on the shared pipelined connections");
    }
    return null;
  }

  static RedisFailure classify(Throwable err) {
    if (err instanceof RedisFailure failure) {
      return failure;
    }
    String message = String.valueOf(err.getMessage());
    // A batch reports per-command failures as one "ERR [i] …" error: look inside the text too.
    if (message.contains("CONNECTION_CLOSED")) {
      return new RedisFailure(Kind.CONNECTION_LOST, "the connection to Redis closed while the command was in flight",
          false, err);
    }
    if (message.startsWith("ERR [") && BATCH_LINE_WITH_EXCEPTION.matcher(message).find()) {
      // The batch's commands failed on the connection: the same as a single command's socket error.
      return new RedisFailure(Kind.CONNECTION_LOST, "Redis connection failed during a batch: "
          + message.lines().findFirst().orElse(message), false, err);
    }
    if (message.startsWith("ERR [0] MOVED ") || message.startsWith("ERR [0] ASK ")) {
      // A cluster node that does not serve the batch's slot refused its first command, and with it
      // every command on that slot. The client follows a redirect of a single command, but not one
      // inside a batch: send it again once the client's slot map is fresh (a short hashSlotCacheTTL).
      return new RedisFailure(Kind.NOT_CONNECTED, "the batch's slot is served by another node: "
          + message.lines().findFirst().orElse(message), false, err);
    }
    if (err instanceof ErrorType || message.startsWith("ERR [")) {
      for (String code : NOT_READY) {
        if (message.startsWith(code) || message.contains("] " + code)) {
          return new RedisFailure(Kind.NOT_CONNECTED, "Redis cannot serve yet: " + message, true, err);
        }
      }
      if (message.startsWith(UNBLOCKED) || message.contains("] " + UNBLOCKED)) {
        // A WAIT (alone, or behind its write in a cluster batch) on a master demoted while it waited:
        // the write ran, but whether the new master has it is unknown. Not retried: it ran.
        return new RedisFailure(Kind.NOT_REPLICATED, "the master was demoted while WAIT waited for its "
            + "replicas: the write may not reach the new master (" + message.lines().findFirst().orElse(message) + ")",
            false, err);
      }
      if (message.startsWith(READONLY) || message.contains("] " + READONLY)) {
        return new RedisFailure(Kind.NOT_CONNECTED, "the connection reaches a replica (the master moved): "
            + message, true, err);
      }
      for (String code : CONNECTION_UNUSABLE) {
        if (message.startsWith(code) || message.contains("] " + code)) {
          return new RedisFailure(Kind.CONNECTION_LOST, "the connection cannot serve: " + message, true, err);
        }
      }
      return new RedisFailure(Kind.COMMAND_ERROR, message, false, err);
    }
    if (message.startsWith("Redis command is not valid")) {
      // The client's message holds the whole encoded request, user data included: keep it out.
      return RedisFailure.of(Kind.COMMAND_ERROR, "the Redis command is not valid (wrong arguments)");
    }
    if (message.contains("Connection is closed")) {
      return new RedisFailure(Kind.NOT_CONNECTED, "the connection to Redis had closed before the command was written (Connection is closed)",
          true, err);
    }
    for (String text : NO_NODE) {
      if (message.contains(text)) {
        return new RedisFailure(Kind.NOT_CONNECTED, "no connection to the Redis node that serves the key: "
            + message.lines().findFirst().orElse(message), true, err);
      }
    }
    if (message.contains("waiting queue is full")) {
      return RedisFailure.of(Kind.QUEUE_FULL, "Redis request queue is full");
    }
    return new RedisFailure(Kind.CONNECTION_LOST, "Redis connection failed: " + message, false, err);
  }

  /**
   * True when a connect attempt failed because Redis refused the configured credentials: then the
   * slot waits {@code authRetryDelayMs} instead of its backoff (the client leaks a socket per refused
   * handshake, upstream #555) and the layer reports it. The one place that knows what a refusal looks like.
   */
  static boolean authRefused(String reason) {
    for (String code : AUTH_REFUSED) {
      // A sentinel or cluster client that found no endpoint to serve lists each one's failure as
      // "- <error>", a failed batch (the sentinel client's topology read) as "ERR [i] <error>".
      if (reason.startsWith(code) || reason.contains("- " + code) || reason.contains("] " + code)) {
        return true;
      }
    }
    for (String text : AUTH_REFUSED_TEXT) {
      if (reason.contains(text)) {
        return true;
      }
    }
    return false;
  }

  /**
   * True when a connect attempt failed because the client could ask none of the sentinels or seed
   * nodes (it then lists each one's failure): in sentinel mode, the data nodes were not tried.
   */
  static boolean noEndpointAnswered(String reason) {
    return reason.startsWith("Cannot connect to any of the provided endpoints");
  }

  /**
   * A failure's message for a log line: on one line (the client puts one line per endpoint tried), and
   * without the user and password of any Redis URL it quotes.
   */
  static String oneLine(String message) {
    String line = String.valueOf(message).replace("\r", "").replace("\n", " ");
    return CREDENTIALS_IN_URL.matcher(line).replaceAll("$1");
  }

  /** True when the command met a socket that had closed before it was written. */
  static boolean socketClosed(RedisFailure failure) {
    return String.valueOf(failure.getMessage()).contains("Connection is closed");
  }

  /** True when the failure means the connection it happened on must be dropped (and a new one opened). */
  static boolean connectionUnusable(RedisFailure failure) {
    String message = String.valueOf(failure.getMessage());
    return (failure.kind() == Kind.CONNECTION_LOST || failure.kind() == Kind.NOT_CONNECTED)
        && CONNECTION_UNUSABLE.stream().anyMatch(message::contains);
  }
}
