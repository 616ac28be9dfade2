// Starts a real `rumah serve --demo` on a free port with a fresh data
// directory, and a headless Chromium (Debian's, via playwright-core).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const repo = resolve(import.meta.dirname, "..", "..");
const binary = process.env.RUMAH_BIN ?? join(repo, "target", "debug", "rumah");
export const DEMO_PASSWORD = "demo-jatim-2026";

/**
 * Starts the server; resolves once it prints the address it listens on.
 * `listen` and `publicUrl` override the free port on 127.0.0.1 and its URL.
 */
export async function startServer({ listen = "127.0.0.1:0", publicUrl } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "rumah-e2e-"));
  const env = { ...process.env, RUMAH_LOG: "warn" };
  for (const key of Object.keys(env)) if (key.startsWith("RUMAH_") && key !== "RUMAH_LOG") delete env[key];
  const child = spawn(binary, ["serve", "--demo", "--listen", listen, "--data-dir", dataDir, ...(publicUrl ? ["--public-url", publicUrl] : [])], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const base = await new Promise((ok, fail) => {
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const m = line.match(/^listening on (http:\/\/\S+)/);
      if (m) ok(m[1]);
    });
    child.on("exit", (code) => fail(new Error(`rumah exited early with ${code}`)));
  });
  return {
    base,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((done) => child.once("exit", done));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * A page that fails the test on any Content-Security-Policy violation or
 * uncaught script error, so the strict CSP is exercised by a real browser.
 */
export async function strictPage(browser, options = {}) {
  const context = await browser.newContext({ locale: "id-ID", ...options });
  const page = await context.newPage();
  const problems = [];
  // Statuses such as 401 or 422 on purpose also log "Failed to load
  // resource"; only policy violations and script errors are problems.
  page.on("console", (msg) => {
    const text = msg.text();
    if (msg.type() === "error" && !text.startsWith("Failed to load resource")) problems.push(text);
  });
  page.on("pageerror", (err) => problems.push(String(err)));
  page.problems = problems;
  return page;
}

export async function signIn(page, base, username) {
  await page.goto(`${base}/masuk`);
  await page.getByLabel("Nama pengguna, NIP atau email").fill(username);
  await page.getByLabel("Kata sandi").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Masuk" }).click();
}
