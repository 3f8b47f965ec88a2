/* The post editor's toolbar (issue 19): Markdown formatting at the cursor (bold, heading, list,
   quote, link), and images: the image button, a file dropped on the text or an image pasted from
   the clipboard is uploaded to the asset endpoint (CSRF token from the page's meta tag, the
   source chosen beside the button, C14) and ![](/assets/N) is inserted at the cursor. Loaded with
   a src: no inline script (CSP). */
(function () {
  "use strict";
  var bar = document.getElementById("editor-toolbar");
  var body = document.getElementById("body");
  if (!bar || !body) { return; }
  var status = document.getElementById("image-status");
  var fileInput = document.getElementById("image-file");
  var source = document.getElementById("image-source");
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');

  function changed() { body.dispatchEvent(new Event("input", { bubbles: true })); }

  function insert(text, selectFrom, selectTo) {
    var start = body.selectionStart, end = body.selectionEnd, v = body.value;
    body.value = v.slice(0, start) + text + v.slice(end);
    var a = start + (selectFrom === undefined ? text.length : selectFrom);
    var b = start + (selectTo === undefined ? text.length : selectTo);
    body.focus();
    body.setSelectionRange(a, b);
    changed();
  }

  function lineStart(prefix) {
    var start = body.selectionStart, v = body.value;
    var ls = v.lastIndexOf("\n", start - 1) + 1;
    body.value = v.slice(0, ls) + prefix + v.slice(ls);
    body.focus();
    body.setSelectionRange(start + prefix.length, body.selectionEnd + prefix.length);
    changed();
  }

  var ACTIONS = {
    bold: function () {
      var sel = body.value.slice(body.selectionStart, body.selectionEnd) || "";
      insert("**" + sel + "**", 2, 2 + sel.length);
    },
    heading: function () { lineStart("## "); },
    list: function () { lineStart("- "); },
    quote: function () { lineStart("> "); },
    link: function () {
      var url = window.prompt(bar.dataset.linkPrompt, "https://");
      if (!url) { return; }
      var sel = body.value.slice(body.selectionStart, body.selectionEnd) || url;
      insert("[" + sel + "](" + url + ")");
    }
  };

  bar.addEventListener("click", function (e) {
    var button = e.target.closest("[data-md]");
    if (button && ACTIONS[button.dataset.md]) { e.preventDefault(); ACTIONS[button.dataset.md](); }
  });

  function say(text, bad) {
    if (!status) { return; }
    status.textContent = text;
    status.className = "small align-self-center " + (bad ? "text-danger" : "text-muted");
  }

  function upload(file) {
    if (!file || !/^image\//.test(file.type)) { return; }
    var data = new FormData();
    data.append("csrf_token", tokenMeta ? tokenMeta.content : "");
    data.append("source", source ? source.value : "own");
    data.append("file", file, file.name || "image.png");
    say(bar.dataset.uploading, false);
    // the cursor's place now: the text may change while the image goes up
    var at = body.selectionStart, to = body.selectionEnd;
    fetch(bar.dataset.uploadUrl, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "Accept": "application/json" }
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, json: j }; });
    }).then(function (res) {
      if (!res.ok) { say(bar.dataset.failed + " " + (res.json.error || ""), true); return; }
      body.setSelectionRange(at, to);
      var v = body.value, before = v.slice(0, at);
      var pad = before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "";
      insert(pad + res.json.markdown + "\n\n");
      say(bar.dataset.uploaded + (res.json.warning ? " " + res.json.warning : ""), false);
    }).catch(function () { say(bar.dataset.failed, true); });
  }

  document.getElementById("image-button").addEventListener("click", function () { fileInput.click(); });
  fileInput.addEventListener("change", function () {
    Array.prototype.forEach.call(fileInput.files, upload);
    fileInput.value = "";
  });
  body.addEventListener("dragover", function (e) {
    if (e.dataTransfer && Array.prototype.some.call(e.dataTransfer.types || [], function (t) { return t === "Files"; })) {
      e.preventDefault();
    }
  });
  body.addEventListener("drop", function (e) {
    var files = e.dataTransfer ? e.dataTransfer.files : null;
    if (files && files.length) {
      e.preventDefault();
      Array.prototype.forEach.call(files, upload);
    }
  });
  body.addEventListener("paste", function (e) {
    var items = (e.clipboardData && e.clipboardData.items) || [];
    var images = Array.prototype.filter.call(items, function (it) { return it.kind === "file" && /^image\//.test(it.type); });
    if (images.length) {
      e.preventDefault();
      images.forEach(function (it) { upload(it.getAsFile()); });
    }
  });
})();
