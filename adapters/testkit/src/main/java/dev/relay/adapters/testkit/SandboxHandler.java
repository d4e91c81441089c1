package dev.relay.adapters.testkit;

import dev.relay.adapters.testkit.SandboxServer.Receipt;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/** The sandbox's HTTP API (see {@link SandboxServer}); one instance serves every event loop of a sandbox. */
final class SandboxHandler implements Handler<HttpServerRequest> {

  static final String REJECTED_REASON = "sandbox rejects this address";
  static final String NO_ADDRESS_REASON = "message has no address ('to')";
  private static final int LISTED_RECEIPTS = 100;

  private final Vertx vertx;
  private final ReceiptLog log = new ReceiptLog();
  private final FaultRules faults = new FaultRules();
  private final AtomicLong requests = new AtomicLong();

  SandboxHandler(Vertx vertx) {
    this.vertx = vertx;
  }

  ReceiptLog log() {
    return log;
  }

  FaultRules faults() {
    return faults;
  }

  long requestCount() {
    return requests.get();
  }

  void reset() {
    faults.clear();
    log.clear();
    requests.set(0);
  }

  /** How many receipts a listing shows: {@code ?last=N} (1 to 100000), else the default. */
  private static int listed(String last) {
    if (last == null) {
      return LISTED_RECEIPTS;
    }
    try {
      return Math.max(1, Math.min(100_000, Integer.parseInt(last)));
    } catch (NumberFormatException e) {
      return LISTED_RECEIPTS;
    }
  }

  @Override
  public void handle(HttpServerRequest request) {
    String path = request.path();
    HttpMethod method = request.method();
    if ("/v1/messages".equals(path)) {
      if (HttpMethod.POST.equals(method)) {
        requests.incrementAndGet();
        // A body that never completes means the client went away: there is no one left to answer.
        request.body().onSuccess(body -> post(request, body));
      } else if (HttpMethod.GET.equals(method)) {
        FaultRules.json(request, 200, log.summary(listed(request.getParam("last"))));
      } else {
        notAllowed(request, "GET, POST");
      }
    } else if ("/_sandbox/faults".equals(path)) {
      if (HttpMethod.POST.equals(method)) {
        request.body().onSuccess(body -> injectFault(request, body));
      } else if (HttpMethod.DELETE.equals(method)) {
        faults.clear();
        request.response().setStatusCode(204).end();
      } else if (HttpMethod.GET.equals(method)) {
        FaultRules.json(request, 200, activeFaults());
      } else {
        notAllowed(request, "GET, POST, DELETE");
      }
    } else if ("/_sandbox/reset".equals(path)) {
      if (HttpMethod.POST.equals(method)) {
        reset();
        request.response().setStatusCode(204).end();
      } else {
        notAllowed(request, "POST");
      }
    } else {
      FaultRules.error(request, 404, "no such resource: " + path);
    }
  }

  private void post(HttpServerRequest request, Buffer body) {
    Fault fault = faults.pick();
    if (fault == null) {
      accept(request, body);
    } else {
      FaultRules.apply(vertx, request, fault, () -> accept(request, body));
    }
  }

  private void accept(HttpServerRequest request, Buffer body) {
    List<Incoming> incoming;
    try {
      incoming = parse(body);
    } catch (IllegalArgumentException e) {
      FaultRules.error(request, 400, e.getMessage());
      return;
    }
    JsonArray results = log.record(incoming, Instant.now());
    FaultRules.json(request, 200, new JsonObject().put("results", results));
  }

  private void injectFault(HttpServerRequest request, Buffer body) {
    try {
      faults.inject(Fault.fromJson(object(body)));
    } catch (IllegalArgumentException e) {
      FaultRules.error(request, 400, e.getMessage());
      return;
    }
    FaultRules.json(request, 201, activeFaults());
  }

  private JsonObject activeFaults() {
    JsonArray active = new JsonArray();
    faults.active().forEach(f -> active.add(f.toJson()));
    return new JsonObject().put("active", active);
  }

  private static void notAllowed(HttpServerRequest request, String allowed) {
    request.response().putHeader(HttpHeaders.ALLOW, allowed);
    FaultRules.error(request, 405, request.method() + " is not allowed here; use " + allowed);
  }

  /** A message as posted; {@code rejection} is the reason it is refused, or null when it is accepted. */
  record Incoming(String idempotencyKey, int attempt, String channel, String address, String tenant, String campaign,
                  String recipientId, String locale, JsonObject content, String rejection) {
  }

