// patroli workspace: keyboard shortcuts, verdict toggles, the lease countdown. Served from the package; no
// inline script anywhere (the Content-Security-Policy forbids it), so every handler is attached here.
"use strict";

(function () {
  function $(selector) { return document.querySelector(selector); }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function press(selector) {
    var el = $(selector);
    if (!el) { return false; }
    if (el.tagName === "A") { window.location.href = el.href; } else { el.click(); }
    return true;
  }

  function cycle(row) {
    var radios = row.querySelectorAll("input[type=radio]");
    var current = 0;
    for (var i = 0; i < radios.length; i++) { if (radios[i].checked) { current = i; } }
    radios[(current + 1) % radios.length].checked = true;
    row.classList.add("touched");
    summarise();
  }

  function summarise() {
    var out = $("#decision-summary");
    if (!out) { return; }
    var parts = [];
    document.querySelectorAll(".verdict-row").forEach(function (row) {
      var chosen = row.querySelector("input[type=radio]:checked");
      row.classList.toggle("set-yes", chosen && chosen.value === "yes");
      row.classList.toggle("set-no", chosen && chosen.value === "no");
      if (chosen && chosen.value) {
        parts.push(row.getAttribute("data-label") + (chosen.value === "yes" ? " ✓" : " ✗"));
      }
    });
    out.textContent = parts.length ? out.getAttribute("data-will") + " " + parts.join(", ") : out.getAttribute("data-none");
  }

  function toggleHelp(show) {
    var help = $("#help");
    if (help) { help.hidden = show === undefined ? !help.hidden : !show; }
  }

  function countdown() {
    var lease = $("#lease");
    var out = $("#lease-left");
    if (!lease || !out) { return; }
    var end = Date.now() + 1000 * parseInt(lease.getAttribute("data-seconds"), 10);
    function tick() {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      var m = Math.floor(left / 60), s = left % 60;
      out.textContent = "(" + m + ":" + (s < 10 ? "0" : "") + s + ")";
      lease.classList.toggle("ending", left < 120);
      if (left > 0) { window.setTimeout(tick, 1000); }
    }
    tick();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var key = event.key;
    var handled = true;
    if (key === "?") { toggleHelp(); }
    else if (key === "Escape") { toggleHelp(false); }
    else if (key === "j") { handled = press("#next-item"); }
    else if (key === "k") { handled = press("#prev-item"); }
    else if (key === "n") { handled = press("#next"); }
    else if (key === "c") { handled = press("#confirm"); }
    else if (key === "d") { handled = press("#dismiss"); }
    else if (key === "e") { handled = press("#escalate"); }
    else if (/^[1-9]$/.test(key)) {
      var row = document.querySelector('.verdict-row[data-key="' + key + '"]');
      if (row) { cycle(row); } else { handled = false; }
    } else { handled = false; }
    if (handled) { event.preventDefault(); }
  });

  document.addEventListener("change", function (event) {
    if (event.target && event.target.closest && event.target.closest(".verdict-row")) { summarise(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var close = $("#help-close");
    if (close) { close.addEventListener("click", function () { toggleHelp(false); }); }
    summarise();
    countdown();
  });
})();
