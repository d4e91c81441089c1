package dev.relay.adapters.spi;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A delivery channel. A batch names one channel or an ordered fallback list of them, and a recipient
 * carries one address per channel it can be reached on.
 */
public enum Channel {

  /** Email, addressed by an RFC 5321 mailbox. */
  EMAIL,

  /** SMS, addressed by an E.164 phone number. */
  SMS,

  /** Mobile push, addressed by a device token. */
  PUSH,

  /** Social and chat apps (Slack, Telegram, WhatsApp), addressed by the app's user or chat id. */
  CHAT,

  /** A generic HTTP webhook, addressed by the recipient's id at the receiving system. */
  WEBHOOK;

  private static final Map<String, Channel> BY_WIRE_NAME = new HashMap<>();

  static {
    for (Channel channel : values()) {
      BY_WIRE_NAME.put(channel.wireName, channel);
    }
  }

  private final String wireName = name().toLowerCase(Locale.ROOT);

  /** The channel's name as it appears in the API and in configuration: lower case. */
  public String wireName() {
    return wireName;
  }

  /** The channel for an API or configuration name, or empty when there is none of that name. */
  public static Optional<Channel> fromWireName(String name) {
    return Optional.ofNullable(BY_WIRE_NAME.get(name));
  }
}
