/* matrixpipe: the Find studies page (src/matrixpipe/publish/pages/find.py). Loaded on that page
   only (main.html); does nothing where its form is missing. No inline handlers.

   The page's JSON data block holds every filter's values, computed by the build from the same
   view as the study pages' Pagefind filters. Where the build ran Pagefind the page asks it (its
   JS API, with those filters); otherwise it filters the API's studies.json, computing each
   study's values from its record the way find.py's `study_facets` does. The selects combine
   (every chosen filter must hold), and the choice is kept in the address, so it can be shared. */
(function () {
  "use strict";

  /* Pagefind only where the build ran it (main.html says): not in `matrixpipe serve`. */
  var script = document.currentScript;
  var engine = script && script.getAttribute("data-mp-engine") === "pagefind" ? "pagefind" : "api";
  var form = document.getElementById("mp-find");
  var block = document.getElementById("mp-find-data");
  var status = document.getElementById("mp-find-status");
  var list = document.getElementById("mp-find-list");
  if (!form || !block || !status || !list) return;

  var data;
  try {
    data = JSON.parse(block.textContent);
  } catch (error) {
    status.textContent = "The filters could not be loaded: " + error.message;
    return;
  }

  var PAGE = 20;
  var CATEGORIES = Object.keys(data.categories);
  var keys = [];
  var selects = {};
  var shown = 0;
  var current = null; /* the latest answer: { count, items(from, to) → Promise of items } */
  var asked = 0; /* ignores an answer that a newer choice has overtaken */

  function url(relative) {
    return new URL(relative, document.baseURI);
  }

  /* -- the form ------------------------------------------------------------------------------ */

  data.facets.forEach(function (facet) {
    var select = form.querySelector('select[data-mp-facet="' + facet.key + '"]');
    if (!select) return;
    keys.push(facet.key);
    selects[facet.key] = select;
    var groups = {};
    facet.options.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.value;
      option.textContent = item.text;
      var parent = select;
      if (item.group) {
        if (!groups[item.group]) {
          groups[item.group] = document.createElement("optgroup");
          groups[item.group].label = item.group;
          select.appendChild(groups[item.group]);
        }
        parent = groups[item.group];
      }
      parent.appendChild(option);
    });
  });

  var params = new URLSearchParams(window.location.search);
  keys.forEach(function (key) {
    var wanted = params.get(key);
    var select = selects[key];
    for (var i = 0; wanted !== null && i < select.options.length; i++) {
      if (select.options[i].value === wanted) select.value = wanted;
    }
  });

  function chosen() {
    var out = {};
    keys.forEach(function (key) {
      if (selects[key].value) out[key] = selects[key].value;
    });
    return out;
  }

  function remember(filters) {
    var query = new URLSearchParams(filters).toString();
    window.history.replaceState(null, "", query ? "?" + query : window.location.pathname);
  }

  /* -- the two engines: each answers { count, items(from, to) } for some filters ------------- */

  /* Pagefind's default UI shows filter values as HTML, so its index holds them escaped. */
  function escapeHtml(text) {
    return text
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#x27;");
  }

  var pagefind = null;
  function withPagefind(filters) {
    if (!pagefind) {
      pagefind = import(url(data.pagefind).href).then(function (module) {
        return module.options({ baseUrl: url(data.root).pathname }).then(function () {
          return module;
        });
      });
    }
    var query = {};
    Object.keys(filters).forEach(function (key) {
      query[key] = escapeHtml(filters[key]);
    });
    return pagefind
      .then(function (module) {
        return module.search(null, { filters: query });
      })
      .then(function (search) {
        return {
          count: search.results.length,
          items: function (from, to) {
            return Promise.all(
              search.results.slice(from, to).map(function (result) {
                return result.data().then(function (page) {
                  var year = page.filters && page.filters.year ? page.filters.year[0] : "";
                  var title = page.meta && page.meta.title ? page.meta.title : page.url;
                  return { href: page.url, title: title, detail: year };
                });
              })
            );
          }
        };
      });
  }

  var studies = null;
  function facetsOf(study) {
    var found = {};
    keys.forEach(function (key) {
      found[key] = [];
    });
    function add(key, value) {
      if (value && found[key] && found[key].indexOf(value) < 0) found[key].push(value);
    }
    study.placements.forEach(function (placement) {
      add("matrix", data.matrices[placement.cell.split("/")[0]]);
      add("cell", placement.cell);
      CATEGORIES.forEach(function (category) {
        if (placement.categories.indexOf(category) >= 0) add("category", data.categories[category]);
      });
    });
    var year = study.source.year;
    add("decade", year === null ? data.no_date : Math.floor(year / 10) * 10 + "s");
    add("year", year === null ? data.no_date : String(year));
    var where = study.source.jurisdiction;
    if (where) add("jurisdiction", data.jurisdictions[where] || where);
    study.tags.forEach(function (tag) {
      add("tag", tag);
    });
    return found;
  }

  function withApi(filters) {
    if (!studies) {
      studies = fetch(url(data.api).href)
        .then(function (response) {
          if (!response.ok) throw new Error(response.status + " " + response.statusText);
          return response.json();
        })
        .then(function (doc) {
          return doc.studies
            .filter(function (study) {
              return study.status !== "withdrawn";
            })
            .map(function (study) {
              var year = study.source.year;
              return {
                href: url(data.studies + encodeURIComponent(study.id) + "/").pathname,
                title: study.title,
                detail: year === null ? data.no_date : String(year),
                facets: facetsOf(study)
              };
            });
        });
    }
    return studies.then(function (all) {
      var matches = all.filter(function (study) {
        return Object.keys(filters).every(function (key) {
          return study.facets[key].indexOf(filters[key]) >= 0;
        });
      });
      return {
        count: matches.length,
        items: function (from, to) {
          return Promise.resolve(matches.slice(from, to));
        }
      };
    });
  }

  /* -- the results --------------------------------------------------------------------------- */

  var more = document.createElement("button");
  more.type = "button";
  more.className = "md-button mp-find__more";
  more.hidden = true;
  list.parentNode.appendChild(more);

  function describe(filters) {
    return keys
      .filter(function (key) {
        return filters[key];
      })
      .map(function (key) {
        return selects[key].labels[0].textContent + " " + filters[key];
      })
      .join(", ");
  }

  function item(study) {
    var li = document.createElement("li");
    var link = document.createElement("a");
    link.href = study.href;
    link.textContent = study.title;
    li.appendChild(link);
    if (study.detail) li.appendChild(document.createTextNode(" (" + study.detail + ")"));
    return li;
  }

  function showMore(id) {
    var from = shown;
    var to = Math.min(current.count, from + PAGE);
    return current.items(from, to).then(function (items) {
      if (id !== asked) return;
      items.forEach(function (study) {
        list.appendChild(item(study));
      });
      shown = to;
      var left = current.count - shown;
      more.hidden = left <= 0;
      more.textContent = "Show " + Math.min(left, PAGE) + " more of " + left;
    });
  }

  function update() {
    var filters = chosen();
    var id = ++asked;
    remember(filters);
    list.textContent = "";
    more.hidden = true;
    shown = 0;
    if (!Object.keys(filters).length) {
      status.textContent = "Choose one or more filters to list the studies that match.";
      return;
    }
    status.textContent = "Searching…";
    var ask = engine === "pagefind" ? withPagefind : withApi;
    ask(filters)
      .then(function (answer) {
        if (id !== asked) return null;
        current = answer;
        var count = answer.count === 1 ? "1 study matches" : answer.count + " studies match";
        status.textContent = count + ": " + describe(filters) + ".";
        return showMore(id);
      })
      .catch(function (error) {
        if (id !== asked) return;
        status.textContent = "The studies could not be loaded: " + error.message;
      });
  }

  more.addEventListener("click", function () {
    showMore(asked);
  });
  form.addEventListener("change", update);
  form.addEventListener("reset", function () {
    window.setTimeout(update, 0); /* after the browser has reset the selects */
  });
  form.hidden = false;
  update();
})();
