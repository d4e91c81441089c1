package dev.relay.adapters.sms;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Twilio's request signature ({@code X-Twilio-Signature}): the base64 of the HMAC-SHA1, keyed by the auth
 * token, of the full URL Twilio called followed by every POST parameter's name and value, sorted by name
 * (and, for a repeated name, by value, each distinct value once). Like Twilio's own validators, a
 * signature also matches when the URL differs only by an explicit default port, which proxies add or remove.
 */
final class TwilioSignature {

  private static final String ALGORITHM = "HmacSHA1";

  private final SecretKeySpec key;

  TwilioSignature(String authToken) {
    this.key = new SecretKeySpec(authToken.getBytes(StandardCharsets.UTF_8), ALGORITHM);
  }

  /** The signature of a call to {@code url} with {@code params} (name, value pairs in any order). */
  String sign(String url, List<Map.Entry<String, String>> params) {
    // Sorted by name, then value, with exact repeats counted once, as Twilio's own validators do.
    Set<Map.Entry<String, String>> sorted = new TreeSet<>(Map.Entry.<String, String>comparingByKey()
      .thenComparing(Map.Entry.comparingByValue()));
    sorted.addAll(params);
    StringBuilder data = new StringBuilder(url);
    for (Map.Entry<String, String> param : sorted) {
      data.append(param.getKey()).append(param.getValue());
    }
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return Base64.getEncoder().encodeToString(mac.doFinal(data.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(ALGORITHM + " is not available in this JVM", e);
    }
  }

  /** Whether {@code signature} is the signature of the call, compared in constant time. */
  boolean matches(String signature, String url, List<Map.Entry<String, String>> params) {
    byte[] given = signature.trim().getBytes(StandardCharsets.US_ASCII);
    boolean match = false;
    for (String variant : urlVariants(url)) {
      // Every variant is computed, so the time taken does not depend on which one matched.
      match |= MessageDigest.isEqual(given, sign(variant, params).getBytes(StandardCharsets.US_ASCII));
    }
    return match;
  }

  /** The URL as given, and the same URL with its default port removed or added. */
  static Set<String> urlVariants(String url) {
    Set<String> variants = new LinkedHashSet<>();
    variants.add(url);
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return variants;
    }
    if (uri.getScheme() == null || uri.getHost() == null) {
      return variants;
    }
    int defaultPort = "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    int port = uri.getPort();
    if (port == defaultPort) {
      variants.add(withPort(uri, -1));
    } else if (port == -1) {
      variants.add(withPort(uri, defaultPort));
    }
    return variants;
  }

  private static String withPort(URI uri, int port) {
    StringBuilder url = new StringBuilder(uri.getScheme()).append("://");
    if (uri.getRawUserInfo() != null) {
      url.append(uri.getRawUserInfo()).append('@');
    }
    url.append(uri.getHost());
    if (port != -1) {
      url.append(':').append(port);
    }
    if (uri.getRawPath() != null) {
      url.append(uri.getRawPath());
    }
    if (uri.getRawQuery() != null) {
      url.append('?').append(uri.getRawQuery());
    }
    if (uri.getRawFragment() != null) {
      url.append('#').append(uri.getRawFragment());
    }
    return url.toString();
  }
}
