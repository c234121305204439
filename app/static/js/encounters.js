/* Encounters: a "find by name" box for long lists of people (progressive enhancement). */
(function () {
  "use strict";
  document.querySelectorAll("input[data-filter-for]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("data-filter-for"));
    if (!list) { return; }
    input.closest(".choice-filter").hidden = false;
    input.addEventListener("input", function () {
      var term = input.value.trim().toLowerCase();
      list.querySelectorAll("li").forEach(function (item) {
        var box = item.querySelector("input");
        var match = !term || item.textContent.toLowerCase().indexOf(term) !== -1 || (box && box.checked);
        item.hidden = !match;
      });
    });
  });
})();
