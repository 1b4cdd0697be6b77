package chatworker.chaos;

import static chatworker.testing.Await.await;

import chatworker.api.Addresses;
import chatworker.api.ApiException;
import chatworker.api.ErrorCode;
import chatworker.model.BuiltinModel;
import chatworker.store.JobRecord;
import chatworker.store.Keys;
import chatworker.testing.RedisServer;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The end of a run, once the faults are over: resends every generate that never got an answer (same
 * jobId), reads every chat back and compares it with what the client was told, and looks at Redis
 * for locks left behind and connections held. Runs on a plain thread and waits on futures.
 */
final class Verifier {

  /** A batch of reads of a large run may take minutes on a loaded machine. */
  private static final Duration VERIFY_TIMEOUT = Duration.ofMinutes(10);

  private final ChaosClient client;
  private final Ledger ledger;
  private final List<String> examples = new ArrayList<>();
  int resent;
  int recovered;
  int lost;
  int duplicates;
  int ackedButMissing;
  int unreadableChats;
  /** Acknowledged-but-missing by where it was acknowledged: a fault's name, or "away from faults". */
  final Map<String, Integer> missingByWindow = new TreeMap<>();

  Verifier(ChaosClient client, Ledger ledger) {
    this.client = client;
    this.ledger = ledger;
  }

  List<String> examples() {
    return examples;
  }

  /** Resends the unanswered generates, all at once; what still gets no answer is lost. */
  void resendUnanswered() {
    List<Future<Void>> all = new ArrayList<>();
    for (Map.Entry<String, JsonObject> e : ledger.unanswered.entrySet()) {
      resent++;
      JsonObject body = e.getValue();
      all.add(client.generate(body, null).<Void>map(outcome -> {
        if (outcome.noAnswer()) {
          synchronized (this) {
            lost++;
          }
          example("lost: job " + e.getKey() + " " + body.encode());
        } else {
          synchronized (this) {
            recovered++;
          }
          if (outcome.reply() != null) {
            Ledger.ChatRecord chat = ledger.chat(body.getString("chatId"));
            JsonObject message = outcome.reply().getJsonObject("message", new JsonObject());
            chat.ackedMessages.put(message.getString("id"), ledger.nowMs());
            if (body.containsKey("text")) {
              chat.ackedUserTexts.put(body.getString("text"), ledger.nowMs());
            }
          }
        }
        return null;
      }));
    }
    await(Future.join(all), VERIFY_TIMEOUT);
  }

  /**
   * Jobs the client saw end with TIMEOUT or CANCELLED, away from any fault (answered more than 1 s before
   * a fault started or 5 s after it healed), whose record still says running: the run's clean-up did not
   * reach its lock, so the chat stayed locked (CHAT_LOCKED to everyone) until the lease expired.
   */
  int staleRunningRecords(List<JsonObject> faults) {
    List<Map.Entry<String, Long>> quiet = ledger.endedJobs.entrySet().stream().filter(e -> faults.stream()
        .noneMatch(f -> e.getValue() > f.getLong("startMs") - 1_000
            && e.getValue() < f.getLong("endMs", f.getLong("healMs")) + 5_000)).toList();
    int[] stale = {0};
    for (int from = 0; from < quiet.size(); from += 64) {
      List<Future<Void>> batch = new ArrayList<>();
      for (Map.Entry<String, Long> e : quiet.subList(from, Math.min(quiet.size(), from + 64))) {
        JsonObject get = new JsonObject().put("jobId", e.getKey());
        batch.add(client.request(Addresses.JOBS_GET, get).<Void>map(job -> {
          if ("running".equals(job.getString("status"))) {
            synchronized (this) {
              stale[0]++;
            }
            example("job " + e.getKey() + " answered at " + e.getValue() + " ms ("
                + ledger.jobNotes.get(e.getKey()) + ") is still 'running' on node " + job.getString("node"));
          }
          return null;
        }).recover(err -> Future.<Void>succeededFuture()));
      }
      await(Future.join(batch), VERIFY_TIMEOUT);
    }
    return stale[0];
  }

