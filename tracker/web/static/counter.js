// The counter's ID card box. A gun types the card's QR code and Enter; htmx sends it and swaps
// in the applicant's fields filled from the card. This script then empties the box (the card's
// text stays nowhere on the page), keeps the focus there when the card could not be read, and
// moves it to the phone, which no card holds, when it was. A photo chosen is sent at once.
// The forms work without this script.
(function () {
  "use strict";

  function settle() {
    var box = document.getElementById("card");
    var photo = document.getElementById("photo");
    if (!box) { return; }
    box.value = "";
    if (photo) { photo.value = ""; }
    var refused = document.querySelector("#card-feedback .error");
    var next = refused ? box : document.getElementById("phone");
    if (next) { next.focus(); }
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var detail = event.detail || {};
    var from = (detail.requestConfig || {}).elt;
    if (from && from.id === "card-form") { settle(); }
  });
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.id === "photo" && target.files && target.files.length && target.form) {
      if (target.form.requestSubmit) { target.form.requestSubmit(); } else { target.form.submit(); }
    }
  });
})();
