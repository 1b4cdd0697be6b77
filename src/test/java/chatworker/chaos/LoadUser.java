package chatworker.chaos;

import chatworker.api.Addresses;
import chatworker.api.ApiException;
import chatworker.api.ErrorCode;
import chatworker.model.BuiltinModel;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * One simulated user, as a chain of callbacks (never a blocked thread): create an assistant, create a
 * chat, then a few turns — add a message and generate, or generate with the text — half of them
 * streaming, some cancelled mid-stream, some with a deadline of a few milliseconds; read the history
 * back; start over with a new chat. Every user text is unique (user, chat, turn, nonce), so a reply
 * shows which conversation it answers. After a failure the user waits before the next step.
 */
final class LoadUser {

  private static final int TURNS_PER_CHAT = 4;

  private final int id;
  private final Vertx vertx;
  private final ChaosClient client;
  private final Ledger ledger;
  private final long thinkMs;
  private final Promise<Void> done = Promise.promise();
  private volatile boolean stopping;
  private int cycle;

  LoadUser(int id, Vertx vertx, ChaosClient client, Ledger ledger, long thinkMs) {
    this.id = id;
    this.vertx = vertx;
    this.client = client;
    this.ledger = ledger;
    this.thinkMs = thinkMs;
  }

  Future<Void> start() {
    vertx.runOnContext(v -> newChat());
    return done.future();
  }

  /** Finishes the current step, then stops. */
  void stop() {
    stopping = true;
  }

  private void newChat() {
    if (stopping) {
      done.tryComplete();
      return;
    }
    cycle++;
    JsonObject assistant = new JsonObject().put("name", "chaos user " + id)
        .put("model", new JsonObject().put("provider", "builtin")
            .put("options", new JsonObject().put("tokenDelayMs", 5)));
    retrying("assistants.create", () -> call("assistants.create", Addresses.ASSISTANTS_CREATE, assistant))
        .compose(a -> retrying("chats.create", () -> call("chats.create", Addresses.CHATS_CREATE,
            new JsonObject().put("assistantId", a.getString("id")).put("name", "u" + id + "c" + cycle))))
        .onSuccess(chat -> {
          Ledger.ChatRecord record = ledger.chat(chat.getString("id"));
          record.createdMs = ledger.nowMs();
          ledger.liveChats.add(record.chatId);
          turn(record, 0);
        })
        .onFailure(stopped -> done.tryComplete());
  }

  private void turn(Ledger.ChatRecord chat, int turn) {
    if (stopping || turn == TURNS_PER_CHAT) {
      ledger.liveChats.remove(chat.chatId);
      JsonObject list = new JsonObject().put("chatId", chat.chatId).put("limit", 1000);
      call("messages.list", Addresses.MESSAGES_LIST, list)
          .onComplete(ar -> after(ar.succeeded(), this::newChat));
      return;
    }
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    String text = "user " + id + " chat " + cycle + " turn " + turn + " nonce "
        + Long.toHexString(rnd.nextLong());
    chat.texts.add(text);
    Future<Boolean> step;
    if (rnd.nextInt(4) == 0) {
      // Add the message first, then generate without text: the reply answers the message just added.
      JsonObject message = new JsonObject().put("chatId", chat.chatId).put("text", text);
      step = call("messages.create", Addresses.MESSAGES_CREATE, message)
          .compose(created -> {
            if (!chat.chatId.equals(created.getString("chatId")) || !text.equals(created.getString("text"))) {
              ledger.crossTalk("messages.create answered " + created.encode() + " for chat " + chat.chatId);
            }
            chat.ackedMessages.put(created.getString("id"), ledger.nowMs());
            return generate(chat, text, false);
          })
          .recover(err -> Future.succeededFuture(false));
    } else {
      step = generate(chat, text, true);
    }
    step.onComplete(ar -> after(ar.succeeded() && ar.result(), () -> turn(chat, turn + 1)));
  }

