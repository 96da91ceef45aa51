// The progress cue and the instant LGA list; docs/shopper-pages.md says why each part is so.
(function () {
  var lgas = new URL("../../lgas.json", document.currentScript.src);
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  var form = document.getElementById("survey");
  var status = form && form.querySelector("[data-pattern]");
  if (status) {
    var bar = status.querySelector("progress");
    form.addEventListener("change", function () {
      var n = [].filter.call(form.querySelectorAll("fieldset"), function (q) {
        var list = q.querySelector("select");
        return list ? list.value : q.querySelector("input:checked");
      }).length;
      if (n === bar.value) return;
      bar.value = n;
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
      var mine = names[state.value.slice(3)];
      (mine ? mine.split("|") : []).forEach(function (name, i) {
        lga.add(new Option(name, state.value + "-" + String(i + 1).padStart(2, "0")));
      });
      lga.add(last);
      lga.value = "";
    });
  }).catch(function () {});
})();
