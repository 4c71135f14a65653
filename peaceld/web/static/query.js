// The query page: load library queries, run them on the endpoint, show a sortable table.
(function () {
  "use strict";
  const form = document.getElementById("query-form");
  const editor = document.getElementById("query");
  const status = document.getElementById("status");
  const results = document.getElementById("results");
  const endpoint = form.getAttribute("action");
  const base = form.dataset.base || "https://w3id.org/peaceld/";
  const library = JSON.parse(document.getElementById("library-data").textContent);
  const byName = Object.fromEntries(library.map((q) => [q.name, q]));

  // The YASQE editor (bundled, see vendor/yasqe/LICENSE.md) over the textarea, which stays the
  // source of truth; without it the plain textarea works. No autocompleter that calls other
  // sites (LOV, prefix.cc), no share links, nothing kept in local storage.
  let yasqe = null;
  if (window.Yasqe) {
    const holder = document.createElement("div");
    holder.className = "yasqe-holder";
    editor.parentNode.insertBefore(holder, editor);
    editor.hidden = true;
    yasqe = new window.Yasqe(holder, {
      value: editor.value, autocompleters: ["variables"], prefixCcApi: "",
      createShareableLink: null, consumeShareLink: null, persistenceId: null,
      showQueryButton: false, resizeable: true, editorHeight: "18rem",
      syntaxErrorCheck: false,  // it flags the predeclared prefixes as undefined
    });
    yasqe.on("change", () => { editor.value = yasqe.getValue(); downloads(); });
    yasqe.addKeyMap({ "Ctrl-Enter": () => run(), "Cmd-Enter": () => run() });
  }
  function setQuery(text) {
    editor.value = text;
    if (yasqe) yasqe.setValue(text);
  }

  function stripHeader(text) {
    return text.split("\n").filter((l) => !/^#\s*(title|description):/.test(l)).join("\n").trim();
  }

  function downloads() {
    const q = encodeURIComponent(editor.value);
    document.getElementById("download-csv").href = endpoint + "?format=csv&query=" + q;
    document.getElementById("download-json").href = endpoint + "?format=json&query=" + q;
  }

  function cellText(cell) {
    if (!cell) return "";
    return cell.value;
  }

  function render(doc) {
    results.textContent = "";
    if (typeof doc.boolean === "boolean") {
      const p = document.createElement("p");
      p.className = "ask";
      p.textContent = doc.boolean ? "true" : "false";
      results.appendChild(p);
      return;
    }
    const vars = doc.head.vars || [];
    const rows = doc.results.bindings;
    const table = document.createElement("table");
    table.className = "results sortable";
    const head = table.createTHead().insertRow();
    vars.forEach((v, i) => {
      const th = document.createElement("th");
      th.textContent = v;
      th.dataset.col = String(i);
      th.tabIndex = 0;
      th.title = "sort by " + v;
      head.appendChild(th);
    });
    const body = table.createTBody();
    rows.forEach((b) => {
      const tr = body.insertRow();
      vars.forEach((v) => {
        const td = tr.insertCell();
        const cell = b[v];
        if (cell && cell.type === "uri") {
          const a = document.createElement("a");
          a.href = cell.value.startsWith(base) ? "/" + cell.value.slice(base.length) : cell.value;
          a.textContent = cell.value;
          td.appendChild(a);
        } else {
          td.textContent = cellText(cell);
        }
        td.dataset.sort = cellText(cell);
      });
    });
    table.tHead.addEventListener("click", (ev) => {
      const th = ev.target.closest("th");
      if (th) sortBy(table, th);
    });
    const count = document.createElement("p");
    count.className = "count";
    count.textContent = rows.length + " row(s)";
    results.appendChild(count);
    results.appendChild(table);
  }

  function sortBy(table, th) {
    const col = Number(th.dataset.col);
    const asc = th.dataset.dir !== "asc";
    table.querySelectorAll("th").forEach((h) => { delete h.dataset.dir; h.removeAttribute("aria-sort"); });
    th.dataset.dir = asc ? "asc" : "desc";
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    const num = rows.every((r) => r.cells[col].dataset.sort === "" || !isNaN(Number(r.cells[col].dataset.sort)));
    rows.sort((a, b) => {
      const x = a.cells[col].dataset.sort, y = b.cells[col].dataset.sort;
      const c = num ? Number(x) - Number(y) : x.localeCompare(y);
      return asc ? c : -c;
    });
    rows.forEach((r) => body.appendChild(r));
  }

  async function run() {
    status.textContent = "running…";
    results.textContent = "";
    downloads();
    const started = performance.now();
    try {
      const response = await fetch(endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded",
                   "Accept": "application/sparql-results+json" },
        body: new URLSearchParams({ query: editor.value }),
      });
      const text = await response.text();
      if (!response.ok) {
        status.textContent = "error " + response.status + ": " + text.trim();
        return;
      }
      const type = response.headers.get("Content-Type") || "";
      if (type.includes("sparql-results+json")) {
        render(JSON.parse(text));
      } else {
        const pre = document.createElement("pre");
        pre.textContent = text;
        results.appendChild(pre);
      }
      status.textContent = "done in " + Math.round(performance.now() - started) + " ms";
    } catch (err) {
      status.textContent = "failed: " + err;
    }
  }

  function load(name) {
    const q = byName[name];
    if (!q) return false;
    setQuery(stripHeader(q.text));
    return true;
  }

  document.getElementById("library").addEventListener("click", (ev) => {
    const a = ev.target.closest("a[data-name]");
    if (!a) return;
    ev.preventDefault();
    if (load(a.dataset.name)) {
      history.replaceState(null, "", "?name=" + encodeURIComponent(a.dataset.name));
      run();
    }
  });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); run(); });
  editor.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); run(); }
  });
  editor.addEventListener("input", downloads);
  const params = new URLSearchParams(location.search);
  if (params.get("name") && load(params.get("name"))) run();
  else if (params.get("query")) { setQuery(params.get("query")); run(); }
  downloads();
})();
