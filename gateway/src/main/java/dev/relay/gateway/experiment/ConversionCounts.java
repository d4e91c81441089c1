package dev.relay.gateway.experiment;

import io.vertx.core.Future;

import java.util.Map;

/**
 * Where the {@code conversions} metric of an experiment comes from: per variant of a campaign, how many of its
 * messages that were sent led to an attributed conversion (each message counted once).
 */
public interface ConversionCounts {

  /** The campaign's converted messages by variant; a variant with none may be absent. */
  Future<Map<String, Long>> convertedByVariant(long campaignId);
}
