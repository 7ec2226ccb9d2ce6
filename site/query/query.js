// The query page: YASGUI set up to work offline against this endpoint, the example
// gallery, download links in every format, and a bookmarkable link per query.
(function () {
  "use strict";
  const settings = JSON.parse(document.getElementById("settings").textContent);
  const FORMATS = {
    SELECT: [["json", "JSON"], ["xml", "XML"], ["csv", "CSV"], ["tsv", "TSV"]],
    ASK: [["json", "JSON"], ["xml", "XML"]],
    CONSTRUCT: [["turtle", "Turtle"], ["ntriples", "N-Triples"], ["jsonld", "JSON-LD"], ["rdfxml", "RDF/XML"]],
  };
  FORMATS.DESCRIBE = FORMATS.CONSTRUCT;

  const prologue = Object.entries(settings.prefixes)
    .map(([name, iri]) => `PREFIX ${name}: <${iri}>`).join("\n");
  const starter = `${prologue}\n\nSELECT ?event ?label WHERE {\n  ?event a ng:Event ; rdfs:label ?label .\n}\nLIMIT 20\n`;

  function queryUrl(query, format) {
    const params = new URLSearchParams({ query: query });
    if (format) params.set("format", format);
    return `${settings.endpoint}?${params}`;
  }

  function showExamples(open) {
    const list = document.getElementById("examples");
    for (const example of settings.examples) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = example.title;
      button.dataset.example = example.name;
      button.addEventListener("click", () => open(example));
      const description = document.createElement("p");
      description.textContent = example.description;
      item.append(button, description);
      list.append(item);
    }
  }

  // Links to the last query's results in every format it can be had in, and to the query itself.
  function showDownloads(query, type, rowCap) {
    const bar = document.getElementById("downloads");
    const status = document.getElementById("status");
    bar.replaceChildren();
    status.textContent = "";
    status.className = "";
    if (rowCap) {
      status.textContent = `Results were cut at the row cap of ${rowCap} rows: use LIMIT and OFFSET to page through them.`;
      status.className = "warning";
    }
    const link = document.createElement("a");
    link.href = queryUrl(query);
    link.textContent = "Link to this query";
    link.id = "permalink";
    bar.append(link, "Download: ");
    for (const [format, label] of FORMATS[type] || []) {
      const download = document.createElement("a");
      download.href = queryUrl(query, format);
      download.textContent = label;
      download.dataset.format = format;
      download.setAttribute("download", "");
      bar.append(download);
    }
  }

  if (!window.Yasgui) {
    showExamples((example) => { window.location.href = queryUrl(example.query); });
    return;
  }
  const Yasqe = window.Yasgui.Yasqe;

  // Completion stays offline: our prefixes before YASQE's bundled list, and classes and
  // properties from this endpoint's own data instead of the LOV web service.
  const ours = Object.entries(settings.prefixes).map(([name, iri]) => `${name}: <${iri}>`);
  Yasqe.forkAutocompleter("prefixes", { name: "ourPrefixes", get: () => ours });
  const terms = {};
  function termsOf(pattern) {  // asked once per page, whatever the number of tabs
    if (!terms[pattern]) {
      const body = new URLSearchParams({ query: `SELECT DISTINCT ?term WHERE { ${pattern} } LIMIT 2000` });
      terms[pattern] = fetch(settings.endpoint, { method: "POST", body: body,
        headers: { Accept: "application/sparql-results+json" } })
        .then((response) => response.json())
        .then((json) => json.results.bindings.map((row) => row.term.value))
        .catch(() => []);
    }
    return terms[pattern];
  }
  Yasqe.forkAutocompleter("class", { name: "ourClasses", bulk: true, get: () => termsOf("?s a ?term") });
  Yasqe.forkAutocompleter("property", { name: "ourProperties", bulk: true, get: () => termsOf("?s ?term ?o") });

  // YASR shows a failed query's message; the rejected promise needs no second report.
  const run = (tab) => tab.query().catch(() => undefined);
  Yasqe.defaults.autocompleters = ["ourPrefixes", "variables", "ourClasses", "ourProperties"];

  const yasgui = new window.Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: settings.endpoint, method: "POST",
      acceptHeaderGraph: "text/turtle,*/*;q=0.9" },
    copyEndpointOnNewTab: false,
    persistenceId: "newsgraph-query",
    yasqe: { value: starter },
    yasr: { prefixes: settings.prefixes },
  });

  const watched = new WeakSet();
  function watch(tab) {
    const yasqe = tab.getYasqe();
    if (watched.has(yasqe)) return;
    watched.add(yasqe);
    yasqe.on("queryResponse", (instance, response) => {
      const headers = response && response.headers;
      const cap = headers && typeof headers.get === "function" ? headers.get("NewsGraph-Row-Cap") : null;
      showDownloads(instance.getValue(), instance.getQueryType(), cap);
    });
  }
  yasgui.on("query", (instance, tab) => watch(tab));

  showExamples((example) => {
    const tab = yasgui.addTab(true, { name: example.title, yasqe: { value: example.query } });
    watch(tab);
    run(tab);
  });

  // A bookmarked /sparql?query=... opens with its query: YASGUI reads it from the URL and runs it.
  if (settings.query) {
    const tab = yasgui.getTab();
    watch(tab);
    showDownloads(tab.getQuery(), tab.getYasqe().getQueryType(), null);
  }
})();
