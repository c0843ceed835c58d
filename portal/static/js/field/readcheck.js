// The read check on the phone (docs/design.md, section 4), the same rule as portal/accounts/reads.py check_read with
// the numbers the server sent with the order: high above 2.5 x the average daily usage x days (or the meter size's
// ceiling), low below 0.3 x, and a read lower than the last one is never taken silently.

const DAY_MS = 86_400_000;

export function checkRead(order, value, at = new Date()) {
  const reads = order.reads || {};
  const meter = order.meter || { dials: 6, multiplier: 1 };
  if (reads.previous == null || !reads.previous_at) return { flags: [], usage: null, reason: null };
  const days = Math.max((at - new Date(reads.previous_at)) / DAY_MS, 1);
  const highs = [];
  if (reads.ceiling_daily != null) highs.push(reads.ceiling_daily * days);
  let low = null;
  if (reads.average_daily != null && reads.average_daily > 0) {
    highs.push((reads.high_factor ?? 2.5) * reads.average_daily * days);
    low = (reads.low_factor ?? 0.3) * reads.average_daily * days;
  }
  const high = highs.length ? Math.min(...highs) : null;
  if (value < reads.previous) {
    const wrapped = (10 ** meter.dials - reads.previous + value) * meter.multiplier;
    if (high == null || wrapped <= high) return { flags: ["negative", "rollover"], usage: wrapped, reason: "rollover" };
    return { flags: ["negative"], usage: null, reason: "negative" };
  }
  const usage = (value - reads.previous) * meter.multiplier;
  if (high != null && usage > high) return { flags: ["high"], usage, reason: "high" };
  if (low != null && usage < low) return { flags: ["low"], usage, reason: "low" };
  return { flags: [], usage, reason: null };
}

// The same as portal/field/rules.py needs_confirmation: any flag asks for the read again, except a low read at a
// restore (the meter was off since the disconnect).
export function needsConfirmation(kind, flags) {
  if (kind === "restore_done") return flags.some((flag) => flag !== "low");
  return flags.length > 0;
}
