// Paths for the field scripts, named by the server: the sync bar carries them as data-url-* attributes (a route with
// parameters as a pattern such as /field/orders/{order_id}), so no script writes a path by hand.

const bar = document.querySelector("[data-sync-bar]");

export function route(name, params = {}) {
  const pattern = bar?.dataset[`url${name[0].toUpperCase()}${name.slice(1)}`];
  if (!pattern) throw new Error(`no ${name} route on this page`);
  return pattern.replace(/\{(\w+)\}/g, (_, key) => encodeURIComponent(String(params[key])));
}