  /** Reads a request body; a malformed one throws {@link IllegalArgumentException} that says what is wrong. */
  static List<Incoming> parse(Buffer body) {
    Object messagesValue = object(body).getValue("messages");
    if (!(messagesValue instanceof JsonArray) || ((JsonArray) messagesValue).isEmpty()) {
      throw new IllegalArgumentException("body must be an object with a non-empty array 'messages'");
    }
    JsonArray messages = (JsonArray) messagesValue;
    List<Incoming> incoming = new ArrayList<>(messages.size());
    for (int i = 0; i < messages.size(); i++) {
      Object item = messages.getValue(i);
      if (!(item instanceof JsonObject)) {
        throw new IllegalArgumentException("messages[" + i + "] must be an object");
      }
      JsonObject m = (JsonObject) item;
      String key = string(m, "idempotency_key", i);
      if (key == null || key.isBlank()) {
        throw new IllegalArgumentException("messages[" + i + "].idempotency_key is required");
      }
      Object attempt = m.getValue("attempt");
      if (attempt != null && !(attempt instanceof Integer || attempt instanceof Long)) {
        throw new IllegalArgumentException("messages[" + i + "].attempt must be a whole number");
      }
      Object content = m.getValue("content");
      if (content != null && !(content instanceof JsonObject)) {
        throw new IllegalArgumentException("messages[" + i + "].content must be an object");
      }
      String to = string(m, "to", i);
      incoming.add(new Incoming(key, attempt == null ? 1 : ((Number) attempt).intValue(), string(m, "channel", i), to,
        string(m, "tenant", i), string(m, "campaign", i), string(m, "recipient_id", i), string(m, "locale", i),
        content == null ? new JsonObject() : (JsonObject) content, rejection(to)));
    }
    return incoming;
  }

  /** Reads a body that must be a JSON object; anything else throws {@link IllegalArgumentException}. */
  static JsonObject object(Buffer body) {
    Object root;
    try {
      root = Json.decodeValue(body);
    } catch (DecodeException e) {
      throw new IllegalArgumentException("body is not JSON: " + e.getMessage());
    }
    if (!(root instanceof JsonObject)) {
      throw new IllegalArgumentException("body must be a JSON object");
    }
    return (JsonObject) root;
  }

  /**
   * The sandbox's one rejection rule: an address that starts with {@code reject} (any case), or a phone
   * number {@code +1555000} followed by digits, is refused permanently; so is a missing address.
   */
  static String rejection(String address) {
    if (address == null || address.isBlank()) {
      return NO_ADDRESS_REASON;
    }
    if (address.regionMatches(true, 0, "reject", 0, 6)) {
      return REJECTED_REASON;
    }
    if (address.startsWith("+1555000") && address.length() > 8 && address.chars().skip(1).allMatch(Character::isDigit)) {
      return REJECTED_REASON;
    }
    return null;
  }

  private static String string(JsonObject message, String field, int index) {
    Object value = message.getValue(field);
    if (value != null && !(value instanceof String)) {
      throw new IllegalArgumentException("messages[" + index + "]." + field + " must be a string");
    }
    return (String) value;
  }

  /**
   * What arrived: receipts in order and the provider id of every accepted key. One lock per request
   * (not per message) keeps it cheap with several event loops writing.
   */
  static final class ReceiptLog {
    private final String prefix = "sbx_" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40, 1L << 41), 36)
      + "_";
    private final List<Receipt> receipts = new ArrayList<>();
    private final Map<String, String> idsByKey = new HashMap<>();
    private long sequence;

    /** Records the accepted messages of one request and returns its results, in order. */
    synchronized JsonArray record(List<Incoming> incoming, Instant now) {
      JsonArray results = new JsonArray(new ArrayList<>(incoming.size()));
      for (Incoming m : incoming) {
        if (m.rejection() != null) {
          results.add(new JsonObject().put("status", "rejected").put("permanent", true).put("reason", m.rejection()));
          continue;
        }
        String id = idsByKey.get(m.idempotencyKey());
        if (id == null) {
          id = prefix + Long.toString(++sequence, 36);
          idsByKey.put(m.idempotencyKey(), id);
        }
        receipts.add(new Receipt(m.idempotencyKey(), m.attempt(), m.channel(), m.address(), m.tenant(), m.campaign(),
          m.recipientId(), m.locale(), m.content(), id, now));
        results.add(new JsonObject().put("status", "accepted").put("id", id));
      }
      return results;
    }

    synchronized List<Receipt> receipts() {
      return List.copyOf(receipts);
    }

    synchronized int receivedCount() {
      return receipts.size();
    }

    synchronized int uniqueCount() {
      return idsByKey.size();
    }

    synchronized int duplicateCount() {
      return receipts.size() - idsByKey.size();
    }

    synchronized void clear() {
      receipts.clear();
      idsByKey.clear();
    }

    synchronized JsonObject summary(int last) {
      JsonArray listed = new JsonArray();
      for (Receipt r : receipts.subList(Math.max(0, receipts.size() - last), receipts.size())) {
        listed.add(toJson(r));
      }
      return new JsonObject()
        .put("count", receipts.size())
        .put("unique", idsByKey.size())
        .put("duplicates", receipts.size() - idsByKey.size())
        .put("messages", listed);
    }

    private static JsonObject toJson(Receipt r) {
      return new JsonObject()
        .put("idempotency_key", r.idempotencyKey())
        .put("attempt", r.attempt())
        .put("channel", r.channel())
        .put("to", r.address())
        .put("tenant", r.tenant())
        .put("campaign", r.campaign())
        .put("recipient_id", r.recipientId())
        .put("locale", r.locale())
        .put("content", r.content())
        .put("id", r.providerId())
        .put("received_at", r.receivedAt().toString());
    }
  }
}
