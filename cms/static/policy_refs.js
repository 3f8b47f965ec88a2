// Issue 19: a policy ID in a page's text (C8, U2 ...) becomes a small reference whose hover shows
// the rule in words: <abbr class="policy-ref" title="C8：...">C8</abbr>. The texts come from
// cms/policy_texts.py through /policies.json (the script tag's data-src; CSP allows no inline script). Scripts, styles, form fields, options, code and existing <abbr> are left alone.
(function () {
  "use strict";
  var block = document.getElementById("policy-refs");
  if (!block || !window.fetch) { return; }
  var texts = {};
  var ID = /(^|[^A-Za-z0-9_./#-])([CUGP]\d{1,2})(?![A-Za-z0-9_])/g;
  var SKIP = { SCRIPT: 1, STYLE: 1, TEXTAREA: 1, OPTION: 1, SELECT: 1, CODE: 1, PRE: 1, ABBR: 1, TITLE: 1, INPUT: 1 };
  function skip(node) {
    for (var el = node.parentNode; el && el !== document.body; el = el.parentNode) {
      if (SKIP[el.nodeName] || (el.classList && el.classList.contains("no-policy-refs"))) { return true; }
    }
    return false;
  }
  function wrap(node) {
    var text = node.nodeValue, last = 0, m, frag = null;
    ID.lastIndex = 0;
    while ((m = ID.exec(text)) !== null) {
      var id = m[2];
      if (!Object.prototype.hasOwnProperty.call(texts, id)) { continue; }
      frag = frag || document.createDocumentFragment();
      var start = m.index + m[1].length;
      frag.appendChild(document.createTextNode(text.slice(last, start)));
      var abbr = document.createElement("abbr");
      abbr.className = "policy-ref";
      abbr.title = id + "：" + texts[id];
      abbr.textContent = id;
      frag.appendChild(abbr);
      last = start + id.length;
    }
    if (frag) {
      frag.appendChild(document.createTextNode(text.slice(last)));
      node.parentNode.replaceChild(frag, node);
    }
  }
  function run() {
    var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, null), nodes = [], n;
    while ((n = walker.nextNode())) {
      if (/[CUGP]\d/.test(n.nodeValue) && !skip(n)) { nodes.push(n); }
    }
    nodes.forEach(wrap);
  }
  fetch(block.getAttribute("data-src"), { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : {}; })
    .then(function (data) { texts = data || {}; run(); })
    .catch(function () { /* no hover texts: the IDs stay as they are */ });
})();
