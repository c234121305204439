/* Helper sign-up and profile form: small conveniences on top of a form that works without JavaScript. */
(function () {
  "use strict";
  var form = document.getElementById("helper-form");
  if (!form) { return; }

  /* Villages: show only those of the chosen municipality. */
  var municipality = form.querySelector("#municipality");
  var village = form.querySelector("#village");
  function filterVillages() {
    if (!municipality || !village) { return; }
    var chosen = municipality.value;
    Array.prototype.forEach.call(village.querySelectorAll("optgroup"), function (group) {
      var first = group.querySelector("option");
      var match = !chosen || (first && first.getAttribute("data-municipality") === chosen);
      group.hidden = !match;
      group.disabled = !match;
    });
    var selected = village.options[village.selectedIndex];
    if (selected && selected.parentNode.tagName === "OPTGROUP" && selected.parentNode.disabled) {
      village.value = "";
    }
  }
  if (municipality) {
    municipality.addEventListener("change", filterVillages);
    filterVillages();
  }

  /* Distance: show the usual distance for the chosen way of getting around. */
  var defaults = { foot: 2, bike: 6, moped: 15, car: 30 };
  var distance = form.querySelector("#max_distance_km");
  function showDefault() {
    var checked = form.querySelector("input[name=transport]:checked");
    if (distance && checked && defaults[checked.value]) {
      distance.placeholder = String(defaults[checked.value]);
    }
  }
  Array.prototype.forEach.call(form.querySelectorAll("input[name=transport]"), function (radio) {
    radio.addEventListener("change", showDefault);
  });
  showDefault();

  /* Sliders: show the chosen point as a number too. */
  Array.prototype.forEach.call(form.querySelectorAll("input[type=range]"), function (slider) {
    var output = form.querySelector("output[data-slider-output='" + slider.id + "']");
    function update() {
      var text = slider.value + " / " + (slider.max || 5);
      slider.setAttribute("aria-valuetext", text);
      if (output) { output.textContent = text; }
    }
    slider.addEventListener("input", update);
    update();
  });

  /* Guardian: only for those under 18 (the server decides; this only tidies the form). */
  var birth = form.querySelector("#birth_date");
  var guardian = document.getElementById("guardian-fields");
  function parseDate(text) {
    var m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text) || null;
    if (m) { return new Date(+m[1], +m[2] - 1, +m[3]); }
    m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(text);
    if (m) { return new Date(+m[3], +m[2] - 1, +m[1]); }
    return null;
  }
  function toggleGuardian() {
    if (!birth || !guardian) { return; }
    var born = parseDate(birth.value.trim());
    if (!born) { guardian.hidden = false; return; }
    var now = new Date();
    var age = now.getFullYear() - born.getFullYear();
    if (now.getMonth() < born.getMonth() || (now.getMonth() === born.getMonth() && now.getDate() < born.getDate())) {
      age -= 1;
    }
    guardian.hidden = age >= 18;
  }
  if (birth) {
    birth.addEventListener("change", toggleGuardian);
    birth.addEventListener("input", toggleGuardian);
    toggleGuardian();
  }

  /* Introduction: characters used. */
  var intro = form.querySelector("#introduction");
  if (intro) {
    var counter = document.createElement("p");
    counter.className = "hint char-count";
    intro.insertAdjacentElement("afterend", counter);
    var limit = intro.getAttribute("maxlength") || 500;
    var countChars = function () { counter.textContent = intro.value.length + " / " + limit; };
    intro.addEventListener("input", countChars);
    countChars();
  }
})();

/* Move focus to the list of errors after a failed submit, so that screen readers hear it first. */
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
