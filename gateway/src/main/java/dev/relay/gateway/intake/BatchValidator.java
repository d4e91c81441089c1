package dev.relay.gateway.intake;

import dev.relay.gateway.lifecycle.Priority;
import dev.relay.adapters.spi.Channel;
import dev.relay.gateway.experiment.Assignment;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.DateTimeException;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Checks a batch request whose shape the OpenAPI document has already validated: the limits that
 * depend on configuration, and each recipient one by one. A batch-wide problem throws
 * {@link InvalidBatchException}; a bad recipient is rejected with its index and reason while the
 * others go on.
 */
public final class BatchValidator {

  private static final Set<String> RECIPIENT_FIELDS = Set.of("id", "addresses", "locale", "time_zone", "variables");
  private static final String EMAIL_ATEXT = "!#$%&'*+/=?^_`{|}~-";
  private static final Pattern PUSH_TOKEN = Pattern.compile("[A-Za-z0-9:_.\\-]{8,4096}");
  private static final Pattern LOCALE = Pattern.compile("[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}");
  private static final int KNOWN_CACHE_LIMIT = 10_000;
  /** A batch's variants: at least two (one is no experiment), at most 26 (a to z). */
  public static final int MIN_VARIANTS = 2;
  public static final int MAX_VARIANTS = 26;
  /** The largest weight of a variant: weights are relative, and their sum must stay exact enough. */
  public static final double MAX_WEIGHT = 1e9;

  /** Locales and time zones already found valid: a batch repeats a handful of them thousands of times. */
  private static final Set<String> KNOWN_LOCALES = ConcurrentHashMap.newKeySet();
  private static final Set<String> KNOWN_ZONES = ConcurrentHashMap.newKeySet();

  private final IntakeLimits limits;

  public BatchValidator(IntakeLimits limits) {
    this.limits = limits;
  }

  /** Validates a request body of the shape the OpenAPI document's {@code BatchRequest} describes. */
  public ValidatedBatch validate(JsonObject body) {
    JsonArray recipients = body.getJsonArray("recipients");
    if (recipients.size() > limits.maxRecipients()) {
      throw new InvalidBatchException("too-many-recipients",
        "A batch may hold at most " + limits.maxRecipients() + " recipients; this one holds " + recipients.size()
          + ". Split it into several batches.",
        new JsonObject().put("limit", limits.maxRecipients()).put("actual", recipients.size()));
    }
    int ttl = body.getInteger("ttl_seconds", limits.defaultTtlSeconds());
    if (ttl > limits.maxTtlSeconds()) {
      throw new InvalidBatchException("ttl-too-long",
        "ttl_seconds may be at most " + limits.maxTtlSeconds() + "; this batch asks for " + ttl + ".",
        new JsonObject().put("limit", limits.maxTtlSeconds()).put("actual", ttl));
    }
    String campaignProblem = UnicodeText.problem(body.getString("campaign"), UnicodeText.Controls.NONE);
    if (campaignProblem != null) {
      throw new InvalidBatchException("invalid-text", "campaign " + campaignProblem + "; nothing was stored.",
        new JsonObject().put("pointer", "/campaign"));
    }
    List<ValidatedBatch.Variant> variants = variants(body);
    Double holdout = holdout(body);
    OffsetDateTime sendAt = null;
    if (body.getString("send_at") != null) {
      try {
        sendAt = OffsetDateTime.parse(body.getString("send_at"));
      } catch (DateTimeParseException e) {
        throw new InvalidBatchException("invalid-send-at",
          "send_at must be an RFC 3339 date-time with an offset, such as 2026-12-01T09:00:00+03:00.", new JsonObject());
      }
    }
    List<Channel> channels = new ArrayList<>();
    for (Object name : body.getJsonArray("channels")) {
      Channel channel = Channel.fromWireName((String) name).orElseThrow(() -> new InvalidBatchException(
        "unknown-channel", "Unknown channel '" + name + "'.", new JsonObject()));
      if (channels.contains(channel)) {
        throw new InvalidBatchException("duplicate-channel",
          "Channel '" + name + "' appears twice in the fallback list.", new JsonObject());
      }
      channels.add(channel);
    }

    JsonArray accepted = new JsonArray(new ArrayList<>(recipients.size()));
    List<Rejection> rejected = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>(recipients.size() * 2);
    for (int i = 0; i < recipients.size(); i++) {
      Object item = recipients.getValue(i);
      String at = "/recipients/" + i;
      if (!(item instanceof JsonObject)) {
        rejected.add(new Rejection(i, null, "a recipient must be a JSON object", at));
        continue;
      }
      JsonObject recipient = (JsonObject) item;
      Object id = recipient.getValue("id");
      String idText = id instanceof String ? (String) id : null;
      Problem problem = checkRecipient(recipient, channels);
      if (problem == null) {
        Integer first = seen.putIfAbsent(idText, i);
        if (first != null) {
          problem = new Problem("/id", "duplicate recipient id; it first appears at index " + first);
        }
      }
      if (problem == null) {
        accepted.add(recipient);
      } else {
        boolean quotable = idText != null && idText.length() <= IntakeLimits.MAX_SHORT_STRING
          && UnicodeText.problem(idText, UnicodeText.Controls.NONE) == null;
        rejected.add(new Rejection(i, quotable ? idText : null, problem.reason(), at + problem.pointer()));
      }
    }
    return new ValidatedBatch(body.getString("campaign"), body.getString("template"), body.getInteger("template_version"),
      List.copyOf(channels), Priority.of(body.getString("priority", "marketing")), sendAt, ttl, accepted, List.copyOf(rejected),
      body.getString("on_cap", "skip"), variants, holdout, body.getString("topic"));
  }

