// The signup pages: as-you-type slug checks, the signup form, sign-in and
// token creation. Plain JavaScript; every call goes to /api/v1/signup….
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const debounce = (fn, ms) => { let t; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); }; };

  async function call(method, path, body) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const resp = await fetch(path, init);
    let data = null;
    try { data = await resp.json(); } catch (_) { data = null; }
    return { ok: resp.ok, status: resp.status, data };
  }

  function showError(el, problem) {
    el.textContent = (problem && problem.detail) || "Something went wrong. Try again.";
    el.hidden = false;
  }

  function wireCopy() {
    document.querySelectorAll("[data-copy]").forEach((btn) => {
      btn.addEventListener("click", async () => {
        const text = $(btn.dataset.copy).textContent;
        try { await navigator.clipboard.writeText(text); btn.textContent = "Copied"; }
        catch (_) { btn.textContent = "Select & copy"; }
        setTimeout(() => { btn.textContent = "Copy"; }, 1500);
      });
    });
  }

  function strength(pw) {
    let score = 0;
    if (pw.length >= 12) score += 2;
    if (pw.length >= 16) score += 1;
    if (/[a-z]/.test(pw) && /[A-Z]/.test(pw)) score += 1;
    if (/\d/.test(pw)) score += 1;
    if (/[^A-Za-z0-9]/.test(pw)) score += 1;
    return Math.min(score, 5);
  }

  function signupPage() {
    const form = $("signup-form");
    const org = $("organization_name"), slug = $("slug"), email = $("email"), pw = $("password");
    const status = $("slug-status");
    let slugEdited = false;

    const setStatus = (text, cls) => { status.textContent = text; status.className = "hint " + (cls || ""); };

    const checkSlug = debounce(async () => {
      const value = slug.value.trim();
      if (!value) { setStatus("Lowercase letters, digits and hyphens."); return; }
      const r = await call("GET", "/api/v1/signup/slug-availability?slug=" + encodeURIComponent(value));
      if (slug.value.trim() !== value) return;
      if (r.ok && r.data.available) { setStatus("✓ " + value + " is available", "ok"); slug.classList.remove("invalid"); }
      else if (r.ok) { setStatus("✗ " + value + " " + r.data.reason, "error"); slug.classList.add("invalid"); }
    }, 250);

    const suggest = debounce(async () => {
      if (slugEdited || !org.value.trim()) return;
      const r = await call("GET", "/api/v1/signup/slug-suggestion?organization_name=" + encodeURIComponent(org.value.trim()));
      if (r.ok && !slugEdited) { slug.value = r.data.slug; checkSlug(); }
    }, 300);

    org.addEventListener("input", suggest);
    slug.addEventListener("input", () => {
      slugEdited = slug.value.length > 0;
      slug.value = slug.value.toLowerCase().replace(/[^a-z0-9-]/g, "-");
      checkSlug();
    });
    pw.addEventListener("input", () => {
      const s = strength(pw.value);
      const bar = $("meter-bar");
      bar.style.width = (s * 20) + "%";
      bar.style.background = s >= 4 ? "#047857" : s >= 2 ? "#d97706" : "#b91c1c";
    });

    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      document.querySelectorAll("[data-error-for]").forEach((el) => {
        if (el.id === "slug-status") return;
        el.textContent = el.dataset.default;
        el.className = el.dataset.default ? "hint" : "hint error";
      });
      document.querySelectorAll("input.invalid").forEach((el) => el.classList.remove("invalid"));
      $("form-error").hidden = true;
      const button = $("submit");
      button.disabled = true; button.textContent = "Creating…";
      const r = await call("POST", "/api/v1/signup", {
        organization_name: org.value.trim(), slug: slug.value.trim(), email: email.value.trim(), password: pw.value,
      });
      button.disabled = false; button.textContent = "Create organization";
      if (r.status === 202) {
        $("sent-to").textContent = email.value.trim();
        $("sent-slug").textContent = r.data.slug;
        $("signup").hidden = true;
        $("sent").hidden = false;
        const sentTo = { slug: r.data.slug, email: email.value.trim() };
        $("resend").onclick = async () => {
          const again = await call("POST", "/api/v1/signup/resend", sentTo);
          $("resend-status").textContent = again.ok ? "Sent again. It can take a minute to arrive." : ((again.data && again.data.detail) || "Try again in a minute.");
          $("resend-status").className = again.ok ? "hint ok" : "hint error";
        };
        return;
      }
      const field = r.data && r.data.errors && r.data.errors[0] && r.data.errors[0].field;
      const input = field && $(field === "slug" ? "slug" : field);
      if (input) {
        input.classList.add("invalid");
        const hint = document.querySelector('[data-error-for="' + field + '"]') || $("form-error");
        hint.textContent = r.data.errors[0].message;
        hint.className = hint.id === "form-error" ? "alert" : "hint error";
        hint.hidden = false;
        input.focus();
      } else if (r.data && r.data.code === "slug-taken") {
        slug.classList.add("invalid"); setStatus("✗ " + r.data.detail, "error"); slug.focus();
      } else {
        showError($("form-error"), r.data);
      }
    });
  }

  function consolePage() {
    const signin = $("signin-form");
    if (signin) {
      signin.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        $("signin-error").hidden = true;
        const r = await call("POST", "/api/v1/signup/session", {
          slug: $("signin-slug").value.trim(), email: $("signin-email").value.trim(), password: $("signin-password").value,
        });
        if (r.status === 201) { window.location.assign("/signup/console"); return; }
        showError($("signin-error"), r.data);
      });
    }
    const tokenForm = $("token-form");
    if (tokenForm) {
      const list = $("token-list");
      const addToList = (t) => {
        const li = document.createElement("li");
        const name = document.createElement("strong"); name.textContent = t.name;
        const kind = document.createElement("span"); kind.textContent = t.scopes.join(", ");
        li.append(name, kind); list.prepend(li);
      };
      call("GET", "/api/v1/signup/session/tokens").then((r) => { if (r.ok) r.data.items.forEach(addToList); });
      tokenForm.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        $("token-error").hidden = true;
        const r = await call("POST", "/api/v1/signup/session/tokens", {
          name: $("token-name").value.trim(), scopes: [$("token-kind").value],
        });
        if (r.status !== 201) { showError($("token-error"), r.data); return; }
        $("token-secret").textContent = r.data.token;
        $("token-result").hidden = false;
        addToList(r.data);
      });
      $("sign-out").addEventListener("click", async () => {
        await call("DELETE", "/api/v1/signup/session");
        window.location.assign("/signup/console?tenant=" + encodeURIComponent($("console").dataset.slug));
      });
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    wireCopy();
    if ($("signup")) signupPage();
    if ($("console")) consolePage();
  });
})();
