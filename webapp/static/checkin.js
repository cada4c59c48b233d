// Träffpunkt check-in: scan a participant's QR code with the phone's camera. The only part of
// the check-in page that needs a script: without it (or without a camera) the code form and
// the name search do the same. A code found fills the code form and submits it, as a person
// typing it would; the page that comes back starts the camera again (data-autostart).
// Decoding uses the browser's own BarcodeDetector where it has one, else the vendored jsQR,
// loaded only then.
"use strict";

(() => {
  let scanner, video, status, form, stream, detector, jsQR, canvas, busy = false;

  /** Puts a scanned text into the code form and submits it (once). */
  function handle(text) {
    if (busy || !text) return;
    busy = true;
    stop();
    form.querySelector("[name=code]").value = text;
    form.querySelector("[data-scan-flag]").value = "1";
    form.requestSubmit();
  }

  /** The QR code's text in an ImageData, by jsQR, or null. */
  function decodeImage(image) {
    const found = jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    return found ? found.data : null;
  }

  function loadJsQR() {
    if (window.jsQR) return Promise.resolve(window.jsQR);
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = scanner.dataset.jsqr;
      script.onload = () => resolve(window.jsQR);
      script.onerror = reject;
      document.head.append(script);
    });
  }

  async function decoder() {
    if ("BarcodeDetector" in window) {
      try {
        const formats = await window.BarcodeDetector.getSupportedFormats();
        if (formats.includes("qr_code")) {
          detector = new window.BarcodeDetector({ formats: ["qr_code"] });
          return;
        }
      } catch (_) { /* fall back to jsQR */ }
    }
    jsQR = await loadJsQR();
    canvas = document.createElement("canvas");
  }

  async function frame() {
    if (!stream || busy) return;
    if (video.readyState >= 2) {
      let text = null;
      if (detector) {
        const codes = await detector.detect(video).catch(() => []);
        text = codes.length ? codes[0].rawValue : null;
      } else {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        const context = canvas.getContext("2d", { willReadFrequently: true });
        context.drawImage(video, 0, 0);
        text = decodeImage(context.getImageData(0, 0, canvas.width, canvas.height));
      }
      if (text) return handle(text);
    }
    setTimeout(() => requestAnimationFrame(frame), 150);
  }

  async function start() {
    try {
      await decoder();
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" }, audio: false,
      });
    } catch (_) {
      status.textContent = status.dataset.messageUnavailable;
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play().catch(() => {});
    scanner.querySelector("[data-scan-start]").hidden = true;
    scanner.querySelector("[data-scan-stop]").hidden = false;
    status.textContent = status.dataset.messageLooking;
    frame();
  }

  function stop() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    if (!video) return;
    video.hidden = true;
    scanner.querySelector("[data-scan-start]").hidden = false;
    scanner.querySelector("[data-scan-stop]").hidden = true;
  }

  document.addEventListener("DOMContentLoaded", () => {
    scanner = document.querySelector("[data-scanner]");
    form = document.querySelector("[data-checkin-form]");
    if (!scanner || !form) return;
    video = scanner.querySelector("[data-scan-video]");
    status = scanner.querySelector("[data-scan-status]");
    // For tests and other scanners (a hand-held one acts as a keyboard on the code field).
    window.traffpunktCheckin = { handle, decodeImage, loadJsQR: () => loadJsQR().then((j) => { jsQR = j; }) };
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
    scanner.hidden = false;
    scanner.querySelector("[data-scan-start]").addEventListener("click", start);
    scanner.querySelector("[data-scan-stop]").addEventListener("click", stop);
    if (scanner.dataset.autostart) start();
  });
})();
