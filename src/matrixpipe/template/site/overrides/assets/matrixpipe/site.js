/* matrixpipe: the action buttons of cell and study pages (copy, print). No inline handlers. */
(function () {
  "use strict";

  var status = null;

  /* Material's search is a role="dialog" without a name (axe: aria-dialog-name). Naming it
     here rather than in a copied template keeps the theme's own markup (and Zensical's). */
  var search = document.querySelector('.md-search[role="dialog"]:not([aria-label])');
  if (search) search.setAttribute("aria-label", "Search");

  function announce(button, message) {
    if (!status) {
      status = document.createElement("span");
      status.className = "mp-visually-hidden";
      status.setAttribute("role", "status");
      document.body.appendChild(status);
    }
    status.textContent = message;
    var label = button.textContent;
    if (!button.hasAttribute("data-mp-label")) button.setAttribute("data-mp-label", label);
    button.textContent = message;
    window.setTimeout(function () {
      button.textContent = button.getAttribute("data-mp-label");
    }, 2000);
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var done = document.execCommand("copy");
      document.body.removeChild(area);
      (done ? resolve : reject)();
    });
  }

  document.addEventListener("click", function (event) {
    if (!(event.target instanceof Element)) return;
    var copy = event.target.closest("[data-mp-copy]");
    if (copy) {
      copyText(copy.getAttribute("data-mp-copy")).then(
        function () { announce(copy, "Copied"); },
        function () { announce(copy, "Could not copy"); }
      );
      return;
    }
    if (event.target.closest("[data-mp-print]")) window.print();
  });

  /* Print every folded "Unfold extra text" block open, then fold them again. */
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (details) {
      details.setAttribute("open", "");
      details.setAttribute("data-mp-unfolded", "");
    });
  });
  window.addEventListener("afterprint", function () {
    document.querySelectorAll("details[data-mp-unfolded]").forEach(function (details) {
      details.removeAttribute("open");
      details.removeAttribute("data-mp-unfolded");
    });
  });
})();