  /** Reads every chat (pages of 1000) and counts duplicates, missing acknowledged messages, cross-talk. */
  void checkChats() {
    List<Ledger.ChatRecord> chats = new ArrayList<>(ledger.chats.values());
    for (int from = 0; from < chats.size(); from += 64) {
      List<Future<Void>> batch = new ArrayList<>();
      for (Ledger.ChatRecord chat : chats.subList(from, Math.min(chats.size(), from + 64))) {
        batch.add(readAll(chat, 0, new JsonArray(), 0).<Void>map(messages -> {
          check(chat, messages);
          return null;
        }).recover(err -> {
          if (err instanceof ApiException api && api.code() == ErrorCode.NOT_FOUND && chat.createdMs >= 0) {
            // A chat whose creation was acknowledged is gone, and with it every message it held.
            missing("chat " + chat.chatId + " does not exist", chat.createdMs);
            check(chat, new JsonArray());
          } else {
            synchronized (this) {
              unreadableChats++;
            }
            example("chat " + chat.chatId + " unreadable: " + err);
          }
          return Future.<Void>succeededFuture();
        }));
      }
      await(Future.join(batch), VERIFY_TIMEOUT);
    }
  }

  private Future<JsonArray> readAll(Ledger.ChatRecord chat, long afterSeq, JsonArray into, int failures) {
    JsonObject body = new JsonObject().put("chatId", chat.chatId).put("limit", 1000)
        .put("afterSeq", afterSeq);
    return client.request(Addresses.MESSAGES_LIST, body).transform(ar -> {
      if (ar.failed()) {
        return failures < 5 ? readAll(chat, afterSeq, into, failures + 1) : Future.failedFuture(ar.cause());
      }
      JsonArray page = ar.result().getJsonArray("messages");
      into.addAll(page);
      if (page.size() < 1000) {
        return Future.succeededFuture(into);
      }
      return readAll(chat, page.getJsonObject(page.size() - 1).getLong("seq"), into, 0);
    });
  }

  private void check(Ledger.ChatRecord chat, JsonArray messages) {
    Map<String, Integer> perJob = new HashMap<>();
    Set<String> ids = new HashSet<>();
    Set<String> userTexts = new HashSet<>();
    Set<String> replies = new HashSet<>();
    chat.texts.forEach(t -> replies.add(BuiltinModel.replyTo(t)));
    for (int i = 0; i < messages.size(); i++) {
      JsonObject m = messages.getJsonObject(i);
      ids.add(m.getString("id"));
      if (!chat.chatId.equals(m.getString("chatId"))) {
        ledger.crossTalk("chat " + chat.chatId + " holds " + m.encode());
      }
      if ("assistant".equals(m.getString("role"))) {
        perJob.merge(String.valueOf(m.getString("jobId")), 1, Integer::sum);
        if (!replies.contains(m.getString("text"))) {
          ledger.crossTalk("chat " + chat.chatId + " holds a reply to another chat: " + m.encode());
        }
      } else {
        userTexts.add(m.getString("text"));
        if (!chat.texts.contains(m.getString("text"))) {
          ledger.crossTalk("chat " + chat.chatId + " holds a foreign user message: " + m.encode());
        }
      }
    }
    perJob.forEach((job, n) -> {
      if (n > 1) {
        synchronized (this) {
          duplicates += n - 1;
        }
        example("duplicate: chat " + chat.chatId + " has " + n + " assistant messages for job " + job);
      }
    });
    chat.ackedMessages.forEach((id, at) -> {
      if (!ids.contains(id)) {
        missing("message " + id + " of chat " + chat.chatId, at);
      }
    });
    chat.ackedUserTexts.forEach((text, at) -> {
      if (!userTexts.contains(text)) {
        missing("user text '" + text + "' of chat " + chat.chatId, at);
      }
    });
  }

