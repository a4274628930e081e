// SIEM sizing workshop (SPEC W2): add log-source rows and fill a row's typical figures from the
// catalogue type chosen. No formula here: the figures are computed on the server (htmx posts
// the form to the calculate endpoint); this file only edits the form's fields.
(() => {
  const form = () => document.getElementById("sizing-form");

  const figures = () => {
    const data = document.getElementById("log-source-types");
    return data ? JSON.parse(data.textContent) : {};
  };

  const recalculate = () => {
    const sizing = form();
    if (sizing) {
      sizing.dispatchEvent(new CustomEvent("sources-changed", { bubbles: true }));
    }
  };

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-add-source]");
    if (!button) {
      return;
    }
    const template = document.getElementById("source-row-template");
    const total = document.getElementById("id_sources-TOTAL_FORMS");
    const rows = document.getElementById("source-rows");
    if (!template || !total || !rows) {
      return;
    }
    const index = Number(total.value);
    const html = template.innerHTML.replaceAll("__prefix__", String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    const added = rows.lastElementChild && rows.lastElementChild.querySelector("select, input");
    if (added) {
      added.focus();
    }
  });

  document.addEventListener("change", (event) => {
    const select = event.target;
    if (!select.matches || !select.matches("#sizing-form select[name$='-source_type']")) {
      return;
    }
    const row = select.closest("tr");
    const type = figures()[select.value];
    if (!row || !type) {
      return;
    }
    const prefix = select.name.replace(/-source_type$/, "");
    const field = (name) => row.querySelector(`[name='${prefix}-${name}']`);
    field("eps_per_device").value = type.eps;
    field("event_bytes").value = type.bytes;
    const name = field("name");
    if (!name.value || name.dataset.fromType === "1") {
      name.value = type.name;
      name.dataset.fromType = "1";
    }
    recalculate();
  });
})();
