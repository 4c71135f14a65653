// Search in a static site: labels, alternative labels and acronyms from search.json, ranked as
// the server ranks them (exact match, then prefix, then anywhere).
(function () {
  "use strict";
  const script = document.currentScript;
  const params = new URLSearchParams(location.search);
  const q = (params.get("q") || "").trim();
  const input = document.querySelector("main form.search input[name=q]");
  if (input) input.value = q;
  const fold = (s) => s.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  const needle = fold(q);
  if (!needle) return;
  fetch(script.dataset.index).then((r) => r.json()).then((rows) => {
    const best = new Map();
    for (const row of rows) {
      const text = fold(row.m);
      if (!text.includes(needle)) continue;
      const rank = text === needle ? 0 : text.startsWith(needle) ? 1 : 2;
      const old = best.get(row.h);
      if (!old || rank < old.rank) best.set(row.h, { rank, row });
    }
    const hits = Array.from(best.values()).sort((a, b) =>
      a.rank - b.rank || a.row.l.localeCompare(b.row.l)).slice(0, 50);
    document.getElementById("count").textContent = hits.length + " result(s) for “" + q + "”";
    const list = document.getElementById("hits");
    for (const { row } of hits) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = row.h;
      a.textContent = row.l;
      li.appendChild(a);
      if (row.t) {
        const note = document.createElement("span");
        note.className = "note";
        note.textContent = " " + row.t;
        li.appendChild(note);
      }
      if (row.m !== row.l) {
        const via = document.createElement("span");
        via.className = "via";
        via.textContent = " " + row.v + ": " + row.m;
        li.appendChild(via);
      }
      list.appendChild(li);
    }
  });
})();