  /** The batch's variants, or null when it names one template; exactly one of the two is given. */
  private static List<ValidatedBatch.Variant> variants(JsonObject body) {
    JsonArray given = body.getJsonArray("variants");
    if (given == null) {
      if (body.getString("template") == null) {
        throw new InvalidBatchException("template-or-variants",
          "A batch gives either template (one template for every recipient) or variants; this one gives neither.",
          new JsonObject().put("pointer", "/template"));
      }
      return null;
    }
    if (body.getValue("template") != null || body.getValue("template_version") != null) {
      throw new InvalidBatchException("template-or-variants", "A batch gives either template (with "
        + "template_version) or variants, each naming its own template; this one gives both.",
        new JsonObject().put("pointer", body.getValue("template") != null ? "/template" : "/template_version"));
    }
    if (given.size() < MIN_VARIANTS || given.size() > MAX_VARIANTS) {
      throw new InvalidBatchException("invalid-variant-count", "variants must list " + MIN_VARIANTS + " to "
        + MAX_VARIANTS + " variants; this batch lists " + given.size() + ". Nothing was stored.",
        new JsonObject().put("pointer", "/variants").put("min", MIN_VARIANTS).put("max", MAX_VARIANTS)
          .put("actual", given.size()));
    }
    List<ValidatedBatch.Variant> variants = new ArrayList<>(given.size());
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < given.size(); i++) {
      JsonObject v = given.getJsonObject(i);
      String at = "/variants/" + i;
      Object name = v.getValue("name");
      if (!(name instanceof String) || !Assignment.NAME.matcher((String) name).matches()) {
        throw new InvalidBatchException("invalid-variant-name", at + "/name: a variant's name is 1 to 32 of a-z, 0-9, "
          + "_ and -, starting with a letter or digit; nothing was stored.", new JsonObject().put("pointer", at + "/name"));
      }
      Integer first = seen.putIfAbsent((String) name, i);
      if (first != null) {
        throw new InvalidBatchException("duplicate-variant", at + "/name: variant '" + name
          + "' is already named at /variants/" + first + "; nothing was stored.",
          new JsonObject().put("pointer", at + "/name").put("variant", name));
      }
      if (v.getValue("template") == null) {
        throw new InvalidBatchException("missing-variant-template", at + "/template: variant '" + name
          + "' names no template; nothing was stored.", new JsonObject().put("pointer", at + "/template"));
      }
      Object weight = v.getValue("weight", 1);
      double w = weight instanceof Number ? ((Number) weight).doubleValue() : Double.NaN;
      if (!(w > 0 && w <= MAX_WEIGHT)) {
        throw new InvalidBatchException("invalid-variant-weight", at + "/weight: a variant's weight is a number over 0 "
          + "and at most " + (long) MAX_WEIGHT + "; variant '" + name + "' has " + weight + ". Nothing was stored.",
          new JsonObject().put("pointer", at + "/weight"));
      }
      variants.add(new ValidatedBatch.Variant((String) name, v.getString("template"), v.getInteger("template_version"),
        w));
    }
    return List.copyOf(variants);
  }

  /** The holdout share the batch gives, or null: 0 ≤ holdout < 1. */
  private static Double holdout(JsonObject body) {
    Object given = body.getValue("holdout");
    if (given == null) {
      return null;
    }
    double h = ((Number) given).doubleValue();
    if (!(h >= 0 && h < 1)) {
      throw new InvalidBatchException("invalid-holdout", "holdout is the share of the campaign's recipients kept out "
        + "as a control group, at least 0 and under 1; this batch gives " + given + ". Nothing was stored.",
        new JsonObject().put("pointer", "/holdout"));
    }
    return h;
  }

  /** What is wrong with a recipient: the JSON pointer of the value at fault, relative to the recipient, and why. */
  private record Problem(String pointer, String reason) {
  }

  private Problem checkRecipient(JsonObject recipient, List<Channel> channels) {
    for (String field : recipient.fieldNames()) {
      if (!RECIPIENT_FIELDS.contains(field)) {
        return new Problem(UnicodeText.pointer("", field), "unknown field '" + UnicodeText.quote(field) + "'");
      }
    }
    Object id = recipient.getValue("id");
    if (id == null) {
      return new Problem("", "id is missing");
    }
    Problem problem = shortText("id", "/id", id);
    if (problem != null) {
      return problem;
    }
    Object addresses = recipient.getValue("addresses");
    if (!(addresses instanceof JsonObject)) {
      return addresses == null ? new Problem("", "addresses is missing")
        : new Problem("/addresses", "addresses must be an object of channel to address");
    }
    problem = checkAddresses((JsonObject) addresses, channels);
    if (problem != null) {
      return problem;
    }
    Object locale = recipient.getValue("locale");
    if (locale != null) {
      problem = shortText("locale", "/locale", locale);
      if (problem != null) {
        return problem;
      }
      if (!KNOWN_LOCALES.contains(locale)) {
        if (!LOCALE.matcher((String) locale).matches()) {
          return new Problem("/locale", "locale is not a BCP 47 language tag such as en or tr-TR");
        }
        remember(KNOWN_LOCALES, (String) locale);
      }
    }
    Object zone = recipient.getValue("time_zone");
    if (zone != null) {
      problem = shortText("time_zone", "/time_zone", zone);
      if (problem != null) {
        return problem;
      }
      if (!KNOWN_ZONES.contains(zone)) {
        try {
          ZoneId.of((String) zone);
        } catch (DateTimeException e) {
          return new Problem("/time_zone", "time_zone is not an IANA time zone such as Europe/Istanbul");
        }
        remember(KNOWN_ZONES, (String) zone);
      }
    }
    Object variables = recipient.getValue("variables");
    if (variables != null) {
      if (!(variables instanceof JsonObject)) {
        return new Problem("/variables", "variables must be an object");
      }
      return checkVariables((JsonObject) variables);
    }
    return null;
  }

  private Problem checkAddresses(JsonObject addresses, List<Channel> channels) {
    boolean reachable = false;
    for (String name : addresses.fieldNames()) {
      Channel channel = Channel.fromWireName(name).orElse(null);
      String pointer = UnicodeText.pointer("/addresses", name);
      if (channel == null) {
        return new Problem(pointer, "addresses." + UnicodeText.quote(name)
          + " is not a channel (email, sms, push, chat, webhook)");
      }
      Object value = addresses.getValue(name);
      String field = "addresses." + name;
      Problem problem = shortText(field, pointer, value);
      if (problem != null) {
        return problem;
      }
      String address = (String) value;
      switch (channel) {
        case EMAIL:
          if (!isEmail(address)) {
            return new Problem(pointer, field + " is not a valid email address");
          }
          break;
        case SMS:
          if (!isE164(address)) {
            return new Problem(pointer, field + " is not an E.164 phone number such as +905551234567");
          }
          break;
        case PUSH:
          if (!PUSH_TOKEN.matcher(address).matches()) {
            return new Problem(pointer, field + " is not a device token");
          }
          break;
        default:
          break;
      }
      reachable |= channels.contains(channel);
    }
    if (!reachable) {
      return new Problem("/addresses", "no address for any of the batch's channels (" + String.join(", ",
        channels.stream().map(Channel::wireName).toList()) + ")");
    }
    return null;
  }

  private Problem checkVariables(JsonObject variables) {
    if (variables.size() > limits.maxVariables()) {
      return new Problem("/variables", "variables has " + variables.size() + " entries; at most "
        + limits.maxVariables() + " are allowed");
    }
    for (String name : variables.fieldNames()) {
      String pointer = UnicodeText.pointer("/variables", name);
      if (!isVariableName(name)) {
        return new Problem(pointer, "variables." + UnicodeText.quote(name)
          + " is not a valid variable name (letters, digits and _, at most 64)");
      }
      Problem problem = checkValue("variables." + name, pointer, variables.getValue(name), 1);
      if (problem != null) {
        return problem;
      }
    }
    return null;
  }

  private Problem checkValue(String path, String pointer, Object value, int depth) {
    if (value instanceof String) {
      String text = (String) value;
      if (text.length() > limits.maxStringLength()) {
        return new Problem(pointer, path + " is " + text.length() + " characters long; at most "
          + limits.maxStringLength() + " are allowed");
      }
      // Variables are text people read: they may hold tabs and line breaks.
      String problem = UnicodeText.problem(text, UnicodeText.Controls.LINES);
      return problem == null ? null : new Problem(pointer, path + " " + problem);
    }
    if (value instanceof JsonObject || value instanceof JsonArray) {
      if (depth >= IntakeLimits.MAX_VARIABLE_DEPTH) {
        return new Problem(pointer, path + " is nested more than " + IntakeLimits.MAX_VARIABLE_DEPTH + " levels deep");
      }
    }
    if (value instanceof JsonObject) {
      for (String key : ((JsonObject) value).fieldNames()) {
        String at = UnicodeText.pointer(pointer, key);
        if (key.length() > IntakeLimits.MAX_SHORT_STRING) {
          return new Problem(at, path + " has a key longer than " + IntakeLimits.MAX_SHORT_STRING + " characters");
        }
        String keyProblem = UnicodeText.problem(key, UnicodeText.Controls.NONE);
        if (keyProblem != null) {
          return new Problem(at, path + " has a key that " + keyProblem);
        }
        Problem problem = checkValue(path + "." + UnicodeText.quote(key), at, ((JsonObject) value).getValue(key),
          depth + 1);
        if (problem != null) {
          return problem;
        }
      }
    } else if (value instanceof JsonArray) {
      JsonArray array = (JsonArray) value;
      for (int i = 0; i < array.size(); i++) {
        Problem problem = checkValue(path + "[" + i + "]", pointer + "/" + i, array.getValue(i), depth + 1);
        if (problem != null) {
          return problem;
        }
      }
    }
    return null;
  }

  /** An id, address, locale or zone: a non-empty string of at most 256 characters, with no control character. */
  private static Problem shortText(String field, String pointer, Object value) {
    if (!(value instanceof String)) {
      return new Problem(pointer, field + " must be a string");
    }
    String text = (String) value;
    if (text.isEmpty()) {
      return new Problem(pointer, field + " is empty");
    }
    if (text.length() > IntakeLimits.MAX_SHORT_STRING) {
      return new Problem(pointer, field + " is longer than " + IntakeLimits.MAX_SHORT_STRING + " characters");
    }
    String problem = UnicodeText.problem(text, UnicodeText.Controls.NONE);
    return problem == null ? null : new Problem(pointer, field + " " + problem);
  }

  /**
   * An RFC 5321 mailbox in its common form: a dot-atom local part of at most 64 characters, and a
   * domain of two or more LDH labels; at most 254 characters. No quoted local parts, no IP literals.
   */
  static boolean isEmail(String address) {
    int at = address.lastIndexOf('@');
    if (at < 1 || at > 64 || address.length() > 254 || at == address.length() - 1) {
      return false;
    }
    char previous = '.';
    for (int i = 0; i < at; i++) {
      char c = address.charAt(i);
      if (c == '.') {
        if (previous == '.') {
          return false;
        }
      } else if (!isAsciiAlphanumeric(c) && EMAIL_ATEXT.indexOf(c) < 0) {
        return false;
      }
      previous = c;
    }
    if (previous == '.') {
      return false;
    }
    int labels = 0;
    int labelStart = at + 1;
    for (int i = at + 1; i <= address.length(); i++) {
      if (i == address.length() || address.charAt(i) == '.') {
        if (!isDomainLabel(address, labelStart, i)) {
          return false;
        }
        labels++;
        labelStart = i + 1;
      }
    }
    return labels >= 2;
  }

  private static boolean isDomainLabel(String s, int from, int to) {
    int length = to - from;
    if (length < 1 || length > 63 || s.charAt(from) == '-' || s.charAt(to - 1) == '-') {
      return false;
    }
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (!isAsciiAlphanumeric(c) && c != '-') {
        return false;
      }
    }
    return true;
  }

  /** {@code +} and 7 to 15 digits, the first not 0. */
  static boolean isE164(String number) {
    int length = number.length();
    if (length < 8 || length > 16 || number.charAt(0) != '+' || number.charAt(1) == '0') {
      return false;
    }
    for (int i = 1; i < length; i++) {
      char c = number.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  /** Letters, digits and _, not starting with a digit, at most 64 characters. */
  static boolean isVariableName(String name) {
    if (name.isEmpty() || name.length() > 64 || (name.charAt(0) >= '0' && name.charAt(0) <= '9')) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!isAsciiAlphanumeric(c) && c != '_') {
        return false;
      }
    }
    return true;
  }

  private static boolean isAsciiAlphanumeric(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }

  private static void remember(Set<String> known, String value) {
    if (known.size() < KNOWN_CACHE_LIMIT) {
      known.add(value);
    }
  }
}
