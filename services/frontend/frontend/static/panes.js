// Source and translation side by side: line beside line, each segment paired by data-segment.
// layOut() builds the panes the way frontend/aligning.py does on the server (keep them in step);
// the rest marks a pair on hover or focus, moves between segments by keyboard, keeps the two
// panes scrolled together where they scroll apart (stacked, on narrow screens), copies one pair.
"use strict";

window.AlignedPanes = (function () {
  const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;
  const ENDS_LINE = /[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]$/;
  const INDENT = /^[ \t\u00a0]*/;
  // Scroll box → the scrollTop this script gave it, so that its echo is not synced back.
  const settled = new Map();

  // Where the material both sides begin with ends, and where the material they end with starts,
  // both at line breaks of the source (its sentence never contains one).
  function sharedEdges(source, translation) {
    const limit = Math.min(source.length, translation.length);
    let shared = 0;
    while (shared < limit && source[shared] === translation[shared]) shared += 1;
    let tail = 0;
    while (tail < limit - shared &&
           source[source.length - 1 - tail] === translation[translation.length - 1 - tail]) tail += 1;
    let leadEnd = 0;
    let tailStart = source.length;
    for (const match of source.matchAll(LINE_BREAK)) {
      const end = match.index + match[0].length;
      if (end <= shared) leadEnd = end;
      else if (match.index >= source.length - tail) { tailStart = match.index; break; }
    }
    return [leadEnd, tailStart];
  }

  // Untranslated material cut after each line break (the break stays with its line).
  function pieces(material) {
    const out = [];
    let start = 0;
    for (const match of material.matchAll(LINE_BREAK)) {
      out.push(material.slice(start, match.index + match[0].length));
      start = match.index + match[0].length;
    }
    if (start < material.length) out.push(material.slice(start));
    return out;
  }

  function newLine(pane) {
    const line = document.createElement("div");
    line.className = "line";
    pane.append(line);
    return line;
  }

  function segmentElement(index, text) {
    const span = document.createElement("span");
    span.className = "seg";
    span.dataset.segment = String(index);
    span.tabIndex = index === 0 ? 0 : -1;
    span.textContent = text;
    return span;
  }

  // A builder filling both panes segment by segment, as the stream delivers them.
  function layOut(sourcePane, translationPane) {
    sourcePane.replaceChildren();
    translationPane.replaceChildren();
    let sourceLine = newLine(sourcePane);
    let translationLine = newLine(translationPane);

    function material(text) {
      for (const piece of pieces(text)) {
        sourceLine.append(piece);
        translationLine.append(piece);
        if (ENDS_LINE.test(piece)) {
          sourceLine = newLine(sourcePane);
          translationLine = newLine(translationPane);
        }
      }
    }

    return {
      // One segment: its source and its translation (the source is "" when the backend sent none).
      add(index, source, translation) {
        const [leadEnd, tailStart] = sharedEdges(source, translation);
        const translationTailStart = translation.length - (source.length - tailStart);
        material(source.slice(0, leadEnd));
        let sourceCore = source.slice(leadEnd, tailStart);
        let translationCore = translation.slice(leadEnd, translationTailStart);
        const indent = INDENT.exec(sourceCore)[0];
        if (indent && translationCore.startsWith(indent)) {
          material(indent);
          sourceCore = sourceCore.slice(indent.length);
          translationCore = translationCore.slice(indent.length);
        }
        sourceLine.append(segmentElement(index, sourceCore));
        translationLine.append(segmentElement(index, translationCore));
        material(source.slice(tailStart));
      },
      // Without per-segment sources (another backend): the source whole, the segments after it.
      unpaired(source) {
        sourceLine.append(source);
      },
      translationOnly(index, translation) {
        translationLine.append(segmentElement(index, translation));
      },
    };
  }

  function scroller(element) {
    for (let node = element.parentElement; node; node = node.parentElement) {
      const overflow = getComputedStyle(node).overflowY;
      if ((overflow === "auto" || overflow === "scroll") && node.scrollHeight > node.clientHeight) return node;
    }
    return null;
  }

  // Scroll the element's own scroll box (never the page) so that it is in view, if it is not.
  function reveal(element) {
    const box = scroller(element);
    if (!box) return;
    const outer = box.getBoundingClientRect();
    const inner = element.getBoundingClientRect();
    if (inner.top >= outer.top && inner.bottom <= outer.bottom) return;
    box.scrollTop += inner.top - outer.top - (outer.height - Math.min(inner.height, outer.height)) / 2;
    settled.set(box, box.scrollTop);
  }

  // Wire up one pair of panes; `copyButton` (optional) copies the marked pair's translation.
  function connect(root, copyButton) {
    const panes = [root.querySelector(".pane.pane-source"), root.querySelector(".pane.pane-translation")];
    let marked = null;

    function partners(index) {
      return panes.map((pane) => pane.querySelector('[data-segment="' + index + '"]'));
    }

    function mark(element) {
      const index = element.dataset.segment;
      if (marked === index) return;
      for (const old of root.querySelectorAll('.seg[aria-current="true"]')) old.removeAttribute("aria-current");
      marked = index;
      for (const pair of partners(index)) {
        if (!pair) continue;
        pair.setAttribute("aria-current", "true");
        // After this frame's scroll events (focus may scroll the pane it is in, and the panes
        // follow each other), so that the pair ends in view.
        if (pair !== element) requestAnimationFrame(function () { reveal(pair); });
      }
      if (copyButton) {
        copyButton.disabled = false;
        copyButton.textContent = "Copy sentence " + (Number(index) + 1);
      }
    }

    // One tab stop per pane (the marked segment); arrows, Home and End move between segments.
    function rove(pane, target) {
      const current = pane.querySelector('.seg[tabindex="0"]');
      if (current && current !== target) current.tabIndex = -1;
      target.tabIndex = 0;
    }

    function onKey(event) {
      const element = event.target.closest(".seg");
      if (!element) return;
      const pane = element.closest(".pane");
      const all = pane.querySelectorAll(".seg");
      const at = Number(element.dataset.segment);
      const moves = { ArrowDown: at + 1, ArrowRight: at + 1, ArrowUp: at - 1, ArrowLeft: at - 1, Home: 0, End: all.length - 1 };
      if (!(event.key in moves) || event.ctrlKey || event.metaKey || event.altKey) return;
      const next = pane.querySelector('[data-segment="' + moves[event.key] + '"]');
      if (!next) return;
      event.preventDefault();
      keyedAt = performance.now();
      rove(pane, next);
      next.focus();
    }

    // Moving by keyboard scrolls the panes under a resting pointer, and the browser then reports
    // "mouseover" on whatever sentence slid beneath it: that must not steal the keyboard's mark.
    let keyedAt = -Infinity;
    const KEYBOARD_WINS_MS = 600;

    for (const pane of panes) {
      pane.addEventListener("mouseover", function (event) {
        const element = event.target.closest(".seg");
        if (element && performance.now() - keyedAt > KEYBOARD_WINS_MS) mark(element);
      });
      pane.addEventListener("focusin", function (event) {
        const element = event.target.closest(".seg");
        if (!element) return;
        mark(element);
        for (const pair of partners(element.dataset.segment)) if (pair) rove(pair.closest(".pane"), pair);
      });
      pane.addEventListener("keydown", onKey);
    }
    syncScrolling(panes);

    if (copyButton) {
      copyButton.hidden = false;
      copyButton.addEventListener("click", async function () {
        if (marked === null) return;
        const text = partners(marked)[1].textContent;
        const label = copyButton.textContent;
        try {
          await navigator.clipboard.writeText(text);
          copyButton.textContent = "Copied";
        } catch (_) {
          window.getSelection().selectAllChildren(partners(marked)[1]);
          copyButton.textContent = "Selected: press Ctrl+C";
        }
        setTimeout(function () { copyButton.textContent = label; }, 2000);
      });
    }
    return {
      // Forget the marked pair (a new translation replaces the panes).
      reset() {
        marked = null;
        if (copyButton) { copyButton.disabled = true; copyButton.textContent = "Copy sentence"; }
      },
    };
  }

  // Stacked panes scroll on their own: keep the other one showing the same line at its top.
  function syncScrolling(panes) {
    for (const [at, pane] of panes.entries()) {
      const other = panes[1 - at];
      pane.addEventListener("scroll", function () {
        if (settled.has(pane) && Math.abs(settled.get(pane) - pane.scrollTop) < 2) return;
        settled.delete(pane);
        // The first line not yet scrolled past (binary search: lines go down the pane in order).
        const lines = pane.children;
        let low = 0;
        let high = lines.length - 1;
        while (low < high) {
          const mid = (low + high) >> 1;
          if (lines[mid].offsetTop + lines[mid].offsetHeight <= pane.scrollTop) low = mid + 1;
          else high = mid;
        }
        const line = lines[low];
        const target = other.children[low];
        if (!line || !target) return;
        const into = (pane.scrollTop - line.offsetTop) / Math.max(line.offsetHeight, 1);
        other.scrollTop = target.offsetTop + Math.max(into, 0) * target.offsetHeight;
        settled.set(other, other.scrollTop);
      }, { passive: true });
    }
  }

  function start() {
    const root = document.getElementById("panes");
    if (!root) return null;
    return connect(root, document.getElementById("copy-segment-button"));
  }

  const connected = document.readyState === "loading" ? null : start();
  return { layOut: layOut, connected: connected, start: start };
})();
