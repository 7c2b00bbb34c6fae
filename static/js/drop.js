/* drop.js: the drop page with JavaScript: countdowns, and the waiting room kept up to date by
 * polling the JSON endpoint at the pace it asks for (poll_after_ms). Without JavaScript the
 * page refreshes itself (<noscript> meta refresh) and shows the same things. */
(function () {
  "use strict";
  function fmt(ms) {
    if (ms <= 0) return "now";
    var s = Math.ceil(ms / 1000), d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600),
        m = Math.floor((s % 3600) / 60), r = s % 60;
    if (d > 0) return "in " + d + " d " + h + " h";
    if (h > 0) return "in " + h + " h " + m + " min";
    if (m > 0) return "in " + m + " min " + r + " s";
    return "in " + r + " s";
  }
  var timers = document.querySelectorAll("time[data-countdown]");
  function tick() {
    var now = Date.now(), reload = false;
    timers.forEach(function (t) {
      var at = Date.parse(t.getAttribute("datetime"));
      if (isNaN(at)) return;
      var left = at - now, out = t.nextElementSibling;
      if (!out || !out.classList.contains("countdown")) {
        out = document.createElement("span");
        out.className = "countdown";
        t.parentNode.insertBefore(out, t.nextSibling);
        out.dataset.wasFuture = left > 0 ? "1" : "0";
      }
      out.textContent = left > 0 ? " (" + fmt(left) + ")" : "";
      if (left <= 0 && out.dataset.wasFuture === "1") reload = true;
    });
    if (reload) setTimeout(function () { location.reload(); }, 1500);
    else setTimeout(tick, 1000);
  }
  if (timers.length) tick();

  var page = document.querySelector(".drop[data-queue]");
  if (!page) return;
  var state = page.getAttribute("data-queue");
  if (state !== "waiting" && state !== "sold_out") return;
  var url = "/api/v1/drops/" + page.getAttribute("data-drop") + "/queue";
  function set(sel, v) {
    var e = page.querySelector(sel);
    if (e && v !== null && v !== undefined) e.textContent = v;
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (q) {
        if (q.state !== state || (q.position && !page.querySelector("[data-position]"))) {
          location.reload(); /* admitted, sold out, closed or placed: the page says what to do */
          return;
        }
        /* the warning that the pairs will likely run out first comes and goes with the page */
        var limit = Number(page.getAttribute("data-limit")) || 1;
        var out = q.position > 0 && q.pairs_left !== undefined && q.position * limit > q.pairs_left;
        if (out !== (page.querySelector("[data-likely-out]") !== null)) {
          location.reload();
          return;
        }
        set("[data-position]", q.position);
        set("[data-ahead]", q.ahead);
        page.querySelectorAll("[data-pairs-left]").forEach(function (e) {
          if (q.pairs_left !== undefined) e.textContent = q.pairs_left;
        });
        if (q.eta_seconds !== null) set("[data-eta]", Math.ceil(q.eta_seconds / 60));
        setTimeout(poll, q.poll_after_ms || 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
