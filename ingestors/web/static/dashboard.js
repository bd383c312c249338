// Sportello operations dashboard: keeps the figures current over Server-Sent Events.
// The page is complete without this script; the server renders every update, so this
// only swaps the <main> it sends and says when the feed is interrupted.
(function () {
  "use strict";
  var main = document.getElementById("figures");
  var updated = document.getElementById("updated");
  var live = document.getElementById("live");
  var stale = document.getElementById("stale");
  if (!main || !updated || !live || !stale || !window.EventSource) {
    return;
  }
  var messages = {
    lost: "Collegamento interrotto: le cifre potrebbero non essere aggiornate. " +
      "Connection lost: the figures may be out of date.",
    store: "Il database non risponde: le cifre mostrate sono le ultime lette. " +
      "The database is not answering: these are the last figures read."
  };
  function setStale(text) {
    stale.textContent = text;
    document.body.classList.toggle("stale-feed", text !== "");
  }
  var source = new EventSource(main.getAttribute("data-events"));
  source.addEventListener("figures", function (event) {
    var message = JSON.parse(event.data);
    main.innerHTML = message.html;
    updated.textContent = message.updated;
    updated.setAttribute("datetime", message.at);
    live.hidden = false;
    document.body.setAttribute("data-updates", String(
      Number(document.body.getAttribute("data-updates") || "0") + 1));
    setStale("");
  });
  source.addEventListener("unavailable", function () {
    setStale(messages.store);
  });
  source.addEventListener("error", function () {
    if (source.readyState !== EventSource.OPEN) {
      setStale(messages.lost);
    }
  });
  window.addEventListener("pagehide", function () {
    source.close();
  });
})();
