// Articles by URL: stream the article's translation and summary into the page.
// A file of its own (the Content-Security-Policy allows no inline script); without JavaScript the
// form posts to /articles and the server answers with the finished page.
"use strict";

(function () {
  const form = document.getElementById("article-form");
  if (!form) return;
  const byId = (id) => document.getElementById(id);
  const input = byId("article-url");
  const button = byId("article-button");
  const message = byId("article-message");
  const result = byId("article-result");
  const title = byId("article-title");
  const meta = byId("article-meta");
  const progress = byId("article-progress");
  const output = byId("article-translation");
  const status = byId("article-status");
  const summary = byId("article-summary");
  const summaryText = byId("article-summary-text");
  const keyPoints = byId("article-key-points");
  const summaryError = byId("article-summary-error");

  function showMessage(text) {
    message.textContent = text || "";
    message.hidden = !text;
  }

  function showArticle(article) {
    title.textContent = article.title;
    meta.textContent = "";
    const link = document.createElement("a");
    link.href = article.url;
    link.rel = "noopener noreferrer nofollow";
    link.textContent = article.url;
    meta.append(link);
    for (const part of [article.author, article.date]) {
      if (part) meta.append(" · " + part);
    }
    output.textContent = "";
    progress.value = 0;
    summary.hidden = true;
    summaryError.hidden = true;
    status.textContent = article.summary ? "translating, then summarising…" : "translating…";
    result.hidden = false;
  }

  function showSummary(item) {
    if (item.summary) {
      summaryText.textContent = item.summary;
      keyPoints.textContent = "";
      for (const point of item.key_points) {
        const li = document.createElement("li");
        li.textContent = point;
        keyPoints.append(li);
      }
      summary.hidden = false;
    }
    summaryError.textContent = item.summary_error || "";
    summaryError.hidden = !item.summary_error;
  }

  function showDone(item) {
    status.textContent = "";
    if (item.saved && item.id !== null) {
      const link = document.createElement("a");
      link.href = form.dataset.historyUrl + "/" + encodeURIComponent(item.id);
      link.textContent = "#" + item.id;
      status.append("saved as ", link);
    } else {
      status.textContent = item.status || "";
    }
    progress.value = 1;
  }

  function handle(item) {
    if (item.error) throw new Error(item.error);
    if (item.article) showArticle(item.article);
    else if ("index" in item) {
      output.textContent += item.text;
      progress.value = (item.index + 1) / Math.max(item.total, 1);
    } else if ("summary" in item) showSummary(item);
    else if (item.done) showDone(item);
  }

  async function run(event) {
    event.preventDefault();
    showMessage("");
    button.disabled = true;
    try {
      const response = await fetch(form.dataset.streamUrl, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "X-CSRF-Token": form.elements.csrf_token.value,
        },
        body: JSON.stringify({ url: input.value }),
      });
      if (!response.ok) {
        let text = "The article could not be read (HTTP " + response.status + ").";
        try { text = (await response.json()).error || text; } catch (_) { /* not JSON */ }
        throw new Error(text);
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        const lines = buffer.split("\n");
        buffer = lines.pop();
        for (const line of lines) if (line.trim()) handle(JSON.parse(line));
      }
    } catch (error) {
      showMessage(error.message);
      status.textContent = "";
    } finally {
      button.disabled = false;
    }
  }

  form.addEventListener("submit", run);
})();
