/* The results map: the same numbered results as the list, drawn with Leaflet.
   The list is the primary view. The map section is hidden in the HTML and shown
   only here, so without JavaScript there is no empty box. Each marker is a
   DivIcon showing its result's number, named "1: <service name>" for screen
   readers, and kept out of the Tab order (keyboard users have the list and a
   "Skip the map" link). Esc closes an open popup or tooltip.
   Leaflet puts a string given to bindTooltip or bindPopup into the page as
   HTML, and names come from group organisers and imported feeds: every piece
   of text reaches Leaflet as a DOM node built with textContent, never as a
   string, and no style attribute is written in HTML (the strict CSP allows
   styles set through the DOM, which is how Leaflet places things). The tile
   attribution is the one string (it comes from settings). */
(function () {
  "use strict";
  var dataElement = document.getElementById("directory-map-data");
  var section = document.getElementById("directory-map-section");
  var container = document.getElementById("directory-map");
  if (!dataElement || !section || !container || typeof L === "undefined") { return; }
  var data = JSON.parse(dataElement.textContent);
  if (!data.markers.length) { return; }
  section.hidden = false;
  var map = L.map(container, { scrollWheelZoom: false, keyboard: false });
  if (data.tileUrl) {
    L.tileLayer(data.tileUrl, { maxZoom: 19, attribution: data.tileAttribution }).addTo(map);
  }
  // A tooltip's content as an element holding plain text.
  function textElement(text) {
    var element = document.createElement("span");
    element.textContent = text;
    return element;
  }
  // Leaflet's icons and the map itself take focus by default; the list is the keyboard's way in.
  function outOfTabOrder(element) {
    if (element) { element.setAttribute("tabindex", "-1"); }
  }
  var points = [];
  var named = [];
  data.markers.forEach(function (marker) {
    var point = [marker.lat, marker.lng];
    var name = marker.number + ": " + marker.name;
    points.push(point);
    var link = document.createElement("a");
    link.href = marker.url;
    link.textContent = name;
    var popup = document.createElement("div");
    popup.appendChild(link);
    popup.appendChild(document.createElement("br"));
    popup.appendChild(document.createTextNode(marker.distance));
    var number = document.createElement("span");
    number.textContent = String(marker.number);
    var icon = L.divIcon({ className: "map-number", html: number, iconSize: [30, 30], iconAnchor: [15, 15] });
    var layer = L.marker(point, { icon: icon, title: name, alt: name, keyboard: false })
      .bindPopup(popup).bindTooltip(textElement(name)).addTo(map);
    named.push([layer, name]);
  });
  if (data.origin) {
    L.circleMarker(data.origin, { radius: 6, color: "#b00020", weight: 3, fillOpacity: 0, interactive: true })
      .bindTooltip(textElement("You searched here")).addTo(map);
    points.push(data.origin);
  }
  // Leaflet draws the layers once the map has a view: name them after that.
  var fit = function () { map.fitBounds(points, { padding: [24, 24], maxZoom: 15 }); };
  fit();
  // A phone turned on its side, or text zoomed: keep every numbered marker in view.
  map.on("resize", fit);
  named.forEach(function (pair) {
    var element = pair[0].getElement();
    if (element) {
      element.setAttribute("role", "img");
      element.setAttribute("aria-label", pair[1]);
      outOfTabOrder(element);
    }
  });
  outOfTabOrder(container);
  // Leaflet's zoom buttons and links stay reachable; nothing else on the map is a Tab stop.
  container.querySelectorAll("path.leaflet-interactive").forEach(outOfTabOrder);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" || event.key === "Esc") {
      map.closePopup();
      map.eachLayer(function (layer) { if (layer.closeTooltip) { layer.closeTooltip(); } });
    }
  });
})();
