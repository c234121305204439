/* Coordinator's errand pages: progressive enhancement only; every form works without this. */
(function () {
  "use strict";

  // Typing in the search box narrows the list of older people at once.
  document.querySelectorAll("input[data-filter-select]").forEach(function (input) {
    var select = document.getElementById(input.getAttribute("data-filter-select"));
    if (!select) { return; }
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var matches = [];
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value) { return; }
        var text = (option.getAttribute("data-search") || "") + " " + option.text.toLowerCase();
        var digits = text.replace(/\D/g, "");
        var ok = words.every(function (w) {
          var d = w.replace(/\D/g, "").replace(/^0+/, "");
          return text.indexOf(w) !== -1 || (d.length >= 3 && digits.indexOf(d) !== -1);
        });
        option.hidden = !ok;
        if (ok) { matches.push(option); }
      });
      if (matches.length === 1) { matches[0].selected = true; }
    });
  });

  // Before the request form is open, choosing a person opens it.
  var pick = document.getElementById("elder-pick");
  if (pick && !document.getElementById("request-form")) {
    var select = pick.querySelector("select[name=elder]");
    if (select) {
      select.addEventListener("change", function () { if (select.value) { pick.submit(); } });
    }
  }

  // Show follow-up questions only when they apply ("requested_by=relative").
  var dependants = document.querySelectorAll("[data-show-when]");
  function refresh() {
    dependants.forEach(function (el) {
      var rule = el.getAttribute("data-show-when").split("=");
      var checked = document.querySelector("input[name='" + rule[0] + "']:checked");
      var wanted = rule[1].split(",");
      var show = (checked && wanted.indexOf(checked.value) !== -1) || el.querySelector(".has-error, .error");
      el.hidden = !show;
    });
  }
  if (dependants.length) {
    document.addEventListener("change", function (event) {
      if (event.target && event.target.type === "radio") { refresh(); }
    });
    refresh();
  }
})();

/* The request's date: the quick-date buttons fill the field here (without JavaScript they
   send the form back with the day set, saving nothing), and the weekday is shown as it is chosen. */
(function () {
  "use strict";
  var lang = document.documentElement.lang || "fi";
  function showWeekday(input) {
    var out = document.getElementById(input.id + "-weekday");
    if (!out) { return; }
    var parts = (input.value || "").split("-");
    if (parts.length !== 3) { out.textContent = ""; return; }
    var day = new Date(Number(parts[0]), Number(parts[1]) - 1, Number(parts[2]));
    out.textContent = isNaN(day) ? "" : day.toLocaleDateString(lang, { weekday: "long", day: "numeric", month: "numeric", year: "numeric" });
  }
  document.querySelectorAll("button[data-date-for]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-date-for"));
    if (!input) { return; }
    button.addEventListener("click", function (event) {
      event.preventDefault();
      input.value = button.value;
      input.dispatchEvent(new Event("change", { bubbles: true }));
      document.querySelectorAll("button[data-date-for='" + input.id + "']").forEach(function (b) {
        b.setAttribute("aria-pressed", b === button ? "true" : "false");
      });
    });
    if (!input.dataset.weekdayWatched) {
      input.dataset.weekdayWatched = "1";
      input.addEventListener("change", function () { showWeekday(input); });
      input.addEventListener("input", function () { showWeekday(input); });
    }
  });
})();
