package dev.relay.gateway.render;

import com.samskivert.mustache.Mustache;

import java.math.BigDecimal;
import java.text.NumberFormat;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.FormatStyle;
import java.util.Currency;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The formatting helpers, as Mustache lambdas bound to a recipient's locale and time zone:
 * <ul>
 *   <li>{@code {{#format_date}}2026-11-22T18:30:00Z{{/format_date}}}: the date in the recipient's zone,
 *   medium style ({@code Nov 22, 2026}, {@code 22 Kas 2026});</li>
 *   <li>{@code {{#format_datetime}}…{{/format_datetime}}}: date and time ({@code 22 Kas 2026 21:30});</li>
 *   <li>{@code {{#format_number}}1234.5{{/format_number}}}: grouped, in the locale's digits
 *   ({@code 1,234.5}, {@code 1.234,5});</li>
 *   <li>{@code {{#format_money}}{{amount}} {{currency}}{{/format_money}}}: an amount and an ISO 4217 code
 *   ({@code ₺1.234,50}, {@code $1,234.50}).</li>
 * </ul>
 * Dates are ISO 8601: an instant or a date-time with offset is shown in the recipient's time zone; a
 * local date-time is taken as in that zone; a date is shown as it is. What a helper cannot read fails the
 * message with a reason naming the helper and the text.
 */
final class Helpers {

  static final String DATE = "format_date";
  static final String DATETIME = "format_datetime";
  static final String NUMBER = "format_number";
  static final String MONEY = "format_money";

  private static final int MAX_CACHED = 4096;
  private static final Map<String, Helpers> CACHE = new ConcurrentHashMap<>();

  final Mustache.Lambda date;
  final Mustache.Lambda dateTime;
  final Mustache.Lambda number;
  final Mustache.Lambda money;

  private Helpers(Locale locale, ZoneId zone) {
    DateTimeFormatter dateFormat = DateTimeFormatter.ofLocalizedDate(FormatStyle.MEDIUM).withLocale(locale);
    DateTimeFormatter dateTimeFormat = DateTimeFormatter.ofLocalizedDateTime(FormatStyle.MEDIUM, FormatStyle.SHORT)
      .withLocale(locale);
    this.date = (frag, out) -> out.write(dateFormat.format(toDate(frag.execute().trim(), zone, DATE)));
    this.dateTime = (frag, out) -> out.write(dateTimeFormat.format(toDateTime(frag.execute().trim(), zone)));
    this.number = (frag, out) -> {
      BigDecimal value = decimal(frag.execute().trim(), NUMBER);
      NumberFormat format = NumberFormat.getNumberInstance(locale);
      format.setMaximumFractionDigits(Math.max(0, value.scale()));
      out.write(format.format(value));
    };
    this.money = (frag, out) -> {
      String text = frag.execute().trim();
      int space = text.lastIndexOf(' ');
      Currency currency;
      try {
        currency = Currency.getInstance(space < 0 ? "" : text.substring(space + 1).trim());
      } catch (IllegalArgumentException e) {
        throw new RenderException(MONEY + " needs an amount and an ISO 4217 currency code, such as '12.50 EUR'; got '"
          + text + "'");
      }
      NumberFormat format = NumberFormat.getCurrencyInstance(locale);
      format.setCurrency(currency);
      format.setMinimumFractionDigits(currency.getDefaultFractionDigits());
      format.setMaximumFractionDigits(currency.getDefaultFractionDigits());
      out.write(format.format(decimal(text.substring(0, space).trim(), MONEY)));
    };
  }

  /** The helpers for a recipient's locale (BCP 47) and time zone (IANA; UTC when absent or unknown). */
  static Helpers of(String localeTag, String zoneId) {
    String key = localeTag + '|' + zoneId;
    Helpers helpers = CACHE.get(key);
    if (helpers == null) {
      helpers = new Helpers(Locale.forLanguageTag(localeTag), zone(zoneId));
      if (CACHE.size() < MAX_CACHED) {
        CACHE.put(key, helpers);
      }
    }
    return helpers;
  }

  Mustache.Lambda get(String name) {
    switch (name) {
      case DATE: return date;
      case DATETIME: return dateTime;
      case NUMBER: return number;
      case MONEY: return money;
      default: return null;
    }
  }

  private static ZoneId zone(String id) {
    if (id == null) {
      return ZoneOffset.UTC;
    }
    try {
      return ZoneId.of(id);
    } catch (DateTimeException e) {
      return ZoneOffset.UTC;
    }
  }

  private static LocalDate toDate(String text, ZoneId zone, String helper) {
    try {
      return LocalDate.parse(text);
    } catch (DateTimeException e) {
      return zoned(text, zone, helper).toLocalDate();
    }
  }

  private static ZonedDateTime toDateTime(String text, ZoneId zone) {
    return zoned(text, zone, DATETIME);
  }

  private static ZonedDateTime zoned(String text, ZoneId zone, String helper) {
    try {
      return OffsetDateTime.parse(text).atZoneSameInstant(zone);
    } catch (DateTimeException e) {
      // not a date-time with offset
    }
    try {
      return Instant.parse(text).atZone(zone);
    } catch (DateTimeException e) {
      // not an instant
    }
    try {
      return LocalDateTime.parse(text).atZone(zone);
    } catch (DateTimeException e) {
      throw new RenderException(helper + " needs an ISO 8601 date or date-time; got '" + text + "'");
    }
  }

  private static BigDecimal decimal(String text, String helper) {
    try {
      return new BigDecimal(text);
    } catch (NumberFormatException e) {
      throw new RenderException(helper + " needs a number such as 1234.50; got '" + text + "'");
    }
  }
}
