/* The header's Menu button (templates/base.html).

Progressive enhancement: without this script the menu is simply shown. When it
runs, the page gets the "js-menu" class; on narrow screens the stylesheet then
shows the Menu button and hides the menu until the button opens it. The button
says whether the menu is open with aria-expanded; Escape closes it and puts
focus back on the button. */
(function () {
  "use strict";
  var button = document.querySelector(".menu-button");
  var menu = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!button || !menu) {
    return;
  }
  document.documentElement.classList.add("js-menu");

  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("is-open", open);
  }

  setOpen(false);
  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  menu.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      button.focus();
    }
  });
})();