  /** One generate; completes with whether it succeeded (never fails). */
  private Future<Boolean> generate(Ledger.ChatRecord chat, String text, boolean withText) {
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    String jobId = "u" + id + "-c" + cycle + "-" + Long.toHexString(rnd.nextLong());
    JsonObject body = new JsonObject().put("chatId", chat.chatId).put("jobId", jobId);
    if (withText) {
      body.put("text", text);
    }
    boolean stream = rnd.nextBoolean();
    boolean cancel = stream && rnd.nextInt(5) == 0;
    if (!cancel && rnd.nextInt(10) == 0) {
      body.put("timeoutMs", 1 + rnd.nextInt(5));
    }
    StringBuilder deltas = new StringBuilder();
    long start = ledger.nowMs();
    ledger.sent.incrementAndGet();
    return client.generate(body, !stream ? null : delta -> {
      synchronized (deltas) {
        if (cancel && deltas.length() == 0) {
          client.cancel(jobId);
        }
        deltas.append(delta);
      }
    }).map(outcome -> {
      ledger.jobNotes.put(jobId, "t=" + start + "ms stream=" + stream + " cancel=" + cancel + " timeoutMs="
          + body.getInteger("timeoutMs") + " resends=" + outcome.resends() + " -> "
          + (outcome.noAnswer() ? "NO_ANSWER" : outcome.failure() != null ? outcome.failure().code() : "OK")
          + " at " + ledger.nowMs() + "ms");
      if (outcome.noAnswer()) {
        ledger.record(start, "generate", "NO_ANSWER");
        ledger.unexpectedFailure("NO_ANSWER", "generate " + jobId);
        ledger.unanswered.put(jobId, body);
        return false;
      }
      if (outcome.failure() != null) {
        ledger.record(start, "generate", outcome.failure().code().name());
        ErrorCode code = outcome.failure().code();
        boolean asked = code == ErrorCode.CANCELLED && cancel
            || code == ErrorCode.TIMEOUT && body.containsKey("timeoutMs");
        if (!asked) {
          ledger.unexpectedFailure(code.name(), "generate " + jobId + ": " + outcome.failure().getMessage());
        }
        if (code == ErrorCode.TIMEOUT || code == ErrorCode.CANCELLED) {
          ledger.endedJobs.put(jobId, ledger.nowMs());
        }
        return false;
      }
      ledger.record(start, "generate", "OK");
      String streamed;
      synchronized (deltas) {
        streamed = deltas.toString();
      }
      checkReply(chat, jobId, text, outcome.reply(), outcome.resends() == 0 && stream ? streamed : null);
      return true;
    });
  }

  /** A reply must answer this job of this chat, with this text; what was streamed must be its start. */
  private void checkReply(Ledger.ChatRecord chat, String jobId, String text, JsonObject reply,
      String streamed) {
    JsonObject message = reply.getJsonObject("message", new JsonObject());
    String expected = BuiltinModel.replyTo(text);
    String got = message.getString("text", "");
    if (!jobId.equals(reply.getString("jobId")) || !chat.chatId.equals(reply.getString("chatId"))
        || !chat.chatId.equals(message.getString("chatId"))) {
      ledger.crossTalk("job " + jobId + " of chat " + chat.chatId + " answered by " + reply.encode());
    } else if (!expected.equals(got)
        && chat.texts.stream().noneMatch(t -> BuiltinModel.replyTo(t).equals(got))) {
      ledger.crossTalk("job " + jobId + " expected '" + expected + "' got '" + got + "'");
    } else if (streamed != null && !got.startsWith(streamed)) {
      ledger.crossTalk("job " + jobId + " streamed '" + streamed + "' but replied '" + got + "'");
    }
    chat.ackedMessages.put(message.getString("id"), ledger.nowMs());
    chat.ackedUserTexts.put(text, ledger.nowMs());
  }

  private Future<JsonObject> call(String op, String address, JsonObject body) {
    long start = ledger.nowMs();
    ledger.sent.incrementAndGet();
    return client.request(address, body).andThen(ar -> {
      if (ar.succeeded()) {
        ledger.record(start, op, "OK");
      } else if (ar.cause() instanceof ApiException api) {
        ledger.record(start, op, api.code().name());
        ledger.unexpectedFailure(api.code().name(), op + ": " + api.getMessage());
      } else {
        String outcome = client.isNoAnswer(ar.cause()) ? "NO_ANSWER" : "CLIENT_ERROR";
        ledger.record(start, op, outcome);
        ledger.unexpectedFailure(outcome, op + ": " + ar.cause());
      }
    });
  }

  /** Retries a step after a pause until it succeeds; fails only when the run is stopping. */
  private Future<JsonObject> retrying(String what, Supplier<Future<JsonObject>> step) {
    Promise<JsonObject> result = Promise.promise();
    attempt(step, result);
    return result.future();
  }

  private void attempt(Supplier<Future<JsonObject>> step, Promise<JsonObject> result) {
    step.get().onComplete(ar -> {
      if (ar.succeeded()) {
        result.complete(ar.result());
      } else if (stopping) {
        result.fail(ar.cause());
      } else {
        after(false, () -> attempt(step, result));
      }
    });
  }

  /** Runs next after the think time, or after a longer, jittered back-off when the step failed. */
  private void after(boolean ok, Runnable next) {
    long delay = ok ? thinkMs : 50 + ThreadLocalRandom.current().nextLong(150);
    vertx.setTimer(Math.max(1, delay), t -> next.run());
  }
}
