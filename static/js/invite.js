// The shop's survey invitation: <script src="https://SERVICE/static/js/invite.js" defer>.
// Plain DOM, nothing inline (a strict CSP on the shop's page needs no exception but our origin).
// No words of its own: they come from invitation.json, in the shop page's <html lang>.
(function () {
  var me = document.currentScript;
  if (!me || document.getElementById("svy-invite")) return;
  var base = new URL("../../", me.src).href;
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (text) node.textContent = text;
    return node;
  }
  var lang = encodeURIComponent(document.documentElement.lang || "");
  fetch(base + "invitation.json?lang=" + lang, { credentials: "include" })
    .then(function (r) { return r.json(); })
    .then(function (it) {
      if (!it.invite) return;
      ["static/css/invite.css", "shop.css"].forEach(function (href) {
        document.head.appendChild(el("link", { rel: "stylesheet", href: base + href }));
      });
      var t = it.text;
      var box = el("section", {
        id: "svy-invite", class: "svy-invite", role: "region", lang: it.lang,
        "aria-labelledby": "svy-invite-text"
      });
      var logo = el("span", { class: "svy-logo", "aria-hidden": "true" });
      var text = el("p", { id: "svy-invite-text" }, t.invitation);
      var target = new URL(it.survey.url);
      target.searchParams.set("return_to", location.href);
      // A signed-in customer goes through the shop's own hand-over page (docs/invitation.md).
      var via = me.getAttribute("data-sign-in");
      var answer = el("a", { class: "svy-answer", href: via ? via + (via.indexOf("?") < 0 ? "?" : "&") +
        "next=" + encodeURIComponent(target.pathname + target.search) : target.href }, t.answer);
      var later = el("button", { type: "button", class: "svy-later" }, t.not_now);
      function close() {
        document.removeEventListener("keydown", onKey);
        box.remove();
      }
      function onKey(e) { if (e.key === "Escape") close(); }
      later.addEventListener("click", function () {
        // The survey page's own "Not now": the same form post, with its CSRF token.
        var body = new URLSearchParams({ csrf_token: it.not_now.csrf_token });
        fetch(it.not_now.url, { method: "POST", body: body, credentials: "include", redirect: "manual" })
          .catch(function () {});
        close();
      });
      document.addEventListener("keydown", onKey);
      box.append(logo, text, answer, later);
      document.body.prepend(box);
    })
    .catch(function () {});
})();
