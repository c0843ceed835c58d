// Progressive enhancements every page gets: service worker, offline notice, error-summary focus, confirm buttons.

// This module runs after the first paint (the head's boot script adds it), usually after the load event too.
if ("serviceWorker" in navigator) {
  const register = () => navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  if (document.readyState === "complete") register();
  else window.addEventListener("load", register);
}

// Signing out also clears the pages this device kept for offline reading (a counter tablet is shared); so does
// starting kiosk mode (data-clear-pages), or an offline visitor could open the staff pages the worker kept.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.matches && form.matches('form[action="/signout"], form[action="/settings/signout-everywhere"], form[data-clear-pages]')) {
    navigator.serviceWorker?.controller?.postMessage("clear-pages");
  }
});

// Offline: say so, and say how old the page is (the server stamps each page with the time it was made).
function showOfflineNotice() {
  // The offline page itself says so: "showing this page as of" beside "this page is not saved" contradicted it.
  if (navigator.onLine || document.getElementById("offline-notice") || document.querySelector("[data-offline-page]")) return;
  const made = document.querySelector('meta[name="generated-at"]')?.content;
  const notice = document.createElement("p");
  notice.id = "offline-notice";
  notice.className = "notice notice--warning";
  notice.setAttribute("role", "status");
  const when = made ? new Date(made).toLocaleString(document.documentElement.lang) : "";
  const template = document.documentElement.dataset.offlineText || "Offline";
  notice.textContent = when ? `${template} ${when}` : template;
  document.querySelector("main")?.prepend(notice);
}
window.addEventListener("offline", showOfflineNotice);
window.addEventListener("online", () => document.getElementById("offline-notice")?.remove());
showOfflineNotice();

// Move focus to the error summary so screen readers announce what went wrong.
const summary = document.querySelector("[data-autofocus]");
if (summary) summary.focus();

// A button with data-confirm asks before it posts: the boot script in every page's head does it (portal/web/assets.py),
// so it asks even when clicked before this module has loaded.
