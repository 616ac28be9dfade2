// SKM and custom surveys in a real browser, on a 360-pixel phone: the
// questionnaire's errors next to their questions, a completed submission,
// and a conditional question that appears only after "Ya".
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, startServer, strictPage } from "../lib/harness.mjs";

let server;
let browser;
const phone = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true };

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("the SKM form on a phone: errors next to questions, then thanks", async () => {
  const page = await strictPage(browser, phone);
  await page.goto(`${server.base}/skm/pkm-sukodono`);
  assert.equal(await page.locator("main h1").textContent(), "Survei Kepuasan Masyarakat");
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `no sideways scrolling (page is ${width}px wide)`);
  // Touch targets of the answers are at least 44 px high.
  const box = await page.locator("label.option").first().boundingBox();
  assert.ok(box.height >= 44, `answer height ${box.height}`);

  await page.getByRole("button", { name: "Kirim survei" }).click();
  await page.getByRole("alert").first().waitFor();
  assert.match(await page.locator("#layanan-error").textContent(), /Pilih layanan/);
  assert.match(await page.locator("#u1-error").textContent(), /Pilih salah satu jawaban/);
  assert.equal(await page.locator("#q-u1").getAttribute("aria-describedby"), "u1-error");

  await page.locator("#layanan").selectOption({ label: "Imunisasi" });
  for (let i = 1; i <= 9; i++) {
    await page.locator(`#q-u${i} label.option`).nth(3).click();
  }
  await page.getByRole("button", { name: "Kirim survei" }).click();
  await page.waitForSelector("text=Jawaban Anda sudah kami terima.");
  assert.equal(await page.locator("main h1").textContent(), "Terima kasih");
  assert.deepEqual(page.problems, [], "no CSP violations or script errors");
});

test("a custom survey shows its follow-up question only after Ya", async () => {
  const page = await strictPage(browser, phone);
  await page.goto(`${server.base}/survei/kebutuhan-pelatihan-2026`);
  const followUp = page.locator("fieldset[data-show-if]");
  assert.equal(await followUp.count(), 1);
  assert.equal(await followUp.isVisible(), false, "hidden until its condition holds");
  await page.getByLabel("Ya", { exact: true }).check();
  assert.equal(await followUp.isVisible(), true);
  await page.getByLabel("Tidak", { exact: true }).check();
  assert.equal(await followUp.isVisible(), false);

  await page.getByLabel("Pelayanan publik").check();
  await page.getByLabel("Inovasi").check();
  await page.locator("fieldset.question").nth(3).locator("label.option").nth(4).click();
  await page.getByRole("button", { name: "Kirim jawaban" }).click();
  await page.waitForSelector("text=Terima kasih");
  assert.match(await page.getByRole("status").textContent(), /sudah kami terima/);
  assert.deepEqual(page.problems, []);
});
