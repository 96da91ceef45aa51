// Draws the dashboard's figures. They come as JSON in the page: no inline script, no eval.
(function () {
  "use strict";
  var data = document.getElementById("figures");
  if (!data || !window.Plotly) return;
  var figures = JSON.parse(data.textContent);
  var config = JSON.parse(document.getElementById("chart-config").textContent);
  document.querySelectorAll("[data-figure]").forEach(function (el) {
    var figure = figures[el.getAttribute("data-figure")];
    if (figure) window.Plotly.newPlot(el, figure.data, figure.layout, config);
  });
})();
