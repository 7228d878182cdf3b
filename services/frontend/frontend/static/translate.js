// The translate page: live counts, streamed translation with progress, cancel, copy, download,
// Ctrl/Cmd+Enter and Escape. The panes themselves are panes.js's (loaded before this file).
// Loaded as a file (the Content-Security-Policy allows no inline script).
"use strict";

(function () {
  const form = document.getElementById("translate-form");
  if (!form) return;
  const source = document.getElementById("source-text");
  const counts = document.getElementById("counts");
  const translateButton = document.getElementById("translate-button");
  const cancelButton = document.getElementById("cancel-button");
  const message = document.getElementById("message");
  const result = document.getElementById("result");
  const progress = document.getElementById("progress");
  const sourcePane = document.getElementById("source-pane");
  const output = document.getElementById("translation-pane");
  const announcer = document.getElementById("announcer");
  const status = document.getElementById("status");
  const copyButton = document.getElementById("copy-button");
  const downloadButton = document.getElementById("download-button");
  const maxChars = Number(form.dataset.maxChars);
  const numberFormat = new Intl.NumberFormat("en");
  let controller = null;
  let countScheduled = false;
  let builder = null;
  let parts = [];
  let announced = 0;

  function countCharacters(text) {
    // Code points, like the server's len(): an emoji is one character, not two.
    let n = 0;
    for (const _ of text) n += 1;
    return n;
  }

  function updateCounts() {
    countScheduled = false;
    const text = source.value;
    const chars = countCharacters(text);
    const words = text.trim() ? text.trim().split(/\s+/).length : 0;
    counts.textContent = numberFormat.format(chars) + " characters · " + numberFormat.format(words) + " words";
    const over = chars > maxChars;
    counts.classList.toggle("over", over);
    if (!controller) translateButton.disabled = over;
  }

  function showMessage(text) {
    message.textContent = text;
    message.hidden = !text;
  }

  function translationText() {
    return parts.length ? parts.join("") : output.textContent;
  }

  function setBusy(busy) {
    translateButton.disabled = busy;
    cancelButton.hidden = !busy;
    copyButton.hidden = busy || !translationText();
    downloadButton.hidden = busy || !translationText();
  }

  // Say how far it got to screen readers at each quarter, not at every segment.
  function announceProgress(done, total) {
    if (!total) return;
    const quarter = Math.floor((4 * done) / total);
    if (quarter > announced && quarter < 4) {
      announced = quarter;
      announcer.textContent = (25 * quarter) + "% translated";
    }
  }

  function showSaved(item) {
    status.textContent = "";
    status.classList.remove("pending");
    if (item.saved && item.id !== null) {
      const link = document.createElement("a");
      link.href = form.dataset.historyUrl + "/" + encodeURIComponent(item.id);
      link.textContent = "#" + item.id;
      status.append("saved as ", link);
    } else {
      status.textContent = item.status || "not saved yet";
      status.classList.add("pending");
      if (item.save_error) showMessage(item.save_error);
      if (item.ticket) watchSave(item.ticket, 0);
    }
  }

  // The server keeps an unsaved translation and retries; ask now and then (bounded) how it went.
  function watchSave(ticket, attempt) {
    if (attempt >= 60) return;
    setTimeout(async function () {
      try {
        const response = await fetch(form.dataset.savesUrl + encodeURIComponent(ticket));
        const body = await response.json();
        if (body.state === "saved") { showSaved({ saved: true, id: body.id }); return; }
        if (body.state === "failed" || body.state === "unknown") {
          status.textContent = "could not be saved: download it to keep it";
          return;
        }
      } catch (_) { /* the frontend itself is unreachable: try again later */ }
      watchSave(ticket, attempt + 1);
    }, 5000);
  }

  function handleLine(line) {
    const item = JSON.parse(line);
    if (item.error) throw new Error(item.error);
    if (item.done) {
      progress.max = Math.max(parts.length, 1);
      progress.value = progress.max;
      showSaved(item);
      if (item.notice) showMessage(item.notice);
      announcer.textContent = "Translation complete: " + numberFormat.format(parts.length) + " segments.";
      return true;
    }
    // Each segment goes into both panes as it comes (appended: a long text is never re-rendered).
    if (typeof item.source === "string") {
      builder.add(item.index, item.source, item.text);
    } else {
      if (item.index === 0) builder.unpaired(source.value);
      builder.translationOnly(item.index, item.text);
    }
    parts.push(item.text);
    const done = item.index + 1;
    // `total` may come late (null or missing on the first lines): the bar waits without a value.
    const total = Number.isInteger(item.total) && item.total > 0 ? item.total : null;
    if (total) {
      progress.max = total;
      progress.value = done;
    } else {
      progress.removeAttribute("value"); // indeterminate until the total is known
    }
    progress.dataset.steps = String(Number(progress.dataset.steps || "0") + 1);
    status.textContent = numberFormat.format(done) + (total ? " of " + numberFormat.format(total) : "") + " segments";
    announceProgress(done, total);
    return false;
  }

  async function readStream(response) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffered = "";
    let finished = false;
    for (;;) {
      const { value, done } = await reader.read();
      buffered += decoder.decode(value || new Uint8Array(), { stream: !done });
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.trim()) finished = handleLine(line) || finished;
      }
      if (done) break;
    }
    if (!finished) throw new Error("The translation stopped before it was complete.");
  }

  async function errorText(response) {
    try {
      const body = await response.json();
      if (body && body.error) return body.error;
    } catch (_) { /* not JSON: fall through */ }
    return "The translation failed (HTTP " + response.status + ").";
  }

  async function translate(event) {
    event.preventDefault();
    if (!source.value.trim()) { showMessage("Enter some German text to translate."); return; }
    showMessage("");
    builder = window.AlignedPanes.layOut(sourcePane, output);
    if (window.AlignedPanes.connected) window.AlignedPanes.connected.reset();
    parts = [];
    announced = 0;
    announcer.textContent = "Translating…";
    status.textContent = "starting…";
    status.classList.remove("pending");
    progress.value = 0;
    progress.max = 1;
    progress.dataset.steps = "0";
    result.hidden = false;
    controller = new AbortController();
    setBusy(true);
    try {
      const response = await fetch(form.dataset.streamUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": form.elements.csrf_token.value },
        body: JSON.stringify({ text: source.value }),
        signal: controller.signal,
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(await errorText(response));
      await readStream(response);
    } catch (error) {
      status.textContent = "";
      announcer.textContent = "";
      showMessage(error.name === "AbortError" ? "Cancelled. Nothing was saved." : error.message);
    } finally {
      controller = null;
      setBusy(false);
      updateCounts();
    }
  }

  async function copy() {
    try {
      await navigator.clipboard.writeText(translationText());
      copyButton.textContent = "Copied";
    } catch (_) {
      window.getSelection().selectAllChildren(output);
      copyButton.textContent = "Selected: press Ctrl+C";
    }
    setTimeout(function () { copyButton.textContent = "Copy"; }, 2000);
  }

  function download() {
    const blob = new Blob([translationText()], { type: "text/plain;charset=utf-8" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "translation.txt";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
  }

  source.addEventListener("input", function () {
    if (!countScheduled) { countScheduled = true; requestAnimationFrame(updateCounts); }
  });
  form.addEventListener("submit", translate);
  cancelButton.addEventListener("click", function () { if (controller) controller.abort(); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (!controller && !translateButton.disabled) form.requestSubmit(translateButton);
    } else if (event.key === "Escape" && controller) {
      event.preventDefault();
      controller.abort();
    }
  });
  copyButton.addEventListener("click", copy);
  downloadButton.addEventListener("click", download);
  copyButton.hidden = !translationText();
  downloadButton.hidden = !translationText();
  updateCounts();
})();
