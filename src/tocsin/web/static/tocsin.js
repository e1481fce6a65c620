// Tocsin's only script: keep the page's live regions current, and confirm risky buttons.
// Pages work without it; a region is an element with data-live and an id.
"use strict";

(function () {
  const regions = () => document.querySelectorAll("[data-live][id]");
  const status = () => document.getElementById("live-status");
  let busy = false;
  let again = false;

  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const response = await fetch(location.href, {
        headers: { "X-Tocsin-Live": "1" }, credentials: "same-origin", redirect: "manual",
      });
      if (response.type === "opaqueredirect" || response.status === 401) {
        location.reload();  // the session ended: the server sends us to sign in
        return;
      }
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const region of regions()) {
        // Never pull a form out from under someone typing in it.
        if (region.contains(document.activeElement) && document.activeElement !== document.body) continue;
        const next = fresh.getElementById(region.id);
        if (next && next.innerHTML !== region.innerHTML) region.replaceWith(next);
      }
      const s = status();
      if (s) s.dataset.updated = new Date().toISOString();
    } catch (e) {
      // offline for a moment: the next change or poll tries again
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  }

  function watch() {
    if (!regions().length) return;
    let polling = null;
    const poll = () => { if (!polling) polling = setInterval(refresh, 10000); };
    if (!("EventSource" in window)) { poll(); return; }
    const source = new EventSource("/ui/live");
    source.addEventListener("change", refresh);
    source.addEventListener("open", () => {
      if (polling) { clearInterval(polling); polling = null; }
    });
    source.addEventListener("error", poll);
  }

  document.addEventListener("submit", (event) => {
    const button = event.submitter;
    const question = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", watch);
})();
