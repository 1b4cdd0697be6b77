package chatworker.chats;

import chatworker.api.ApiException;
import chatworker.api.CreateAssistantRequest;
import chatworker.api.CreateChatRequest;
import chatworker.api.CreateMessageRequest;
import chatworker.api.ErrorCode;
import chatworker.api.IdRequest;
import chatworker.api.JobRequest;
import chatworker.api.ListMessagesRequest;
import chatworker.time.Deadline;
import chatworker.store.AssistantStore;
import chatworker.store.ChatStore;
import chatworker.store.JobLookup;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The contract's addresses for assistants, chats, messages and jobs, as plain methods: each parses
 * its body (INVALID_REQUEST naming the field), calls the store with a deadline, and answers the
 * contract's reply or fails with an ApiException.
 */
public final class ChatApi {

  private final AssistantStore assistants;
  private final ChatStore chats;
  private final JobLookup jobs;
  private final long deadlineMs;

  public ChatApi(AssistantStore assistants, ChatStore chats, JobLookup jobs, long deadlineMs) {
    this.assistants = assistants;
    this.chats = chats;
    this.jobs = jobs;
    this.deadlineMs = deadlineMs;
  }

  public Future<JsonObject> createAssistant(Object body) {
    return assistants.create(CreateAssistantRequest.parse(body).assistant(), deadline());
  }

  public Future<JsonObject> getAssistant(Object body) {
    String id = IdRequest.parse(body).id();
    return assistants.get(id, deadline()).map(found -> require(found, "assistant", id));
  }

  public Future<JsonObject> deleteAssistant(Object body) {
    String id = IdRequest.parse(body).id();
    return assistants.delete(id, deadline()).map(existed -> {
      if (!existed) {
        throw ApiException.notFound("assistant", id);
      }
      return new JsonObject().put("id", id).put("deleted", true);
    });
  }

  public Future<JsonObject> createChat(Object body) {
    CreateChatRequest request = CreateChatRequest.parse(body);
    Deadline deadline = deadline();
    return assistants.get(request.assistantId(), deadline)
        .map(assistant -> require(assistant, "assistant", request.assistantId()))
        .compose(assistant -> chats.create(assistant, request.name(), request.metadata(), deadline));
  }

  public Future<JsonObject> getChat(Object body) {
    String id = IdRequest.parse(body).id();
    return chats.get(id, deadline()).map(found -> require(found, "chat", id));
  }

  public Future<JsonObject> createMessage(Object body) {
    CreateMessageRequest request = CreateMessageRequest.parse(body);
    return chats.appendUserMessage(request.chatId(), request.text(), request.metadata(), deadline())
        .map(appended -> switch (appended.status()) {
          case APPENDED -> appended.message();
          case NOT_FOUND -> throw ApiException.notFound("chat", request.chatId());
          case LOCKED -> throw new ApiException(ErrorCode.CHAT_LOCKED,
              "a generation holds chat '" + request.chatId() + "'; add the message with chat.generate's text, or retry");
        });
  }

  public Future<JsonObject> listMessages(Object body) {
    ListMessagesRequest request = ListMessagesRequest.parse(body);
    return chats.listMessages(request.chatId(), request.limit(), request.afterSeq(), deadline())
        .map(messages -> {
          if (messages == null) {
            throw ApiException.notFound("chat", request.chatId());
          }
          return new JsonObject().put("messages", new JsonArray(messages));
        });
  }

  public Future<JsonObject> getJob(Object body) {
    String jobId = JobRequest.parse(body).jobId();
    return jobs.get(jobId, deadline()).map(found -> require(found, "job", jobId));
  }

  private Deadline deadline() {
    return Deadline.inMillis(deadlineMs);
  }

  private static JsonObject require(JsonObject found, String what, String id) {
    if (found == null) {
      throw ApiException.notFound(what, id);
    }
    return found;
  }
}
