/* IMVO network view.
   Positions come from the server (viz/layout.py): the picture is still from the first frame.
   Labels are drawn here, most important node first, each only where it overlaps no other label
   and no node, at a fixed screen size: they never overlap, and zooming in shows more of them.
   When drawn, #imvo-status gets data-state="settled", the counts, and data-labels; window.imvoView
   exposes the drawn label boxes (screen pixels) for the browser tests. */
(function () {
  "use strict";
  var t0 = performance.now();
  var data = JSON.parse(document.getElementById("imvo-data").textContent);
  var pages = JSON.parse(document.getElementById("imvo-pages").textContent);
  var still = !!data.still;
  var texts = {}, sides = {};
  data.nodes.forEach(function (n) {
    texts[n.id] = n.label;
    sides[n.id] = n.side || "below";
    if (still) { delete n.label; n.fixed = false; }
  });
  var FONT = "13px system-ui, 'Segoe UI', sans-serif";
  var measure = document.createElement("canvas").getContext("2d");
  measure.font = FONT;
  var widths = {};
  data.nodes.forEach(function (n) { widths[n.id] = texts[n.id] ? measure.measureText(texts[n.id]).width : 0; });
  var box0 = document.getElementById("imvo-network").getBoundingClientRect();

  // Columns from the server, spaced here for this canvas and these label widths.  Labels have a
  // fixed screen size: at scale 1 every label fits; a bigger picture is scaled down and then shows
  // the labels of the nodes that matter most (those that still fit).
  function respace() {
    if (!still || !data.nodes.length || data.nodes[0].side === "radial") { return; }
    var xs = [], cols = [];
    data.nodes.forEach(function (n) { if (xs.indexOf(n.x) < 0) { xs.push(n.x); } });
    xs.sort(function (a, b) { return a - b; });
    xs.forEach(function () { cols.push([]); });
    data.nodes.forEach(function (n) { cols[xs.indexOf(n.x)].push(n); });
    var k = cols.length, most = 1, R = 20, GAP = 36, L = 0, used = 0, w = [];
    cols.forEach(function (col, c) {
      most = Math.max(most, col.length);
      var left = 0, right = 0;
      col.forEach(function (n) {
        if (n.side === "left") { left = Math.max(left, widths[n.id]); } else { right = Math.max(right, widths[n.id]); }
      });
      if (c === 0) { L = left; }
      w.push(right);
      used += right + (c < k - 1 ? GAP : 0);
    });
    var room = box0.width - 60 - 2 * R * k - (k - 1) * GAP, need = L + used - (k - 1) * GAP;
    if (need > room && room > 0) {          // too wide: shorten the labels (full names stay in the tooltip)
      var f = room / need;
      cols.forEach(function (col, c) {
        col.forEach(function (n) {
          var cap = (n.side === "left" ? L : w[c]) * f;
          if (widths[n.id] > cap) { texts[n.id] = shorten(texts[n.id], cap); widths[n.id] = measure.measureText(texts[n.id]).width; }
        });
        w[c] = w[c] * f;
      });
    }
    var H = box0.height - 70;
    var rowPx = Math.max(26, Math.min(90, H / most)), tall = (most - 1) * rowPx;
    var x = 0;                              // laid out at scale 1: network units are screen pixels
    cols.forEach(function (col, c) {
      var row = col.length > 1 ? Math.min(90, Math.max(rowPx, tall / (col.length - 1))) : 0;
      col.sort(function (a, b) { return a.y - b.y; });
      col.forEach(function (n, i) { n.x = x; n.y = (i - (col.length - 1) / 2) * row; });
      x += 2 * R + w[c] + GAP;
    });
  }
  function shorten(text, cap) {
    var t = text.replace(/\u2026$/, "");
    while (t.length > 4 && measure.measureText(t + "\u2026").width > cap) { t = t.slice(0, -1); }
    return t.replace(/\s+$/, "") + "\u2026";
  }
  respace();
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var container = document.getElementById("imvo-network");
  var status = document.getElementById("imvo-status");
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, data.options);
  var settled = false;
  var drawnLabels = [];
  var FONT_PX = 13;

  // Fit the nodes *and their labels* (labels have a fixed screen size, so the scale is solved for).
  function fit() {
    if (!still || !nodes.length) {
      network.fit({ animation: false });
      if (!still) { network.moveTo({ scale: network.getScale() * 0.88, animation: false }); }
      return;
    }
    var r = container.getBoundingClientRect(), pos = network.getPositions();
    var minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity, L = 0, Rt = 0, pad = 0;
    nodes.forEach(function (n) {
      if (n.hidden) { return; }
      var p = pos[n.id];
      minX = Math.min(minX, p.x); maxX = Math.max(maxX, p.x);
      minY = Math.min(minY, p.y); maxY = Math.max(maxY, p.y);
    });
    nodes.forEach(function (n) {
      if (n.hidden) { return; }
      var p = pos[n.id], w = widths[n.id] + 8;
      if (n.side === "left" && p.x <= minX + 1) { L = Math.max(L, w); }
      if (n.side === "right" && p.x >= maxX - 1) { Rt = Math.max(Rt, w); }
      if (n.side === "radial") { pad = Math.max(pad, w); }
    });
    var m = 28, W = r.width - 2 * m - L - Rt - 2 * pad, H = r.height - 2 * m - 2 * pad - 16;
    var s = Math.min(1.25, W / Math.max(maxX - minX, 1), H / Math.max(maxY - minY, 1));
    s = Math.max(s, 0.05);
    var cx = (minX - (L + pad) / s + maxX + (Rt + pad) / s) / 2, cy = (minY + maxY) / 2;
    network.moveTo({ position: { x: cx, y: cy }, scale: s, animation: false });
  }

  // ---- labels ---------------------------------------------------------------------------
  function overlaps(a, b) {
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  }
  function drawLabels(ctx) {
    if (!still) { return; }
    var scale = network.getScale();
    var px = FONT_PX / scale;                                  // the font in network units
    var pos = network.getPositions();
    var taken = [];                                            // boxes in network units
    var shown = [];
    ctx.save();
    ctx.font = px + "px system-ui, 'Segoe UI', sans-serif";
    ctx.textBaseline = "middle";
    ctx.lineJoin = "round";
    var visible = data.order.filter(function (id) { var n = nodes.get(id); return n && !n.hidden; });
    visible.forEach(function (id) {                            // nodes are obstacles too
      var b = network.getBoundingBox(id);
      if (b) { taken.push({ x: b.left, y: b.top, w: b.right - b.left, h: b.bottom - b.top, node: true, id: id }); }
    });
    visible.forEach(function (id) {
      var p = pos[id], text = texts[id];
      if (!p || !text) { return; }
      var b = network.getBoundingBox(id);
      var r = b ? (b.right - b.left) / 2 : 8;
      var w = ctx.measureText(text).width, h = px * 1.25, gap = 4 / scale;
      var side = sides[id], box, ax, ay, align = "left", angle = 0;
      if (side === "radial") {
        var a = Math.atan2(p.y, p.x), left = Math.cos(a) < 0;
        angle = left ? a + Math.PI : a;
        align = left ? "right" : "left";
        ax = p.x + Math.cos(a) * (r + gap);
        ay = p.y + Math.sin(a) * (r + gap);
        box = null;                                            // one radial slot per node: no collisions
      } else if (side === "left") {
        align = "right"; ax = p.x - r - gap; ay = p.y;
        box = { x: ax - w, y: ay - h / 2, w: w, h: h };
      } else if (side === "right") {
        ax = p.x + r + gap; ay = p.y;
        box = { x: ax, y: ay - h / 2, w: w, h: h };
      } else {
        align = "center"; ax = p.x; ay = p.y + r + gap + h / 2;
        box = { x: ax - w / 2, y: ay - h / 2, w: w, h: h };
      }
      if (box) {
        for (var i = 0; i < taken.length; i++) {
          var t = taken[i];
          if ((t.node && t.id === id) || !overlaps(box, t)) { continue; }
          return;
        }
        taken.push(box);
      }
      ctx.save();
      ctx.translate(ax, ay);
      if (angle) { ctx.rotate(angle); }
      ctx.textAlign = align;
      ctx.lineWidth = 3.5 / scale;
      ctx.strokeStyle = "rgba(255,255,255,0.95)";
      ctx.strokeText(text, 0, 0);
      ctx.fillStyle = id === data.focus ? "#000" : "#1d232a";
      ctx.fillText(text, 0, 0);
      ctx.restore();
      var s = network.canvasToDOM({ x: box ? box.x : ax, y: box ? box.y : ay });
      var e = network.canvasToDOM({ x: box ? box.x + box.w : ax, y: box ? box.y + box.h : ay });
      shown.push({ id: id, text: text, side: side, x: s.x, y: s.y, w: e.x - s.x, h: e.y - s.y });
    });
    ctx.restore();
    drawnLabels = shown;
  }
  network.on("afterDrawing", drawLabels);

  function report() {
    var r = container.getBoundingClientRect();
    var kinds = {}, types = {};
    nodes.forEach(function (n) { kinds[n.kind] = (kinds[n.kind] || 0) + 1; });
    edges.forEach(function (e) { types[e.type] = (types[e.type] || 0) + 1; });
    status.dataset.nodes = String(nodes.length);
    status.dataset.edges = String(edges.length);
    status.dataset.kinds = JSON.stringify(kinds);
    status.dataset.types = JSON.stringify(types);
    status.dataset.labels = String(drawnLabels.length);
    status.dataset.settleMs = String(Math.round(performance.now() - t0));
    status.dataset.renderMs = String(Math.round(performance.now()));     // since navigation start
    status.dataset.canvas = [r.left, r.top, r.width, r.height].map(Math.round).join(",");
    status.dataset.state = "settled";
    status.textContent = nodes.length + " nodes · " + edges.length + " edges";
    console.info("imvo-view settled: " + nodes.length + " nodes, " + edges.length + " edges, " +
                 status.dataset.settleMs + " ms");
  }

  function settle() {
    if (settled) { return; }
    settled = true;
    network.setOptions({ physics: { enabled: false } });   // hold still from now on
    fit();
    var touched = false;
    network.on("resize", function () { if (!touched) { fit(); } });     // the canvas may settle its size late
    ["dragStart", "zoom"].forEach(function (ev) { network.on(ev, function () { touched = true; }); });
    network.once("afterDrawing", function () { setTimeout(report, 0); });
    network.redraw();
  }
  if (still || nodes.length < 2) { settle(); }
  else { network.once("stabilizationIterationsDone", settle); setTimeout(settle, 8000); }

  window.imvoView = {
    network: network,
    labels: function () { return drawnLabels.slice(); },
    texts: texts
  };

  // ---- click: details and the node's page; double-click: open the page -------------------
  var details = document.getElementById("imvo-details");
  function pageOf(id) {
    var n = nodes.get(id);
    var kind = n && pages[n.kind];
    if (!kind) { return null; }
    return "/" + kind + "/" + encodeURIComponent(id.split(":").slice(1).join(":"));
  }
  function viewOf(id) {
    var n = nodes.get(id);
    var kinds = { Company: "company", Buyer: "company", Factory: "factory", Covenant: "covenant", Country: "country" };
    var kind = n && kinds[n.kind];
    if (!kind || !document.getElementById("imvo-filters")) { return null; }
    var asof = document.getElementById("imvo-asof");
    return "/views/" + kind + "/" + encodeURIComponent(id.split(":").slice(1).join(":")) +
      (asof && asof.value ? "?asOf=" + encodeURIComponent(asof.value) : "");
  }
  function show(id) {
    var n = nodes.get(id);
    if (!n) { details.hidden = true; return; }
    details.textContent = "";
    var lines = String(n.title || "").split("\n");
    var b = document.createElement("b");
    b.textContent = lines[0];
    details.appendChild(b);
    details.appendChild(document.createTextNode(lines.slice(1).join("\n")));
    var links = document.createElement("div");
    links.className = "links";
    var page = pageOf(id), view = viewOf(id);
    if (page) {
      var a = document.createElement("a");
      a.href = page; a.target = "_top"; a.id = "imvo-open"; a.textContent = "Open its page";
      links.appendChild(a);
    }
    if (view && n.id !== data.focus) {
      var v = document.createElement("a");
      v.href = view; v.id = "imvo-expand"; v.textContent = "Expand: its network";
      links.appendChild(v);
    }
    details.appendChild(links);
    details.hidden = false;
  }
  network.on("click", function (p) {
    if (p.nodes.length) { show(p.nodes[0]); } else { details.hidden = true; }
  });
  network.on("doubleClick", function (p) {
    var page = p.nodes.length ? pageOf(p.nodes[0]) : null;
    if (page) { window.top.location.href = page; }
  });

  // ---- tools: reset zoom, PNG ---------------------------------------------------------------
  document.getElementById("imvo-reset").addEventListener("click", function () { fit(); });
  document.getElementById("imvo-png").addEventListener("click", function (ev) {
    var canvas = container.querySelector("canvas");
    if (!canvas) { ev.preventDefault(); return; }
    var out = document.createElement("canvas");
    out.width = canvas.width; out.height = canvas.height;
    var ctx = out.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(canvas, 0, 0);
    this.href = out.toDataURL("image/png");
  });

  // ---- find: jump to a node by name or id --------------------------------------------------
  var search = document.getElementById("imvo-search");
  if (search) {
    var list = document.getElementById("imvo-names");
    var byText = {};
    nodes.forEach(function (n) {
      var text = texts[n.id] || n.id;
      byText[String(n.title).split("\n")[0].toLowerCase()] = n.id;
      byText[n.id.split(":").slice(1).join(":").toLowerCase()] = n.id;
      var opt = document.createElement("option");
      opt.value = String(n.title).split("\n")[0] || text;
      list.appendChild(opt);
    });
    var find = function (ev) {
      if (ev) { ev.preventDefault(); }
      var q = search.value.trim().toLowerCase();
      if (!q) { network.unselectAll(); return; }
      var id = byText[q];
      if (!id) {
        var hit = nodes.get({ filter: function (n) { return !n.hidden && String(n.title).toLowerCase().indexOf(q) >= 0; } });
        id = hit.length ? hit[0].id : null;
      }
      if (id) {
        network.selectNodes([id]);
        network.focus(id, { scale: Math.max(network.getScale(), 1.2), animation: false });
        show(id);
      }
    };
    document.getElementById("imvo-find").addEventListener("submit", find);
    search.addEventListener("change", find);
  }

  // ---- legend: click a node type to hide or show it ----------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll("#imvo-legend-nodes button"), function (b) {
    b.addEventListener("click", function () {
      var on = b.getAttribute("aria-pressed") !== "true";
      b.setAttribute("aria-pressed", on ? "true" : "false");
      nodes.update(nodes.get({ filter: function (n) { return n.kind === b.dataset.kind; } })
        .map(function (n) { return { id: n.id, hidden: !on }; }));
    });
  });
})();
