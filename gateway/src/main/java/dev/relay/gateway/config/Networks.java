package dev.relay.gateway.config;

import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.netty.util.NetUtil;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A configured list of IPv4 and IPv6 networks (CIDR notation, or a single address), matched with Netty's
 * {@link IpSubnetFilterRule}. Only IP literals are ever parsed or matched: nothing here does a DNS lookup.
 */
public final class Networks {

  private static final Networks NONE = new Networks(List.of());

  private final List<IpSubnetFilterRule> rules;

  private Networks(List<IpSubnetFilterRule> rules) {
    this.rules = rules;
  }

  /** No network: contains nothing. */
  public static Networks none() {
    return NONE;
  }

  /**
   * The networks of a comma-separated setting; one that is not an IP network fails with a {@link ConfigException}
   * that names the setting and the entry.
   */
  public static Networks parse(String setting, String commaSeparated) {
    return parse(setting, split(commaSeparated));
  }

  public static Networks parse(String setting, List<String> entries) {
    List<IpSubnetFilterRule> rules = new ArrayList<>();
    for (String entry : entries) {
      int slash = entry.indexOf('/');
      InetAddress address = literal(slash < 0 ? entry : entry.substring(0, slash));
      if (address == null) {
        throw new ConfigException(setting + ": '" + entry + "' is not an IP network (CIDR such as 10.0.0.0/8 or 2001:db8::/32)");
      }
      int max = address instanceof Inet4Address ? 32 : 128;
      int bits;
      try {
        bits = slash < 0 ? max : Integer.parseInt(entry.substring(slash + 1).trim());
      } catch (NumberFormatException e) {
        throw new ConfigException(setting + ": '" + entry + "' has no prefix length");
      }
      if (bits < 0 || bits > max) {
        throw new ConfigException(setting + ": '" + entry + "' has a prefix length outside 0.." + max);
      }
      rules.add(new IpSubnetFilterRule(address, bits, IpFilterRuleType.ACCEPT));
    }
    return new Networks(List.copyOf(rules));
  }

  /** Whether the address is in one of the networks (an IPv4-mapped IPv6 address counts as its IPv4 address). */
  public boolean contains(InetAddress address) {
    if (address == null || rules.isEmpty()) {
      return false;
    }
    InetSocketAddress socket = new InetSocketAddress(address, 0);
    for (IpSubnetFilterRule rule : rules) {
      if (rule.matches(socket)) {
        return true;
      }
    }
    return false;
  }

  /** Like {@link #contains(InetAddress)} for an IP literal; false for anything that is not one. */
  public boolean contains(String literal) {
    return literal != null && contains(literal(literal));
  }

  public boolean isEmpty() {
    return rules.isEmpty();
  }

  /** The address an IPv4 or IPv6 literal (IPv6 optionally in brackets) names; null for anything else. */
  public static InetAddress literal(String text) {
    if (text == null) {
      return null;
    }
    String t = text.trim();
    if (t.length() > 2 && t.charAt(0) == '[' && t.charAt(t.length() - 1) == ']') {
      t = t.substring(1, t.length() - 1);
    }
    if (!NetUtil.isValidIpV4Address(t) && !NetUtil.isValidIpV6Address(t)) {
      return null;
    }
    InetAddress address = NetUtil.createInetAddressFromIpAddressString(t);
    byte[] bytes = address == null ? null : address.getAddress();
    if (bytes != null && bytes.length == 16 && isMappedV4(bytes)) {
      try {
        return InetAddress.getByAddress(Arrays.copyOfRange(bytes, 12, 16));
      } catch (UnknownHostException e) {
        throw new IllegalStateException(e);
      }
    }
    return address;
  }

  private static boolean isMappedV4(byte[] b) {
    for (int i = 0; i < 10; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
  }

  /** The non-blank entries of a comma-separated setting, trimmed. */
  public static List<String> split(String setting) {
    List<String> out = new ArrayList<>();
    for (String part : setting.split(",")) {
      if (!part.isBlank()) {
        out.add(part.trim());
      }
    }
    return out;
  }
}