  /** Counts one acknowledged-but-missing thing, by the fault it was acknowledged during. */
  private synchronized void missing(String what, long ackedMs) {
    ackedButMissing++;
    String window = ledger.window(ackedMs);
    missingByWindow.merge(window, 1, Integer::sum);
    example("acknowledged but missing: " + what + " (acknowledged at " + ackedMs + " ms, " + window + ")");
  }

  /**
   * Lock keys left in Redis once every job has answered: {count, keys: [{key, pttlMs, token, job}]}, where
   * job is the record that holds the token, with what the client saw of that job. {@code KEYS} runs on
   * every master (in a cluster each holds only its slots' keys); every other read goes to the master
   * that holds the key now.
   */
  static JsonObject locks(RedisUnderTest redis, Ledger ledger) {
    JsonArray list = new JsonArray();
    for (RedisServer master : redis.masters()) {
      String keys = master.command("KEYS", "cw:chat:*:lock");
      if (keys == null || keys.isBlank()) {
        continue;
      }
      for (String key : keys.split("\n")) {
        RedisServer owner = redis.masterFor(key);
        long pttl = Long.parseLong(owner.command("PTTL", key));
        if (pttl == -2) {
          continue; // expired since KEYS
        }
        JsonObject lock = new JsonObject().put("key", key).put("pttlMs", pttl);
        String token = owner.command("GET", key);
        lock.put("token", token);
        String prefix = key.substring(0, key.length() - ":lock".length());
        // the record whose token holds the lock: the chat's job hash maps each jobId to its record
        String[] fields = owner.command("HGETALL", prefix + ":jobs").split("\n", -1);
        for (int i = 0; i + 1 < fields.length; i += 2) {
          JobRecord record = JobRecord.parse(fields[i + 1]);
          if (record.token().equals(token)) {
            lock.put("job", new JsonObject().put("jobId", fields[i]).put("status", record.status())
                .put("node", record.node()).put("client", ledger.jobNotes.get(fields[i])));
          }
        }
        list.add(lock);
      }
    }
    return new JsonObject().put("count", list.size()).put("keys", list);
  }

  /**
   * The same promise as {@link #checkChats()}'s acknowledged-but-missing, read from Redis itself
   * rather than through the nodes: every message id a client got in a success reply must be in the
   * chat's list on the master that holds the chat now (after the faults: a failover, a killed master,
   * slots moved). This is what durability protects; returns how many are missing.
   */
  int checkAckedInRedis(RedisUnderTest redis) {
    int missing = 0;
    for (Ledger.ChatRecord chat : ledger.chats.values()) {
      if (chat.createdMs >= 0 && "0".equals(redis.masterFor(Keys.chat(chat.chatId)).command("EXISTS",
          Keys.chat(chat.chatId)))) {
        missing++;
        example("acknowledged but not in Redis: chat " + chat.chatId + " (created at " + chat.createdMs + " ms, "
            + ledger.window(chat.createdMs) + ")");
      }
      if (chat.ackedMessages.isEmpty()) {
        continue;
      }
      String key = Keys.messages(chat.chatId);
      String list = redis.masterFor(key).command("LRANGE", key, "0", "-1");
      Set<String> ids = new HashSet<>();
      if (list != null && !list.isEmpty()) {
        for (String json : list.split("\n")) {
          ids.add(new JsonObject(json).getString("id"));
        }
      }
      for (Map.Entry<String, Long> acked : chat.ackedMessages.entrySet()) {
        if (!ids.contains(acked.getKey())) {
          missing++;
          example("acknowledged but not in Redis (" + key + " on " + redis.masterFor(key).port() + "): message "
              + acked.getKey() + " (acknowledged at " + acked.getValue() + " ms, " + ledger.window(acked.getValue())
              + ")");
        }
      }
    }
    return missing;
  }

  private synchronized void example(String text) {
    if (examples.size() < 20) {
      examples.add(text);
    }
  }

}
