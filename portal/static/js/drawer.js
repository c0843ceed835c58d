// The counter's payment form, enhanced: the account card appears as the number is typed (so one press posts), the
// cash box shows only for cash and the check number only for a check, and the change due is shown live. The server
// checks and computes all of it again.

const form = document.querySelector("form.counter-pay");

if (form) {
  const number = form.querySelector("#account_number");
  const accountId = form.querySelector("#account_id");
  const card = form.querySelector("#account-card");
  const submit = form.querySelector("[data-pay-submit]");
  const amount = form.querySelector("#amount");
  const tendered = form.querySelector("#tendered");
  const cashBox = form.querySelector(".tender-cash");
  const checkBox = form.querySelector(".tender-check");
  const change = form.querySelector("#change-due");
  const money = new Intl.NumberFormat(document.documentElement.lang || "en", { style: "currency", currency: "USD" });
  let asked = 0;
  let timer = 0;

  const cents = (text) => {
    const plain = (text || "").replace(/[$,\s]/g, "");
    if (!/^\d*(\.\d{0,2})?$/.test(plain) || !/\d/.test(plain)) return null;
    return Math.round(parseFloat(plain) * 100);
  };

  const showCard = async () => {
    const digits = number.value.replace(/[\s.-]/g, "");
    const mine = ++asked;
    if (digits.length < 9) {
      card.replaceChildren();
      return;
    }
    try {
      const response = await fetch(`${form.dataset.cardUrl}?number=${encodeURIComponent(number.value)}`, {
        headers: { Accept: "text/html" },
        credentials: "same-origin",
      });
      if (!response.ok || mine !== asked) return;
      card.innerHTML = await response.text();
      const found = card.querySelector("[data-account-id]")?.dataset.accountId || "";
      accountId.value = found;
      submit.textContent = found ? form.dataset.postLabel : form.dataset.checkLabel;
    } catch {
      // Offline or refused: the "Check account" step still works without the live card.
    }
  };

  number?.addEventListener("input", () => {
    // A changed number is a new account: nothing posts until its card is shown.
    accountId.value = "";
    submit.textContent = form.dataset.checkLabel;
    clearTimeout(timer);
    timer = setTimeout(showCard, 250);
  });

  // A number typed before this script ran (scripts load after the first paint) gets its card now.
  if (number?.value && !accountId.value) showCard();

  const showChange = () => {
    const tender = form.querySelector('input[name="tender"]:checked')?.value;
    cashBox.hidden = tender !== "cash";
    if (checkBox) checkBox.hidden = tender !== "check";  // a check's number; nothing to type for cash or a card
    const due = cents(amount.value);
    const given = cents(tendered.value);
    if (tender !== "cash" || due === null || given === null) {
      change.textContent = "";
    } else if (given < due) {
      change.textContent = form.dataset.shortLabel;
    } else {
      change.textContent = `${form.dataset.changeLabel} ${money.format((given - due) / 100)}`;
    }
  };
  form.addEventListener("input", showChange);
  form.addEventListener("change", showChange);
  showChange();

  // One press posts once: a second press while the page loads is ignored (the server's one-time token is what
  // guarantees it; this only spares the cashier the "already posted" message).
  let sent = false;
  form.addEventListener("submit", (event) => {
    if (sent) {
      event.preventDefault();
      return;
    }
    sent = true;
    submit.setAttribute("aria-disabled", "true");
  });
}
