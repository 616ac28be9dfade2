// The web shell in a real browser: sign in, switch language, a form error
// shown next to its field, and the layout on a 360-pixel phone.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, signIn, startServer, strictPage } from "../lib/harness.mjs";

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("signing in through the form, then out again", async () => {
  const page = await strictPage(browser);
  await page.goto(`${server.base}/`);
  await page.getByRole("link", { name: "Masuk" }).click();
  assert.equal(new URL(page.url()).pathname, "/masuk");
  await page.getByLabel("Nama pengguna, NIP atau email").fill("admin.sidoarjo");
  await page.getByLabel("Kata sandi").fill("salah-kata-sandi");
  await page.getByRole("button", { name: "Masuk" }).click();
  await page.getByRole("alert").waitFor();
  assert.match(await page.getByRole("alert").textContent(), /salah/);
  assert.equal(await page.getByLabel("Nama pengguna, NIP atau email").inputValue(), "admin.sidoarjo", "what was typed is kept");

  await page.getByLabel("Kata sandi").fill("demo-jatim-2026");
  await page.getByRole("button", { name: "Masuk" }).click();
  await page.waitForURL(`${server.base}/`);
  await page.getByRole("link", { name: "Agus Setiawan, S.T." }).click();
  await page.waitForURL(`${server.base}/akun`);
  assert.equal(await page.locator("main h1").textContent(), "Agus Setiawan, S.T.");
  assert.ok(await page.getByRole("link", { name: "Administrasi" }).isVisible());

  await page.getByRole("button", { name: "Keluar" }).click();
  await page.waitForURL(`${server.base}/`);
  assert.ok(await page.getByRole("link", { name: "Masuk" }).isVisible());
  assert.deepEqual(page.problems, [], "no CSP violations or script errors");
});

test("switching between Bahasa Indonesia and English", async () => {
  const page = await strictPage(browser);
  await page.goto(`${server.base}/skm`);
  assert.equal(await page.locator("html").getAttribute("lang"), "id");
  await page.getByRole("link", { name: "English" }).click();
  await page.waitForURL(`${server.base}/skm`);
  assert.equal(await page.locator("html").getAttribute("lang"), "en");
  assert.equal(await page.locator("main h1").textContent(), "Citizen satisfaction surveys");
  await page.goto(`${server.base}/`);
  assert.equal(await page.locator("h1").textContent(), "Rumah Inovasi, East Java", "the choice is remembered");
  await page.getByRole("link", { name: "Bahasa Indonesia" }).click();
  assert.equal(await page.locator("h1").textContent(), "Rumah Inovasi Jawa Timur");
  assert.deepEqual(page.problems, []);
});

test("a form error is shown next to its field", async () => {
  const page = await strictPage(browser);
  await signIn(page, server.base, "admin.sidoarjo");
  await page.waitForURL(`${server.base}/`);
  await page.goto(`${server.base}/admin/akun/baru`);
  await page.getByLabel("Nama pengguna").fill("dewi.lestari");
  await page.getByLabel("Nama", { exact: true }).fill("Dewi Lestari");
  await page.getByLabel("NIP").fill("19861326 201505 2 001");
  await page.getByLabel("Kode unit kerja").fill("35.15.DINKES");
  await page.getByLabel("Kata sandi awal").fill("semangat pagi sidoarjo");
  await page.getByRole("button", { name: "Buat akun" }).click();

  const nip = page.locator("#nip");
  const error = page.locator("#nip-error");
  await error.waitFor();
  assert.match(await error.textContent(), /tanggal lahir/);
  assert.equal(await nip.getAttribute("aria-invalid"), "true");
  assert.match(await nip.getAttribute("aria-describedby"), /nip-error/);
  assert.equal(await nip.inputValue(), "19861326 201505 2 001", "the NIP as typed is kept");
  const field = await nip.boundingBox();
  const message = await error.boundingBox();
  assert.ok(message.y >= field.y + field.height - 1, "the message is below the field");
  assert.ok(message.y - (field.y + field.height) < 80, "and right next to it");
  assert.ok(Math.abs(message.x - field.x) < 2, "aligned with it");
  // Only the NIP is wrong: no other field is flagged.
  assert.equal(await page.locator('[aria-invalid="true"]').count(), 1);
  assert.deepEqual(page.problems, []);
});

test("the layout at a 360-pixel phone width", async () => {
  const page = await strictPage(browser, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  await page.goto(`${server.base}/`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, "nothing scrolls sideways");
  const menu = page.getByText("Menu", { exact: true });
  assert.ok(await menu.isVisible(), "the menu is collapsed behind a button");
  const catalogue = page.locator('details.menu nav a[href="/katalog"]');
  assert.equal(await catalogue.isVisible(), false, "the navigation starts folded away");
  await menu.click();
  assert.ok(await catalogue.isVisible(), "and opens on a tap");
  for (const link of await page.getByRole("navigation").getByRole("link").all()) {
    const box = await link.boundingBox();
    assert.ok(box.height >= 44, `touch target ${await link.textContent()} is ${box.height}px high`);
  }
  await page.screenshot({ path: "artifacts/home-360.png", fullPage: true });
  await page.goto(`${server.base}/masuk`);
  const input = await page.getByLabel("Nama pengguna, NIP atau email").boundingBox();
  assert.ok(input.width > 280 && input.x >= 0 && input.x + input.width <= 360, "the login field fills the width");
  assert.ok(input.height >= 44);
  await page.screenshot({ path: "artifacts/login-360.png", fullPage: true });
  assert.deepEqual(page.problems, []);
});

test("keyboard users can skip to the content", async () => {
  const page = await strictPage(browser);
  await page.goto(`${server.base}/`);
  await page.keyboard.press("Tab");
  const focused = await page.evaluate(() => document.activeElement.textContent);
  assert.equal(focused, "Langsung ke isi halaman");
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement.id), "main");
});
