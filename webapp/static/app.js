// Träffpunkt: the only script, and nothing needs it. Without it the error summary still takes
// focus (autofocus) and its links still lead to their fields (scroll-margin in app.css keeps
// the label in view); with it, following an error link also puts the cursor in the field and
// shows the field's label (or its group's legend) at the top of the screen.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-error-summary]");
  if (!summary) return;
  if (document.activeElement !== summary && !document.querySelector(":focus")) summary.focus();

  summary.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    if (!link) return;
    const field = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!field) return;
    event.preventDefault();
    const label = (field.id && document.querySelector(`label[for="${CSS.escape(field.id)}"]`))
      || field.closest("fieldset")?.querySelector("legend") || field;
    label.scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  });
});
