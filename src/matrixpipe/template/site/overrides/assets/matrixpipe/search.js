/* matrixpipe: Pagefind's search UI in the header (`search: pagefind` in matrixpipe.yml).
   Loaded after pagefind-ui.js; no inline handlers. Pagefind fetches its index lazily: nothing
   until the reader types, then only the index chunks and result fragments the query needs. */
(function () {
  "use strict";

  var box = document.getElementById("mp-search");
  if (!box || typeof window.PagefindUI !== "function") return;

  /* Absolute paths from the relative ones MkDocs writes, so the site also works in a subfolder. */
  function path(attribute, fallback) {
    return new URL(box.getAttribute(attribute) || fallback, document.baseURI).pathname;
  }

  var placeholder = box.getAttribute("data-mp-placeholder") || "Search";
  new window.PagefindUI({
    element: "#mp-search",
    bundlePath: path("data-mp-bundle", "/pagefind/"),
    baseUrl: path("data-mp-base", "/"),
    showImages: false,
    showSubResults: false,
    /* Every study page carries filters (publish/pages/find.py): matrix, cell, category, decade,
       year, jurisdiction and tag. They combine; a value no result has is not offered. */
    showEmptyFilters: false,
    resetStyles: true,
    translations: { placeholder: placeholder }
  });

  /* Pagefind's input has only a placeholder and a title: give it the label of
     partials/pagefind.html instead. Without the title, Material's tooltips (content.tooltips)
     leave it alone; they would insert a "Search" tooltip into the header on focus. */
  var input = box.querySelector("input.pagefind-ui__search-input");
  if (input) {
    input.id = "mp-search-input";
    input.setAttribute("autocomplete", "off");
    input.removeAttribute("title");
    if (!document.querySelector('label[for="mp-search-input"]')) {
      input.setAttribute("aria-label", placeholder);
    }
  }
})();
