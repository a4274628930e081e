// The request form: show what the chosen activity costs and needs (SPEC H3, H6, H10). The
// sentences come from the server, already in the reader's language, in the page's
// <script type="application/json" id="activity-facts"> (json_script): no inline code (CSP).
document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("activity-facts");
  const select = document.querySelector("select[name=activity]");
  const panel = document.querySelector("[data-testid=activity-facts]");
  if (!data || !select || !panel) {
    return;
  }
  const facts = JSON.parse(data.textContent);
  const empty = panel.querySelector("[data-facts-empty]");
  const chosen = panel.querySelector("[data-facts-chosen]");
  const list = panel.querySelector("[data-facts-list]");
  const uses = panel.querySelector("[data-facts-uses]");

  function show() {
    const entry = facts[select.value];
    empty.hidden = Boolean(entry);
    chosen.hidden = !entry;
    list.replaceChildren();
    uses.textContent = "";
    uses.hidden = true;
    if (!entry) {
      return;
    }
    for (const line of entry.facts) {
      const item = document.createElement("li");
      item.textContent = line;
      list.append(item);
    }
    if (entry.uses) {
      uses.textContent = entry.uses;
      uses.hidden = false;
    }
  }

  select.addEventListener("change", show);
  show();
});
