package chatworker.store;

import chatworker.time.Deadline;
import chatworker.redis.ResilientRedis;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * Reads the newest messages of a chat for a job, and keeps what it read. A stored message never
 * changes, and a chat's list only grows, with seq n at index n-1: a kept message stays right. So a
 * job on a chat this node has read before asks only for what came after the newest kept message,
 * plus that message itself as a check. Should Redis have lost writes and reused seqs, that message's
 * id differs, and the whole window is read again. Bounded in total messages kept, least recently
 * used chat first. Thread-safe.
 */
final class ChatHistory {

  /**
   * How many messages past the limit a tail read may return: a job usually finds two new ones (the
   * last job's reply and its own user text), which must not force a full read for a window of one.
   */
  private static final int TAIL_SLACK = 4;

  private final ResilientRedis redis;
  private final ToIntFunction<String> tokenCounter;
  /** The most characters of text (plus ~100 per message) kept over all chats. */
  private final long budget;
  private final LinkedHashMap<String, Window> windows = new LinkedHashMap<>(256, 0.75f, true);
  private long kept;

  ChatHistory(ResilientRedis redis, ToIntFunction<String> tokenCounter, long budget) {
    this.redis = redis;
    this.tokenCounter = tokenCounter;
    this.budget = budget;
  }

  /** A planned read of the {@code limit} (> 0) newest messages; its request goes in the caller's pipeline. */
  record Read(String chatId, int limit, Window window, Request request) {}

  /**
   * The newest messages of a chat read so far, oldest first, the id of the newest, to check it, and
   * what the window costs against the budget (see {@link #of}).
   */
  record Window(List<HistoryMessage> messages, String lastId, long weight) {

    /** A window weighing its texts' characters plus ~100 per message. */
    static Window of(List<HistoryMessage> messages, String lastId) {
      long weight = 0;
      for (HistoryMessage message : messages) {
        weight += 100 + message.text().length();
      }
      return new Window(messages, lastId, weight);
    }

    long lastSeq() {
      return messages.get(messages.size() - 1).seq();
    }
  }

  /**
   * The read to pipeline right behind the start script: from the newest kept message on, bounded (a
   * reply that fills the range says there may be more), or the newest {@code limit} when nothing is
   * kept.
   */
  Read plan(String chatId, int limit) {
    Window window = kept(chatId);
    if (window == null) {
      return new Read(chatId, limit, null, newest(chatId, limit));
    }
    long from = window.lastSeq() - 1;
    return new Read(chatId, limit, window,
        Request.cmd(Command.LRANGE).arg(Keys.messages(chatId)).arg(from).arg(from + limit + TAIL_SLACK));
  }

  /**
   * The history from the planned read's reply; when the kept window cannot be extended with it (data
   * lost, too much new, or too little kept), the newest messages are read again in full.
   */
  Future<List<HistoryMessage>> complete(Read read, Response reply, Deadline deadline) {
    if (read.window() == null) {
      return Future.succeededFuture(keep(read.chatId(), reply));
    }
    List<HistoryMessage> history = extend(read.window(), reply, read.limit());
    if (history == null) {
      return readNewest(read.chatId(), read.limit(), deadline);
    }
    keep(read.chatId(), Window.of(history, HistoryMessage.idOf(reply.get(reply.size() - 1).toString())));
    return Future.succeededFuture(history);
  }

  /** The {@code limit} (> 0) newest messages, read in full. */
  Future<List<HistoryMessage>> readNewest(String chatId, int limit, Deadline deadline) {
    return redis.send(newest(chatId, limit), true, deadline).map(reply -> keep(chatId, reply));
  }

  /**
   * The window extended by {@code tail} (whose first element must be the window's last), cut to the
   * newest {@code limit}; null when it cannot be.
   */
  private List<HistoryMessage> extend(Window window, Response tail, int limit) {
    if (tail.size() == 0 || tail.size() > limit + TAIL_SLACK
        || !HistoryMessage.idOf(tail.get(0).toString()).equals(window.lastId())) {
      return null; // the kept message is gone (Redis lost writes), or the range is full: maybe more came
    }
    List<HistoryMessage> joined = new ArrayList<>(window.messages().size() + tail.size() - 1);
    joined.addAll(window.messages());
    for (int i = 1; i < tail.size(); i++) {
      joined.add(HistoryMessage.parse(tail.get(i).toString(), tokenCounter));
    }
    if (joined.size() < limit && joined.get(0).seq() > 1) {
      return null; // fewer kept than this job asks for, and older messages exist
    }
    return List.copyOf(joined.subList(Math.max(0, joined.size() - limit), joined.size()));
  }

  /** Reads a full window from its reply and keeps it; returns its messages. */
  private List<HistoryMessage> keep(String chatId, Response list) {
    List<HistoryMessage> messages = new ArrayList<>(list.size());
    for (Response message : list) {
      messages.add(HistoryMessage.parse(message.toString(), tokenCounter));
    }
    List<HistoryMessage> history = List.copyOf(messages);
    keep(chatId, history.isEmpty() ? null : Window.of(history, HistoryMessage.idOf(list.get(list.size() - 1).toString())));
    return history;
  }

  private static Request newest(String chatId, int limit) {
    return Request.cmd(Command.LRANGE).arg(Keys.messages(chatId)).arg(-limit).arg(-1);
  }

  private synchronized Window kept(String chatId) {
    return windows.get(chatId);
  }

  /** Keeps {@code window} as the chat's (null: forgets the chat), then trims to the budget. */
  private synchronized void keep(String chatId, Window window) {
    Window previous = window == null ? windows.remove(chatId) : windows.put(chatId, window);
    kept += (window == null ? 0 : window.weight()) - (previous == null ? 0 : previous.weight());
    Iterator<Map.Entry<String, Window>> eldest = windows.entrySet().iterator();
    while (kept > budget && eldest.hasNext()) {
      kept -= eldest.next().getValue().weight();
      eldest.remove();
    }
  }
}
