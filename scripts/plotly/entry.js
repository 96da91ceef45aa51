// plotly.js with only what the dashboard draws (surveys/services/reporting/charts.py):
// bar charts, the cross-tab heatmap and the map's filled outlines (scatter, always in core).
// No WebGL trace, so nothing in the bundle compiles code at run time (no eval, no Function):
// it runs under the staff pages' Content-Security-Policy without 'unsafe-eval'.
"use strict";

var Plotly = require("plotly.js/lib/core");

Plotly.register([require("plotly.js/lib/bar"), require("plotly.js/lib/heatmap")]);

module.exports = Plotly;
