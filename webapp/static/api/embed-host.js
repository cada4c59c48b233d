// On the page that embeds Träffpunkt's event list: size each frame to the height its list
// reports (embed.js). Messages count only from Träffpunkt's origin, for the frame they
// come from.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var origin = new URL(script.src, document.baseURI).origin;
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.origin !== origin || !data || data.type !== "traffpunkt:embed-height") return;
    var height = Number(data.height);
    if (!(height > 0 && height < 100000)) return;
    var frames = document.querySelectorAll("iframe[data-traffpunkt-embed]");
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) frames[i].style.height = height + "px";
    }
  });
})();
