/* Older residents' intake form: small helps on top of a form that works without JavaScript. */
(function () {
  "use strict";

  // With errors on the page, move the cursor to the list of them.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  // Show only the villages of the chosen municipality.
  var form = document.getElementById("elder-form");
  if (!form) { return; }

  // Moving a scale means it was assessed: tick the box (untouched scales are stored as not assessed).
  var assessed = form.querySelector("input[name=sliders_assessed]");
  if (assessed) {
    form.querySelectorAll("input[type=range]").forEach(function (range) {
      range.addEventListener("input", function () { assessed.checked = true; });
    });
  }
  var municipality = form.querySelector("select[name=municipality_id]");
  var village = form.querySelector("select[name=village_id]");
  if (!municipality || !village) { return; }

  function filterVillages() {
    var chosen = municipality.options[municipality.selectedIndex];
    var name = chosen && chosen.value ? chosen.text : "";
    var groups = village.querySelectorAll("optgroup");
    for (var i = 0; i < groups.length; i++) {
      var show = !name || groups[i].label === name;
      groups[i].hidden = !show;
      groups[i].disabled = !show;
    }
    var selected = village.options[village.selectedIndex];
    if (selected && selected.parentNode.disabled) { village.value = ""; }
  }
  municipality.addEventListener("change", filterVillages);
  filterVillages();
})();
