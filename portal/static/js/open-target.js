// Collapsed sections (<details>) open when the address names them or something inside them: a redirect to
// "#notes" after adding a note, an error summary's link to a field. Without this script the section is still
// there to open by hand.

function openTarget() {
  const id = decodeURIComponent(window.location.hash.slice(1));
  const target = id && document.getElementById(id);
  if (!target) return;
  for (let node = target; node; node = node.parentElement) {
    if (node.tagName === "DETAILS") node.open = true;
  }
  target.scrollIntoView({ block: "start" });
}

window.addEventListener("hashchange", openTarget);
openTarget();
