/* The results map: the same results as the list, drawn with Leaflet.
   Markers are vector circles, so they show even when map tiles cannot load.
   Leaflet puts a string given to bindTooltip or bindPopup into the page as
   HTML, and names come from group organisers and imported feeds: every piece
   of text reaches Leaflet as a DOM node built with textContent, never as a
   string. The tile attribution is the one string (it comes from settings). */
(function () {
  "use strict";
  var dataElement = document.getElementById("directory-map-data");
  var container = document.getElementById("directory-map");
  if (!dataElement || !container || typeof L === "undefined") { return; }
  var data = JSON.parse(dataElement.textContent);
  if (!data.markers.length) { container.hidden = true; return; }
  var map = L.map(container, { scrollWheelZoom: false });
  if (data.tileUrl) {
    L.tileLayer(data.tileUrl, { maxZoom: 19, attribution: data.tileAttribution }).addTo(map);
  }
  // A tooltip's content as an element holding plain text.
  function textElement(text) {
    var element = document.createElement("span");
    element.textContent = text;
    return element;
  }
  var points = [];
  data.markers.forEach(function (marker, index) {
    var point = [marker.lat, marker.lng];
    points.push(point);
    var link = document.createElement("a");
    link.href = marker.url;
    link.textContent = (index + 1) + ". " + marker.name;
    var popup = document.createElement("div");
    popup.appendChild(link);
    popup.appendChild(document.createElement("br"));
    popup.appendChild(document.createTextNode(marker.distance));
    L.circleMarker(point, { radius: 9, color: "#0b0c0c", weight: 2, fillColor: "#1d5e3b", fillOpacity: 0.9 })
      .bindPopup(popup).bindTooltip(textElement(marker.name)).addTo(map);
  });
  if (data.origin) {
    L.circleMarker(data.origin, { radius: 6, color: "#b00020", weight: 3, fillOpacity: 0 }).bindTooltip(textElement("You searched here")).addTo(map);
    points.push(data.origin);
  }
  map.fitBounds(points, { padding: [24, 24], maxZoom: 15 });
})();
