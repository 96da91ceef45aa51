// The progress cue kept current, and the LGA cascade made instant. Without this file the page
// still says how many questions were answered when it was drawn, and "Show its LGAs" works.
(function () {
  var lgas = new URL("../../lgas.json", document.currentScript.src);  // under any path prefix
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  var form = document.getElementById("survey");
  var status = form && form.querySelector("[data-pattern]");
  if (status) {
    var bar = status.querySelector("progress");
    // A select counts once it has a value, radios once one is checked. The text changes only
    // when the count does, so a screen reader hears it once per question, not once per tap.
    form.addEventListener("change", function () {
      var n = [].filter.call(form.querySelectorAll("fieldset"), function (q) {
        var list = q.querySelector("select");
        return list ? list.value : q.querySelector("input:checked");
      }).length;
      if (n === bar.value) return;
      bar.value = n;
      // The whole sentence comes from the page, placeholders and all: it can be translated.
      status.lastChild.textContent = status.dataset.pattern
        .replace("{answered}", n).replace("{total}", bar.max);
    });
  }
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
