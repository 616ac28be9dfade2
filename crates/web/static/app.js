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

  // Custom surveys: a conditional question shows only when its condition
  // holds. Without this script every question shows with a hint, and the
  // server ignores answers to questions whose condition does not hold.
  for (const box of document.querySelectorAll("[data-show-if]")) {
    const [field, option] = box.dataset.showIf.split(":");
    const inputs = Array.from(document.querySelectorAll("input")).filter((i) => i.name === field);
    const sync = () => { box.hidden = !inputs.some((i) => i.checked && i.value === option); };
    for (const input of inputs) input.addEventListener("change", sync);
    sync();
  }
});
