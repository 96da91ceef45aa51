// Draws the dashboard's figures. They come as JSON in the page: no inline script, no eval.
(function () {
  "use strict";
  var data = document.getElementById("figures");
  if (!data || !window.Plotly) return;
  var figures = JSON.parse(data.textContent);
  var config = JSON.parse(document.getElementById("chart-config").textContent);
  document.querySelectorAll("[data-figure]").forEach(function (el) {
    var figure = figures[el.getAttribute("data-figure")];
    if (!figure) return;
    var layout = figure.layout;
    // The map keeps Nigeria's shape: on a narrow screen it is as tall as it is wide, not
    // a small map in a tall empty box.
    if (layout.meta && layout.meta.aspect && el.clientWidth) {
      layout.height = Math.min(layout.height, Math.round(el.clientWidth * layout.meta.aspect) + 90);
    }
    // Numbers in a heatmap's squares are too small to read on a phone: the table under the
    // chart has them.
    if (el.clientWidth && el.clientWidth < 560) {
      figure.data.forEach(function (trace) {
        if (trace.type === "heatmap") trace.texttemplate = "";
      });
    }
    window.Plotly.newPlot(el, figure.data, layout, config);
  });
})();

// The "LGAs of" picker offers only the states of the area chosen above it, as soon as the
// area changes (without JavaScript the page does the same once "Show" is pressed).
(function () {
  "use strict";
  var area = document.getElementById("area");
  var picker = document.getElementById("lga_state");
  var data = document.getElementById("lga-states");
  if (!area || !picker || !data) return;
  var states = JSON.parse(data.textContent);
  area.addEventListener("change", function () {
    var chosen = area.value;
    var current = picker.value;
    var codes = Object.keys(states.names).filter(function (code) {
      if (chosen.indexOf("state:") === 0) return code === chosen.slice(6);
      if (chosen.indexOf("zone:") === 0) return states.zones[code] === chosen.slice(5);
      return true;
    });
    var keep = codes.indexOf(current) >= 0 ? current : codes.indexOf("NG-LA") >= 0 ? "NG-LA" : codes[0];
    picker.replaceChildren.apply(picker, codes.map(function (code) {
      var option = new Option(states.names[code], code, false, code === keep);
      return option;
    }));
  });
})();
