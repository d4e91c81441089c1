package dev.relay.gateway.api;

import dev.relay.gateway.config.ConfigException;
import dev.relay.gateway.config.Networks;
import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;
import io.netty.util.NetUtil;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The address of the client behind a request. Without {@code http.trusted-proxies} it is the direct peer.
 * When the peer is in those networks, the proxies' header ({@code http.forwarded-header}: {@code X-Forwarded-For}
 * or RFC 7239 {@code Forwarded}, never both, so that a client cannot slip in the one the proxy does not
 * rewrite) is walked from the right, the end the proxies appended to: trusted hops are skipped and the first
 * address that is not a trusted proxy is the client. Entries to its left were written by the client itself and
 * are never taken. An entry that is no IP address (RFC 7239's {@code unknown} or an obfuscated name) stops the
 * walk at the hop that forwarded it.
 */
public final class ClientAddress {

  /** Which header the trusted proxies write. */
  public enum Header {
    X_FORWARDED_FOR("X-Forwarded-For"), FORWARDED("Forwarded");

    private final String name;

    Header(String name) {
      this.name = name;
    }

    public String headerName() {
      return name;
    }
  }

  private static final ClientAddress DIRECT = new ClientAddress(Networks.none(), Header.X_FORWARDED_FOR);

  private final Networks trusted;
  private final Header header;

  private ClientAddress(Networks trusted, Header header) {
    this.trusted = trusted;
    this.header = header;
  }

  /** Every request's client is its direct peer. */
  public static ClientAddress direct() {
    return DIRECT;
  }

  public static ClientAddress of(Networks trustedProxies, Header header) {
    return new ClientAddress(trustedProxies, header);
  }

  public static ClientAddress from(RelayConfig config) {
    String name = config.string(Setting.HTTP_FORWARDED_HEADER).trim();
    Header header = null;
    for (Header h : Header.values()) {
      if (h.headerName().equalsIgnoreCase(name)) {
        header = h;
      }
    }
    if (header == null) {
      throw new ConfigException(Setting.HTTP_FORWARDED_HEADER.key() + ": '" + name
        + "' is neither X-Forwarded-For nor Forwarded");
    }
    return new ClientAddress(Networks.parse(Setting.HTTP_TRUSTED_PROXIES.key(),
      config.string(Setting.HTTP_TRUSTED_PROXIES)), header);
  }

  /** The request's client address; null when the connection has none (a unix socket). */
  public String of(HttpServerRequest request) {
    SocketAddress remote = request.remoteAddress();
    String peer = remote == null ? null : remote.hostAddress();
    if (peer == null || trusted.isEmpty()) {
      return peer;
    }
    return resolve(peer, request.headers().getAll(header.headerName()));
  }

  /** The client address for a direct peer and the values of the forwarding header, in the order received. */
  String resolve(String peer, List<String> headerValues) {
    InetAddress current = Networks.literal(peer);
    if (current == null || !trusted.contains(current)) {
      return peer;
    }
    List<String> hops = new ArrayList<>();
    for (String value : headerValues) {
      hops.addAll(header == Header.FORWARDED ? forwardedFor(value) : xForwardedFor(value));
    }
    for (int i = hops.size() - 1; i >= 0; i--) {
      InetAddress hop = Networks.literal(withoutPort(hops.get(i)));
      if (hop == null) {
        break;
      }
      current = hop;
      if (!trusted.contains(hop)) {
        break;
      }
    }
    return NetUtil.toAddressString(current);
  }

  private static List<String> xForwardedFor(String value) {
    List<String> hops = new ArrayList<>();
    for (String part : value.split(",", -1)) {
      hops.add(part.trim());
    }
    return hops;
  }

  /** The {@code for} parameter of each element of an RFC 7239 header value (quoted strings honoured); "" when absent. */
  static List<String> forwardedFor(String value) {
    List<String> hops = new ArrayList<>();
    String found = "";
    StringBuilder pair = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i <= value.length(); i++) {
      char c = i < value.length() ? value.charAt(i) : ',';
      if (quoted) {
        if (c == '\\' && i + 1 < value.length()) {
          pair.append(value.charAt(++i));
        } else if (c == '"') {
          quoted = false;
        } else {
          pair.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ';' || c == ',') {
        String p = pair.toString().trim();
        int eq = p.indexOf('=');
        if (eq > 0 && p.substring(0, eq).trim().toLowerCase(Locale.ROOT).equals("for")) {
          found = p.substring(eq + 1).trim();
        }
        pair.setLength(0);
        if (c == ',') {
          hops.add(found);
          found = "";
        }
      } else {
        pair.append(c);
      }
    }
    return hops;
  }

  /** An address without the port a proxy may have added: {@code 192.0.2.1:4711}, {@code [2001:db8::1]:4711}. */
  private static String withoutPort(String hop) {
    String h = hop.trim();
    if (h.startsWith("[")) {
      int close = h.indexOf(']');
      return close < 0 ? h : h.substring(0, close + 1);
    }
    int colon = h.indexOf(':');
    return colon > 0 && colon == h.lastIndexOf(':') ? h.substring(0, colon) : h;
  }
}
