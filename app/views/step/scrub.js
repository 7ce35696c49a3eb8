// The scrub: press on any number of the matrix and drag sideways (or move the slider), and the page's
// states table (app.tables.states_html) shows the frame NumPy computed for that value, at most once
// per animation frame, with no server round trip. Frames come from app/scrub.py: the chosen
// number's always, the whole matrix's when it is small enough; pressing on a number without frames
// asks the server for them ("pick") and the drag goes on once they arrive. Letting go sends
// ("release") the frame back, and the page recomputes and redraws for real. A number can also be
// typed ("edit"): double-click it, or focus it and press Enter or start typing.
// Every string shown here is set as text (textContent), never parsed as HTML.

const PX_PER_FRAME = 2;  // a sideways drag of 2 px moves one frame (one step of the value)
const DOUBLE_CLICK_MS = 300;  // a click waits this long before choosing: it may be a double-click (typing)

function decode(f) {
  if (f.encoding === "text") return { text: f.cells };
  const raw = atob(f.cells);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return { ints: f.encoding === "int16" ? new Int16Array(bytes.buffer) : new Int32Array(bytes.buffer) };
}

// num() of birnn_core.explain for n / 10**digits: trailing zeros dropped, "-0" as "0".
function formatted(n, digits, sentinels) {
  if (n === sentinels[0]) return "nan";
  if (n === sentinels[1]) return "inf";
  if (n === sentinels[2]) return "-inf";
  const scale = 10 ** digits;
  const a = Math.abs(n);
  const whole = Math.floor(a / scale);
  const frac = String(a % scale).padStart(digits, "0").replace(/0+$/, "");
  const s = frac ? `${whole}.${frac}` : `${whole}`;
  return n < 0 && s !== "0" ? `-${s}` : s;
}

// app.tables._colour: diverging blue / white / red, scaled by the frame's largest magnitude.
function colour(v, vmax) {
  const a = vmax <= 0 || !Number.isFinite(v) ? 0 : Math.max(-1, Math.min(1, v / vmax));
  if (a >= 0) return `rgb(255,${Math.trunc(255 - 140 * a)},${Math.trunc(255 - 160 * a)})`;
  return `rgb(${Math.trunc(255 + 160 * a)},${Math.trunc(255 + 110 * a)},255)`;
}

