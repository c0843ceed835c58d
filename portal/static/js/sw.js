// Service worker (served at /sw.js with VERSION and PRECACHE prepended by the server).
// Static assets: cache first (their URLs carry a content hash). Pages: network first with a short timeout,
// falling back to the last copy, then to the offline page.
const STATIC_CACHE = `static-${VERSION}`;
const PAGE_CACHE = "pages-v1";
const NETWORK_TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC_CACHE).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("static-") && k !== STATIC_CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("message", (event) => {
  // Sign-out clears what this device kept of the signed-in person's pages.
  if (event.data === "clear-pages") event.waitUntil(caches.delete(PAGE_CACHE));
  // A technician saved today's orders: keep their pages and the modules they need for working offline.
  if (event.data && event.data.type === "keep-for-offline") {
    const { pages = [], assets = [] } = event.data;
    const reply = () => event.ports[0]?.postMessage("kept");
    event.waitUntil(Promise.all([
      caches.open(PAGE_CACHE).then((cache) => Promise.allSettled(pages.map((url) => cache.add(url)))),
      caches.open(STATIC_CACHE).then((cache) => Promise.allSettled(assets.map((url) => cache.add(url)))),
    ]).then(reply, reply));
  }
});

// Background Sync (where the browser has it): the field outbox lives in the page's modules, so the worker asks an
// open field page to run a sync; with none open, the next app start syncs.
self.addEventListener("sync", (event) => {
  if (event.tag !== "field-outbox") return;
  event.waitUntil(self.clients.matchAll({ type: "window" }).then((clients) => {
    for (const client of clients) client.postMessage({ type: "field-sync" });
  }));
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); }, (error) => { clearTimeout(timer); reject(error); });
  });
}

async function networkFirst(request) {
  const cache = await caches.open(PAGE_CACHE);
  try {
    const response = await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
    if (response.ok && !response.redirected && response.headers.get("content-type")?.includes("text/html")) {
      cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    const cached = await cache.match(request, { ignoreVary: true });
    if (cached) return cached;
    return (await caches.match("/offline")) || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request, { ignoreVary: true }).then((hit) => hit || fetch(request).then((response) => {
      if (response.ok) caches.open(STATIC_CACHE).then((cache) => cache.put(request, response.clone()));
      return response;
    })));
    return;
  }
  if (request.mode === "navigate") event.respondWith(networkFirst(request));
});
