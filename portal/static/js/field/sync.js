// The sync loop (docs/field-sync.md): one at a time (a Web Lock, else a lease in IndexedDB); pull what changed
// since the cursor, then push the outbox in seq order in batches of up to 50, then upload photos named by answered
// actions. Progress goes out as `field-sync` events on `window` for the page to show.

import { csrfToken } from "../csrf.js";
import * as db from "./db.js";
import * as queue from "./queue.js";
import { route } from "./routes.js";

const LOCK = "field-sync";
let failures = 0;

function emit(detail) {
  window.dispatchEvent(new CustomEvent("field-sync", { detail }));
}

async function withLock(work) {
  if (navigator.locks && navigator.locks.request) {
    return navigator.locks.request(LOCK, { ifAvailable: true }, (lock) => (lock ? work() : null));
  }
  const owner = crypto.randomUUID();
  if (!(await db.takeLease(owner, 120_000))) return null;
  try {
    return await work();
  } finally {
    await db.releaseLease(owner);
  }
}

export async function pull({ full = false } = {}) {
  const cursor = full ? null : await db.getMeta("cursor");
  const url = cursor ? `${route("sync")}?cursor=${encodeURIComponent(cursor)}` : route("sync");
  const response = await fetch(url, { headers: { accept: "application/json" }, credentials: "same-origin", cache: "no-store" });
  const body = await queue.readAnswer(response);
  if (!body) throw new Error("no answer");
  await db.putOrders(body.orders, body.active_ids);
  await db.setMeta("cursor", body.cursor);
  await db.setMeta("last_pull", Date.now());
  return body;
}

async function push(deviceId) {
  for (;;) {
    const entries = queue.nextBatch(await db.pendingEntries(queue.BATCH_MAX));
    if (!entries.length) return;
    const response = await fetch(route("sync"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", accept: "application/json", "x-csrftoken": csrfToken() },
      body: JSON.stringify(queue.batchBody(deviceId, entries)),
    });
    const body = await queue.readAnswer(response);
    if (!body) throw new Error("no answer");
    const { updates, stop } = queue.settleAnswers(entries, body.answers || []);
    await db.settle(updates);
    emit({ phase: "pushed", count: updates.length });
    if (stop) throw new Error("server asked to retry later");
  }
}

function upload(photo, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", `${route("photo", { client_id: photo.id })}?order_id=${photo.order_id}&sha256=${photo.sha256}`);
    xhr.setRequestHeader("x-csrftoken", csrfToken());
    xhr.setRequestHeader("content-type", "image/jpeg");
    xhr.setRequestHeader("accept", "application/json");
    xhr.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not ours */ }
      resolve({ status: xhr.status, body });
    };
    xhr.onerror = () => reject(new Error("network"));
    xhr.send(photo.blob);
  });
}

async function uploadPhotos() {
  const answered = new Set([...(await db.entriesWithStatus("done")), ...(await db.entriesWithStatus("rejected"))]
    .map((e) => e.mutation_id));
  const photos = (await db.waitingPhotos()).filter((p) => answered.has(p.mutation_id));
  let sent = 0;
  for (const photo of photos) {
    emit({ phase: "photo", done: sent, total: photos.length, progress: 0 });
    const { status, body } = await upload(photo, (progress) => emit({ phase: "photo", done: sent, total: photos.length, progress }));
    if (status === 200 && body && body.sha256 === photo.sha256) {
      await db.photoConfirmed(photo.id); // only now: the server holds the same bytes
      sent += 1;
    } else if (status >= 500 || status === 0) {
      throw new Error("photo upload failed");
    } else {
      // Refused (a 4xx: cut off, not an image): the technician is told why, on the sync bar, and can take another
      // with a note on the order. It was kept as "waiting" and tried at every sync while the bar said all was sent.
      await db.photoRefused(photo.id, body && body.message);
      emit({ phase: "photo-refused" });
    }
  }
  emit({ phase: "photo", done: sent, total: photos.length, progress: 1 });
}

// One full round; resolves to true when everything answered, false when another tab is syncing.
export async function syncNow(reason = "manual") {
  if (!navigator.onLine) {
    emit({ phase: "offline" });
    return false;
  }
  const ran = await withLock(async () => {
    emit({ phase: "start", reason });
    try {
      const deviceId = await db.deviceId();
      await pull();
      await push(deviceId);
      await uploadPhotos();
      failures = 0;
      await db.setMeta("last_sync", Date.now());
      emit({ phase: "done" });
      return true;
    } catch (error) {
      failures += 1;
      emit({ phase: "failed", error: String(error) });
      return false;
    }
  });
  return ran ?? false;
}

export function nextDelay(hasWaiting) {
  return failures ? queue.backoff(failures) : queue.backoff(0, { base: hasWaiting ? 30_000 : 300_000 });
}
