// Field pages with JavaScript: the forms save each action on the phone (IndexedDB outbox) and the sync loop sends
// it; the sync bar shows what waits; today's list and each order show the phone's own state. Without JavaScript the
// same forms post to the server directly.

import * as db from "./db.js";
import { checkRead, needsConfirmation } from "./readcheck.js";
import { preparePhoto } from "./photo.js";
import * as queue from "./queue.js";
import { route } from "./routes.js";
import { nextDelay, pull, syncNow } from "./sync.js";

const bar = document.querySelector("[data-sync-bar]");
const lang = document.documentElement.lang || "en";
const text = (name, values = {}) =>
  (bar?.dataset[name] || "").replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
let timer = null;

// ---- the sync bar ----------------------------------------------------------------------------------------------

async function renderBar(status) {
  if (!bar) return;
  bar.hidden = false;
  const { waiting, oldest, photos } = await db.counts();
  bar.querySelector("[data-sync-count]").textContent = String(waiting + photos);
  bar.dataset.waiting = String(waiting);
  let line = waiting ? text("textWaiting", { n: waiting, age: queue.ageText(Date.now() - oldest, lang) }) : text("textNone");
  if (!navigator.onLine) line = `${text("textOffline")} ${waiting ? line : ""}`.trim();
  else if (status === "start") line = text("textSyncing");
  else if (status === "failed") line = `${text("textFailed")} ${waiting ? line : ""}`.trim();
  bar.querySelector("[data-sync-text]").textContent = line;
  const photoLine = bar.querySelector("[data-sync-photos]");
  photoLine.hidden = photos === 0;
  if (photos) photoLine.textContent = text("textPhotos", { done: 0, total: photos });
  await renderRefusedPhotos();
}

// A photo the server refused: why, a link to its order (a note there can carry a new photo), and "Got it".
async function renderRefusedPhotos() {
  const box = bar.querySelector("[data-photo-refusals]");
  if (!box) return;
  box.replaceChildren();
  for (const photo of await db.refusedPhotos()) {
    const notice = document.createElement("div");
    notice.className = "notice notice--error";
    notice.setAttribute("role", "alert");
    const words = document.createElement("p");
    words.textContent = text("textPhotoRefused", { order: photo.order_id, message: photo.message });
    const link = document.createElement("a");
    link.href = route("order", { order_id: photo.order_id });
    link.textContent = text("textPhotoAgain");
    const done = document.createElement("button");
    done.type = "button";
    done.className = "button button--secondary button--small";
    done.textContent = text("textPhotoDismiss");
    done.addEventListener("click", async () => { await db.photoConfirmed(photo.id); notice.remove(); });
    const actions = document.createElement("div");
    actions.className = "button-list";
    actions.append(link, done);
    notice.append(words, actions);
    box.append(notice);
  }
}

window.addEventListener("field-sync", async (event) => {
  const { phase } = event.detail;
  if (phase === "photo" && bar) {
    const { done, total, progress } = event.detail;
    const line = bar.querySelector("[data-sync-photos]");
    const meter = bar.querySelector("[data-sync-progress]");
    line.hidden = total === 0;
    meter.hidden = total === 0 || done === total;
    line.textContent = text("textPhotos", { done, total });
    meter.max = total || 1;
    meter.value = done + (progress || 0);
    return;
  }
  await renderBar(phase);
  if (phase === "done" || phase === "pushed" || phase === "failed") await renderLocalState();
  if (phase === "done") await keepNewPages();
  if (phase === "done" || phase === "failed" || phase === "offline") schedule();
});

async function schedule() {
  clearTimeout(timer);
  const { waiting, photos } = await db.counts();
  timer = setTimeout(() => syncNow("timer"), nextDelay(waiting + photos > 0));
}

// ---- local state on today's list and on an order ---------------------------------------------------------------

function stateText(order) {
  const local = order.local;
  if (!local) return null;
  if (local.state === "waiting") return text("textLocalWaiting");
  if (local.state === "sent") return text("textLocalSent");
  if (local.state === "rejected") return local.message || "";
  return null;
}

