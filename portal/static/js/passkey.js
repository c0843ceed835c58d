// Passkeys: sign in with a discoverable credential (no username) and add a passkey on the settings page.
import { csrfToken } from "./csrf.js";

const b64url = {
  decode(text) {
    const pad = "=".repeat((4 - (text.length % 4)) % 4);
    const raw = atob((text + pad).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0)).buffer;
  },
  encode(buffer) {
    const bytes = new Uint8Array(buffer);
    let raw = "";
    for (const b of bytes) raw += String.fromCharCode(b);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  },
};

// Browsers with the WebAuthn JSON helpers need none of the base64 plumbing; the fallback covers older ones.
function requestOptions(json) {
  if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  return { ...json, challenge: b64url.decode(json.challenge),
    allowCredentials: (json.allowCredentials || []).map((c) => ({ ...c, id: b64url.decode(c.id) })) };
}

function creationOptions(json) {
  if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  return { ...json, challenge: b64url.decode(json.challenge), user: { ...json.user, id: b64url.decode(json.user.id) },
    excludeCredentials: (json.excludeCredentials || []).map((c) => ({ ...c, id: b64url.decode(c.id) })) };
}

function credentialJSON(cred) {
  if (cred.toJSON) return cred.toJSON();
  const r = cred.response;
  const response = { clientDataJSON: b64url.encode(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = b64url.encode(r.attestationObject);
    response.transports = r.getTransports ? r.getTransports() : [];
  } else {
    response.authenticatorData = b64url.encode(r.authenticatorData);
    response.signature = b64url.encode(r.signature);
    response.userHandle = r.userHandle ? b64url.encode(r.userHandle) : null;
  }
  return { id: cred.id, rawId: b64url.encode(cred.rawId), type: cred.type, response,
    clientExtensionResults: cred.getClientExtensionResults(), authenticatorAttachment: cred.authenticatorAttachment };
}

async function postJSON(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", "x-csrftoken": csrfToken() },
    body: body === undefined ? "{}" : JSON.stringify(body),
    credentials: "same-origin",
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((data.error && data.error.message) || response.statusText);
  return data;
}

function showError(section, message) {
  const box = section.querySelector("[data-passkey-error]");
  if (!box) return;
  box.textContent = message;
  box.hidden = false;
}

// Follow a redirect; when it only differs by a fragment from this page, assigning it would not reload.
function go(target) {
  const url = new URL(target, window.location.href);
  const here = new URL(window.location.href);
  if (url.pathname === here.pathname && url.search === here.search) {
    if (url.hash !== here.hash) window.history.replaceState(null, "", url);
    window.location.reload();
  } else {
    window.location.assign(url);
  }
}

const supported = typeof window.PublicKeyCredential === "function";
// The buttons are served disabled and shown as soon as the page paints (assets.py); a tap before this module
// listens would do nothing, so each is enabled only once its listener is in place.

const signinButton = document.querySelector("[data-passkey-signin]");
if (signinButton && supported) {
  const section = document.querySelector("[data-passkey-signin-section]");
  section.hidden = false;
  signinButton.addEventListener("click", async () => {
    signinButton.disabled = true;
    try {
      const options = await postJSON(signinButton.dataset.optionsUrl);
      const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
      const next = signinButton.dataset.next ? `?next=${encodeURIComponent(signinButton.dataset.next)}` : "";
      const result = await postJSON(`${signinButton.dataset.verifyUrl}${next}`, credentialJSON(credential));
      go(result.redirect);
    } catch (error) {
      showError(section, error.name === "NotAllowedError" ? section.dataset.cancelled || error.message : error.message);
      signinButton.disabled = false;
    }
  });
  signinButton.disabled = false;
}

const registerButton = document.querySelector("[data-passkey-register]");
if (registerButton && supported) {
  const section = document.querySelector("[data-passkey-register-section]");
  section.hidden = false;
  registerButton.addEventListener("click", async () => {
    registerButton.disabled = true;
    try {
      const options = await postJSON(registerButton.dataset.optionsUrl);
      const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
      const nickname = document.getElementById("passkey-nickname")?.value || "";
      const result = await postJSON(registerButton.dataset.registerUrl, { credential: credentialJSON(credential), nickname });
      go(result.redirect);
    } catch (error) {
      showError(section, error.name === "NotAllowedError" ? section.dataset.cancelled || error.message : error.message);
      registerButton.disabled = false;
    }
  });
  registerButton.disabled = false;
}