function element(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

// The page's states table, frozen for a drag: with automatic table layout every changed number
// would make the browser measure the whole table again (the slow part of a frame). Only the cells
// on screen (and 200 px around) are written while dragging; one that scrolls in gets the frame then.
function statesTable(T, C, onShow) {
  const rows = document.querySelectorAll("[data-testid=stHtml] .states tbody tr");
  if (rows.length !== T) return null;
  const cells = [];
  for (const row of rows) {
    const tds = row.querySelectorAll("td");
    if (tds.length !== C) return null;
    cells.push(...tds);
  }
  const table = cells[0].closest("table");
  if (!table.querySelector("colgroup.scrub-cols")) {
    const group = element("colgroup", "scrub-cols");
    for (const cell of rows[0].children) {
      const col = element("col");
      col.style.width = `${cell.getBoundingClientRect().width}px`;
      group.appendChild(col);
    }
    table.style.width = `${table.getBoundingClientRect().width}px`;
    table.prepend(group);
    table.style.tableLayout = "fixed";
  }
  const drawn = cells.map(td => [td.textContent, td.style.background, td.classList.contains("changed")]);
  // Every cell counts as on screen until the observer's first report (it comes a frame later),
  // so a frame drawn at once, like a typed value's, is not lost on the cells a person sees.
  const visible = new Uint8Array(cells.length).fill(1);
  const index = new Map(cells.map((td, i) => [td, i]));
  const observer = new IntersectionObserver(seen => {
    for (const e of seen) {
      const i = index.get(e.target);
      visible[i] = e.isIntersecting ? 1 : 0;
      if (e.isIntersecting) onShow(i);
    }
  }, { rootMargin: "200px" });
  cells.forEach(td => observer.observe(td));
  return { cells, drawn, visible, observer, caption: document.querySelector("[data-testid=stHtml] .states p") };
}

// The compact unrolled diagram: one column per token, one row per column group of the states table
// (each layer's forward and backward states, merged vectors, the output), each state a box of
// stripes, one per unit, coloured as the table colours it; arrows carry each direction's state.
const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function buildDiagram(tokens, groups, C) {
  const colW = 46, boxW = 34, rowH = 16, gap = 12, left = 118, top = 20;
  const T = tokens.length;
  const root = svg("svg", { class: "unrolled", width: left + T * colW, height: top + groups.length * (rowH + gap),
                            role: "img", "aria-label": "unrolled diagram of the states" });
  const defs = svg("defs", {});
  const marker = svg("marker", { id: "scrub-arrow", viewBox: "0 0 6 6", refX: 5, refY: 3, markerWidth: 5,
                                 markerHeight: 5, orient: "auto-start-reverse" });
  marker.appendChild(svg("path", { d: "M0,0 L6,3 L0,6 z", fill: "#888" }));
  defs.appendChild(marker);
  root.appendChild(defs);
  tokens.forEach((tok, t) => {
    root.appendChild(svg("text", { x: left + t * colW + boxW / 2, y: 12, "text-anchor": "middle", class: "tok" },
                         tok.length > 6 ? `${tok.slice(0, 5)}…` : tok));
  });
  const rects = new Array(T * C), boxOf = new Array(T * C), outlines = [];
  groups.forEach((g, r) => {
    const y = top + r * (rowH + gap);
    root.appendChild(svg("text", { x: left - 6, y: y + rowH - 4, "text-anchor": "end", class: "row" }, g.name));
    for (let t = 0; t < T; t++) {
      const x = left + t * colW;
      for (let u = 0; u < g.size; u++) {
        const rect = svg("rect", { x: x + (u * boxW) / g.size, y, width: boxW / g.size, height: rowH, fill: "#fff",
                                   "data-cell": t * C + g.start + u });
        root.appendChild(rect);
        rects[t * C + g.start + u] = rect;
        boxOf[t * C + g.start + u] = outlines.length;
      }
      const outline = svg("rect", { x, y, width: boxW, height: rowH, fill: "none", stroke: "#999" });
      root.appendChild(outline);
      outlines.push(outline);
      if (g.flow !== 0 && t < T - 1) {
        const [x1, x2] = g.flow > 0 ? [x + boxW + 1, x + colW - 2] : [x + colW - 1, x + boxW + 2];
        root.appendChild(svg("line", { x1, y1: y + rowH / 2, x2, y2: y + rowH / 2, stroke: "#888",
                                       "marker-end": "url(#scrub-arrow)" }));
      }
    }
  });
  return { root, rects, boxOf, outlines };
}

function build(root, matrix) {
  const box = element("div", "scrub");
  const grid = element("table", "grid");
  const caption = element("caption", "", `${matrix.name}: press on a number and drag sideways`);
  grid.appendChild(caption);
  const head = element("tr");
  head.appendChild(element("th"));
  for (const c of matrix.cols) head.appendChild(element("th", "", c));
  grid.appendChild(head);
  const spans = new Map();
  matrix.rows.forEach((r, i) => {
    const tr = element("tr");
    tr.appendChild(element("th", "", r));
    for (let c = 0; c < matrix.cols.length; c++) tr.appendChild(element("td"));
    grid.appendChild(tr);
  });
  for (const e of matrix.entries) {
    const span = element("span", "num");
    span.tabIndex = 0;
    span.dataset.label = e.label;
    span.title = e.symbol;
    grid.rows[e.r + 1].cells[e.c + 1].appendChild(span);
    spans.set(e.label, span);
  }
  const head2 = element("div", "head");
  head2.append(element("span", "symbol"), " = ", element("output", "value"), element("span", "status"));
  const range = element("input", "range");
  Object.assign(range, { type: "range", min: "0", step: "1" });
  range.setAttribute("aria-label", "value of the chosen number");
  const ends = element("div", "ends");
  ends.append(element("span", "lo"), element("span", "hint", "drag: every state below follows; let go to keep the value"),
              element("span", "hi"));
  const holder = element("div", "diagram");
  box.append(grid, head2, range, ends, holder);
  root.appendChild(box);
  return { box, spans, range, holder, shape: JSON.stringify([matrix.name, matrix.rows, matrix.cols]) };
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const shape = JSON.stringify([data.matrix.name, data.matrix.rows, data.matrix.cols]);
  let ui = parentElement.__scrub;
  if (!ui || ui.shape !== shape) {
    if (ui) ui.box.remove();
    ui = parentElement.__scrub = build(parentElement, data.matrix);
  }
  const { box, spans, range } = ui;
  const diagramShape = JSON.stringify([data.tokens, data.groups]);
  if (ui.diagramShape !== diagramShape) {
    ui.diagram = buildDiagram(data.tokens, data.groups, data.C);
    ui.holder.replaceChildren(ui.diagram.root);
    ui.diagramShape = diagramShape;
    if (ui.diagramObserver) ui.diagramObserver.disconnect();
    ui.diagramVisible = false;
    ui.diagramObserver = new IntersectionObserver(seen => {
      ui.diagramVisible = seen[seen.length - 1].isIntersecting;
      if (ui.diagramVisible && ui.diagramLate) ui.diagramLate();
    }, { rootMargin: "200px" });
    ui.diagramObserver.observe(ui.diagram.root);
  }
  const { rects, boxOf, outlines } = ui.diagram;
  const T = data.T, C = data.C, size = T * C, scale = 10 ** data.digits;
  const decoded = new Map();
  const entries = new Map(data.matrix.entries.map(e => [e.label, e]));
  // The last payload's table watcher would write its own frames into cells that scroll in.
  if (parentElement.__table) { parentElement.__table.observer.disconnect(); parentElement.__table = null; }
  let table = null, pending = null, drag = null;

  const framesOf = label => {
    const f = data.frames[label];
    if (f && !decoded.has(label)) {
      const values = f.value_texts || f.value_ints.map(n => formatted(n, f.value_digits, []));
      decoded.set(label, { ...f, ...decode(f), values });
    }
    return decoded.get(label);
  };
  const cellText = (f, k, i) => (f.text ? f.text[k][Math.floor(i / C)][i % C]
                                        : formatted(f.ints[k * size + i], data.digits, f.sentinels));
  const cellValue = (f, k, i) => (f.text ? Number(cellText(f, k, i)) : f.ints[k * size + i] / scale);

  for (const [label, span] of spans) {
    span.textContent = entries.get(label).text;
    span.classList.toggle("active", label === data.active);
  }
  let current = data.active;  // the number the slider and the readout show

  function show(label, k) {
    const f = framesOf(label);
    const e = entries.get(label);
    box.querySelector(".symbol").textContent = e.symbol;
    box.querySelector(".value").textContent = f.values[k];
    box.querySelector(".lo").textContent = f.values[0];
    box.querySelector(".hi").textContent = f.values[f.values.length - 1];
    range.max = String(f.values.length - 1);
    range.value = String(k);
    spans.get(label).textContent = f.values[k];
    box.dataset.frame = String(k);
    box.dataset.label = label;
  }

  // Colours every unit's stripe; a state box with a value that differs from the centre frame is
  // outlined. Skipped while the diagram is off screen (it is painted when it scrolls in).
  function paintDiagram(f, k, differs) {
    if (!ui.diagramVisible) { ui.diagramLate = () => paintDiagram(f, k, differs); return; }
    ui.diagramLate = null;
    const changed = new Uint8Array(outlines.length);
    for (let i = 0; i < size; i++) {
      const c = colour(cellValue(f, k, i), f.vmax[k]);
      if (rects[i].__fill !== c) { rects[i].setAttribute("fill", c); rects[i].__fill = c; }
      if (differs && differs[i]) changed[boxOf[i]] = 1;
    }
    outlines.forEach((o, b) => {
      const mark = changed[b] === 1;
      if (o.__mark !== mark) {
        o.setAttribute("stroke", mark ? "#f59e0b" : "#999");
        o.setAttribute("stroke-width", mark ? 2.5 : 1);
        o.__mark = mark;
      }
    });
  }

  let latest = null;  // the frame on screen: {label, k}
  function writeCell(i, f, k) {
    const s = cellText(f, k, i);
    const c = colour(cellValue(f, k, i), f.vmax[k]);
    const differs = s !== cellText(f, data.centre, i);
    const last = table.drawn[i], td = table.cells[i];
    if (last[0] !== s) { if (td.firstChild) td.firstChild.nodeValue = s; else td.textContent = s; last[0] = s; }
    if (last[1] !== c) { td.style.background = c; last[1] = c; }
    if (last[2] !== differs) { td.classList.toggle("changed", differs); last[2] = differs; }
  }

  function draw(label, k) {
    pending = null;
    const f = framesOf(label);
    latest = { label, k };
    if (!table || !table.cells[0].isConnected) {
      if (parentElement.__table) parentElement.__table.observer.disconnect();
      table = parentElement.__table = statesTable(T, C, i => {
        if (latest) writeCell(i, framesOf(latest.label), latest.k);
      });
    }
    if (!table) { box.querySelector(".status").textContent = " (the states table is not shown)"; return; }
    const moved = new Uint8Array(size);
    let changed = 0;
    for (let i = 0; i < size; i++) {
      const differs = cellText(f, k, i) !== cellText(f, data.centre, i);
      moved[i] = differs ? 1 : 0;
      changed += moved[i];
      if (table.visible[i]) writeCell(i, f, k);
    }
    paintDiagram(f, k, moved);
    if (table.caption) {
      table.caption.textContent = `${changed} value(s) differ from ${entries.get(label).symbol} = ${f.values[data.centre]} (outlined).`;
    }
    show(label, k);
  }

  function scheduleDraw(label, k) {
    if (pending !== null) cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => draw(label, k));
  }

  function release(label, k) {
    if (pending !== null) { cancelAnimationFrame(pending); draw(label, k); }
    if (k !== data.centre) setTriggerValue("release", { id: entries.get(label).id, label, frame: k });
    else if (parentElement.__pageBehind) setTriggerValue("pick", { label, drag: false });
    parentElement.__pageBehind = false;  // either reruns the whole page
  }

  box.dataset.id = data.id;
  box.dataset.ready = "1";
  if (!parentElement.__dragging) {
    show(current, data.centre);
    paintDiagram(framesOf(current), data.centre);
  }
  if (!data.error) box.querySelector(".status").textContent = "";

  // Each new payload calls this function again on the same elements: the listeners of the last
  // call go (Streamlit calls the returned cleanup only when the component is removed).
  if (parentElement.__listeners) parentElement.__listeners.abort();
  const controller = parentElement.__listeners = new AbortController();
  const opts = { signal: controller.signal };
  range.addEventListener("input", () => {
    const k = Number(range.value);
    box.querySelector(".value").textContent = framesOf(current).values[k];
    scheduleDraw(current, k);
  }, opts);
  range.addEventListener("change", () => release(current, Number(range.value)), opts);

  const frameAt = (x) => Math.max(0, Math.min(2 * data.centre, data.centre + Math.round((x - drag.x0) / PX_PER_FRAME)));
  for (const [label, span] of spans) {
    span.addEventListener("pointerdown", ev => {
      ev.preventDefault();
      span.setPointerCapture(ev.pointerId);
      span.focus();
      drag = { label, x0: ev.clientX, x: ev.clientX, moved: false };
      parentElement.__dragging = drag;
      span.classList.add("dragging");
      if (!data.frames[label]) {  // no frames yet: ask for them, the drag goes on when they arrive
        box.querySelector(".status").textContent = " (computing…)";
        parentElement.__pageBehind = true;  // the server reruns only the scrub for these frames
        setTriggerValue("pick", { label, drag: true });
      } else {
        current = label;
      }
    }, opts);
    span.addEventListener("pointermove", ev => {
      if (!drag || drag.label !== label) return;
      drag.x = ev.clientX;
      drag.moved = drag.moved || Math.abs(drag.x - drag.x0) >= PX_PER_FRAME;
      if (data.frames[label] && drag.moved) scheduleDraw(label, frameAt(drag.x));
    }, opts);
    const end = () => {
      if (!drag || drag.label !== label) return;
      span.classList.remove("dragging");
      const k = data.frames[label] && drag.moved ? frameAt(drag.x) : null;
      drag = null;
      parentElement.__dragging = null;
      if (k === null) {  // a click chooses the number (and the page's nudge box shows it) unless
        if (label !== data.active || parentElement.__pageBehind) {  // a second click makes it a double-click
          clearTimeout(parentElement.__pickTimer);
          parentElement.__pickTimer = setTimeout(() => {
            parentElement.__pageBehind = false;
            setTriggerValue("pick", { label, drag: false });
          }, DOUBLE_CLICK_MS);
        }
        return;
      }
      release(label, k);
    };
    span.addEventListener("pointerup", end, opts);
    span.addEventListener("pointercancel", end, opts);
    span.addEventListener("keydown", ev => {
      if (ev.key === " ") { ev.preventDefault(); setTriggerValue("pick", { label, drag: false }); }
      else if (ev.key === "Enter" || ev.key === "F2") { ev.preventDefault(); openEditor(label, entries.get(label).text); }
      else if (ev.key.length === 1 && /[-+.\d]/.test(ev.key) && !ev.ctrlKey && !ev.metaKey) {
        ev.preventDefault();
        openEditor(label, ev.key);  // typing on a number starts replacing it, as in a spreadsheet
      }
    }, opts);
    span.addEventListener("dblclick", () => {
      clearTimeout(parentElement.__pickTimer);
      openEditor(label, entries.get(label).text);
    }, opts);
  }

  // Typing a number: Enter (or Tab, or leaving the box) sends the text, Escape keeps the old value.
  // When the text is one of the scrub's values, its frame is shown at once; the server then parses
  // the text (its rules, its messages) and recomputes.
  function openEditor(label, text, message) {
    const span = spans.get(label);
    const cell = span.parentElement;
    cell.querySelector("input.edit")?.remove();
    const input = element("input", "edit");
    Object.assign(input, { type: "text", value: text, spellcheck: false });
    input.setAttribute("aria-label", entries.get(label).symbol);
    span.hidden = true;
    cell.appendChild(input);
    input.focus();
    if (message) {
      input.classList.add("bad");
      input.setSelectionRange(text.length, text.length);
    } else {
      input.select();
    }
    let done = false;
    const close = () => { done = true; input.remove(); span.hidden = false; };
    const commit = () => {
      if (done) return;
      const typed = input.value;
      close();
      if (typed === entries.get(label).text && !message) return;
      const f = framesOf(label);
      const k = f ? f.values.indexOf(typed.trim()) : -1;
      if (k >= 0) { if (pending !== null) cancelAnimationFrame(pending); draw(label, k); }
      else span.textContent = typed;
      box.querySelector(".status").textContent = "";
      setTriggerValue("edit", { label, text: typed });
    };
    input.addEventListener("keydown", ev => {
      if (ev.key === "Enter") { ev.preventDefault(); commit(); span.focus(); }
      else if (ev.key === "Escape") {
        ev.preventDefault();
        close();
        span.focus();
        // a refused number goes back to the value the page still uses (and its message goes)
        if (message) setTriggerValue("edit", { label, text: entries.get(label).text });
      }
      else if (ev.key === "Tab") { commit(); }
    });
    input.addEventListener("blur", commit);
  }

  const refused = data.error;
  if (refused && spans.has(refused.label)) {
    const status = box.querySelector(".status");
    status.textContent = ` ${refused.message}`;
    status.setAttribute("role", "alert");
    openEditor(refused.label, refused.text, refused.message);
  }

  // A drag that started before this number's frames arrived goes on from where the pointer is.
  const waiting = parentElement.__dragging;
  if (waiting && data.frames[waiting.label]) {
    drag = waiting;
    current = waiting.label;
    spans.get(waiting.label).classList.add("dragging");
    if (drag.moved) scheduleDraw(drag.label, frameAt(drag.x));
  }
  return () => controller.abort();
}
