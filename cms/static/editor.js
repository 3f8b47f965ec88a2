/* The post editor: autosave every few seconds to localStorage and to the server (no revision is
   made by typing), and offer to restore an unsaved draft. Loaded with a src: no inline script. */
(function () {
  "use strict";
  var form = document.getElementById("post-form");
  if (!form) { return; }
  var INTERVAL = 5000;
  var key = "cms-draft:" + form.dataset.draftKey;
  var url = form.dataset.autosaveUrl;
  var status = document.getElementById("autosave-status");
  var offer = document.getElementById("draft-offer");
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var SKIP = { csrf_token: 1, base_revision: 1, submit: 1 };

  function baseRevision() {
    var field = form.elements.namedItem("base_revision");
    var n = field ? parseInt(field.value, 10) : NaN;
    return isNaN(n) ? null : n;
  }

  function collect() {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.type === "submit" || el.type === "button") { return; }
      if (el.name === "channels") {
        data.channels = data.channels || [];
        if (el.checked) { data.channels.push(el.value); }
      } else if (el.type === "checkbox") {
        data[el.name] = el.checked;
      } else {
        data[el.name] = el.value;
      }
    });
    return data;
  }

  function fill(data) {
    Object.keys(data || {}).forEach(function (name) {
      if (SKIP[name]) { return; }
      var value = data[name];
      if (name === "channels") {
        var wanted = (value || []).map(String);
        form.querySelectorAll('input[name="channels"]').forEach(function (box) {
          box.checked = wanted.indexOf(box.value) !== -1;
        });
        return;
      }
      var el = form.elements.namedItem(name);
      if (!el) { return; }
      if (el.type === "checkbox") { el.checked = !!value; } else { el.value = value == null ? "" : value; }
    });
  }

  var last = JSON.stringify(collect());

  function text_(name) { return status ? (status.dataset[name] || "") : ""; }

  function say(text) { if (status) { status.textContent = text; } }

  function save() {
    var data = collect();
    var text = JSON.stringify(data);
    if (text === last) { return; }
    last = text;
    var stamp = new Date().toISOString();
    try {
      localStorage.setItem(key, JSON.stringify({ data: data, base_revision: baseRevision(), saved_at: stamp }));
    } catch (e) { /* storage full or disabled: the server copy still counts */ }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Content-Type", "application/json");
    if (tokenMeta) { xhr.setRequestHeader("X-CSRFToken", tokenMeta.content); }
    xhr.onload = function () {
      var time = new Date().toLocaleTimeString("zh-CN", { hour12: false });
      say(xhr.status === 200 ? text_("saved") + " " + time : text_("failed") + " (" + xhr.status + ")");
    };
    xhr.onerror = function () { say(text_("offline")); };
    xhr.send(JSON.stringify({ data: data, base_revision: baseRevision() }));
  }

  /* The offer: the server's draft (data-draft), else this browser's copy if it is newer than the
     revision and differs from what the form holds. */
  var draft = null;
  if (offer && offer.dataset.draft) {
    try { draft = JSON.parse(offer.dataset.draft); } catch (e) { draft = null; }
  }
  if (!draft && offer) {
    try {
      var local = JSON.parse(localStorage.getItem(key) || "null");
      var revTime = form.dataset.revisionTime ? Date.parse(form.dataset.revisionTime) : 0;
      if (local && local.data && local.base_revision === baseRevision() && Date.parse(local.saved_at) > revTime &&
          JSON.stringify(local.data) !== last) {
        draft = local.data;
        offer.classList.remove("d-none");
      }
    } catch (e) { draft = null; }
  }
  if (offer) {
    var restore = document.getElementById("draft-restore");
    var dismiss = document.getElementById("draft-dismiss");
    if (restore) {
      restore.addEventListener("click", function () {
        fill(draft);
        offer.classList.add("d-none");
        say(text_("restored"));
      });
    }
    if (dismiss) {
      dismiss.addEventListener("click", function () {
        offer.classList.add("d-none");
        try { localStorage.removeItem(key); } catch (e) { /* ignore */ }
      });
    }
  }

  /* The live phone preview: the server renders what the form holds (theme, sanitiser and all)
     after a pause in typing; nothing is saved. */
  var preview = document.getElementById("live-preview");
  var previewTimer = null;
  var previewAsked = 0, previewShown = 0;
  function refreshPreview() {
    if (!preview || !form.dataset.previewUrl) { return; }
    var xhr = new XMLHttpRequest();
    var asked = ++previewAsked;
    xhr.open("POST", form.dataset.previewUrl);
    xhr.onload = function () {
      /* answers can overtake each other: an older one never replaces a newer preview */
      if (asked < previewShown) { return; }
      previewShown = asked;
      try {
        var body = JSON.parse(xhr.responseText);
        if (body.html) { preview.innerHTML = body.html; } /* sanitised by the server */
        else if (body.error) { preview.textContent = body.error; }
      } catch (e) { /* keep the last preview */ }
    };
    xhr.send(new FormData(form));
  }
  form.addEventListener("input", function () {
    window.clearTimeout(previewTimer);
    previewTimer = window.setTimeout(refreshPreview, 700);
  });
  refreshPreview();

  /* Cover crops follow the focus fields (the saved cover, a new focus tried without saving). */
  var crops = document.querySelectorAll("#cover-crops img");
  function refreshCrops() {
    var x = form.elements.namedItem("cover_focus_x"), y = form.elements.namedItem("cover_focus_y");
    if (!x || !y || x.value === "" || y.value === "") { return; }
    crops.forEach(function (img) {
      img.src = img.dataset.base + "?x=" + encodeURIComponent(x.value) + "&y=" + encodeURIComponent(y.value);
    });
  }
  ["cover_focus_x", "cover_focus_y"].forEach(function (name) {
    var el = form.elements.namedItem(name);
    if (el) { el.addEventListener("change", refreshCrops); }
  });

  form.addEventListener("submit", function () {
    try { localStorage.removeItem(key); } catch (e) { /* ignore */ }
    window.clearInterval(timer);
  });
  var timer = window.setInterval(save, INTERVAL);
})();
