// The documents page: upload with progress (paragraphs and cells done / total), cancel, download.
// Without this script the form posts normally and the server answers with the result page.
"use strict";

(function () {
  const form = document.getElementById("document-form");
  if (!form || !window.fetch || !window.FormData) return;
  const input = document.getElementById("document-file");
  const zone = document.getElementById("drop-zone");
  const button = document.getElementById("document-button");
  const cancel = document.getElementById("document-cancel");
  const box = document.getElementById("document-progress");
  const bar = document.getElementById("document-bar");
  const count = document.getElementById("document-count");
  const message = document.getElementById("document-message");
  const done = document.getElementById("document-done");
  const link = document.getElementById("document-link");
  let controller = null;

  function show(element, text) {
    element.textContent = text;
    element.hidden = false;
  }

  function reset(running) {
    button.disabled = running;
    cancel.hidden = !running;
    box.hidden = !running && bar.value === 0;
  }

  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
    }
  });

  cancel.addEventListener("click", () => {
    if (controller) controller.abort();
  });

  function handle(item) {
    if (item.error) throw new Error(item.error);
    if (item.done === true) {
      bar.value = bar.max;
      link.href = item.download;
      link.textContent = "download " + item.filename;
      done.hidden = false;
      count.textContent = item.blocks + " of " + item.blocks + " paragraphs and cells, " +
        item.segments + " segments";
      return;
    }
    bar.max = Math.max(item.total, 1);
    bar.value = item.done;
    count.textContent = item.done + " of " + item.total + " paragraphs and cells";
  }

  form.addEventListener("submit", async (event) => {
    if (!input.files.length) return;
    event.preventDefault();
    // The server refuses it too (413), but only once the whole file would have been sent.
    if (input.files[0].size > Number(form.dataset.maxBytes)) {
      done.hidden = true;
      show(message, "The file is larger than " + form.dataset.maxText + " (MAX_FILE_BYTES).");
      return;
    }
    message.hidden = true;
    done.hidden = true;
    bar.max = 1;
    bar.value = 0;
    box.hidden = false;
    count.textContent = "uploading…";
    reset(true);
    controller = new AbortController();
    const token = form.querySelector('input[name="csrf_token"]').value;
    try {
      const response = await fetch(form.dataset.streamUrl, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-CSRF-Token": token },
        signal: controller.signal,
      });
      if (!response.ok) {
        let text = "The upload failed (" + response.status + ").";
        try { text = (await response.json()).error || text; } catch (ignored) { /* not JSON */ }
        throw new Error(text);
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done: finished } = await reader.read();
        if (finished) break;
        buffer += decoder.decode(value, { stream: true });
        let newline;
        while ((newline = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (line) handle(JSON.parse(line));
        }
      }
    } catch (error) {
      if (error.name === "AbortError") {
        show(message, "Cancelled.");
      } else {
        show(message, error.message);
      }
    } finally {
      controller = null;
      reset(false);
    }
  });
})();
