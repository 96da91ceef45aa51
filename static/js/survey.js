// The LGA cascade, made instant. Without this file the "Show its LGAs" button does the same.
(function () {
  var lgas = new URL("../../lgas.json", document.currentScript.src);  // under any path prefix
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  var form = document.getElementById("survey");
  var state = form && form.elements.state;
  var lga = form && form.elements.lga;
  if (!state || !lga) return;
  fetch(lgas).then(function (r) { return r.json(); }).then(function (names) {
    var refresh = form.querySelector("[data-refresh]");
    var note = form.querySelector("[data-lga-note]");
    if (refresh) refresh.remove();
    if (note) note.remove();
    state.addEventListener("change", function () {
      var first = lga.options[0], last = lga.options[lga.options.length - 1];
      lga.length = 0;
      lga.add(first);
      (names[state.value] ? names[state.value].split("|") : []).forEach(function (name, i) {
        lga.add(new Option(name, state.value + "-" + String(i + 1).padStart(2, "0")));
      });
      lga.add(last);
      lga.value = "";
    });
  });
})();
