// The drafts page: clicking a draft scrolls to its evidence span and emphasises it; clicking
// a highlight in the text selects its draft. Without this script the highlights and the
// "show in the text" links still work (plain anchors).
(function () {
  "use strict";
  const marks = (n) => document.querySelectorAll('.article-text mark[data-draft="' + n + '"]');
  // scroll the pane (the article or the list) that holds el, not the whole window
  function scrollWithin(el, center) {
    const pane = el.closest(".drafts-layout > section");
    if (!pane) return;
    const top = el.getBoundingClientRect().top - pane.getBoundingClientRect().top;
    const height = el.getBoundingClientRect().height;
    if (center) pane.scrollTop += top - (pane.clientHeight - height) / 2;
    else if (top < 0 || top + height > pane.clientHeight) pane.scrollTop += top - 8;
  }
  function select(n, scrollText, scrollList) {
    document.querySelectorAll(".article-text mark.current").forEach((m) => m.classList.remove("current"));
    document.querySelectorAll("li.draft.selected").forEach((d) => d.classList.remove("selected"));
    const item = document.getElementById("draft-" + n);
    if (item) item.classList.add("selected");
    marks(n).forEach((m) => m.classList.add("current"));
    const first = item && item.dataset.mark ? document.getElementById(item.dataset.mark) : null;
    if (scrollText && first) scrollWithin(first, true);
    if (scrollList && item) scrollWithin(item, false);
    if (item) history.replaceState(null, "", "#draft-" + n);
  }
  document.addEventListener("click", (event) => {
    const target = event.target;
    if (!(target instanceof Element)) return;
    const mark = target.closest(".article-text mark[data-draft]");
    if (mark) {
      select(mark.dataset.draft, false, true);
      return;
    }
    const item = target.closest("li.draft");
    if (!item || target.closest("pre.command")) return;  // let the commands be selected
    event.preventDefault();
    select(item.dataset.draft, true, false);
  });
  const m = /^#draft-(\d+)$/.exec(location.hash);
  if (m) select(m[1], true, true);
})();
