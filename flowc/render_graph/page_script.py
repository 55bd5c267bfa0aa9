"""The script of the HTML page (flowc.render_graph.page): pan and zoom, the opening view at a
readable scale, search, the details panel, the diff summary and the self-test measurements.

Opening view: the smallest of "whole drawing", "fit the width" and "fit the height" at which
the body text (the size the page is given, else the most common size of the nodes' text)
renders at READABLE_PX or more; when none reads, READABLE_PX itself. It starts at the flow's
entry (sideways to where the most nodes show with it), or on a diff page around the changes.
"""

SCRIPT = r"""
(() => {
  "use strict";
  const READABLE_PX = 11;
  const $ = (id) => document.getElementById(id);
  const view = $("view"), svg = view.querySelector("svg"), panel = $("panel");
  const find = $("find"), found = $("found"), summary = $("summary");
  const info = JSON.parse($("flow-nodes").textContent || "{}");
  if (!svg) return;
  // touched: the reader moved the view; fitted: to the whole drawing (kept on resizing).
  let s = 1, x = 0, y = 0, touched = false, fitted = false, lastW = 0, lastH = 0;
  const apply = () => { svg.style.transform = `translate(${x}px, ${y}px) scale(${s})`; };
  apply();
  const svgBox = svg.getBoundingClientRect();
  const natW = svgBox.width, natH = svgBox.height;
  const vb = svg.viewBox && svg.viewBox.baseVal;
  const unit = vb && vb.width ? natW / vb.width : 1;  // px per SVG user unit at scale 1
  const W = () => view.clientWidth, H = () => view.clientHeight;

  // Flow nodes in the drawing (not the start dot, "… more" stubs or "→ hub" labels).
  const nodes = new Map();
  for (const g of svg.querySelectorAll("g.node")) {
    const id = g.id.startsWith("node-") ? g.id.slice(5) : "";
    if (id && Object.prototype.hasOwnProperty.call(info, id)) nodes.set(id, g);
  }
  const nodeOf = (el) => {
    const g = el && el.closest ? el.closest("g.node") : null;
    return g && nodes.has(g.id.slice(5)) ? g.id.slice(5) : null;
  };

  // The body text size: the most common font size among the nodes' text.
  const sizes = new Map();
  for (const g of nodes.values()) {
    for (const t of g.querySelectorAll("text")) {
      const f = parseFloat(t.getAttribute("font-size") || "14");
      sizes.set(f, (sizes.get(f) || 0) + 1);
    }
  }
  let bodySize = parseFloat(view.dataset.bodyPt) || 0;
  let most = 0;
  if (!bodySize) {
    bodySize = 14;
    for (const [f, n] of sizes) {
      if (n > most || (n === most && f < bodySize)) { most = n; bodySize = f; }
    }
  }
  const readable = READABLE_PX / (bodySize * unit);

  // Boxes in drawing coordinates (px at scale 1, from the drawing's top left corner).
  const box = (el) => {
    const r = el.getBoundingClientRect(), o = svg.getBoundingClientRect();
    return { x: (r.left - o.left) / s, y: (r.top - o.top) / s, w: r.width / s, h: r.height / s };
  };
  const union = (bs) => {
    const x0 = Math.min(...bs.map((b) => b.x)), y0 = Math.min(...bs.map((b) => b.y));
    const x1 = Math.max(...bs.map((b) => b.x + b.w)), y1 = Math.max(...bs.map((b) => b.y + b.h));
    return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
  };
  const fitScale = (w, h) => Math.min(W() / w, H() / h);

  // Show the point (cx, cy) of the drawing at the middle of the view, without showing empty
  // space past the drawing's edges when it is bigger than the view.
  const place = (cx, cy) => {
    const sw = natW * s, sh = natH * s;
    x = W() / 2 - cx * s;
    y = H() / 2 - cy * s;
    x = sw <= W() ? (W() - sw) / 2 : Math.min(0, Math.max(W() - sw, x));
    y = sh <= H() ? (H() - sh) / 2 : Math.min(0, Math.max(H() - sh, y));
    apply();
  };
  const zoomAt = (k, mx, my) => {
    touched = true; fitted = false;
    const ns = Math.min(8, Math.max(0.05, s * k));
    x = mx - (mx - x) * (ns / s);
    y = my - (my - y) * (ns / s);
    s = ns;
    apply();
  };
  const centerOf = () => ({ cx: (W() / 2 - x) / s, cy: (H() / 2 - y) / s });
  const whole = () => {
    s = fitScale(natW, natH) * 0.98; place(natW / 2, natH / 2); fitted = true;
  };
  const atReadable = () => { const c = centerOf(); s = readable; place(c.cx, c.cy); };
  const visible = (b) => {
    const l = x + b.x * s, t = y + b.y * s;
    return l >= 0 && t >= 0 && l + b.w * s <= W() && t + b.h * s <= H();
  };
  const show = (id, center) => {
    const b = box(nodes.get(id));
    if (s < readable) s = readable;
    if (center || !visible(b)) place(b.x + b.w / 2, b.y + b.h / 2);
  };

  const opening = () => {
    const fits = [fitScale(natW, natH), W() / natW, H() / natH].map((v) => v * 0.98);
    fits.sort((a, b) => a - b);
    s = Math.min(fits.find((v) => v >= readable) || readable, Math.max(1, readable));
    const changed = [...nodes.values()].filter((g) =>
      /\bdiff-(added|removed|changed|renamed)\b/.test(g.getAttribute("class") || ""));
    if (changed.length) {
      const bs = changed.slice(0, 300).map(box);
      const all = union(bs);
      if (all.w * s > W() || all.h * s > H()) s = Math.max(readable, fitScale(all.w, all.h) * 0.95);
      if (all.w * s <= W() && all.h * s <= H()) {
        place(all.x + all.w / 2, all.y + all.h / 2);
        return;
      }
      // Too far apart to show together at a readable size: the window showing the most.
      const vw = W() / s, vh = H() / s, m = 12 / s;
      let best = [bs[0].x + bs[0].w / 2, bs[0].y + bs[0].h / 2], most = 0;
      for (const a of bs) {
        for (const ox of [a.x - m, a.x + a.w + m - vw]) {
          for (const oy of [a.y - m, a.y + a.h + m - vh]) {
            const c = bs.filter((b) =>
              b.x >= ox && b.y >= oy && b.x + b.w <= ox + vw && b.y + b.h <= oy + vh).length;
            if (c > most) { most = c; best = [ox + vw / 2, oy + vh / 2]; }
          }
        }
      }
      place(best[0], best[1]);
      return;
    }
    const start = svg.querySelector('g[id="node-__start__"]') || nodes.values().next().value;
    if (!start) { place(natW / 2, natH / 2); return; }
    const b = box(start);
    place(b.x + b.w / 2, b.y + b.h / 2);
    if (natW * s <= W()) return;
    // Slide sideways (the entry still in view) to where the most whole nodes show. Only the
    // nodes in the band the view covers count (a few hundred at most, even in huge flows).
    const boxes = [...nodes.values()].map(box).filter((n) => {
      const t = y + n.y * s;
      return t >= 0 && t + n.h * s <= H();
    }).slice(0, 400);
    const count = (nx) => boxes.filter((n) => {
      const l = nx + n.x * s;
      return l >= 0 && l + n.w * s <= W();
    }).length;
    const keepsEntry = (nx) => nx + b.x * s >= 0 && nx + (b.x + b.w) * s <= W();
    let best = x, most = count(x);
    for (const n of boxes) {
      for (const cand of [8 - n.x * s, W() - 8 - (n.x + n.w) * s]) {
        const nx = Math.min(0, Math.max(W() - natW * s, cand));
        const c = keepsEntry(nx) ? count(nx) : -1;
        const nearer = Math.abs(nx - x) < Math.abs(best - x);
        if (c > most || (c === most && nearer)) { best = nx; most = c; }
      }
    }
    x = best;
    apply();
  };

  // Panels opening and closing change the view's size without a window resize: note the new
  // size (and with `keep`, keep what was in the middle there).
  const relayout = (change, keep) => {
    const w0 = W(), h0 = H();
    change();
    if (keep) { x += (W() - w0) / 2; y += (H() - h0) / 2; apply(); }
    lastW = W(); lastH = H();
  };

  // Halos: a rectangle drawn under a node (search matches, the picked node, keyboard focus).
  const halo = (id, cls, on) => {
    const g = nodes.get(id);
    if (!g) return;
    let r = g.querySelector(`:scope > rect.halo.${cls}`);
    if (!on) { if (r) r.remove(); return; }
    if (r) return;
    const bb = g.getBBox(), pad = 6;
    r = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    r.setAttribute("class", `halo ${cls}`);
    r.setAttribute("x", bb.x - pad); r.setAttribute("y", bb.y - pad);
    r.setAttribute("width", bb.width + 2 * pad); r.setAttribute("height", bb.height + 2 * pad);
    r.setAttribute("rx", 6);
    const title = g.querySelector(":scope > title");
    g.insertBefore(r, title ? title.nextSibling : g.firstChild);
  };

  // Nodes are buttons for the keyboard; the links inside (to the editor) stay out of the tab order.
  for (const [id, g] of nodes) {
    const i = info[id];
    g.setAttribute("tabindex", "0");
    g.setAttribute("role", "button");
    g.setAttribute("aria-label", `${i.kind} ${i.name}${i.status ? " (" + i.status + ")" : ""}`);
    for (const a of g.querySelectorAll("a")) a.setAttribute("tabindex", "-1");
    g.addEventListener("focus", () => { halo(id, "focused", true); show(id, false); });
    g.addEventListener("blur", () => halo(id, "focused", false));
    g.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); e.stopPropagation(); pick(id); }
    });
  }
  // Focus moves would scroll the clipped view natively; the transform does the moving.
  view.addEventListener("scroll", () => { view.scrollLeft = 0; view.scrollTop = 0; });

  // The details panel: everything about one node, nothing cut short.
  let picked = null;
  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  };
  const pick = (id) => {
    const i = info[id];
    if (!i) return;
    touched = true; fitted = false;
    if (picked) halo(picked, "picked", false);
    picked = id;
    halo(id, "picked", true);
    panel.replaceChildren();
    const close = el("button", "×", "close");
    close.setAttribute("aria-label", "Close the details");
    close.addEventListener("click", unpick);
    panel.append(close, el("p", [i.kind, i.module ? "in " + i.module : "", i.status || ""]
      .filter(Boolean).join(" · "), "tag"));
    panel.append(el("h2", i.name));
    if (i.note) panel.append(el("p", i.note));
    if (i.detail) panel.append(el("p", i.detail));
    if (i.where) {
      const p = el("p", "Defined at ");
      p.append(el("code", i.where));
      if (i.link) {
        const a = el("a", "open in the editor");
        a.href = i.link;
        p.append(" · ", a);
      }
      panel.append(p);
    }
    if (i.prompts.length) {
      panel.append(el("h3", "What the caller hears"));
      for (const [loc, text] of i.prompts) {
        if (i.prompts.length > 1) panel.append(el("div", loc, "locale"));
        panel.append(el("p", text, "said"));
      }
    }
    if (i.leads.length) {
      panel.append(el("h3", "Leads to"));
      const ul = el("ul");
      for (const [label, target] of i.leads) {
        const to = info[target] ? info[target].name : target;
        const b = el("button", `${label ? label + " → " : "→ "}${to}`);
        if (!nodes.has(target)) b.disabled = true;
        b.addEventListener("click", () => { show(target, true); pick(target); });
        ul.appendChild(el("li")).append(b);
      }
      panel.append(ul);
    }
    relayout(() => { panel.hidden = false; }, false);
    show(id, false);
    panel.focus({ preventScroll: true });
  };
  const unpick = () => {
    if (picked) halo(picked, "picked", false);
    const back = picked;
    picked = null;
    relayout(() => { panel.hidden = true; }, false);
    if (back) nodes.get(back).focus({ preventScroll: true });
  };
  panel.addEventListener("keydown", (e) => { if (e.key === "Escape") unpick(); });

  // Pointer: drag to pan, wheel to zoom, click a node for its details.
  let drag = null, moved = false;
  view.addEventListener("wheel", (e) => {
    e.preventDefault();
    const r = view.getBoundingClientRect();
    zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  view.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    drag = { sx: e.clientX, sy: e.clientY, x, y };
    moved = false;
    view.classList.add("dragging");
  });
  window.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.sx, dy = e.clientY - drag.sy;
    if (Math.abs(dx) + Math.abs(dy) > 3) { moved = touched = true; fitted = false; }
    x = drag.x + dx; y = drag.y + dy; apply();
  });
  window.addEventListener("pointerup", () => { drag = null; view.classList.remove("dragging"); });
  svg.addEventListener("click", (e) => {
    if (e.target.closest("a")) e.preventDefault();  // the editor link is in the panel
    if (moved) { moved = false; return; }
    const id = nodeOf(e.target);
    if (id) pick(id);
  });

  // Search: node names and the whole prompt text; Enter goes to the next match.
  const hay = new Map();
  for (const id of nodes.keys()) {
    const i = info[id];
    hay.set(id, [id, i.name, i.detail, i.note || "", ...i.prompts.map((p) => p[1])]
      .join("\n").toLowerCase());
  }
  let matches = [], cur = -1, query = "";
  const report = () => {
    const n = matches.length;
    found.textContent = !query ? "" : n ? `${cur + 1} of ${n}` : "no match";
  };
  const goMatch = (k) => {
    if (cur >= 0) halo(matches[cur], "current", false);
    cur = k;
    touched = true; fitted = false;
    halo(matches[cur], "current", true);
    show(matches[cur], true);
    report();
  };
  const search = (q) => {
    for (const id of matches) { halo(id, "match", false); halo(id, "current", false); }
    query = q.trim().toLowerCase();
    const rank = (id) => {
      const name = info[id].name.toLowerCase();
      if (name === query || id.toLowerCase() === query) return 0;
      return name.includes(query) || id.toLowerCase().includes(query) ? 1 : 2;
    };
    const hits = query ? [...nodes.keys()].filter((id) => hay.get(id).includes(query)) : [];
    matches = hits.map((id, n) => [rank(id), n, id]).sort((a, b) => a[0] - b[0] || a[1] - b[1])
      .map((m) => m[2]);
    cur = -1;
    for (const id of matches) halo(id, "match", true);
    if (matches.length) goMatch(0); else report();
  };
  find.addEventListener("input", () => search(find.value));
  find.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      if (find.value.trim().toLowerCase() !== query) search(find.value);
      else if (matches.length) {
        goMatch((cur + (e.shiftKey ? -1 : 1) + matches.length) % matches.length);
      }
    } else if (e.key === "Escape") {
      find.value = "";
      search("");
      view.focus({ preventScroll: true });
    }
  });

  // The diff summary: a list of the changed nodes to jump to, and a button to hide it all.
  const toggle = $("summary-toggle");
  if (summary && toggle) {
    toggle.addEventListener("click", () => relayout(() => {
      summary.hidden = !summary.hidden;
      toggle.setAttribute("aria-expanded", String(!summary.hidden));
    }, true));
    const list = $("changes");
    const sign = { added: "+", removed: "−", changed: "~", renamed: "R" };
    for (const id of nodes.keys()) {
      const st = info[id].status;
      if (!sign[st]) continue;
      const b = el("button", `${sign[st]} ${info[id].name} (${info[id].kind}, ${st})`);
      b.addEventListener("click", () => { show(id, true); pick(id); });
      list.appendChild(el("li")).append(b);
    }
  }

  // Keys anywhere but in the search box.
  window.addEventListener("keydown", (e) => {
    if (e.target === find || e.ctrlKey || e.metaKey || e.altKey) return;
    const step = e.shiftKey ? 400 : 80;
    const moves = {
      ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step],
    };
    const onDrawing = e.target === view || e.target === document.body || nodeOf(e.target);
    if (e.key === "/") { e.preventDefault(); find.focus(); find.select(); }
    else if (e.key === "+" || e.key === "=") zoomAt(1.25, W() / 2, H() / 2);
    else if (e.key === "-" || e.key === "_") zoomAt(0.8, W() / 2, H() / 2);
    // Like the buttons: a view the reader chose stays when the window is resized.
    else if (e.key === "0") { touched = true; whole(); }
    else if (e.key === "Home") opening();
    else if (e.key === "1") { touched = true; atReadable(); }
    else if (e.key === "Escape" && !panel.hidden) unpick();
    else if (moves[e.key] && onDrawing) {
      e.preventDefault();
      touched = true; fitted = false;
      x += moves[e.key][0]; y += moves[e.key][1]; apply();
    }
  });
  $("zoom-in").addEventListener("click", () => zoomAt(1.25, W() / 2, H() / 2));
  $("zoom-out").addEventListener("click", () => zoomAt(0.8, W() / 2, H() / 2));
  $("whole").addEventListener("click", () => { touched = true; whole(); });
  $("readable").addEventListener("click", () => { touched = true; atReadable(); });

  // A window resized before the reader did anything opens again; after "whole drawing" the
  // whole drawing fits again; after anything else, what was in the middle stays there.
  const resized = () => {
    if (!touched) opening();
    else if (fitted) whole();
    else { x += (W() - lastW) / 2; y += (H() - lastH) / 2; apply(); }
    lastW = W(); lastH = H();
  };
  window.addEventListener("resize", resized);
  lastW = W(); lastH = H();
  opening();

  // #selftest[&find=TEXT[&next=N]][&pick=NODE][&focus=NODE][&keys=K1,K2][&summary=hide]: act
  // through the page's own controls and keys, then write what a person would see as JSON into
  // the selftest element.
  if (!location.hash.startsWith("#selftest")) return;
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.get("summary") === "hide" && toggle) toggle.click();
  if (params.has("find")) {
    find.value = params.get("find");
    find.dispatchEvent(new Event("input"));
    for (let n = Number(params.get("next") || 0); n > 0; n--) {
      find.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    }
  }
  if (params.has("pick") && nodes.has(params.get("pick"))) {
    nodes.get(params.get("pick")).dispatchEvent(new MouseEvent("click", { bubbles: true }));
  }
  if (nodes.has(params.get("focus"))) nodes.get(params.get("focus")).focus();
  for (const key of (params.get("keys") || "").split(",").filter(Boolean)) {
    const to = document.activeElement || document.body;
    to.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true }));
  }
  const rect = (e) => {
    if (!e || e.hidden) return null;
    const r = e.getBoundingClientRect();
    return { x: r.left, y: r.top, w: r.width, h: r.height };
  };
  const vr = view.getBoundingClientRect();
  const inView = (r) =>
    r.left < vr.right && r.right > vr.left && r.top < vr.bottom && r.bottom > vr.top;
  const textPx = [];
  const nodeRects = {};
  for (const [id, g] of nodes) {
    nodeRects[id] = { ...rect(g), status: info[id].status || null, kind: info[id].kind };
    for (const t of g.querySelectorAll("text")) {
      if (!inView(t.getBoundingClientRect())) continue;
      textPx.push(parseFloat(t.getAttribute("font-size") || "14") * unit * s);
    }
  }
  // Heat maps: each traffic edge's line width as drawn on the screen, in px.
  const edgePx = {};
  for (const g of svg.querySelectorAll("g.edge.traffic")) {
    const p = g.querySelector("path"), m = p && p.getScreenCTM();
    if (m) edgePx[g.id] = parseFloat(getComputedStyle(p).strokeWidth) * Math.hypot(m.a, m.b);
  }
  const sr = svg.getBoundingClientRect();
  const drawn = {
    x: Math.max(sr.left, vr.left), y: Math.max(sr.top, vr.top),
    w: Math.min(sr.right, vr.right) - Math.max(sr.left, vr.left),
    h: Math.min(sr.bottom, vr.bottom) - Math.max(sr.top, vr.top),
  };
  const out = {
    viewport: { w: window.innerWidth, h: window.innerHeight },
    view: rect(view), svg: rect(svg), drawn, summary: rect(summary), panel: rect(panel),
    bar: rect($("bar")), scale: s, readableScale: readable, bodyFontPx: bodySize * unit,
    textPx, nodes: nodeRects, edgePx,
    find: {
      query, count: matches.length, current: cur >= 0 ? matches[cur] : null,
      status: found.textContent,
    },
    panelText: panel.hidden ? null : panel.innerText,
    active: document.activeElement ? document.activeElement.id : null,
    keyboardNodes: [...nodes.values()].filter((g) => g.tabIndex === 0
      && g.getAttribute("role") === "button" && g.getAttribute("aria-label")).length,
  };
  $("selftest").textContent = JSON.stringify(out);
})();
"""
