// Inside the embedded event list: tell the page that frames it how tall the list is, so
// its script (embed-host.js) can size the frame. Only a height is sent, to any origin.
(function () {
  "use strict";
  if (window.parent === window) return;
  var last = 0;
  function send() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: "traffpunkt:embed-height", height: height }, "*");
  }
  send();
  window.addEventListener("load", send);
  if ("ResizeObserver" in window) new ResizeObserver(send).observe(document.body);
  else window.addEventListener("resize", send);
})();
