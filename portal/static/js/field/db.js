// The phone's field data in IndexedDB. This module alone opens the database (versioned schema, one upgrade
// function); everything else calls the functions below. Each action is one readwrite transaction that updates the
// local order, takes the next sequence number and appends the outbox entry (never a network call inside one).

const NAME = "field";
const VERSION = 1;
let opening = null;

function upgrade(db, oldVersion) {
  if (oldVersion < 1) {
    db.createObjectStore("orders", { keyPath: "id" });
    const outbox = db.createObjectStore("outbox", { keyPath: "mutation_id" });
    outbox.createIndex("seq", "seq", { unique: true });
    outbox.createIndex("status", "status");
    const photos = db.createObjectStore("photos", { keyPath: "id" });
    photos.createIndex("status", "status");
    db.createObjectStore("meta", { keyPath: "key" });
  }
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

export function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(NAME, VERSION);
      req.onupgradeneeded = (event) => upgrade(req.result, event.oldVersion);
      req.onsuccess = () => {
        const db = req.result;
        // The browser may close the connection (storage pressure, another tab upgrading): open again next time.
        db.onclose = () => { opening = null; };
        db.onversionchange = () => { db.close(); opening = null; };
        resolve(db);
      };
      req.onerror = () => { opening = null; reject(req.error); };
      req.onblocked = () => reject(new Error("database upgrade blocked by another tab"));
    });
  }
  return opening;
}

async function run(stores, mode, work) {
  let db = await open();
  let tx;
  try {
    tx = db.transaction(stores, mode);
  } catch (error) {
    if (error.name !== "InvalidStateError") throw error;
    opening = null; // the connection was lost between calls
    db = await open();
    tx = db.transaction(stores, mode);
  }
  const result = work(tx);
  await done(tx);
  return result instanceof Promise ? await result : result;
}

// ---- meta ------------------------------------------------------------------------------------------------------

export async function getMeta(key, fallback = null) {
  const row = await run(["meta"], "readonly", (tx) => request(tx.objectStore("meta").get(key)));
  return row ? row.value : fallback;
}

export function setMeta(key, value) {
  return run(["meta"], "readwrite", (tx) => { tx.objectStore("meta").put({ key, value }); });
}

export async function deviceId() {
  let id = await getMeta("device_id");
  if (!id) {
    id = crypto.randomUUID();
    await setMeta("device_id", id);
  }
  return id;
}

// A lease for browsers without Web Locks: one sync at a time across tabs.
export function takeLease(owner, ms) {
  return run(["meta"], "readwrite", (tx) => {
    const store = tx.objectStore("meta");
    return request(store.get("sync_lease")).then((row) => {
      const now = Date.now();
      if (row && row.value.until > now && row.value.owner !== owner) return false;
      store.put({ key: "sync_lease", value: { owner, until: now + ms } });
      return true;
    });
  });
}

export function releaseLease(owner) {
  return run(["meta"], "readwrite", (tx) => {
    const store = tx.objectStore("meta");
    return request(store.get("sync_lease")).then((row) => {
      if (row && row.value.owner === owner) store.delete("sync_lease");
    });
  });
}

// ---- orders ----------------------------------------------------------------------------------------------------

export function getOrder(id) {
  return run(["orders"], "readonly", (tx) => request(tx.objectStore("orders").get(Number(id))));
}

export function allOrders() {
  return run(["orders"], "readonly", (tx) => request(tx.objectStore("orders").getAll()));
}

// Merge what the server sent: its fields win, the phone's own state of the order (`local`) stays. Orders no longer
// assigned to this technician leave the phone unless an action on them still waits or was refused.
export function putOrders(orders, activeIds) {
  return run(["orders"], "readwrite", (tx) => {
    const store = tx.objectStore("orders");
    const keep = activeIds ? new Set(activeIds) : null;
    const incoming = new Set(orders.map((o) => o.id));
    return request(store.getAll()).then((existing) => {
      const byId = new Map(existing.map((o) => [o.id, o]));
      for (const order of orders) {
        const old = byId.get(order.id);
        if (old && old.version > order.version) continue;
        store.put({ ...order, local: old ? old.local : null });
      }
      if (keep) {
        for (const old of existing) {
          if (!keep.has(old.id) && !incoming.has(old.id) && !(old.local && old.local.state !== "sent")) store.delete(old.id);
        }
      }
    });
  });
}

// ---- actions ---------------------------------------------------------------------------------------------------

