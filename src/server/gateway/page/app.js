// The page's behaviour: fills the pickers from the catalog routes, builds the same JSON requests
// a curl user would send, and draws what the service answers. It computes no amount itself:
// every number shown is a string from a response.
//
// For tests and scripts, <body> carries data-impact, data-compare and data-sensitivity
// ("busy", "done" or "error") and data-state ("ready" once the presets are loaded).
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  // The last requests run (for the downloads) and the last CalculateImpact result.
  const last = { impact: null, compare: null };
  let lastImpactResult = null;

  // The README's seed example: 2 kg of REE oxide per EV, priced before and after China's
  // 2025 export restrictions, under the 2026 US schedule.
  const SEED_BOM = {
    id: "ev-seed-example",
    currency: "USD",
    items: [
      { id: "nd", materialId: "nd-oxide", quantity: "1.8", unit: "UNIT_OF_MEASURE_KG" },
      { id: "dy", materialId: "dy-oxide", quantity: "0.2", unit: "UNIT_OF_MEASURE_KG" },
    ],
  };

  const EXAMPLES = {
    seed: {
      bomText: JSON.stringify(SEED_BOM, null, 2),
      baselinePrices: "ree-pre-restriction",
      scenarioPrices: "ree-post-restriction",
      baselineSchedule: "us-2026",
      scenarioSchedule: "",
      entryDate: "2026-03-02",
      scenarios: [
        { name: "REE prices after the restrictions", prices: "ree-post-restriction", schedule: "us-2026" },
        { name: "Same prices, 2025 tariffs carried forward", prices: "ree-post-restriction", schedule: "us-2025" },
        { name: "Prices unchanged, 2025 tariffs", prices: "ree-pre-restriction", schedule: "us-2025" },
      ],
      inputs: [
        { name: "Nd oxide price after restrictions", price: { materialId: "nd-oxide", side: "SIDE_SCENARIO" }, low: "150", base: "225", high: "300" },
        { name: "Dy oxide price after restrictions", price: { materialId: "dy-oxide", side: "SIDE_SCENARIO" }, low: "300", base: "485", high: "700" },
        { name: "REE mass, 1-2 kg", quantity: { itemPaths: ["nd", "dy"] }, low: "0.5", base: "1", high: "1" },
      ],
    },
    ev: {
      bomPreset: "ev-high-ree",
      baselinePrices: "ree-pre-restriction",
      scenarioPrices: "ree-post-restriction",
      baselineSchedule: "us-2025",
      scenarioSchedule: "us-2026",
      entryDate: "2026-03-02",
      unitsPerEntry: "500",
      annualVolume: "100000",
      scenarios: [
        { name: "2026 tariffs, prices after restrictions", prices: "ree-post-restriction", schedule: "us-2026" },
        { name: "2026 tariffs, prices before restrictions", prices: "ree-pre-restriction", schedule: "us-2026" },
        { name: "2025 tariffs, prices after restrictions", prices: "ree-post-restriction", schedule: "us-2025" },
      ],
      inputs: [
        { name: "REE mass per EV, 1-2 kg", quantity: { itemPaths: ["drive-unit/rotor-magnets/nd-oxide", "drive-unit/rotor-magnets/dy-oxide"] }, low: "0.5", base: "1", high: "1" },
        { name: "Dy oxide price after restrictions", price: { materialId: "dy-oxide", side: "SIDE_SCENARIO" }, low: "300", base: "485", high: "700" },
        { name: "Section 301 rate on magnets", rate: { measureId: "us-301-magnets-cn-2026", side: "SIDE_SCENARIO" }, low: "25", base: "25", high: "50" },
      ],
    },
    // A Japanese maker's EV with its yen-priced drive unit shipped by sea: the same prices and
    // schedule on both sides, the yen moved between the two H.10 releases (an FX effect alone);
    // metal content estimated, and the schedule's AD/CVD gap acknowledged as checked.
    jp: {
      bomPreset: "ev-jp-import",
      baselinePrices: "ree-pre-restriction",
      scenarioPrices: "",
      baselineSchedule: "us-hts-2026",
      scenarioSchedule: "",
      baselineFx: "fx-h10-2024-01-12",
      scenarioFx: "fx-h10-2024-02-02",
      entryDate: "2026-03-02",
      unitsPerEntry: "40",
      estimateMetal: true,
      acknowledgedGaps: ["ad-cvd"],
      // Each row is costed with the scenario FX deck above (fx-h10-2024-02-02).
      scenarios: [
        { name: "H.10 of 2024-02-02", prices: "ree-pre-restriction", schedule: "us-hts-2026" },
      ],
      inputs: [
        { name: "yen per dollar at exportation", fxRate: { baseCurrency: "USD", quoteCurrency: "JPY", side: "SIDE_SCENARIO" }, low: "140", base: "148.54", high: "160" },
        { name: "drive unit ocean freight", freight: { itemPaths: ["drive-unit"] }, low: "50", base: "75", high: "150" },
      ],
    },
  };

  // ---- calling the service ----------------------------------------------------------------

  /** Calls a route; resolves to the Response, or rejects with the status's message. */
  async function call(method, path, body, accept) {
    const headers = { accept: accept || "application/json" };
    const token = $("token").value.trim();
    if (token) headers.authorization = "Bearer " + token;
    if (body !== undefined) headers["content-type"] = "application/json";
    const resp = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!resp.ok) throw new Error(await statusText(resp));
    return resp;
  }

  // gRPC status code names by number (google.rpc.Code).
  const CODES = [
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED",
  ];

  /** The words of an error answer: its google.rpc.Status message and field violations. */
  async function statusText(resp) {
    let status;
    try {
      status = await resp.json();
    } catch (_) {
      return `HTTP ${resp.status}`;
    }
    const code = CODES[status.code] || `HTTP ${resp.status}`;
    const parts = [`${code}: ${status.message || ""}`];
    for (const d of status.details || []) {
      for (const v of d.fieldViolations || []) parts.push(`${v.field}: ${v.description}`);
    }
    return parts.join("\n");
  }

  const json = async (method, path, body) => (await call(method, path, body)).json();

  // ---- the form ---------------------------------------------------------------------------

  function fill(select, entries, blank) {
    select.textContent = "";
    if (blank) select.appendChild(new Option(blank, ""));
    for (const e of entries) {
      const label = e.name ? `${e.id} \u2014 ${e.name}` : e.id;
      const opt = new Option(label, e.id);
      opt.title = [e.description, e.source, e.asOfDate && "as of " + e.asOfDate].filter(Boolean).join("\n");
      select.appendChild(opt);
    }
  }

  const presets = { boms: [], priceDecks: [], tariffSchedules: [], fxDecks: [] };

  async function loadPresets() {
    const [boms, decks, schedules, fx] = await Promise.all([
      json("GET", "/v1/boms"),
      json("GET", "/v1/priceDecks"),
      json("GET", "/v1/tariffSchedules"),
      json("GET", "/v1/fxDecks"),
    ]);
    presets.boms = boms.boms || [];
    presets.priceDecks = decks.priceDecks || [];
    presets.tariffSchedules = schedules.tariffSchedules || [];
    presets.fxDecks = fx.fxDecks || [];
    // Empty: no deck sent (the baseline needs one only for amounts in another currency; the
    // scenario then uses the baseline's).
    fill($("baseline-fx"), presets.fxDecks, "(none)");
    fill($("scenario-fx"), presets.fxDecks, "(the baseline FX deck)");
    fill($("bom-preset"), presets.boms);
    fill($("baseline-prices"), presets.priceDecks);
    fill($("scenario-prices"), presets.priceDecks, "(the baseline prices)");
    fill($("baseline-schedule"), presets.tariffSchedules);
    fill($("scenario-schedule"), presets.tariffSchedules, "(the baseline schedule)");
  }

  function bomMode() {
    return document.querySelector('input[name="bom-mode"]:checked').value;
  }

  function setBomMode(mode) {
    document.querySelector(`input[name="bom-mode"][value="${mode}"]`).checked = true;
  }

  /** The request's BOM: a preset id, pasted JSON, or CSV read by the server (ParseBomCsv). */
  async function bomSource() {
    if (bomMode() === "preset") return { bomId: $("bom-preset").value };
    const text = $("bom-text").value.trim();
    if (!text) throw new Error("bom: paste or upload a BOM, or pick a preset");
    if (text.startsWith("{")) {
      let bom;
      try {
        bom = JSON.parse(text);
      } catch (e) {
        throw new Error("bom: not valid JSON: " + e.message);
      }
      return { bom: bom.bom || bom };
    }
    const name = $("bom-file").files[0]?.name.replace(/\.[^.]*$/, "") || "uploaded-bom";
    const parsed = await json("POST", "/v1/boms:parseCsv", { csv: text, bomId: name });
    $("bom-note").textContent = `CSV read by the server: ${parsed.bom.items?.length || 0} top-level items`;
    return { bom: parsed.bom };
  }

  function optionalJson(id, what) {
    const text = $(id).value.trim();
    if (!text) return undefined;
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new Error(`${what}: not valid JSON: ${e.message}`);
    }
  }

  function options() {
    const o = { entryDate: $("entry-date").value };
    if ($("scenario-entry-date").value) o.scenarioEntryDate = $("scenario-entry-date").value;
    if ($("units-per-entry").value.trim()) o.unitsPerEntry = $("units-per-entry").value.trim();
    if ($("annual-volume").value.trim()) o.annualVolume = $("annual-volume").value.trim();
    if ($("estimate-metal").checked) o.estimateMetalContent = true;
    const gaps = $("acknowledged-gaps").value.split(/[\s,]+/).filter(Boolean);
    if (gaps.length) o.acknowledgedGaps = gaps;
    return o;
  }

  /** The CalculateImpactRequest the form describes, in proto3 JSON. */
  async function impactRequest() {
    const req = { ...(await bomSource()) };
    req.baselinePricesId = $("baseline-prices").value;
    if ($("scenario-prices").value) req.scenarioPricesId = $("scenario-prices").value;
    req.baselineScheduleId = $("baseline-schedule").value;
    if ($("scenario-schedule").value) req.scenarioScheduleId = $("scenario-schedule").value;
    const overlay = optionalJson("overlay", "scenario overlay");
    if (overlay) req.scenarioScheduleOverlay = overlay;
    if ($("baseline-fx").value) req.baselineFxId = $("baseline-fx").value;
    if ($("scenario-fx").value) req.scenarioFxId = $("scenario-fx").value;
    req.options = options();
    return req;
  }

  // ---- running an action ------------------------------------------------------------------

  /** Runs `work` for panel `name`, showing its progress and error in `statusId`. */
  async function run(name, statusId, work) {
    const status = $(statusId);
    document.body.dataset[name] = "busy";
    status.className = "busy";
    status.textContent = "Calculating\u2026";
    try {
      const note = await work();
      status.className = "ok";
      status.textContent = note || "";
      document.body.dataset[name] = "done";
    } catch (e) {
      status.className = "error";
      status.textContent = e.message;
      document.body.dataset[name] = "error";
    }
  }

  function money(m) {
    return m ? TariffCharts.grouped(m.amount) + " " + (m.currency || "") : "\u2014";
  }

  function summary(dl, rows) {
    dl.textContent = "";
    for (const [term, value, key] of rows) {
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.textContent = value;
      if (key) dd.dataset.key = key;
      dl.append(dt, dd);
    }
  }

  function listInto(ul, items) {
    ul.textContent = "";
    for (const text of items) {
      const li = document.createElement("li");
      li.textContent = text;
      ul.appendChild(li);
    }
  }

  // ---- CalculateImpact --------------------------------------------------------------------

  async function calculate() {
    await run("impact", "status", async () => {
      const req = await impactRequest();
      const r = await json("POST", "/v1/impact:calculate", req);
      last.impact = req;
      showImpact(r);
      return `Done: delta ${money(r.delta)}.`;
    });
  }

  const zero = (m) => (m && m.amount) || "0";
  // Whether an amount string is not zero (read from its digits, nothing computed).
  const nonZero = (m) => /[1-9]/.test((m && m.amount) || "");

  function showImpact(r) {
    lastImpactResult = r;
    $("result").hidden = false;
    const c = r.currency;
    $("result-title").textContent = `(${r.inputs?.bomId || ""}, ${c})`;
    summary($("summary"), [
      ["Baseline unit cost", money(r.baselineUnitCost), "baseline"],
      ["Scenario unit cost", money(r.scenarioUnitCost), "scenario"],
      // No percent when the API gives none (a zero baseline has no percent change).
      ["Change", money(r.delta) + (r.deltaPercent ? ` (${r.deltaPercent}%)` : ""), "delta"],
      ...(r.annualImpact ? [["Annual impact", money(r.annualImpact), "annual"]] : []),
      ...landedCosts(r),
    ]);
    const e = r.effects || {};
    const used = r.inputs || {};
    // The FX step shows when FX decks were used or the exchange rates moved the cost.
    const fx = used.baselineFx || used.scenarioFx || nonZero(e.fxEffect)
      ? [{ key: "fx", label: "FX effect", amount: zero(e.fxEffect) }]
      : [];
    TariffCharts.waterfall(
      $("waterfall"),
      [
        { key: "baseline", label: "Baseline", amount: zero(r.baselineUnitCost), total: true },
        { key: "price", label: "Price effect", amount: zero(e.priceEffect) },
        ...fx,
        { key: "tariff", label: "Tariff effect", amount: zero(e.tariffEffect) },
        { key: "interaction", label: "Interaction", amount: zero(e.interaction) },
        { key: "scenario", label: "Scenario", amount: zero(r.scenarioUnitCost), total: true },
      ],
      c,
    );
    TariffCharts.bars(
      $("measures"),
      (r.measures || []).map((m) => ({
        label: m.name ? `${m.measureId}: ${m.name}` : m.measureId,
        values: [
          { series: "baseline", amount: zero(m.baselineAmount) },
          { series: "scenario", amount: zero(m.scenarioAmount) },
        ],
      })),
      "Duties and fees per unit by measure",
      ["baseline", "scenario"],
    );
    TariffCharts.bars(
      $("materials"),
      (r.materials || []).map((m) => ({
        label: m.name || m.materialId,
        values: [
          { series: "baseline", amount: zero(m.baselineCost) },
          { series: "scenario", amount: zero(m.scenarioCost) },
        ],
      })),
      "Material cost per unit",
      ["baseline", "scenario"],
    );
    const gaps = r.coverageGaps || [];
    listInto(
      $("gaps"),
      gaps.length
        ? gaps.map((g) => `${g.acknowledged ? "(acknowledged) " : ""}${g.path} ${g.htsCode} ${g.origin}: ${g.description}`)
        : ["Every imported line is covered by the schedules used."],
    );
    listInto($("notes"), r.notes || []);
    listInto(
      $("inputs-used"),
      ["baselinePrices", "scenarioPrices", "baselineSchedule", "scenarioSchedule", "baselineFx", "scenarioFx"]
        .filter((k) => used[k])
        .map((k) => `${k}: ${used[k].id}${used[k].asOfDate ? " as of " + used[k].asOfDate : ""} \u2014 ${used[k].source || ""}`),
    );
  }

  /** Summary rows of the landed-cost subtotals (freight, insurance, brokerage), baseline ->
   * scenario, each shown when it is not zero on either side. */
  function landedCosts(r) {
    const b = r.baselineTotals || {}, s = r.scenarioTotals || {};
    return [["freight", "Freight"], ["insurance", "Insurance"], ["brokerage", "Brokerage"]]
      .filter(([k]) => nonZero(b[k]) || nonZero(s[k]))
      .map(([k, label]) => [label, `${money(b[k])} \u2192 ${money(s[k])}`, k]);
  }

  // ---- CompareScenarios -------------------------------------------------------------------

  function scenarioRow(s) {
    const tr = document.createElement("tr");
    const cell = (node) => {
      const td = document.createElement("td");
      td.appendChild(node);
      tr.appendChild(td);
      return node;
    };
    const name = cell(Object.assign(document.createElement("input"), { value: s.name || "" }));
    name.className = "name";
    const prices = cell(document.createElement("select"));
    fill(prices, presets.priceDecks);
    prices.value = s.prices || $("scenario-prices").value || $("baseline-prices").value;
    const schedule = cell(document.createElement("select"));
    fill(schedule, presets.tariffSchedules);
    schedule.value = s.schedule || $("scenario-schedule").value || $("baseline-schedule").value;
    cell(Object.assign(document.createElement("input"), { type: "date", value: s.entryDate || "" }));
    cell(Object.assign(document.createElement("input"), { value: s.overlay || "", className: "overlay" }));
    const remove = cell(Object.assign(document.createElement("button"), { type: "button", textContent: "Remove" }));
    remove.addEventListener("click", () => tr.remove());
    $("scenario-table").tBodies[0].appendChild(tr);
  }

  function scenarios() {
    return [...$("scenario-table").tBodies[0].rows].map((tr, i) => {
      const [name, prices, schedule, date, overlay] = tr.querySelectorAll("input, select");
      const s = { name: name.value.trim(), pricesId: prices.value, scheduleId: schedule.value };
      if (date.value) s.entryDate = date.value;
      if ($("scenario-fx").value) s.fxId = $("scenario-fx").value;
      if (overlay.value.trim()) {
        try {
          s.scheduleOverlay = JSON.parse(overlay.value);
        } catch (e) {
          throw new Error(`scenarios[${i}] overlay: not valid JSON: ${e.message}`);
        }
      }
      return s;
    });
  }

  async function compare() {
    await run("compare", "compare-status", async () => {
      const base = await impactRequest();
      const req = {
        ...(base.bomId ? { bomId: base.bomId } : { bom: base.bom }),
        baselinePricesId: base.baselinePricesId,
        baselineScheduleId: base.baselineScheduleId,
        ...(base.baselineFxId ? { baselineFxId: base.baselineFxId } : {}),
        options: base.options,
        scenarios: scenarios(),
      };
      const r = await json("POST", "/v1/scenarios:compare", req);
      last.compare = req;
      const ranked = [...(r.scenarios || [])].sort((a, b) => a.rank - b.rank);
      TariffCharts.bars(
        $("compare-chart"),
        ranked.map((s) => ({
          label: `#${s.rank} ${s.name}`,
          values: [{ series: "delta", amount: zero(s.result.delta) }],
        })),
        "Change in unit cost per scenario, largest first (rank 1)",
      );
      $("compare-downloads").hidden = false;
      return `Ranked ${ranked.length} scenarios by their change in unit cost (rank 1: the largest).`;
    });
  }

  // ---- AnalyzeSensitivity -----------------------------------------------------------------

  /** `value` x (100 + percent) / 100, exactly, as a decimal string (percent an integer). */
  function scaled(value, percent) {
    const [int, frac = ""] = String(value).split(".");
    const digits = (BigInt(int + frac) * BigInt(100 + percent)).toString();
    const places = frac.length + 2;
    const padded = digits.padStart(places + 1, "0");
    const out = `${padded.slice(0, -places)}.${padded.slice(-places)}`;
    return out.replace(/0+$/, "").replace(/\.$/, "");
  }

  function suggestInputs() {
    const r = lastImpactResult;
    const pct = Number.parseInt($("suggest-percent").value, 10);
    if (!r) return setStatus("sensitivity-status", "error", "Calculate first: suggestions come from a result.");
    if (!(pct > 0 && pct < 100)) return setStatus("sensitivity-status", "error", "The percent must be a whole number from 1 to 99.");
    const inputs = (r.materials || [])
      .filter((m) => m.scenarioPrice && !m.scenarioPrice.amount.startsWith("-"))
      .map((m) => {
        const base = m.scenarioPrice.exact || m.scenarioPrice.amount;
        return {
          name: `${m.name || m.materialId} scenario price \u00b1${pct}%`,
          price: { materialId: m.materialId, side: "SIDE_SCENARIO" },
          low: scaled(base, -pct),
          base,
          high: scaled(base, pct),
        };
      });
    $("sensitivity-inputs").value = JSON.stringify(inputs, null, 2);
    setStatus("sensitivity-status", "ok", `${inputs.length} inputs suggested.`);
  }

  function setStatus(id, cls, text) {
    $(id).className = cls;
    $(id).textContent = text;
  }

  async function sensitivity() {
    await run("sensitivity", "sensitivity-status", async () => {
      const inputs = optionalJson("sensitivity-inputs", "uncertain inputs");
      if (!Array.isArray(inputs)) throw new Error("uncertain inputs: give a JSON list of UncertainInput");
      const calculation = await impactRequest();
      const r = await json("POST", "/v1/impact:analyzeSensitivity", { calculation, inputs });
      summary($("bounds"), [
        ["Change at base", money(r.base?.delta), "base"],
        ["Lower bound", money(r.deltaLowerBound), "lower"],
        ["Upper bound", money(r.deltaUpperBound), "upper"],
        ["All inputs low", money(r.deltaAllLow), "all-low"],
        ["All inputs high", money(r.deltaAllHigh), "all-high"],
        ["Bounds", r.converged ? `converged after ${r.evaluations} evaluations` : `not converged (${r.evaluations} evaluations): rounded outward`],
      ]);
      TariffCharts.tornado(
        $("tornado"),
        (r.tornado || []).map((b) => ({ name: b.name, low: zero(b.deltaAtLow), high: zero(b.deltaAtHigh) })),
        zero(r.base?.delta),
        "Change in unit cost with each input swung alone",
      );
      $("method").textContent = r.method || "";
      return `Analyzed ${(r.tornado || []).length} inputs.`;
    });
  }

  // ---- downloads --------------------------------------------------------------------------

  async function download(kind, format) {
    const req = last[kind];
    const statusId = kind === "impact" ? "status" : "compare-status";
    if (!req) return setStatus(statusId, "error", "Run it first.");
    const path = kind === "impact" ? "/v1/impact:calculate" : "/v1/scenarios:compare";
    const accept = { csv: "text/csv", xlsx: XLSX, json: "application/json" }[format];
    try {
      const blob = await (await call("POST", path, req, accept)).blob();
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = `${kind === "impact" ? "impact" : "comparison"}.${format}`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 60000);
    } catch (e) {
      setStatus(statusId, "error", e.message);
    }
  }

  // ---- examples and wiring ----------------------------------------------------------------

  function useExample(name) {
    const ex = EXAMPLES[name];
    if (ex.bomPreset) {
      setBomMode("preset");
      $("bom-preset").value = ex.bomPreset;
    } else {
      setBomMode("inline");
      $("bom-text").value = ex.bomText;
    }
    $("baseline-prices").value = ex.baselinePrices;
    $("scenario-prices").value = ex.scenarioPrices || "";
    $("baseline-schedule").value = ex.baselineSchedule;
    $("scenario-schedule").value = ex.scenarioSchedule || "";
    $("overlay").value = "";
    $("baseline-fx").value = ex.baselineFx || "";
    $("scenario-fx").value = ex.scenarioFx || "";
    $("entry-date").value = ex.entryDate;
    $("scenario-entry-date").value = "";
    $("units-per-entry").value = ex.unitsPerEntry || "";
    $("annual-volume").value = ex.annualVolume || "";
    $("estimate-metal").checked = Boolean(ex.estimateMetal);
    $("acknowledged-gaps").value = (ex.acknowledgedGaps || []).join(", ");
    $("scenario-table").tBodies[0].textContent = "";
    ex.scenarios.forEach(scenarioRow);
    $("sensitivity-inputs").value = JSON.stringify(ex.inputs, null, 2);
    return calculate();
  }

  async function readFile() {
    const file = $("bom-file").files[0];
    if (!file) return;
    $("bom-text").value = await file.text();
    setBomMode("inline");
    $("bom-note").textContent = `${file.name}: ${file.size} bytes`;
  }

  function wire() {
    $("calculate").addEventListener("click", calculate);
    $("example-seed").addEventListener("click", () => useExample("seed"));
    $("example-ev").addEventListener("click", () => useExample("ev"));
    $("example-jp").addEventListener("click", () => useExample("jp"));
    $("bom-file").addEventListener("change", readFile);
    $("bom-text").addEventListener("input", () => setBomMode("inline"));
    $("bom-preset").addEventListener("change", () => setBomMode("preset"));
    $("add-scenario").addEventListener("click", () => scenarioRow({ name: `Scenario ${$("scenario-table").tBodies[0].rows.length + 1}` }));
    $("run-compare").addEventListener("click", compare);
    $("suggest-inputs").addEventListener("click", suggestInputs);
    $("run-sensitivity").addEventListener("click", sensitivity);
    for (const b of document.querySelectorAll("[data-download]")) {
      b.addEventListener("click", () => download(b.dataset.download, b.dataset.format));
    }
  }

  /** Loads the presets; on failure (e.g. UNAUTHENTICATED before the token is typed) says so,
   * and a new token tries again. */
  let loads = 0;

  /** Today in the browser's time zone, YYYY-MM-DD. */
  function today() {
    const d = new Date();
    const two = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
  }

  async function ready() {
    // Only the latest load may set the state: an earlier one (e.g. without the token) that
    // fails late must not undo it.
    const load = ++loads;
    document.body.dataset.state = "loading";
    try {
      await loadPresets();
      if (load !== loads) return;
      if (!$("entry-date").value) $("entry-date").value = today();
      setStatus("status", "", "");
      document.body.dataset.state = "ready";
    } catch (e) {
      if (load !== loads) return;
      setStatus("status", "error", "Could not load the presets: " + e.message +
        (e.message.startsWith("UNAUTHENTICATED") ? "\nType the bearer token at the top right." : ""));
      document.body.dataset.state = "error";
    }
  }

  function start() {
    wire();
    $("token").addEventListener("change", () => {
      if (document.body.dataset.state !== "ready") ready();
    });
    return ready();
  }

  start();
})();
