package dev.relay.gateway.render;

import com.samskivert.mustache.MustacheException;
import com.samskivert.mustache.Template;
import dev.relay.adapters.spi.Channel;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;

/**
 * One locale variant of a template version, compiled, with its links already rewritten to tracking
 * placeholders and the open pixel in place: rendering a message makes only that message's tokens.
 * Immutable and safe to share between threads.
 */
public final class CompiledTemplate {

  /**
   * An unsynchronized writer into one StringBuilder, one per thread, reused for every part of every
   * message rendered there (rendering never calls out of the thread, so parts never interleave).
   */
  private static final class TextWriter extends java.io.Writer {
    private static final int MAX_KEPT_CHARS = 64 * 1024;
    private static final ThreadLocal<TextWriter> PER_THREAD = ThreadLocal.withInitial(TextWriter::new);
    private StringBuilder text = new StringBuilder(1024);

    static TextWriter get() {
      return PER_THREAD.get();
    }

    void reset() {
      if (text.capacity() > MAX_KEPT_CHARS) {
        text = new StringBuilder(1024);
      } else {
        text.setLength(0);
      }
    }

    @Override
    public void write(char[] chars, int offset, int length) {
      text.append(chars, offset, length);
    }

    @Override
    public void write(String string) {
      text.append(string);
    }

    @Override
    public void write(String string, int offset, int length) {
      text.append(string, offset, offset + length);
    }

    @Override
    public java.io.Writer append(CharSequence chars) {
      text.append(chars);
      return this;
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }

    @Override
    public String toString() {
      return text.toString();
    }
  }

  /**
   * One compiled part: a field of the content ({@code subject}, {@code html}, a push data key...), or one
   * string of a structured part ({@code whatsapp_template}): then {@code skeleton} is the part as written and
   * {@code path} the keys and indexes that lead to the string in it.
   */
  record Part(String name, String dataKey, Template template, boolean html, JsonObject skeleton, List<Object> path) {

    Part(String name, String dataKey, Template template, boolean html) {
      this(name, dataKey, template, html, null, null);
    }
  }

  private final long templateId;
  private final String locale;
  private final Map<Channel, List<Part>> channels;
  private final Map<String, Object> defaults;
  private final boolean listUnsubscribe;

  CompiledTemplate(long templateId, String locale, Map<Channel, List<Part>> channels, Map<String, Object> defaults,
                   boolean listUnsubscribe) {
    this.templateId = templateId;
    this.locale = locale;
    this.channels = channels;
    this.defaults = defaults;
    this.listUnsubscribe = listUnsubscribe;
  }

  /** The locale variant this is ({@code tr}, {@code en}...). */
  public String locale() {
    return locale;
  }

  /** Whether the variant has parts for the channel. */
  public boolean has(Channel channel) {
    return channels.containsKey(channel);
  }

  /**
   * The content of one message on one channel, in the adapters' field names: email {@code subject},
   * {@code html}, {@code text} ({@code from}, {@code reply_to} when the template has them) and
   * {@code list_unsubscribe}; SMS and chat {@code text}; push {@code title}, {@code body}, {@code data}.
   *
   * @param recipientLocale the recipient's locale for the helpers (the variant's when null)
   * @param timeZone        the recipient's IANA time zone for the helpers (UTC when null)
   * @throws RenderException when a variable is missing, a helper cannot read its input, or the variant
   *                         has no part for the channel
   */
  public JsonObject render(Channel channel, long messageId, String recipientLocale, String timeZone,
                           JsonObject variables, Tracking tracking) {
    List<Part> parts = channels.get(channel);
    if (parts == null) {
      throw new RenderException("template has no " + channel.wireName() + " part for locale " + locale);
    }
    RenderContext context = new RenderContext(variables, defaults,
      recipientLocale == null ? locale : recipientLocale, timeZone, tracking, messageId, templateId);
    JsonObject content = new JsonObject();
    JsonObject data = null;
    TextWriter out = TextWriter.get();
    for (Part part : parts) {
      context.html(part.html());
      String text;
      try {
        out.reset();
        part.template().execute(context, out);
        text = out.toString();
      } catch (MustacheException.Context e) {
        throw new RenderException("variable '" + e.key + "' is missing (" + channel.wireName() + " "
          + (part.dataKey() != null ? "data '" + part.dataKey() + "'"
          : part.path() != null ? part.name() + " " + pointer(part.path()) : part.name()) + ", line " + e.lineNo
          + ", locale " + locale + ")");
      } catch (MustacheException e) {
        Throwable cause = e.getCause();
        if (cause instanceof RenderException) {
          throw (RenderException) cause;
        }
        throw new RenderException(channel.wireName() + " " + part.name() + ": " + e.getMessage());
      } catch (RenderException e) {
        throw new RenderException(channel.wireName() + " " + part.name() + ": " + e.getMessage());
      } catch (RuntimeException | StackOverflowError e) {
        // The engine failed on these variables (a construct it cannot render for them): this message
        // fails with the reason, as it would on every retry, rather than the whole send or preview.
        throw new RenderException(channel.wireName() + " " + part.name() + ": the template cannot be rendered for "
          + "these variables (" + e + ")");
      }
      if (part.path() != null) {
        JsonObject structured = content.getJsonObject(part.name());
        if (structured == null) {
          structured = part.skeleton().copy();
          content.put(part.name(), structured);
        }
        place(structured, part.path(), text);
      } else if (part.dataKey() != null) {
        if (data == null) {
          data = new JsonObject();
          content.put("data", data);
        }
        data.put(part.dataKey(), text);
      } else {
        content.put(part.name(), text);
      }
    }
    if (channel == Channel.EMAIL && listUnsubscribe) {
      content.put("list_unsubscribe", context.unsubscribeUrl());
    }
    return content;
  }

  /** Puts {@code text} at {@code path} (object keys and array indexes) in {@code structured}. */
  private static void place(JsonObject structured, List<Object> path, String text) {
    Object container = structured;
    for (int i = 0; i < path.size() - 1; i++) {
      Object step = path.get(i);
      container = step instanceof Integer index ? ((JsonArray) container).getValue(index)
        : ((JsonObject) container).getValue((String) step);
    }
    Object last = path.get(path.size() - 1);
    if (last instanceof Integer index) {
      ((JsonArray) container).set(index, text);
    } else {
      ((JsonObject) container).put((String) last, text);
    }
  }

  /** A path as a JSON pointer, such as {@code /components/0/parameters/1/text}. */
  static String pointer(List<Object> path) {
    StringBuilder pointer = new StringBuilder();
    path.forEach(step -> pointer.append('/').append(step));
    return pointer.toString();
  }
}
