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
