// Passkeys in a real browser: Chromium's virtual authenticator (through the
// DevTools protocol) registers a passkey on the account page, then answers
// the second step of signing in. WebAuthn needs a domain name as relying
// party, so the server's public URL is http://localhost:<port>.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, test } from "node:test";
import { launchBrowser, signIn, startServer, strictPage } from "../lib/harness.mjs";

let server;
let browser;
let base;

/** A free TCP port on 127.0.0.1 (the server needs it before it starts). */
const freePort = () =>
  new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });

before(async () => {
  const port = await freePort();
  base = `http://localhost:${port}`;
  server = await startServer({ listen: `127.0.0.1:${port}`, publicUrl: base });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("a passkey registered on the account page passes the second step", async () => {
  const page = await strictPage(browser);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  });

  await signIn(page, base, "admin.sidoarjo");
  await page.waitForURL(`${base}/`);
  await page.goto(`${base}/akun/mfa`);
  assert.ok(await page.locator("#webauthn-none").isVisible(), "no key yet");
  await page.getByLabel("Nama kunci").fill("Laptop uji");
  await page.getByRole("button", { name: "Daftarkan kunci" }).click();
  await page.locator(".webauthn-name").waitFor();
  assert.equal(await page.locator(".webauthn-name").textContent(), "Laptop uji");
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  assert.equal(credentials.length, 1, "the authenticator holds the new credential");

  await page.getByRole("button", { name: "Keluar" }).click();
  await page.waitForURL(`${base}/`);

  // Password first, then the passkey instead of a code.
  await signIn(page, base, "admin.sidoarjo");
  await page.waitForURL(`${base}/masuk/mfa`);
  assert.equal(await page.locator("input[name=code]").count(), 0, "no TOTP, no code field");
  await page.getByRole("button", { name: "Gunakan passkey / kunci keamanan" }).click();
  await page.waitForURL(`${base}/`);
  await page.goto(`${base}/akun`);
  assert.equal(new URL(page.url()).pathname, "/akun", "signed in");
  const after = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  assert.ok(after.credentials[0].signCount >= 1, "the key was used");
  assert.deepEqual(page.problems, [], "no CSP violations or script errors");
});
