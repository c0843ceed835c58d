// A "Print" button for pages with a print layout (the counter receipt); without JavaScript the browser's own print
// command prints the same layout, so the button stays hidden then.
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
