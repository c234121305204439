/* The main menu on a phone: folded behind its "Menu" button, opened and closed with it (or closed
   with Escape). Loaded in the page's head so that the page is marked before it is drawn; without
   JavaScript, or on a wider screen, every link of the menu shows as it is (app.css). */
(function () {
  "use strict";
  document.documentElement.classList.add("js-menu");
  function ready() {
    var button = document.querySelector(".menu-toggle");
    var menu = document.getElementById("main-menu");
    if (!button || !menu) { return; }
    function set(open) {
      menu.classList.toggle("open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    button.addEventListener("click", function () {
      set(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.classList.contains("open")) {
        set(false);
        button.focus();
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
