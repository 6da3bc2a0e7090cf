/* IMVO network view: draws the embedded graph, lets the physics settle, then holds it still.
   When settled, #imvo-status gets data-state="settled" and the counts of the drawn network. */
(function () {
  "use strict";
  var t0 = performance.now();
  var data = JSON.parse(document.getElementById("imvo-data").textContent);
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var container = document.getElementById("imvo-network");
  var status = document.getElementById("imvo-status");
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, data.options);
  var settled = false;

  function settle() {
    if (settled) { return; }
    settled = true;
    network.setOptions({ physics: { enabled: false } });   // hold still from now on
    network.fit({ animation: false });
    network.moveTo({ scale: network.getScale() * 0.88, animation: false });   // room for edge labels
    network.once("afterDrawing", function () {
      var r = container.getBoundingClientRect();
      var kinds = {}, types = {};
      nodes.forEach(function (n) { kinds[n.kind] = (kinds[n.kind] || 0) + 1; });
      edges.forEach(function (e) { types[e.type] = (types[e.type] || 0) + 1; });
      status.dataset.nodes = String(nodes.length);
      status.dataset.edges = String(edges.length);
      status.dataset.kinds = JSON.stringify(kinds);
      status.dataset.types = JSON.stringify(types);
      status.dataset.settleMs = String(Math.round(performance.now() - t0));
      status.dataset.canvas = [r.left, r.top, r.width, r.height].map(Math.round).join(",");
      status.dataset.state = "settled";
      status.textContent = nodes.length + " nodes · " + edges.length + " edges";
      console.info("imvo-view settled: " + nodes.length + " nodes, " + edges.length + " edges, " +
                   status.dataset.settleMs + " ms");
    });
    network.redraw();
  }
  network.once("stabilizationIterationsDone", settle);
  if (nodes.length < 2) { setTimeout(settle, 0); }
  setTimeout(settle, 8000);                                    // never keep moving

  // find: jump to a node by name or id
  var search = document.getElementById("imvo-search");
  if (search) {
    var list = document.getElementById("imvo-names");
    var byText = {};
    nodes.forEach(function (n) {
      var text = n.title.split("\n")[0];
      byText[text.toLowerCase()] = n.id;
      byText[n.id.split(":").slice(1).join(":").toLowerCase()] = n.id;
      var opt = document.createElement("option");
      opt.value = text;
      list.appendChild(opt);
    });
    var find = function (ev) {
      if (ev) { ev.preventDefault(); }
      var q = search.value.trim().toLowerCase();
      if (!q) { network.unselectAll(); return; }
      var id = byText[q];
      if (!id) {
        var hit = nodes.get({ filter: function (n) { return !n.hidden && n.title.toLowerCase().indexOf(q) >= 0; } });
        id = hit.length ? hit[0].id : null;
      }
      if (id) {
        network.selectNodes([id]);
        network.focus(id, { scale: 1.3, animation: false });
      }
    };
    document.getElementById("imvo-find").addEventListener("submit", find);
    search.addEventListener("change", find);
  }

  // filter: click a node type in the legend to hide or show it
  Array.prototype.forEach.call(document.querySelectorAll("#imvo-legend-nodes button"), function (b) {
    b.addEventListener("click", function () {
      var show = b.getAttribute("aria-pressed") !== "true";
      b.setAttribute("aria-pressed", show ? "true" : "false");
      nodes.update(nodes.get({ filter: function (n) { return n.kind === b.dataset.kind; } })
        .map(function (n) { return { id: n.id, hidden: !show }; }));
    });
  });

})();
