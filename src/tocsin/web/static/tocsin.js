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
      const response = await fetch(document.body.dataset.liveUrl, {
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

  // Only pages fetched with GET say where to refresh from (a page answering a form post
  // has no address to fetch again). A hidden tab lets go of its stream: browsers allow
  // only a few connections per site, and many open tabs would starve the rest.
  function watch() {
    if (!regions().length || !document.body.dataset.liveUrl) return;
    let polling = null;
    let source = null;
    const poll = () => { if (!polling) polling = setInterval(refresh, 10000); };
    const stopPolling = () => { if (polling) { clearInterval(polling); polling = null; } };
    function connect() {
      if (!("EventSource" in window)) { poll(); return; }
      source = new EventSource("/ui/live");
      source.addEventListener("change", refresh);
      source.addEventListener("open", stopPolling);
      source.addEventListener("error", poll);
    }
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) {
        if (source) { source.close(); source = null; }
        stopPolling();
      } else if (!source) {
        connect();
        refresh();  // catch up on what changed while hidden
      }
    });
    if (!document.hidden) connect();
  }

  document.addEventListener("submit", (event) => {
    const button = event.submitter;
    const question = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", watch);
})();
