// WebAuthn for Satu Akun: registers a passkey or security key on the
// account page (form[data-webauthn="create"]) and answers the second step
// of signing in (form[data-webauthn="get"]). The server puts the options
// (JSON from webauthn-rs, binary fields in base64url) in data-options; the
// browser's answer goes back as JSON in the form's "credential" field, so
// the ordinary form post carries the CSRF token and follows the redirect.
"use strict";

(() => {
  const toBytes = (b64u) => {
    const b64 = b64u.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  };
  const toB64u = (buf) => {
    if (!buf) return null;
    let raw = "";
    for (const b of new Uint8Array(buf)) raw += String.fromCharCode(b);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const withIds = (list) => (list || []).map((c) => ({ ...c, id: toBytes(c.id) }));

  const create = async (options) => {
    const pk = options.publicKey;
    pk.challenge = toBytes(pk.challenge);
    pk.user.id = toBytes(pk.user.id);
    pk.excludeCredentials = withIds(pk.excludeCredentials);
    const cred = await navigator.credentials.create({ publicKey: pk });
    return {
      id: cred.id,
      rawId: toB64u(cred.rawId),
      type: cred.type,
      response: {
        attestationObject: toB64u(cred.response.attestationObject),
        clientDataJSON: toB64u(cred.response.clientDataJSON),
        transports: cred.response.getTransports ? cred.response.getTransports() : [],
      },
      extensions: {},
    };
  };

  const get = async (options) => {
    const pk = options.publicKey;
    pk.challenge = toBytes(pk.challenge);
    pk.allowCredentials = withIds(pk.allowCredentials);
    const cred = await navigator.credentials.get({ publicKey: pk });
    return {
      id: cred.id,
      rawId: toB64u(cred.rawId),
      type: cred.type,
      response: {
        authenticatorData: toB64u(cred.response.authenticatorData),
        clientDataJSON: toB64u(cred.response.clientDataJSON),
        signature: toB64u(cred.response.signature),
        userHandle: toB64u(cred.response.userHandle),
      },
      extensions: {},
    };
  };

  for (const form of document.querySelectorAll("form[data-webauthn]")) {
    const message = form.querySelector(".webauthn-message");
    const say = (text) => {
      message.textContent = text;
      message.hidden = false;
    };
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say(form.dataset.unsupported);
      for (const b of form.querySelectorAll("button")) b.disabled = true;
      continue;
    }
    let answered = false;
    form.addEventListener("submit", async (event) => {
      if (answered) return;
      event.preventDefault();
      if (!form.reportValidity()) return;
      message.hidden = true;
      try {
        const options = JSON.parse(form.dataset.options);
        const answer = form.dataset.webauthn === "create" ? await create(options) : await get(options);
        form.querySelector('input[name="credential"]').value = JSON.stringify(answer);
        answered = true;
        form.submit();
      } catch (error) {
        say(form.dataset.error);
      }
    });
  }
})();
