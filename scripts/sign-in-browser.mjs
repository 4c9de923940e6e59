// Headless Chromium through a tenant's sign-in pages: a user SCIM just
// provisioned signs in, sets up an authenticator app and reaches the
// account page; signs in again with a code; signs out everywhere. Run by
// scripts/sign-in-browser.sh.
import { createRequire } from "node:module";
import { createHmac } from "node:crypto";
import { join } from "node:path";

const require = createRequire(process.env.PLAYWRIGHT_DIR + "/");
const { chromium } = require("playwright-core");

const base = process.env.BASE_URL;
const shots = process.env.SCREENSHOTS;
const password = "violet-harbour-tangent-42";

function fail(message) {
  console.error("FAIL: " + message);
  process.exit(1);
}

function base32(s) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0, value = 0;
  const out = [];
  for (const c of s.replace(/=+$/, "").toUpperCase()) {
    const i = alphabet.indexOf(c);
    if (i < 0) fail("not base32: " + s);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

// RFC 6238 as authenticator apps compute it: SHA-1, 30-second steps, six digits.
function totp(secret, seconds = Date.now() / 1000) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(seconds / 30)));
  const h = createHmac("sha1", base32(secret)).update(counter).digest();
  const o = h[h.length - 1] & 15;
  const n = ((h[o] & 127) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1000000).padStart(6, "0");
}

async function signIn(page, login) {
  await page.goto(base + "/t/initech/login");
  await page.fill("#login-name", login);
  await page.fill("#login-password", password);
  await page.click("#sign-in");
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox"],
});
const errors = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 820 } });
  const page = await context.newPage();
  page.on("pageerror", (e) => errors.push(String(e)));
  // A refused code or password is a page answered 401, which Chromium also
  // logs as a failed load; anything else logged as an error is one.
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text());
  });

  // The story: the HR system provisions Peter, who signs in, turns on an
  // authenticator app and lands on his account page.
  const started = performance.now();
  const created = await fetch(base + "/t/initech/scim/v2/Users", {
    method: "POST",
    headers: { Authorization: "Bearer " + process.env.SCIM_TOKEN, "Content-Type": "application/scim+json" },
    body: JSON.stringify({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: "peter",
      emails: [{ value: "peter@initech.example", primary: true }],
      password,
    }),
  });
  if (created.status !== 201) fail("SCIM create answered " + created.status);

  await page.goto(base + "/t/initech/login");
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  if ((await page.getAttribute("#login-name", "autocomplete")) !== "username") fail("login autocomplete");
  if ((await page.getAttribute("#login-password", "autocomplete")) !== "current-password") fail("password autocomplete");
  await page.screenshot({ path: join(shots, "01-login.png") });
  await page.fill("#login-name", "Peter@Initech.example");
  await page.fill("#login-password", password);
  await page.click("#sign-in");
  await page.locator("#account-user").waitFor();
  await page.screenshot({ path: join(shots, "02-account.png") });

  await page.click("#set-up-totp");
  await page.locator("#totp-enrolment svg").waitFor();
  await page.screenshot({ path: join(shots, "03-authenticator-app.png") });
  const secret = (await page.locator("#totp-secret").textContent()).trim();
  const uri = await page.getAttribute("#totp-uri", "href");
  if (!uri.startsWith("otpauth://totp/Initech:peter?") || !uri.includes("secret=" + secret)) fail("otpauth URI " + uri);
  await page.fill("#code", totp(secret));
  await page.click("#confirm-totp");
  await page.locator("#factors").waitFor();
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  console.log(`provisioned by SCIM → signed in → authenticator app on → account page: ${seconds} s`);
  await page.screenshot({ path: join(shots, "04-account-with-app.png") });

  // The session cookie is HttpOnly.
  if ((await page.evaluate(() => document.cookie)).includes("latchkey_session")) fail("session cookie readable");

  // Signing in again takes the password and then a code (the app's next
  // one: the code that turned the app on is used up).
  const phone = await (await browser.newContext()).newPage();
  await signIn(phone, "peter");
  await phone.locator("#second-factor").waitFor();
  if ((await phone.getAttribute("#code", "autocomplete")) !== "one-time-code") fail("code autocomplete");
  await phone.screenshot({ path: join(shots, "05-code.png") });
  await phone.fill("#code", "000000");
  await phone.click("#verify");
  await phone.locator("#code-error").waitFor();
  await phone.fill("#code", totp(secret, Date.now() / 1000 + 30));
  await phone.click("#verify");
  await phone.locator("#account-user").waitFor();

  // Sign out everywhere, from the first browser: the second is signed out too.
  await page.click("#sign-out-everywhere");
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await phone.goto(base + "/t/initech/account");
  await phone.getByRole("heading", { name: "Sign in" }).waitFor();

  // A wrong password shows the same answer as an unknown user.
  await signIn(page, "peter-nobody");
  const unknown = (await page.locator("#login-error").textContent()).trim();
  await page.fill("#login-name", "peter");
  await page.fill("#login-password", "not-his-password-at-all");
  await page.click("#sign-in");
  const wrong = (await page.locator("#login-error").textContent()).trim();
  if (unknown !== wrong) fail(`different answers: "${unknown}" / "${wrong}"`);
  await page.screenshot({ path: join(shots, "06-wrong-password.png") });

  if (errors.length) fail("browser errors: " + errors.join("; "));
  console.log("sign-in browser test passed; screenshots in " + shots);
} finally {
  await browser.close();
}
