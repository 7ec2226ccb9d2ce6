// Static search over labels and aliases: the index is a script (search-index.js) so it
// also works from file://. Results are built with textContent, never innerHTML: labels
// come from untrusted article text.
(function () {
  "use strict";
  var index = window.NEWSGRAPH_SEARCH || [];
  var input = document.getElementById("q");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  var LIMIT = 100;

  function fold(s) {
    return s.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  var folded = index.map(function (e) {
    return [e.l].concat(e.a).map(fold);
  });

  function search(query) {
    var q = fold(query.trim());
    list.textContent = "";
    if (!q) {
      status.textContent = "Type a name, for example Homs.";
      return;
    }
    var hits = [];
    for (var i = 0; i < index.length; i++) {
      var names = folded[i], rank = -1;
      for (var j = 0; j < names.length; j++) {
        var at = names[j].indexOf(q);
        if (at === 0) { rank = names[j] === q ? 0 : 1; break; }
        if (at > 0 && rank < 0) { rank = 2; }
      }
      if (rank >= 0) { hits.push([rank, index[i]]); }
    }
    hits.sort(function (a, b) { return a[0] - b[0] || a[1].l.localeCompare(b[1].l); });
    status.textContent = hits.length + (hits.length === 1 ? " result" : " results") + " for \u201c" + query + "\u201d";
    hits.slice(0, LIMIT).forEach(function (hit) {
      var entry = hit[1], li = document.createElement("li"), a = document.createElement("a");
      a.href = entry.p;
      a.textContent = entry.l;
      li.appendChild(a);
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = entry.k + (entry.a.length ? " \u00b7 also: " + entry.a.join(", ") : "");
      li.appendChild(kind);
      list.appendChild(li);
    });
  }

  var params = new URLSearchParams(window.location.search);
  if (params.has("q")) { input.value = params.get("q"); }
  input.addEventListener("input", function () { search(input.value); });
  search(input.value);
})();
