package dev.relay.gateway.intake;

/**
 * Where intake puts one recipient of a batch (see {@link IntakeService#place}).
 *
 * @param variant the variant it gets, or null (the batch has no variants, or it is held out)
 * @param state   the state its message starts in when it is not to be sent now ({@code held_out}), or null when it is
 *                (stored {@code queued}, or leased to this process's dispatcher)
 */
public record Placement(String variant, String state) {

  /** The state of a recipient in the campaign's control group: never rendered, sent or retried. */
  public static final String HELD_OUT = "held_out";

  /** Sent now, with no variant. */
  public static final Placement SEND = new Placement(null, null);

  /** Whether the message is to be sent now. */
  public boolean sendNow() {
    return state == null;
  }
}
