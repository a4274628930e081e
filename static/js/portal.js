// Confirmation before destructive actions: <button data-confirm="Question?">.
document.addEventListener("click", (event) => {
  const trigger = event.target.closest("[data-confirm]");
  if (trigger && !window.confirm(trigger.dataset.confirm)) {
    event.preventDefault();
  }
});

// A select that submits its form when changed (the language switcher): no inline handler, so
// the Content-Security-Policy needs no 'unsafe-inline'.
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) {
    event.target.form.submit();
  }
});

// Phones: the navigation folds behind the "Menu" button (CSS shows the button only when this
// script runs, so without JavaScript the navigation simply stays open).
document.documentElement.classList.add("js");
document.addEventListener("click", (event) => {
  const toggle = event.target.closest(".menu-toggle");
  if (!toggle) return;
  const nav = document.getElementById(toggle.getAttribute("aria-controls"));
  const open = toggle.getAttribute("aria-expanded") !== "true";
  toggle.setAttribute("aria-expanded", String(open));
  nav.classList.toggle("open", open);
});

// A table wider than a phone scrolls inside itself: it then takes the keyboard focus, so that
// it can be scrolled without a mouse (and screen readers announce it).
function focusableScrollers() {
  for (const box of document.querySelectorAll("main table, main .table-wrap, main .table-scroll")) {
    if (box.scrollWidth > box.clientWidth + 1) {
      box.setAttribute("tabindex", "0");
    } else if (box.getAttribute("tabindex") === "0") {
      box.removeAttribute("tabindex");
    }
  }
}
document.addEventListener("DOMContentLoaded", focusableScrollers);
window.addEventListener("resize", focusableScrollers);
document.addEventListener("htmx:afterSwap", focusableScrollers);
