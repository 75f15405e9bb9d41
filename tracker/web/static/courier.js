// The courier's pages: keep the focus in the scan box for a barcode gun (it types the code,
// then Enter), send each dossier scanned into a bag without reloading the page, and say each
// outcome with a tone: high for in the bag, two low for refused, a short double for scanned
// already.
//
// Without a link, a scan is kept on this device (IndexedDB) with the device's time of it and
// an idempotency key, listed under "Scans kept on this device", and sent when the link returns
// or when a courier page opens with one. The server keeps the device's time apart from its own
// and records a scan sent twice once. Each outcome is listed; a scan refused when it is sent
// stays listed, on this device, until it is dismissed. Scans are kept per staff member: those
// of another wait for them to sign in here. The service worker (/courier/sw.js) keeps these
// pages and their assets for a reload without a link. The forms work without this script.
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

  var root = document.getElementById("courier-page");
  var staff = root ? root.dataset.staff : null;
  var DATABASE = "hoso-courier";
  var STORE = "scans";
  var CACHE_PREFIX = "hoso-courier";
  var OFFLINE = "offline", SIGN_IN = "sign-in", HELD = "held";
  var work = Promise.resolve();  // sends run one after another, in the order scanned
  var sent = [];                 // outcomes of kept scans sent since this page opened
  var trouble = null;            // why kept scans wait: OFFLINE, SIGN_IN or HELD
  var counter = 0;

  function box() { return document.querySelector("[data-scan]"); }
  function panel() { return document.getElementById("offline"); }

  function focusBox() {
    var input = box();
    if (input) { input.focus(); }
  }

  function settle() {
    var feedback = document.getElementById("feedback");
    if (feedback && SOUNDS[feedback.dataset.feedback]) { SOUNDS[feedback.dataset.feedback](); }
    var input = box();
    if (input) { input.value = ""; input.focus(); }
  }

  // -- the device's own record of a scan --------------------------------------------------------

  function two(n) { return (n < 10 ? "0" : "") + n; }

  function deviceTime(moment) {
    // ISO-8601 with the device's own offset, e.g. 2026-03-10T08:50:07.123+07:00
    var offset = -moment.getTimezoneOffset();
    var sign = offset >= 0 ? "+" : "-";
    offset = Math.abs(offset);
    var millis = moment.getMilliseconds();
    return moment.getFullYear() + "-" + two(moment.getMonth() + 1) + "-" + two(moment.getDate()) +
      "T" + two(moment.getHours()) + ":" + two(moment.getMinutes()) + ":" +
      two(moment.getSeconds()) + "." + (millis < 100 ? "0" : "") + two(millis) +
      sign + two(Math.floor(offset / 60)) + ":" + two(offset % 60);
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); });
    return hex.slice(0, 4).join("") + "-" + hex.slice(4, 6).join("") + "-" +
      hex.slice(6, 8).join("") + "-" + hex.slice(8, 10).join("") + "-" + hex.slice(10).join("");
  }

  // -- IndexedDB ----------------------------------------------------------------------------------

  function database() {
    return new Promise(function (resolve, reject) {
      var opening = window.indexedDB.open(DATABASE, 1);
      opening.onupgradeneeded = function () {
        opening.result.createObjectStore(STORE, {keyPath: "key"});
      };
      opening.onsuccess = function () { resolve(opening.result); };
      opening.onerror = function () { reject(opening.error); };
    });
  }

  function stored(mode, action) {
    return database().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var request = action(transaction.objectStore(STORE));
        transaction.oncomplete = function () { db.close(); resolve(request.result); };
        transaction.onerror = transaction.onabort = function () {
          db.close();
          reject(transaction.error);
        };
      });
    });
  }

  function kept() {
    return stored("readonly", function (s) { return s.getAll(); }).then(function (items) {
      return items.sort(function (a, b) { return a.seq - b.seq; });
    });
  }
  function keep(item) { return stored("readwrite", function (s) { return s.put(item); }); }
  function forget(key) { return stored("readwrite", function (s) { return s.delete(key); }); }

  // -- sending --------------------------------------------------------------------------------------

  function later(task) {
    work = work.then(task, task);
    return work;
  }

  function signedOut(answer) {
    return answer.redirected && /\/sign-in$/.test(new URL(answer.url).pathname);
  }

  function read(answer) {
    if (signedOut(answer)) { throw SIGN_IN; }
    return answer.text().then(function (html) {
      return new DOMParser().parseFromString(html, "text/html");
    });
  }

  function token() {
    var field = document.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  function keepCopy(page) {
    // The service worker keeps the bag's page as it now stands, for a reload without a link
    // (what the last scan did is left out: it would be stale by then).
    var worker = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (!worker || location.search) { return; }
    var copy = page.documentElement.cloneNode(true);
    var said = copy.querySelector("#feedback");
    if (said) { said.remove(); }
    worker.postMessage({keep: location.href, html: "<!doctype html>\n" + copy.outerHTML});
  }

  function showBag(page, bag) {
    // The bag as the server's page shows it now, when it is this page's bag.
    var view = document.getElementById("bag-view");
    var fresh = page.getElementById("bag-view");
    if (view && fresh && root.dataset.bag === bag) {
      view.replaceWith(document.importNode(fresh, true));
      keepCopy(page);
    }
  }

  function show(page, bag) {
    // The outcome the server's page gave, said in place with its tone; the bag updated.
    var said = page.getElementById("feedback");
    var slot = document.getElementById("feedback-slot");
    if (said && slot) {
      slot.textContent = "";
      slot.appendChild(document.importNode(said, true));
      if (SOUNDS[said.dataset.feedback]) { SOUNDS[said.dataset.feedback](); }
    }
    showBag(page, bag);
    return said;
  }

  function refresh() {
    // The page again, for a token of this session and the bag as it stands; throws when
    // there is no link or the session has ended.
    return fetch(location.pathname, {credentials: "same-origin", cache: "no-store"})
      .catch(function () { throw OFFLINE; })
      .then(read)
      .then(function (page) {
        var field = page.querySelector("input[name=csrf_token]");
        if (!field) { throw HELD; }
        Array.prototype.forEach.call(document.querySelectorAll("input[name=csrf_token]"),
                                     function (input) { input.value = field.value; });
        showBag(page, root.dataset.bag);
      });
  }

  function post(action, fields, key) {
    var body = new FormData();
    body.append("csrf_token", token());
    Object.keys(fields).forEach(function (name) { body.append(name, fields[name]); });
    var headers = key ? {"Idempotency-Key": key} : {};
    return fetch(action, {method: "POST", body: body, headers: headers,
                          credentials: "same-origin"})
      .catch(function () { throw OFFLINE; })
      .then(read);
  }

  function sendNow(form, code, at) {
    // A dossier scanned into the bag with the link up; kept for later if it cannot go.
    return post(form.action, {code: code}, null).then(function (page) {
      if (!show(page, root.dataset.bag)) { throw HELD; }
    }).catch(function (why) {
      trouble = typeof why === "string" ? why : HELD;
      return keep(scan(form, code, at)).then(render);
    });
  }

  function sendKept(item) {
    return post(item.action, {code: item.code, device_time: item.device_time}, item.key)
      .then(function (page) {
        var said = show(page, item.bag);
        if (!said) { throw HELD; }
        var words = said.cloneNode(true);
        var label = words.querySelector("strong");
        if (label) { label.remove(); }
        item.outcome = said.dataset.feedback;
        item.message = words.textContent.replace(/\s+/g, " ").trim();
        item.late = said.dataset.late === "true";
        if (item.outcome === "refused") { return keep(item); }  // until dismissed
        sent.push(item);
        return forget(item.key);
      });
  }

  function sendAll() {
    return kept().then(function (items) {
      var waiting = items.filter(function (i) { return i.staff === staff && !i.outcome; });
      if (!waiting.length) { trouble = null; return; }
      trouble = null;
      say(panel() && panel().dataset.sending);
      return refresh().then(function () {
        return waiting.reduce(function (done, item) {
          return done.then(function () { return sendKept(item); });
        }, Promise.resolve());
      });
    }).catch(function (why) {
      trouble = typeof why === "string" ? why : HELD;
    }).then(render);
  }

  function scan(form, code, at) {
    counter += 1;
    return {key: newKey(), staff: staff, action: form.action, kind: form.dataset.queue,
            bag: root.dataset.bag || null, code: code, device_time: deviceTime(at),
            seq: at.getTime() * 1000 + (counter % 1000)};
  }

  // -- what the page shows of the kept scans -------------------------------------------------

  function say(text) {
    var line = document.getElementById("link-state");
    if (line) { line.textContent = text || ""; }
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return values[name] !== undefined ? values[name] : whole;
    });
  }

  function timeOf(iso) {
    var lang = document.documentElement.lang || undefined;
    return new Date(iso).toLocaleTimeString(lang, {hour: "2-digit", minute: "2-digit",
                                                   second: "2-digit"});
  }

  function entry(item, texts) {
    var li = document.createElement("li");
    if (item.outcome) {
      li.className = item.outcome;
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = texts["kind" + item.outcome.charAt(0).toUpperCase() +
                               item.outcome.slice(1)] || item.outcome;
      li.appendChild(kind);
    }
    var code = document.createElement("span");
    code.className = "code";
    code.textContent = item.code;
    li.appendChild(code);
    var when = document.createElement("span");
    when.textContent = fill(texts.scanned, {time: timeOf(item.device_time)});
    li.appendChild(when);
    if (item.late) {
      var badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = texts.late;
      li.appendChild(badge);
    }
    if (item.outcome === "refused" && item.message) {  // the rule that refused it
      var message = document.createElement("span");
      message.className = "message";
      message.textContent = item.message;
      li.appendChild(message);
    }
    if (item.outcome === "refused") {
      var button = document.getElementById("dismiss-button").content.firstElementChild
        .cloneNode(true);
      button.setAttribute("aria-label", button.textContent + ": " + item.code);
      button.addEventListener("click", function () {
        forget(item.key).then(render).then(focusBox);
      });
      li.appendChild(button);
    }
    return li;
  }

  function render() {
    var section = panel();
    if (!section) { return Promise.resolve(); }
    return kept().then(function (items) {
      var texts = section.dataset;
      var mine = items.filter(function (i) { return i.staff === staff; });
      var waiting = mine.filter(function (i) { return !i.outcome; });
      var refused = mine.filter(function (i) { return i.outcome === "refused"; });
      var others = {};
      items.forEach(function (i) {
        if (i.staff !== staff && !i.outcome) { others[i.staff] = (others[i.staff] || 0) + 1; }
      });
      var offline = !navigator.onLine || trouble === OFFLINE;
      var lines = [];
      if (offline) { lines.push(texts.offline); }
      if (trouble === SIGN_IN) { lines.push(texts.signIn); }
      if (trouble === HELD && waiting.length) { lines.push(texts.held); }
      Object.keys(others).forEach(function (who) {
        lines.push(fill(texts.others, {n: others[who], staff: who}));
      });
      say(lines.join(" "));
      section.classList.toggle("is-offline", offline);

      var queued = document.getElementById("queued");
      queued.textContent = "";
      waiting.forEach(function (item) { queued.appendChild(entry(item, texts)); });
      document.getElementById("queued-count").textContent = String(waiting.length);
      document.getElementById("queued-part").hidden = !waiting.length;

      var synced = document.getElementById("synced");
      synced.textContent = "";
      refused.concat(sent.slice().reverse()).forEach(function (item) {
        synced.appendChild(entry(item, texts));
      });
      document.getElementById("synced-part").hidden = !(refused.length || sent.length);
      section.hidden = !(lines.length || waiting.length || refused.length || sent.length);
    }).catch(function () { /* no IndexedDB here: scans go only with the link up */ });
  }

  // -- the scan forms -----------------------------------------------------------------------

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (/\/sign-out$/.test(new URL(form.action, location.href).pathname) && window.caches) {
      // The pages kept for use offline go with the session; unsent scans stay.
      window.caches.keys().then(function (names) {
        names.forEach(function (name) {
          if (name.indexOf(CACHE_PREFIX) === 0) { window.caches.delete(name); }
        });
      });
      return;
    }
    var mode = form.dataset.queue;
    var input = form.querySelector("[data-scan]");
    if (!mode || !staff || !input) { return; }
    var photo = form.querySelector("input[type=file]");
    if (photo && photo.files && photo.files.length) {
      if (!navigator.onLine) {
        event.preventDefault();
        photo.value = "";
        say(panel() && panel().dataset.photo);
      }
      return;  // a photo goes as the form sends it
    }
    if (mode === "accept" && navigator.onLine) { return; }  // the form opens or accepts the bag
    event.preventDefault();
    var code = input.value.trim();
    input.value = "";
    input.focus();
    if (!code) { return; }
    var at = new Date();
    if (!navigator.onLine) {
      trouble = OFFLINE;
      keep(scan(form, code, at)).then(render);
      return;
    }
    later(function () {
      return kept().then(function (items) {
        var waiting = items.some(function (i) { return i.staff === staff && !i.outcome; });
        if (waiting) {  // after those kept, in the order scanned
          return keep(scan(form, code, at)).then(sendAll);
        }
        return sendNow(form, code, at);
      }).catch(function () { return sendNow(form, code, at); });
    });
  }, true);

  // A photo chosen is sent at once, when there is a link to send it.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.type === "file" && target.form) {
      if (!navigator.onLine) {
        target.value = "";
        say(panel() && panel().dataset.photo);
        return;
      }
      target.form.submit();
    }
  });

  // Back to the scan box when a click elsewhere leaves nothing else focused.
  document.addEventListener("focusout", function () {
    window.setTimeout(function () {
      var input = box();
      var active = document.activeElement;
      if (input && (!active || active === document.body)) { input.focus(); }
    }, 0);
  });

  window.addEventListener("online", function () { trouble = null; later(sendAll); });
  window.addEventListener("offline", function () { render(); });

  document.addEventListener("DOMContentLoaded", function () {
    settle();
    if (!root) { return; }
    render().then(function () { if (navigator.onLine) { later(sendAll); } });
    if ("serviceWorker" in navigator && root.dataset.worker) {
      navigator.serviceWorker.register(root.dataset.worker, {scope: root.dataset.scope})
        .then(function () { return navigator.serviceWorker.ready; })
        .then(function (registration) {
          if (registration.active && !location.search) {
            registration.active.postMessage({keep: location.href});
          }
        })
        .catch(function () { /* no worker: scans are kept while this page stays open */ });
    }
  });
})();