async function renderLocalState() {
  const orders = await db.allOrders();
  const list = document.querySelector("[data-order-list]");
  if (list) {
    const shown = new Set();
    for (const item of list.querySelectorAll("[data-order-id]")) {
      const order = orders.find((o) => o.id === Number(item.dataset.orderId));
      shown.add(Number(item.dataset.orderId));
      const line = item.querySelector("[data-local-state]");
      const words = order && stateText(order);
      line.hidden = !words;
      line.textContent = words || "";
    }
    // Orders the phone learned about after this page was made (a restore asked for, a new assignment), drawn as
    // the server draws a card; one due after today stays under "Coming up" (the server lists it there).
    const today = list.dataset.today || "";
    for (const order of orders) {
      if (shown.has(order.id) || !["open", "assigned"].includes(order.status) || order.local) continue;
      if ((today && order.due_on > today) || document.querySelector(`[data-upcoming-id="${order.id}"]`)) continue;
      const li = document.createElement("li");
      li.className = "card order";
      li.dataset.orderId = String(order.id);
      const link = document.createElement("a");
      link.href = route("order", { order_id: order.id });
      const kind = document.createElement("strong");
      kind.textContent = order.kind_label || order.kind;
      const where = [order.premise.address, order.premise.unit].filter(Boolean).join(" ");
      link.append(kind, ` · ${where}`);
      li.append(link);
      list.append(li);
    }
  }
  await renderConflicts();
  const pageOrder = currentOrderId();
  if (pageOrder != null) {
    const order = orders.find((o) => o.id === pageOrder);
    const notice = document.querySelector("[data-local-state]");
    const words = order && stateText(order);
    // A rejection is shown once, by its conflict card (with its Restore now), not again in this notice.
    const shownAsConflict = order?.local?.state === "rejected" && document.querySelector("[data-conflicts] .notice, [data-conflict-for]");
    if (notice) {
      notice.hidden = !words || Boolean(shownAsConflict);
      notice.textContent = notice.hidden ? "" : words;
      notice.className = `notice ${order?.local?.state === "rejected" ? "notice--error" : "notice--success"}`;
    }
    if (order && order.local && order.local.state !== "rejected") {
      for (const form of document.querySelectorAll("form[data-field-action]")) {
        if (form.dataset.fieldAction !== "add_note") form.hidden = true;
      }
      const status = document.querySelector("[data-order-status]");
      if (status && order.local.state) status.textContent = words;
    }
  }
}

async function renderConflicts() {
  const box = document.querySelector("[data-conflicts]");
  if (!box) return;
  const rejected = await db.entriesWithStatus("rejected");
  // On an order's page: that order's conflicts only, with the same Restore now as today's list (unless the server
  // already shows that answer on the page).
  const onlyOrder = box.dataset.conflictsOrder ? Number(box.dataset.conflictsOrder) : null;
  box.replaceChildren();
  for (const entry of rejected) {
    if (onlyOrder != null && entry.order_id !== onlyOrder) continue;
    if (document.querySelector(`[data-conflict-for="${entry.mutation_id}"]`)) continue;
    const card = document.createElement("div");
    card.className = "notice notice--error";
    card.setAttribute("role", "alert");
    const message = document.createElement("p");
    message.textContent = entry.result?.message || "";
    card.append(message);
    const actions = document.createElement("div");
    actions.className = "button-list";
    if (entry.result?.server_state?.restore_offer) {
      const restore = document.createElement("button");
      restore.type = "button";
      restore.className = "button button--primary";
      restore.textContent = box.dataset.textRestore;
      restore.addEventListener("click", async () => {
        const order = await db.getOrder(entry.order_id);
        await record("request_restore", order || { id: entry.order_id, version: null }, {}, [], null);
        await db.dismiss(entry.mutation_id);
        message.textContent = box.dataset.textRestoreAsked;
        restore.remove();
        syncNow("restore");
      });
      actions.append(restore);
    }
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "button button--secondary button--small";
    dismiss.textContent = box.dataset.textDismiss;
    dismiss.addEventListener("click", async () => { await db.dismiss(entry.mutation_id); card.remove(); });
    actions.append(dismiss);
    card.append(actions);
    box.append(card);
  }
}

function currentOrderId() {
  const match = location.pathname.match(/^\/field\/orders\/(\d+)/);
  return match ? Number(match[1]) : null;
}

// ---- recording an action -------------------------------------------------------------------------------------

async function currentPosition() {
  // Only when already permitted: never a prompt in the middle of a job.
  try {
    const permission = await navigator.permissions?.query({ name: "geolocation" });
    if (!permission || permission.state !== "granted") return null;
    const position = await new Promise((resolve, reject) =>
      navigator.geolocation.getCurrentPosition(resolve, reject, { enableHighAccuracy: true, timeout: 5000, maximumAge: 60000 }));
    return { lat: position.coords.latitude, lon: position.coords.longitude, accuracy: position.coords.accuracy };
  } catch {
    return null;
  }
}

