// Checkout: card (Stripe Elements) or bank account (ACH) confirmed by Stripe.js in the browser, so card and bank
// details go to Stripe and never to our server; then the return page asks Stripe for the result.
const form = document.querySelector("[data-pay]");
const configBlock = document.getElementById("pay-config");

function setup() {
  const config = JSON.parse(configBlock.textContent);
  const errorBox = document.getElementById("pay-error");
  const button = document.getElementById("pay-button");
  const label = button.textContent;
  // Stripe's own messages (a decline's reason) in the page's language, not the browser's
  const stripe = window.Stripe(config.publishableKey, { locale: document.documentElement.lang || "auto" });
  let card = null;
  if (config.method === "card") {
    card = stripe.elements().create("card");
    card.mount("#card-element");
  }
  const value = (id) => (document.getElementById(id) || { value: "" }).value.trim();
  const fail = (message) => {
    errorBox.textContent = config.messages.failed.replace("%(reason)s", message);
    button.disabled = false;
    button.textContent = label;
    errorBox.focus?.();
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errorBox.textContent = "";
    let result;
    if (config.method === "card") {
      button.disabled = true;
      button.textContent = config.messages.working;
      result = await stripe.confirmCardPayment(config.clientSecret, { payment_method: { card } });
    } else {
      const agree = document.getElementById("bank-agree");
      if (agree && !agree.checked) {
        errorBox.textContent = config.messages.agree;
        return;
      }
      if (!/^\d{9}$/.test(value("bank-routing")) || !/^\d{4,17}$/.test(value("bank-account"))) {
        errorBox.textContent = config.messages.bank;
        return;
      }
      button.disabled = true;
      button.textContent = config.messages.working;
      const paymentMethod = {
        us_bank_account: { routing_number: value("bank-routing"), account_number: value("bank-account"),
                           account_holder_type: "individual" },
        billing_details: { name: value("bank-name") },
      };
      result = config.mode === "setup"
        ? await stripe.confirmUsBankAccountSetup(config.clientSecret, { payment_method: paymentMethod })
        : await stripe.confirmUsBankAccountPayment(config.clientSecret, { payment_method: paymentMethod });
    }
    if (result.error) {
      fail(result.error.message || "error");
      return;
    }
    window.location.assign(config.returnUrl);
  });
}

if (form && configBlock && window.Stripe) setup();
