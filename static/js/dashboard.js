// Draws the dashboard's figures. They come as JSON in the page: no inline script, no eval.
(function () {
  "use strict";
  var data = document.getElementById("figures");
  var box = document.querySelector("[data-plotly]");
  if (!data || !box) return;
  var figures = JSON.parse(data.textContent);
  var config = JSON.parse(document.getElementById("chart-config").textContent);
  var waiting = [];
  var loading = false;

  function prepare(el) {
    var figure = figures[el.getAttribute("data-figure")];
    if (!figure) return null;
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
    // The box takes the chart's height at once, so nothing below it jumps when it is drawn.
    el.style.height = (layout.height || 450) + "px";
    return figure;
  }

  function draw(el) {
    var figure = prepare(el);
    if (figure) window.Plotly.newPlot(el, figure.data, figure.layout, config);
  }

  // Each chart in a task of its own, so the page answers taps between two charts.
  function later(el) {
    if (!window.Plotly) {
      waiting.push(el);
      load();
      return;
    }
    setTimeout(function () {
      draw(el);
    }, 0);
  }

  // plotly.js (our own file: the CSP allows 'self' scripts only) is fetched once the first
  // chart comes near the screen, never before the page's text is shown.
  function load() {
    if (loading) return;
    loading = true;
    var script = document.createElement("script");
    script.src = box.getAttribute("data-plotly");
    script.onload = function () {
      waiting.splice(0).forEach(later);
    };
    document.head.appendChild(script);
  }

  var charts = Array.prototype.slice.call(document.querySelectorAll("[data-figure]"));
  charts.forEach(prepare);
  if (!("IntersectionObserver" in window)) {
    charts.forEach(later);
    return;
  }
  // A chart is drawn when it comes near the screen: drawing them all at once kept a phone's
  // main thread busy for seconds.
  var observer = new IntersectionObserver(
    function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        observer.unobserve(entry.target);
        later(entry.target);
      });
    },
    { rootMargin: "300px 0px" }
  );
  charts.forEach(function (el) {
    observer.observe(el);
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
