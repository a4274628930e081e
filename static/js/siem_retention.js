// The retention control of the SIEM retention page (SPEC W5): moving the range shows, for the
// chosen month, the storage and the monthly cost read from the curve the server computed
// (json_script "retention-data"), moves the marker on the chart and fills the decision form's
// months. No inline script: the CSP stays strict.
(function () {
  function setup() {
    var range = document.querySelector("[data-retention-range]");
    var readout = document.querySelector("[data-retention-readout]");
    var source = document.getElementById("retention-data");
    if (!range || !readout || !source) return;
    var data = JSON.parse(source.textContent);
    var language = document.documentElement.lang || "it";
    var number = new Intl.NumberFormat(language, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    var canvas = document.querySelector("canvas[data-chart='retention-chart']");
    var monthsField = document.querySelector("[data-testid=decision-form] input[name=months]");

    function show(months, fromUser) {
      var point = null;
      data.curve.forEach(function (p) { if (p.months === months) point = p; });
      if (!point) return;
      readout.textContent = data.template
        .replace("{months}", String(months))
        .replace("{storage}", number.format(parseFloat(point.storage_gb)))
        .replace("{cost}", number.format(parseFloat(point.monthly_cost)))
        .replace("{currency}", data.currency);
      readout.dataset.months = String(months);
      var chart = canvas && window.Chart ? window.Chart.getChart(canvas) : null;
      if (chart && chart.data.datasets.length > 2) {
        chart.data.datasets[2].data = data.curve.map(function (p) {
          return p.months === months ? parseFloat(p.monthly_cost) : null;
        });
        chart.update("none");
      }
      if (fromUser && monthsField) monthsField.value = String(months);
    }

    range.addEventListener("input", function () { show(parseInt(range.value, 10), true); });
    range.addEventListener("change", function () { show(parseInt(range.value, 10), true); });
  }
  document.addEventListener("DOMContentLoaded", setup);
})();
