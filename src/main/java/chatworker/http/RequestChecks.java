package chatworker.http;

import chatworker.api.ApiException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.json.schema.Validator;
import io.vertx.json.schema.common.dsl.SchemaType;
import io.vertx.openapi.contract.Location;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One operation's request checked against the OpenAPI document's schemas: its path, query and header
 * parameters and its JSON body. The validators are built once, when the node starts. The router's own
 * validation (vertx-openapi 5.0.7) builds them again for every request, copying the document's whole
 * schema lookup each time, and hops to a worker thread and back: that cost HTTP two thirds of its
 * throughput (docs/BENCHMARKS.md, "HTTP API vs event bus").
 */
final class RequestChecks {

  private static final String JSON = "application/json";
  private static final Pattern REQUIRED = Pattern.compile("required property \"([^\"]+)\"");

  private final List<ParameterCheck> parameters = new ArrayList<>();
  private final Validator body;
  private final boolean bodyRequired;
  private final Consumer<JsonObject> parser;

  /**
   * @param parser the event-bus parser of the body, given the body as JSON; its words name a field the
   *               way the event bus does, so they answer a body the document refuses when it refuses
   *               it too (the two agree on what is valid: OpenApiDocumentTest). May be null.
   */
  RequestChecks(SchemaRepository schemas, Operation operation, Consumer<JsonObject> parser) {
    for (Parameter parameter : operation.getParameters()) {
      parameters.add(new ParameterCheck(parameter, schemas.validator(parameter.getSchema())));
    }
    MediaType json = operation.getRequestBody() == null ? null : operation.getRequestBody().getContent().get(JSON);
    this.body = json == null ? null : schemas.validator(json.getSchema());
    this.bodyRequired = operation.getRequestBody() != null && operation.getRequestBody().isRequired();
    this.parser = parser;
  }

  /** The request's first problem as a 400 naming the field, or null when it is valid. */
  ApiException check(RoutingContext ctx) {
    for (ParameterCheck parameter : parameters) {
      ApiException invalid = parameter.check(ctx);
      if (invalid != null) {
        return invalid;
      }
    }
    return body == null ? null : checkBody(ctx);
  }

  private ApiException checkBody(RoutingContext ctx) {
    Buffer raw = ctx.body().buffer();
    if (raw == null || raw.length() == 0) {
      return bodyRequired ? ApiException.invalid("body", "is required: a JSON object") : null;
    }
    String contentType = ctx.request().getHeader("content-type");
    if (contentType == null || !contentType.toLowerCase().startsWith(JSON)) {
      return ApiException.invalid("Content-Type", "must be application/json");
    }
    Object value;
    try {
      value = Json.decodeValue(raw);
    } catch (DecodeException notJson) {
      return ApiException.invalid("body", "is not a valid JSON object");
    }
    if (!(value instanceof JsonObject json)) {
      return ApiException.invalid("body", "must be a JSON object");
    }
    OutputUnit result = body.validate(json);
    if (Boolean.TRUE.equals(result.getValid())) {
      return null;
    }
    if (parser != null) {
      try {
        parser.accept(json);
      } catch (ApiException invalid) {
        return invalid;
      } catch (RuntimeException unexpected) {
        // a body shape the parser did not expect: the schema's words below
      }
    }
    return describe("", result);
  }

  /**
   * A schema's refusal in words a client can act on: the deepest error without sub-errors, with its
   * field (the JSON pointer as a dotted path under {@code prefix}).
   */
  static ApiException describe(String prefix, OutputUnit result) {
    OutputUnit leaf = deepestLeaf(result);
    String field = join(prefix, fieldOf(leaf.getInstanceLocation()));
    String error = leaf.getError() == null ? "is invalid" : leaf.getError();
    Matcher required = REQUIRED.matcher(error);
    if (required.find()) {
      return ApiException.invalid(join(field, required.group(1)), "is required");
    }
    return ApiException.invalid(field.isEmpty() ? "body" : field, error);
  }

  private static String join(String prefix, String field) {
    return prefix.isEmpty() ? field : field.isEmpty() ? prefix : prefix + "." + field;
  }

  private static OutputUnit deepestLeaf(OutputUnit unit) {
    if (unit.getErrors() == null || unit.getErrors().isEmpty()) {
      return unit;
    }
    OutputUnit deepest = null;
    for (OutputUnit child : unit.getErrors()) {
      OutputUnit leaf = deepestLeaf(child);
      if (deepest == null || depth(leaf) > depth(deepest)) {
        deepest = leaf;
      }
    }
    return deepest;
  }

  private static int depth(OutputUnit unit) {
    String field = fieldOf(unit.getInstanceLocation());
    return field.isEmpty() ? 0 : field.split("\\.").length;
  }

  private static String fieldOf(String instanceLocation) {
    if (instanceLocation == null) {
      return "";
    }
    String pointer = instanceLocation.startsWith("#") ? instanceLocation.substring(1) : instanceLocation;
    return (pointer.startsWith("/") ? pointer.substring(1) : pointer).replace('/', '.');
  }

  /** A path, query or header parameter: present when required, and valid against its schema. */
  private record ParameterCheck(Parameter parameter, Validator validator) {

    ApiException check(RoutingContext ctx) {
      String raw = switch (parameter.getIn()) {
        case PATH -> ctx.pathParam(parameter.getName());
        case QUERY -> ctx.queryParams().get(parameter.getName());
        case HEADER -> ctx.request().getHeader(parameter.getName());
        default -> null;
      };
      if (raw == null) {
        return parameter.isRequired() ? ApiException.invalid(parameter.getName(), "is required") : null;
      }
      OutputUnit result = validator.validate(typed(raw));
      return Boolean.TRUE.equals(result.getValid()) ? null : describe(parameter.getName(), result);
    }

    /** A number where the schema wants one: a query string is text until read as its type says. */
    private Object typed(String raw) {
      if (parameter.getIn() != Location.HEADER && parameter.getSchemaType() == SchemaType.INTEGER) {
        try {
          return Long.parseLong(raw);
        } catch (NumberFormatException notANumber) {
          return raw;
        }
      }
      return raw;
    }
  }
}