async function record(kind, order, payload, photos, localState = { state: "waiting", action: null }) {
  const deviceId = await db.deviceId();
  const entry = queue.makeEntry({ kind, order, payload: { ...payload, at: new Date().toISOString() },
                                  photoIds: photos.map((p) => p.id), deviceId });
  const stored = await db.recordAction(entry, photos, localState && { ...localState, action: kind });
  navigator.serviceWorker?.ready.then((registration) => registration.sync?.register("field-outbox")).catch(() => {});
  return stored;
}

function orderFromPage() {
  const data = document.getElementById("order-data");
  return data ? JSON.parse(data.textContent) : null;
}

function showError(form, message, field) {
  let box = form.querySelector("[data-form-error]");
  if (!box) {
    box = document.createElement("p");
    box.className = "field-error";
    box.dataset.formError = "";
    box.setAttribute("role", "alert");
    form.prepend(box);
  }
  box.textContent = message;
  field?.focus();
}

async function onSubmit(event) {
  const form = event.target.closest("form[data-field-action]");
  if (!form) return;
  event.preventDefault();
  const kind = form.dataset.fieldAction;
  const orderId = currentOrderId();
  const order = (await db.getOrder(orderId)) || orderFromPage();
  const data = new FormData(form);
  const payload = {};
  for (const name of ["value", "seal", "code", "note", "leak_found", "serial", "new_serial", "new_size", "new_value"]) {
    const value = data.get(name);
    if (typeof value === "string" && value.trim()) payload[name] = value.trim();
  }
  const valueInput = form.querySelector('[name="value"]');
  // A read's own message where the form carries one (read_texts in field/order.html), else the field's label.
  const readText = (name, n) =>
    (form.dataset[name] || valueInput?.labels?.[0]?.textContent || "").replace("{n}", String(n ?? ""));
  if (valueInput?.required && !payload.value) return showError(form, readText("textReadMissing"), valueInput);
  if (payload.value && !/^\d+$/.test(payload.value)) return showError(form, readText("textReadDigits"), valueInput);
  const dials = order?.meter?.dials;
  if (payload.value && dials && payload.value.replace(/^0+(?=\d)/, "").length > dials) {
    return showError(form, readText("textReadDials", dials), valueInput);  // the sync would refuse it (sync.py)
  }
  for (const input of form.querySelectorAll("[required]")) {
    if (input.type === "radio" ? !form.querySelector(`[name="${input.name}"]:checked`) : (input.type !== "file" && !input.value.trim())) {
      return showError(form, input.closest("fieldset")?.querySelector("legend")?.textContent || input.labels?.[0]?.textContent || "", input);
    }
  }
  if (payload.value) payload.value = Number(payload.value);
  const fileInput = form.querySelector('input[type="file"]');
  const files = fileInput ? [...fileInput.files] : [];
  let needsPhoto = fileInput?.required || false;

  // Every form with a read (a read, a disconnect's final read, a restore, a completion) asks again for a flagged
  // one, as the server does (a low read at a restore is expected: the meter was off).
  const confirmField = form.querySelector("[data-confirm-field]");
  if (payload.value != null && order && confirmField) {
    const check = checkRead(order, payload.value);
    const warning = form.querySelector("[data-read-warning]");
    const confirm = form.querySelector('[name="confirm_value"]');
    if (needsConfirmation(kind, check.flags)) {
      // Asked first, or the read was changed since it was asked about: say what is wrong with this one.
      if (confirmField.hidden || form.dataset.warnedValue !== String(payload.value)) {
        form.dataset.warnedValue = String(payload.value);
        confirm.value = "";
        warning.hidden = false;
        warning.textContent = form.dataset[`text${check.reason[0].toUpperCase()}${check.reason.slice(1)}`] || check.reason;
        confirmField.hidden = false;
        const photoField = form.querySelector("[data-photo-field]");
        if (photoField) photoField.hidden = false;
        confirm.focus();
        return;
      }
      if (confirm.value.trim() !== String(payload.value)) return showError(form, form.dataset.textMismatch || "", confirm);
      payload.confirmed = true;
      needsPhoto = true;
    } else if (warning && !warning.hidden) {
      warning.hidden = true;  // the read was corrected: the warning about the old one no longer applies
    }
  }
  if (needsPhoto && !files.length) return showError(form, form.dataset.textPhoto || fileInput?.labels?.[0]?.textContent || "", fileInput);

  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const photos = [];
    for (const file of files) photos.push(await preparePhoto(file, orderId));
    const where = await currentPosition();
    if (where) payload.location = where;
    if (!(await db.getOrder(orderId)) && order) await db.putOrders([order], null);
    await record(kind, order, payload, photos, kind === "add_note" ? null : { state: "waiting" });
    form.reset();
    delete form.dataset.warnedValue;
    if (kind === "add_note") {
      showError(form, text("textNoteSaved"), null);
    }
    await renderLocalState();
    await renderBar();
    syncNow("action");
  } finally {
    button.disabled = false;
  }
}

