/*
 * The GOV.UK error summary's behaviour (templates/includes/form_errors.html).
 *
 * - When a page shows an error summary, focus moves to it, so a screen reader
 *   reads the problems first and a keyboard user starts from them.
 * - A link in the summary moves focus to its field; for a group of radios or
 *   checkboxes (a fieldset) to the group's first input. The field's label or
 *   legend is scrolled into view with it, so people see what the field is.
 *
 * Without JavaScript the links still jump to the field (plain #fragment links).
 */
(function () {
  "use strict";

  var FOCUSABLE = "input:not([type=hidden]), select, textarea, button";

  function labelFor(field) {
    var fieldset = field.closest("fieldset");
    if (fieldset && fieldset.querySelector("legend")) {
      return fieldset.querySelector("legend");
    }
    if (field.id) {
      var label = document.querySelector("label[for='" + CSS.escape(field.id) + "']");
      if (label) {
        return label;
      }
    }
    return field;
  }

  function fieldFor(target) {
    if (target.matches(FOCUSABLE)) {
      return target;
    }
    // A fieldset, or a widget's wrapper (radios and checkboxes in a <div>).
    return target.querySelector(FOCUSABLE);
  }

  function onSummaryClick(event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) {
      return;
    }
    var id = decodeURIComponent(link.getAttribute("href").slice(1));
    var target = id && document.getElementById(id);
    if (!target) {
      return;
    }
    var field = fieldFor(target);
    if (!field) {
      return;
    }
    event.preventDefault();
    labelFor(field).scrollIntoView();
    field.focus({ preventScroll: true });
  }

  function start() {
    var summary = document.querySelector(".error-summary");
    if (!summary) {
      return;
    }
    if (!summary.hasAttribute("tabindex")) {
      summary.setAttribute("tabindex", "-1");
    }
    summary.addEventListener("click", onSummaryClick);
    summary.focus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
