package chatworker.store;

import chatworker.time.Deadline;
import chatworker.redis.RedisFailure;
import chatworker.redis.ResilientRedis;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A Lua script from {@code src/main/resources/lua/}, run by its SHA1 ({@code EVALSHA}). When Redis
 * answers {@code NOSCRIPT} (a restarted server, or {@code SCRIPT FLUSH}) it is sent once more in full
 * with {@code EVAL}, which also puts it back in the script cache. Either way the script runs at most
 * once per call: {@code NOSCRIPT} means nothing ran.
 *
 * <p>Every key a script touches is passed in {@code KEYS} and all of them share one hash tag, so the
 * script is valid on Redis Cluster. Scripts never read the clock: times come in {@code ARGV}.
 */
public final class LuaScript {

  private final String name;
  private final String source;
  private final String sha1;

  private LuaScript(String name, String source) {
    this.name = name;
    this.source = source;
    this.sha1 = sha1Hex(source);
  }

  /**
   * Loads {@code lua/<name>.lua} from the class path, after the {@code lua/<library>.lua} files it
   * uses (their local functions come first in one source); fails at once when one is missing.
   */
  public static LuaScript load(String name, String... libraries) {
    StringBuilder source = new StringBuilder();
    for (String library : libraries) {
      source.append(read(library)).append('\n');
    }
    return new LuaScript(name, source.append(read(name)).toString());
  }

  private static String read(String name) {
    String path = "lua/" + name + ".lua";
    try (InputStream in = LuaScript.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing Lua script resource " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    }
  }

  /** The script's name, its resource file without {@code .lua}. */
  public String name() {
    return name;
  }

  /** The script text as Redis gets it. */
  public String source() {
    return source;
  }

  /** The lower-case hex SHA1 of the source, as {@code SCRIPT LOAD} would answer. */
  public String sha1() {
    return sha1;
  }

  /**
   * Runs the script. {@code idempotent} is passed on to the Redis layer: say true only when running
   * the script twice has the effect of running it once. Failures are the layer's {@link RedisFailure}
   * (NOSCRIPT is read here, below the stores' translation: see {@link Guard}).
   */
  public Future<Response> run(ResilientRedis redis, List<String> keys, List<String> args, boolean idempotent,
      Deadline deadline) {
    return run(redis::send, keys, args, idempotent, deadline);
  }

  /**
   * Runs a script whose success a client is told of, through {@link ResilientRedis#sendDurable}: with
   * durability on it answers only once the replicas hold what it wrote.
   */
  public Future<Response> runDurable(ResilientRedis redis, List<String> keys, List<String> args,
      boolean idempotent, Deadline deadline) {
    return run(redis::sendDurable, keys, args, idempotent, deadline);
  }

  /**
   * Runs a script that frees what others wait for (a lock's release, a failed job's end) through
   * {@link ResilientRedis#sendCleanUp}, which may use the places of the in-flight bound that ordinary
   * calls leave free.
   */
  public Future<Response> runCleanUp(ResilientRedis redis, List<String> keys, List<String> args,
      boolean idempotent, Deadline deadline) {
    return run(redis::sendCleanUp, keys, args, idempotent, deadline);
  }

  /** How a script's command is sent: {@link ResilientRedis#send}, {@code sendDurable} or {@code sendCleanUp}. */
  private interface Sender {
    Future<Response> send(Request request, boolean idempotent, Deadline deadline);
  }

  private Future<Response> run(Sender sender, List<String> keys, List<String> args, boolean idempotent,
      Deadline deadline) {
    return sender.send(request(Command.EVALSHA, sha1, keys, args), idempotent, deadline)
        .recover(err -> isNoScript(err)
            ? sender.send(request(Command.EVAL, source, keys, args), idempotent, deadline)
            : Future.failedFuture(err));
  }

  /**
   * Runs the script with {@code after} pipelined right behind it on the same connection, so they cost
   * one round trip; the replies come in that order. Nothing else on that connection runs between
   * them, but other connections' commands may: {@code after} sees what the script left only where the
   * script made sure nobody else writes (a lock it took). One failure fails all.
   */
  public Future<List<Response>> runFollowedBy(ResilientRedis redis, List<String> keys, List<String> args,
      List<Request> after, boolean idempotent, Deadline deadline) {
    return redis.batch(withScript(Command.EVALSHA, sha1, keys, args, after), idempotent, deadline)
        .recover(err -> isNoScript(err)
            ? redis.batch(withScript(Command.EVAL, source, keys, args, after), idempotent, deadline)
            : Future.failedFuture(err));
  }

  private static List<Request> withScript(Command command, String script, List<String> keys, List<String> args,
      List<Request> after) {
    List<Request> requests = new ArrayList<>(1 + after.size());
    requests.add(request(command, script, keys, args));
    requests.addAll(after);
    return requests;
  }

  private static Request request(Command command, String script, List<String> keys, List<String> args) {
    Request request = Request.cmd(command).arg(script).arg(keys.size());
    keys.forEach(request::arg);
    args.forEach(request::arg);
    return request;
  }

  private static boolean isNoScript(Throwable err) {
    if (!(err instanceof RedisFailure failure) || failure.kind() != RedisFailure.Kind.COMMAND_ERROR) {
      return false;
    }
    String message = String.valueOf(failure.getMessage());
    // A batch names the failed command's index: the script is always the first of its batch.
    return message.startsWith("NOSCRIPT") || message.startsWith("ERR [0] NOSCRIPT");
  }

  private static String sha1Hex(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-1", e);
    }
  }
}
