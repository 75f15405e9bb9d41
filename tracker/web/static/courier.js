// The courier's scan box: keep the focus for a barcode gun (it types the code, then Enter),
// and say each scan's outcome aloud with a tone: high for in the bag, two low for refused,
// a short double for scanned already. The forms work without this script.
(function () {
  "use strict";
  var audio = null;

  function tone(frequency, start, length) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.value = 0.15;
      oscillator.connect(gain);
      gain.connect(audio.destination);
      oscillator.start(audio.currentTime + start);
      oscillator.stop(audio.currentTime + start + length);
    } catch (error) { /* no sound on this device */ }
  }

  var SOUNDS = {
    ok: function () { tone(1320, 0, 0.12); },
    repeat: function () { tone(880, 0, 0.07); tone(880, 0.12, 0.07); },
    refused: function () { tone(220, 0, 0.2); tone(180, 0.25, 0.3); }
  };

  function box() { return document.querySelector("[data-scan]"); }

  function settle() {
    var feedback = document.getElementById("feedback");
    if (feedback && SOUNDS[feedback.dataset.feedback]) { SOUNDS[feedback.dataset.feedback](); }
    var input = box();
    if (input) { input.value = ""; input.focus(); }
  }

  document.addEventListener("DOMContentLoaded", settle);
  document.addEventListener("htmx:afterSettle", settle);
  // Back to the scan box when a click elsewhere leaves nothing else focused.
  document.addEventListener("focusout", function () {
    window.setTimeout(function () {
      var input = box();
      var active = document.activeElement;
      if (input && (!active || active === document.body)) { input.focus(); }
    }, 0);
  });
  // A photo chosen is sent at once.
  document.addEventListener("change", function (event) {
    if (event.target && event.target.type === "file" && event.target.form) {
      event.target.form.submit();
    }
  });
})();