// ---- downloading today's orders ----------------------------------------------------------------------------

function assetUrls() {
  const urls = new Set();
  const map = document.querySelector('script[type="importmap"]');
  if (map) {
    // Keys are the plain names (/static/js/app.js), values the hashed URLs to keep: the field bundle and the
    // modules every page loads.
    for (const [name, url] of Object.entries(JSON.parse(map.textContent).imports)) {
      if (name.endsWith("/js/field.js") || name.endsWith("/js/app.js") || name.endsWith("/js/csrf.js")) urls.add(url);
    }
  }
  for (const link of document.querySelectorAll('link[rel="stylesheet"], link[rel="icon"]')) urls.add(link.getAttribute("href"));
  return [...urls];
}

// Keep the pages themselves for offline use (the service worker serves them when there is no signal).
async function keepPages(orderIds) {
  const pages = [route("today"), ...orderIds.map((id) => route("order", { order_id: id }))];
  const worker = navigator.serviceWorker?.controller;
  if (worker) {
    await new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = resolve;
      worker.postMessage({ type: "keep-for-offline", pages, assets: assetUrls() }, [channel.port2]);
      setTimeout(resolve, 15000);
    });
  } else if (window.caches) {
    const cache = await caches.open("pages-v1");
    await Promise.allSettled(pages.map((page) => cache.add(page)));
  }
}

// After each sync: keep the pages of orders this phone has not kept yet (a new assignment, a restore order).
async function keepNewPages() {
  const kept = new Set(await db.getMeta("kept_pages", []));
  const open = (await db.allOrders()).filter((o) => ["open", "assigned"].includes(o.status)).map((o) => o.id);
  const fresh = open.filter((id) => !kept.has(id));
  if (!fresh.length || !kept.size) return; // nothing new, or the technician has not asked to work offline yet
  await keepPages(fresh);
  await db.setMeta("kept_pages", [...kept, ...fresh]);
}

async function download(button) {
  button.disabled = true;
  try {
    navigator.storage?.persist?.().catch(() => {});
    const body = await pull({ full: true });
    await keepPages(body.active_ids);
    await db.setMeta("kept_pages", body.active_ids.length ? body.active_ids : [0]);
    const status = bar?.querySelector("[data-sync-text]");
    if (status) status.textContent = text("textSaved", { n: body.active_ids.length });
    await renderLocalState();
  } catch {
    await renderBar("failed");
  } finally {
    button.disabled = false;
  }
}

// ---- wiring ----------------------------------------------------------------------------------------------------

document.addEventListener("submit", onSubmit);

// Sign-out is refused while actions wait (they would be lost with this technician's data); once everything is sent,
// the phone forgets the technician's orders. Capture phase: before the shared handler clears the page cache.
window.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.matches || !form.matches(`form[action="${route("signout")}"]`) || form.dataset.cleared) return;
  event.preventDefault();
  event.stopImmediatePropagation();
  const { waiting, photos } = await db.counts();
  if (waiting + photos > 0) {
    window.alert(text("textSignout"));
    return;
  }
  await db.clearAll();
  form.dataset.cleared = "1";
  navigator.serviceWorker?.controller?.postMessage("clear-pages");
  form.submit();
}, true);

document.querySelector("[data-sync-now]")?.addEventListener("click", () => syncNow("button"));
const downloadButton = document.querySelector("[data-download]");
if (downloadButton) {
  document.querySelector("[data-download-section]").hidden = false;
  downloadButton.addEventListener("click", () => download(downloadButton));
}
window.addEventListener("online", () => syncNow("online"));
window.addEventListener("offline", () => renderBar());
document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") syncNow("visible"); });
navigator.serviceWorker?.addEventListener("message", (event) => {
  if (event.data && event.data.type === "field-sync") syncNow("background");
});

// An action tapped before this module listened was held by the head's boot script (portal/web/assets.py): send it.
window.portalFieldReady = true;
for (const form of (window.portalHeld || []).splice(0)) form.requestSubmit();

(async () => {
  const order = orderFromPage();
  if (order && !(await db.getOrder(order.id))) await db.putOrders([order], null);
  await renderBar();
  await renderLocalState();
  syncNow("start");
})();
