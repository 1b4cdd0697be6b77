package chatworker.http;

import chatworker.api.ApiException;
import chatworker.api.ErrorCode;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every failure of the HTTP port as the contract's body {@code {"code", "message"}} with the code's
 * number as status: validation failures name the field, the cluster's failures pass as they came, and
 * nothing else of an exception (no stack, no class name) leaves the node.
 */
final class ErrorReplies {

  private static final Logger log = LoggerFactory.getLogger(ErrorReplies.class);

  private ErrorReplies() {}

  /** Writes {@code failure} as the response, unless one was written already. */
  static void send(RoutingContext ctx, ApiException failure) {
    send(ctx, failure.code().failureCode(), failure.toJson());
  }

  static void send(RoutingContext ctx, int status, JsonObject body) {
    if (ctx.response().headWritten()) {
      if (!ctx.response().ended()) {
        ctx.response().end();
      }
      return;
    }
    ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }

  /** The router's failure handler: whatever failed the request, answered as the contract says. */
  static void routingFailure(RoutingContext ctx, int maxBodyBytes) {
    Throwable failure = ctx.failure();
    int status = ctx.statusCode();
    if (failure instanceof ApiException api) {
      send(ctx, api);
    } else if (status == 413) {
      send(ctx, ApiException.invalid("body", "is larger than " + maxBodyBytes + " bytes"));
    } else if (failure instanceof DecodeException || status == 400) {
      send(ctx, ApiException.invalid("body", "is not a valid JSON object"));
    } else if (status == 404) {
      send(ctx, new ApiException(ErrorCode.NOT_FOUND, "no such path: " + ctx.request().path()));
    } else if (status == 405) {
      send(ctx, 405, new ApiException(ErrorCode.INVALID_REQUEST,
          "method " + ctx.request().method() + " is not allowed on " + ctx.request().path()).toJson());
    } else {
      log.error("Internal error on {} {}", ctx.request().method(), ctx.request().path(), failure);
      send(ctx, new ApiException(ErrorCode.INTERNAL, "internal error; the node logged it"));
    }
  }

  /**
   * What the cluster answered, as a contract failure: a node's failure as it came; no answer in time
   * as TIMEOUT; nobody taking the address as STORE_UNAVAILABLE (no node can serve it now).
   */
  static ApiException fromEventBus(Throwable failure, String address) {
    if (failure instanceof ReplyException reply) {
      if (reply.failureType() == ReplyFailure.TIMEOUT) {
        return new ApiException(ErrorCode.TIMEOUT, "no node answered " + address + " in time");
      }
      if (reply.failureType() == ReplyFailure.NO_HANDLERS) {
        return new ApiException(ErrorCode.STORE_UNAVAILABLE, "no node of the cluster serves " + address + " now");
      }
    }
    return ApiException.fromReply(failure);
  }
}