// One action: the order's local state, the next sequence number, the outbox entry and its photos, atomically.
export function recordAction(entry, photos, localState) {
  return run(["orders", "outbox", "photos", "meta"], "readwrite", (tx) => {
    const meta = tx.objectStore("meta");
    return request(meta.get("seq")).then((row) => {
      const seq = (row ? row.value : 0) + 1;
      meta.put({ key: "seq", value: seq });
      const stored = { ...entry, seq, status: "pending", created_at: Date.now() };
      tx.objectStore("outbox").add(stored);
      for (const photo of photos) tx.objectStore("photos").put({ ...photo, mutation_id: entry.mutation_id, status: "waiting" });
      if (entry.order_id != null && localState) {
        const orders = tx.objectStore("orders");
        request(orders.get(entry.order_id)).then((order) => {
          if (order) orders.put({ ...order, local: { ...localState, mutation_id: entry.mutation_id, at: Date.now() } });
        });
      }
      return stored;
    });
  });
}

export function pendingEntries(limit) {
  return run(["outbox"], "readonly", (tx) => new Promise((resolve, reject) => {
    const out = [];
    const cursor = tx.objectStore("outbox").index("seq").openCursor();
    cursor.onerror = () => reject(cursor.error);
    cursor.onsuccess = () => {
      const c = cursor.result;
      if (!c || out.length >= limit) return resolve(out);
      if (c.value.status === "pending") out.push(c.value);
      c.continue();
    };
  }));
}

export function entriesWithStatus(status) {
  return run(["outbox"], "readonly", (tx) => request(tx.objectStore("outbox").index("status").getAll(status)));
}

// Write the server's answers: each entry's status and result, and the local state of its order.
export function settle(updates) {
  return run(["outbox", "orders"], "readwrite", (tx) => {
    const outbox = tx.objectStore("outbox");
    const orders = tx.objectStore("orders");
    for (const { entry, status, result, orderState } of updates) {
      outbox.put({ ...entry, status, result, answered_at: Date.now() });
      if (entry.order_id == null) continue;
      request(orders.get(entry.order_id)).then((order) => {
        if (!order || !order.local || order.local.mutation_id !== entry.mutation_id) return;
        const server = result && result.order ? { status: result.order.status, version: result.order.version } : {};
        orders.put({ ...order, ...server, local: { ...order.local, state: orderState, message: result && result.message } });
      });
    }
  });
}

export function dismiss(mutationId) {
  return run(["outbox"], "readwrite", (tx) => {
    const store = tx.objectStore("outbox");
    return request(store.get(mutationId)).then((entry) => { if (entry) store.put({ ...entry, status: "dismissed" }); });
  });
}

// ---- photos ----------------------------------------------------------------------------------------------------

export function waitingPhotos() {
  return run(["photos"], "readonly", (tx) => request(tx.objectStore("photos").index("status").getAll("waiting")));
}

export function allPhotos() {
  return run(["photos"], "readonly", (tx) => request(tx.objectStore("photos").getAll()));
}

// The server refused it (cut off, not an image): kept with the server's words, out of the sending, until the
// technician has read them; the bytes are not worth sending again.
export function photoRefused(id, message) {
  return run(["photos"], "readwrite", (tx) => {
    const store = tx.objectStore("photos");
    return request(store.get(id)).then((photo) => {
      if (photo) store.put({ ...photo, blob: null, status: "refused", message: message || "" });
    });
  });
}

export function refusedPhotos() {
  return run(["photos"], "readonly", (tx) => request(tx.objectStore("photos").index("status").getAll("refused")));
}

// Only after the server confirmed the checksum, or once a refusal is read.
export function photoConfirmed(id) {
  return run(["photos"], "readwrite", (tx) => { tx.objectStore("photos").delete(id); });
}

// ---- what waits ------------------------------------------------------------------------------------------------

export function counts() {
  return run(["outbox", "photos"], "readonly", (tx) => Promise.all([
    request(tx.objectStore("outbox").index("status").getAll("pending")),
    request(tx.objectStore("photos").index("status").getAll("waiting")),
  ]).then(([entries, photos]) => ({
    waiting: entries.length,
    oldest: entries.reduce((min, e) => Math.min(min, e.created_at), Infinity),
    photos: photos.length,
  })));
}

// Sign-out on a shared phone: nothing of this technician stays (the caller refuses while actions wait).
export function clearAll() {
  return run(["orders", "outbox", "photos", "meta"], "readwrite", (tx) => {
    for (const name of ["orders", "outbox", "photos"]) tx.objectStore(name).clear();
    tx.objectStore("meta").delete("cursor");
  });
}
