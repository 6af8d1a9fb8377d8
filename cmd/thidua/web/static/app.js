// thidua web UI: a few progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  // Print buttons.
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
  // Move focus to the error summary after a refused form, so screen readers announce it.
  var err = document.getElementById("error-summary");
  if (err) { err.focus(); }
  // Show the fields that apply: individual nominee fields, index-component fields.
  function toggle(form, selector, show) {
    form.querySelectorAll(selector).forEach(function (el) { el.hidden = !show; });
  }
  var open = document.getElementById("form-open");
  if (open) {
    var sync = function () {
      var ind = open.querySelector("input[name=kind][value=individual]");
      toggle(open, ".individual-only", ind && ind.checked);
    };
    open.addEventListener("change", sync);
    sync();
  }
  // A file larger than the server takes is refused before it is sent, with the limit.
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    input.addEventListener("change", function () {
      var max = Number(input.getAttribute("data-max-bytes"));
      var big = input.files && input.files.length > 0 && input.files[0].size > max;
      input.setCustomValidity(big ? input.getAttribute("data-too-large") : "");
      if (big) { input.reportValidity(); }
    });
  });
  var fact = document.getElementById("form-fact");
  if (fact) {
    var syncFact = function () {
      var f = fact.querySelector("select[name=fact]");
      toggle(fact, ".index-only", f && f.value === "index_component");
    };
    fact.addEventListener("change", syncFact);
    syncFact();
  }
  // The live ranking page says when the ranking it shows has changed (an award granted,
  // a ruling recorded), without reloading under its reader: it asks for the ranking's
  // state every few seconds while it is visible, and stops once it has said so.
  var changed = document.getElementById("ranking-changed");
  if (changed && window.fetch) {
    var every = Number(changed.getAttribute("data-poll-ms")) || 30000;
    var timer = setInterval(function () {
      if (document.hidden) { return; }
      fetch(changed.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (j && j.state && j.state !== changed.getAttribute("data-state")) {
            changed.hidden = false;
            clearInterval(timer);
          }
        })
        .catch(function () { /* signed out or offline: the page stays as it is */ });
    }, every);
  }
})();
