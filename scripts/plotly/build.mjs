// Bundles entry.js into ../../static/vendor/plotly/plotly-surveys.min.js (run by
// scripts/build_plotly.sh). The settings follow plotly.js's own esbuild-config.js.
import { build } from "esbuild";

await build({
  entryPoints: ["entry.js"],
  outfile: "../../static/vendor/plotly/plotly-surveys.min.js",
  format: "iife",
  globalName: "Plotly",
  bundle: true,
  minify: true,
  legalComments: "eof",
  banner: {
    js: "/*! plotly.js 4.1.1 (MIT, Plotly Technologies Inc.): core (scatter) + bar + heatmap " +
      "only, for the survey dashboard; built by scripts/build_plotly.sh */",
  },
  target: "es2016",
  // maplibre's stylesheet is required only for map traces, which this bundle has none of.
  loader: { ".css": "empty" },
  alias: { stream: "stream-browserify" },
  define: { global: "window", "define.amd": "false", "process.env.NODE_DEBUG": "false" },
  logLevel: "info",
});
