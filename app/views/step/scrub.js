// The scrub: a range input over frames that NumPy computed before the drag (app/scrub.py).
// While it moves, the page's states table (app.tables.states_html) gets the frame's numbers and
// colours in place, at most once per animation frame; no server round trip. On release the
// frame's index goes back to Python, which recomputes and redraws the page for real.
// Every string shown here is set as text (textContent), never parsed as HTML.

function decode(data) {
  if (data.encoding === "text") return { text: data.frames };
  const raw = atob(data.frames);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  const ints = data.encoding === "int16" ? new Int16Array(bytes.buffer) : new Int32Array(bytes.buffer);
  return { ints };
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

function stateCells(T, C) {
  const rows = document.querySelectorAll("[data-testid=stHtml] .states tbody tr");
  if (rows.length !== T) return null;
  const cells = [];
  for (const row of rows) {
    const tds = row.querySelectorAll("td");
    if (tds.length !== C) return null;
    cells.push(...tds);
  }
  return cells;
}

function build(root) {
  const box = document.createElement("div");
  box.className = "scrub";
  box.innerHTML =
    '<div class="head"><span class="symbol"></span> = <output class="value"></output>' +
    '<span class="status"></span></div>' +
    '<input class="range" type="range" min="0" step="1">' +
    '<div class="ends"><span class="lo"></span><span class="hint">drag: every state below follows; ' +
    'release to keep the value</span><span class="hi"></span></div>';
  root.appendChild(box);
  return box;
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const box = parentElement.querySelector(".scrub") || build(parentElement);
  const range = box.querySelector(".range");
  const { ints, text } = decode(data);
  const K = data.values.length, T = data.T, C = data.C, size = T * C;
  const scale = 10 ** data.digits;
  let cells = null, rest = null, pending = null, shown = data.centre;

  box.querySelector(".symbol").textContent = data.symbol;
  box.querySelector(".lo").textContent = data.values[0];
  box.querySelector(".hi").textContent = data.values[K - 1];
  range.max = String(K - 1);
  range.value = String(data.centre);
  box.querySelector(".value").textContent = data.values[data.centre];
  box.dataset.id = data.id;
  box.dataset.frame = String(data.centre);
  box.dataset.ready = "1";

  const cellText = (k, i) => (text ? text[k][Math.floor(i / C)][i % C] : formatted(ints[k * size + i], data.digits, data.sentinels));
  const cellValue = (k, i) => (text ? Number(cellText(k, i)) : ints[k * size + i] / scale);

  function draw(k) {
    pending = null;
    if (!cells || !cells[0].isConnected) {  // a rerun redraws the table with new elements
      cells = stateCells(T, C);
      if (!cells) { box.querySelector(".status").textContent = " (the states table is not shown)"; return; }
      rest = cells.map((_, i) => cellText(data.centre, i));
    }
    let changed = 0;
    for (let i = 0; i < size; i++) {
      const s = cellText(k, i);
      const td = cells[i];
      if (td.textContent !== s) td.textContent = s;
      td.style.background = colour(cellValue(k, i), data.vmax[k]);
      const differs = s !== rest[i];
      changed += differs;
      td.classList.toggle("changed", differs);
    }
    const caption = document.querySelector("[data-testid=stHtml] .states p");
    if (caption) caption.textContent = `${changed} value(s) differ from ${data.symbol} = ${data.values[data.centre]} (outlined).`;
    box.querySelector(".value").textContent = data.values[k];
    box.dataset.frame = String(k);
    shown = k;
  }

  const controller = new AbortController();
  const opts = { signal: controller.signal };
  range.addEventListener("input", () => {
    const k = Number(range.value);
    if (pending === null) pending = requestAnimationFrame(() => draw(Number(range.value)));
    box.querySelector(".value").textContent = data.values[k];
  }, opts);
  range.addEventListener("change", () => {
    if (pending !== null) { cancelAnimationFrame(pending); draw(Number(range.value)); }
    if (shown !== data.centre) setTriggerValue("release", { id: data.id, frame: shown });
  }, opts);
  return () => controller.abort();
}
