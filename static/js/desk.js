// Canned responses (the desk's reply box): the chosen text, in the requester's language with
// its placeholders filled by the server, goes into the reply. A static file: the CSP forbids
// inline scripts.
document.addEventListener("click", async (event) => {
  const trigger = event.target.closest("[data-canned-insert]");
  if (!trigger) {
    return;
  }
  const choice = document.getElementById(trigger.dataset.cannedInsert);
  const target = choice && document.getElementById(choice.dataset.cannedTarget);
  if (!choice || !choice.value || !target) {
    return;
  }
  const response = await fetch(choice.value, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  if (!response.ok) {
    return;
  }
  const { text } = await response.json();
  const before = target.value.slice(0, target.selectionStart ?? target.value.length);
  const after = target.value.slice(target.selectionEnd ?? target.value.length);
  target.value = before + text + after;
  target.focus();
  target.dispatchEvent(new Event("input", { bubbles: true }));
});
