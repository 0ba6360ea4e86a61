// soiree's embed code: <script src="https://BROADCASTER/embed.js" data-theme="dark" data-speeches="1" async></script>
// Inserts the live box (/embed) as an iframe after this script tag: the partner's page never
// runs anything of the box, and the box never runs anything of the partner's page.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var params = [];
  ["theme", "speeches", "token"].forEach(function (name) {
    var value = script.getAttribute("data-" + name);
    if (value) params.push(name + "=" + encodeURIComponent(value));
  });
  var frame = document.createElement("iframe");
  frame.src = new URL(script.src).origin + "/embed" + (params.length ? "?" + params.join("&") : "");
  frame.title = script.getAttribute("data-title") || "Résultats en direct";
  frame.width = "100%";
  frame.height = script.getAttribute("data-height") || (script.getAttribute("data-speeches") ? "380" : "220");
  frame.setAttribute("frameborder", "0");
  frame.setAttribute("sandbox", "allow-scripts allow-same-origin");
  frame.className = "soiree-embed";
  script.parentNode.insertBefore(frame, script.nextSibling);
})();
