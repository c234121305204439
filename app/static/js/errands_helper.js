// Errands, helper side: a "copy the address" button for the calendar feed URL.
(function () {
  "use strict";
  var button = document.querySelector("[data-copy-button]");
  var input = document.querySelector("[data-copy-target]");
  if (!button || !input || !navigator.clipboard) { return; }
  button.hidden = false;
  var label = button.textContent;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(input.value).then(function () {
      button.textContent = button.getAttribute("data-copied-text") || label;
      setTimeout(function () { button.textContent = label; }, 2500);
    }, function () {
      input.focus();
      input.select();
    });
  });
  input.addEventListener("focus", function () { input.select(); });
})();
