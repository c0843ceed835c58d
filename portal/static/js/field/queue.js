// The outbox policy (no IndexedDB, no network here): how an action becomes an entry, which entries go in the next
// batch, what each answer means for an entry, which responses count as answers, and when to try again.

export const SCHEMA = 1;
export const BATCH_MAX = 50;

export function makeEntry({ kind, order, payload, photoIds = [], deviceId }) {
  return {
    mutation_id: crypto.randomUUID(),
    device_id: deviceId,
    kind,
    order_id: order ? order.id : null,
    base_version: order ? order.version : null,
    payload,
    photo_ids: photoIds,
  };
}

// FIFO by sequence number; the server sorts a batch by seq too.
export function nextBatch(pending) {
  return [...pending].sort((a, b) => a.seq - b.seq).slice(0, BATCH_MAX);
}

export function batchBody(deviceId, entries) {
  return {
    schema: SCHEMA,
    device_id: deviceId,
    mutations: entries.map(({ mutation_id, seq, kind, order_id, base_version, payload, photo_ids }) => ({
      mutation_id, seq, kind, order_id, base_version, payload, photo_ids,
    })),
  };
}

// Only a 2xx JSON body of our schema is an answer: a captive portal's 200 page is not.
export async function readAnswer(response) {
  if (!response.ok || !(response.headers.get("content-type") || "").includes("application/json")) return null;
  try {
    const body = await response.json();
    return body && body.schema === SCHEMA ? body : null;
  } catch {
    return null;
  }
}

// What each answer does to its entry. A rejection is final and never blocks what follows; retry_later (or no answer)
// stops the batch so the order is kept: those entries stay pending.
export function settleAnswers(entries, answers) {
  const byId = new Map(answers.map((a) => [a.mutation_id, a]));
  const updates = [];
  let stop = false;
  for (const entry of entries) {
    const answer = byId.get(entry.mutation_id);
    if (!answer || answer.status === "retry_later") { stop = true; break; }
    const outcome = answer.status === "duplicate" ? (answer.original_status || "applied") : answer.status;
    if (outcome === "applied") updates.push({ entry, status: "done", result: answer, orderState: "sent" });
    else updates.push({ entry, status: "rejected", result: answer, orderState: "rejected" });
  }
  return { updates, stop };
}

// Exponential back-off with jitter: 30 s, 1 min, 2 min ... at most 10 min, each +-50 %.
export function backoff(failures, { base = 30_000, max = 600_000, random = Math.random } = {}) {
  const delay = Math.min(max, base * 2 ** Math.max(0, failures));
  return Math.round(delay * (0.5 + random()));
}

export function ageText(ms, lang) {
  const minutes = Math.round(ms / 60_000);
  const format = new Intl.RelativeTimeFormat(lang || "en", { numeric: "auto" });
  if (minutes < 60) return format.format(-minutes, "minute");
  const hours = Math.round(minutes / 60);
  if (hours < 48) return format.format(-hours, "hour");
  return format.format(-Math.round(hours / 24), "day");
}
