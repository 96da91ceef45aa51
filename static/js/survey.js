// Keeps the progress cue current and makes the LGA cascade instant. Without it the page still
// shows the count as drawn, and "Show its LGAs" works.
(function () {
  var lgas = new URL("../../lgas.json", document.currentScript.src);  // under any path prefix
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  var form = document.getElementById("survey");
  var status = form && form.querySelector("[data-pattern]");
  if (status) {
    var bar = status.querySelector("progress");
    // Text changed only when the count does: a screen reader hears it once per question.
    form.addEventListener("change", function () {
      var n = [].filter.call(form.querySelectorAll("fieldset"), function (q) {
        var list = q.querySelector("select");
        return list ? list.value : q.querySelector("input:checked");
      }).length;
      if (n === bar.value) return;
      bar.value = n;
      // The sentence is the page's (translatable); the script adds no words.
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
  }).catch(function () {});  // no list: "Show its LGAs" stays, as without JavaScript
})();
