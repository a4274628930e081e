// Draws every <canvas data-chart="id"> from the JSON configuration in <script id="id"> (built on
// the server by csm_portal/charts.py). Runs on load and after htmx swaps; no inline script.
(function () {
  function draw(root) {
    if (!window.Chart) return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) return;
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) return;
      new window.Chart(canvas, JSON.parse(source.textContent));
      canvas.dataset.drawn = "1";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.target); });
})();
