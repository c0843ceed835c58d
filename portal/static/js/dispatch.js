// Dispatch: one box ticks or clears every open order shown (filter by route first to take a whole route). The page
// works without it: each order has its own box, and "Assign route" takes a route in one post.
const all = document.querySelector("[data-pick-all]");
const picks = [...document.querySelectorAll("[data-pick]")];
if (all && picks.length) {
  all.hidden = false;
  all.addEventListener("change", () => {
    for (const pick of picks) pick.checked = all.checked;
  });
  for (const pick of picks) {
    pick.addEventListener("change", () => {
      all.checked = picks.every((p) => p.checked);
    });
  }
}
