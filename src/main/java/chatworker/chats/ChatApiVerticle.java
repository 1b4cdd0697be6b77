package chatworker.chats;

import chatworker.api.Addresses;
import chatworker.api.ApiException;
import chatworker.api.Failures;
import chatworker.store.StoreFailure;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Serves the assistant, chat, message and job addresses; the logic is {@link ChatApi}'s. */
public final class ChatApiVerticle extends VerticleBase {

  private final ChatApi api;
  private final List<MessageConsumer<Object>> consumers = new ArrayList<>();

  public ChatApiVerticle(ChatApi api) {
    this.api = api;
  }

  @Override
  public Future<?> start() {
    serve(Addresses.ASSISTANTS_CREATE, api::createAssistant);
    serve(Addresses.ASSISTANTS_GET, api::getAssistant);
    serve(Addresses.ASSISTANTS_DELETE, api::deleteAssistant);
    serve(Addresses.CHATS_CREATE, api::createChat);
    serve(Addresses.CHATS_GET, api::getChat);
    serve(Addresses.MESSAGES_CREATE, api::createMessage);
    serve(Addresses.MESSAGES_LIST, api::listMessages);
    serve(Addresses.JOBS_GET, api::getJob);
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList());
  }

  private void serve(String address, Function<Object, Future<JsonObject>> handler) {
    consumers.add(vertx.eventBus().consumer(address, (Message<Object> message) -> {
      Future<JsonObject> reply;
      try {
        reply = handler.apply(message.body());
      } catch (RuntimeException e) {
        reply = Future.failedFuture(e);
      }
      reply.onComplete(done -> {
        if (done.succeeded()) {
          message.reply(done.result());
        } else {
          Failures.reply(message, done.cause(), ChatApiVerticle::storeFailure);
        }
      });
    }));
  }

  /** What chats meets below it: the store's failures. */
  private static ApiException storeFailure(Throwable failure) {
    return failure instanceof StoreFailure store ? ApiException.storeFailed(store.timedOut(), store.getMessage()) : null;
  }

  @Override
  public Future<?> stop() {
    return Future.all(consumers.stream().map(MessageConsumer::unregister).toList());
  }
}
