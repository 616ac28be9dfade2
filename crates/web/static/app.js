// Small enhancements only; every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // On wide screens the navigation is always shown.
  const menu = document.querySelector("details.menu");
  const wide = window.matchMedia("(min-width: 48rem)");
  const sync = () => { if (menu && wide.matches) menu.open = true; };
  sync();
  wide.addEventListener("change", sync);

  // Ask before destructive actions.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }

  // Copy a value (e.g. a new access token) to the clipboard.
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const target = document.getElementById(button.dataset.copy);
      if (target && navigator.clipboard) {
        await navigator.clipboard.writeText(target.textContent.trim());
        button.setAttribute("aria-pressed", "true");
      }
    });
  }
});
