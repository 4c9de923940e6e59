// Headless Chromium through hosted signup: form → mailed link → verified
// page → sign-in → first SCIM token. Run by scripts/signup-browser.sh.
import { createRequire } from "node:module";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const require = createRequire(process.env.PLAYWRIGHT_DIR + "/");
const { chromium } = require("playwright-core");

const base = process.env.BASE_URL;
const maildir = process.env.MAILDIR;
const shots = process.env.SCREENSHOTS;
const email = "ada@acme-rockets.example";
const password = "violet-harbour-tangent-42";

function fail(message) {
  console.error("FAIL: " + message);
  process.exit(1);
}

function decodeQuotedPrintable(s) {
  return s.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}

async function waitForMail(to) {
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    let files = [];
    try { files = readdirSync(join(maildir, "new")); } catch (_) { files = []; }
    for (const f of files) {
      const raw = readFileSync(join(maildir, "new", f), "utf8");
      if (raw.includes("To: " + to)) return raw;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  fail("no mail to " + to + " within 20 s");
}

function linkIn(raw) {
  const text = raw.replace(/\r\n/g, "\n");
  const start = text.indexOf("Content-Type: text/plain");
  if (start < 0) fail("no text/plain part in the mail");
  const [headers, ...rest] = text.slice(start).split("\n\n");
  let body = rest.join("\n\n").split("\n--")[0];
  if (headers.includes("quoted-printable")) body = decodeQuotedPrintable(body);
  const link = body.split(/\s+/).find((w) => w.includes("/signup/verify?"));
  if (!link) fail("no verification link in the mail");
  return link;
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
  // API refusals (the weak password) are answers the page shows; anything
  // else failing to load (a page, a script, a style) is an error.
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text());
  });
  page.on("response", (r) => {
    if (r.status() >= 400 && !new URL(r.url()).pathname.startsWith("/api/")) errors.push(r.status() + " " + r.url());
  });

  await page.goto(base + "/signup");
  await page.getByRole("heading", { name: "Create your organization" }).waitFor();
  await page.screenshot({ path: join(shots, "01-signup-form.png") });

  // The slug follows the name, and its availability is checked as one types.
  await page.fill("#organization_name", "Acme Rockets");
  await page.waitForFunction(() => document.getElementById("slug").value === "acme-rockets");
  await page.waitForFunction(() => document.getElementById("slug-status").textContent.includes("is available"));
  // A reserved slug is flagged before submitting.
  await page.fill("#slug", "admin");
  await page.waitForFunction(() => document.getElementById("slug-status").textContent.includes("reserved"));
  await page.screenshot({ path: join(shots, "02-slug-reserved.png") });
  await page.fill("#slug", "acme-rockets");
  await page.waitForFunction(() => document.getElementById("slug-status").textContent.includes("is available"));
  await page.fill("#email", email);
  // A weak password is refused with the reason at the field.
  await page.fill("#password", "password12345");
  await page.click("#submit");
  await page.waitForFunction(() => document.getElementById("password-hint").textContent.includes("common"));
  await page.screenshot({ path: join(shots, "03-weak-password.png") });
  await page.fill("#password", password);
  await page.screenshot({ path: join(shots, "04-signup-filled.png") });
  await page.click("#submit");
  await page.getByRole("heading", { name: "Check your inbox" }).waitFor();
  await page.click("#resend");
  await page.waitForFunction(() => document.getElementById("resend-status").textContent.includes("Sent again"));
  await page.screenshot({ path: join(shots, "05-check-inbox.png") });

  const link = linkIn(await waitForMail(email));
  if (!link.startsWith(base + "/signup/verify?tenant=acme-rockets&token=")) fail("unexpected link " + link);
  await page.goto(link);
  await page.locator("#verified-banner").waitFor();
  const scimUrl = (await page.locator("#scim-url").textContent()).trim();
  if (scimUrl !== base + "/t/acme-rockets/scim/v2") fail("SCIM base URL shown: " + scimUrl);
  await page.screenshot({ path: join(shots, "06-verified.png") });

  await page.fill("#signin-email", email);
  await page.fill("#signin-password", password);
  await page.click("#sign-in");
  await page.locator("#token-form").waitFor();
  await page.screenshot({ path: join(shots, "07-console.png") });

  await page.selectOption("#token-kind", "scim");
  await page.click("#create-token");
  await page.locator("#token-result").waitFor();
  const token = (await page.locator("#token-secret").textContent()).trim();
  if (!token.startsWith("lks_")) fail("no SCIM token shown");
  await page.screenshot({ path: join(shots, "08-token-created.png"), fullPage: true });

  // The cookie is HttpOnly: the page's scripts cannot read the session.
  const visible = await page.evaluate(() => document.cookie);
  if (visible.includes("latchkey_session")) fail("the session cookie is readable from JavaScript");

  // The token works against the tenant's SCIM endpoint.
  const scim = await fetch(scimUrl + "/Users", { headers: { Authorization: "Bearer " + token } });
  if (scim.status !== 200) fail("SCIM with the new token answered " + scim.status);

  await page.setViewportSize({ width: 420, height: 900 });
  await page.goto(base + "/signup");
  await page.screenshot({ path: join(shots, "09-signup-narrow.png"), fullPage: true });

  if (errors.length) fail("browser errors: " + errors.join("; "));
  console.log("signup browser test passed; screenshots in " + shots);
} finally {
  await browser.close();
}
