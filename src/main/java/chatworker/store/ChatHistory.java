package chatworker.store;

import chatworker.redis.Deadline;
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
  private final int messagesKept;
  private final LinkedHashMap<String, List<HistoryMessage>> windows = new LinkedHashMap<>(256, 0.75f, true);
  private int kept;

  ChatHistory(ResilientRedis redis, ToIntFunction<String> tokenCounter, int messagesKept) {
    this.redis = redis;
    this.tokenCounter = tokenCounter;
    this.messagesKept = messagesKept;
  }

  /** A planned read of the {@code limit} (> 0) newest messages; its request goes in the caller's pipeline. */
  record Read(String chatId, int limit, List<HistoryMessage> window, Request request) {}

  /**
   * The read to pipeline right behind the start script: from the newest kept message on, bounded (a
   * reply that fills the range says there may be more), or the newest {@code limit} when nothing is
   * kept.
   */
  Read plan(String chatId, int limit) {
    List<HistoryMessage> window = kept(chatId);
    if (window == null) {
      return new Read(chatId, limit, null, newest(chatId, limit));
    }
    long from = window.get(window.size() - 1).seq() - 1;
    return new Read(chatId, limit, window,
        Request.cmd(Command.LRANGE).arg(Keys.messages(chatId)).arg(from).arg(from + limit + TAIL_SLACK));
  }

  /**
   * The history from the planned read's reply; when the kept window cannot be extended with it (data
   * lost, too much new, or too little kept), the newest messages are read again in full.
   */
  Future<List<HistoryMessage>> complete(Read read, Response reply, Deadline deadline) {
    List<HistoryMessage> got = parse(reply);
    List<HistoryMessage> history = read.window() == null ? got : extend(read.window(), got, read.limit());
    if (history == null) {
      return readNewest(read.chatId(), read.limit(), deadline);
    }
    keep(read.chatId(), history);
    return Future.succeededFuture(history);
  }

  /** The {@code limit} (> 0) newest messages, read in full. */
  Future<List<HistoryMessage>> readNewest(String chatId, int limit, Deadline deadline) {
    return redis.send(newest(chatId, limit), true, deadline).map(reply -> {
      List<HistoryMessage> history = parse(reply);
      keep(chatId, history);
      return history;
    });
  }

  /** The window extended by {@code got} (its first element the window's last), or null when it cannot be. */
  private static List<HistoryMessage> extend(List<HistoryMessage> window, List<HistoryMessage> got, int limit) {
    HistoryMessage last = window.get(window.size() - 1);
    if (got.isEmpty() || !got.get(0).id().equals(last.id()) || got.size() > limit + TAIL_SLACK) {
      return null; // the kept message is gone (Redis lost writes), or the range is full: maybe more came
    }
    List<HistoryMessage> joined = new ArrayList<>(window.size() + got.size() - 1);
    joined.addAll(window);
    joined.addAll(got.subList(1, got.size()));
    if (joined.size() < limit && joined.get(0).seq() > 1) {
      return null; // fewer kept than this job asks for, and older messages exist
    }
    return List.copyOf(joined.subList(Math.max(0, joined.size() - limit), joined.size()));
  }

  private List<HistoryMessage> parse(Response list) {
    List<HistoryMessage> messages = new ArrayList<>(list.size());
    for (Response message : list) {
      messages.add(HistoryMessage.parse(message.toString(), tokenCounter));
    }
    return List.copyOf(messages);
  }

  private static Request newest(String chatId, int limit) {
    return Request.cmd(Command.LRANGE).arg(Keys.messages(chatId)).arg(-limit).arg(-1);
  }

  private synchronized List<HistoryMessage> kept(String chatId) {
    return windows.get(chatId);
  }

  private synchronized void keep(String chatId, List<HistoryMessage> window) {
    List<HistoryMessage> previous = window.isEmpty() ? windows.remove(chatId) : windows.put(chatId, window);
    kept += window.size() - (previous == null ? 0 : previous.size());
    Iterator<Map.Entry<String, List<HistoryMessage>>> eldest = windows.entrySet().iterator();
    while (kept > messagesKept && eldest.hasNext()) {
      kept -= eldest.next().getValue().size();
      eldest.remove();
    }
  }
}
