// The practice page's grading: the rounding rule, the precision policy and error carried forward, as
// nnsteps/lms/pl_grading.py (and so `nnsteps check`) does it. STEPS (printed by SymPy's JavaScript code printer from
// the derivation's formulas) recomputes every step from the student's own earlier numbers.
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("nnsteps-practice").textContent);
  var NOISE = 1e-9;
  var DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
  var FRACTION = /^([+-]?\d+)\s*\/\s*(\d+)$/;

  // [value, exponent of the last written digit, BigInt mantissa (value = mantissa 10^exponent)]; a fraction p/q is
  // [value, null, [p, q]]; null when it is not a number
  function parse(text) {
    text = String(text == null ? "" : text).trim().replace(/\u2212/g, "-").replace(/_/g, "");
    var f = FRACTION.exec(text);
    if (f) {
      var q = BigInt(f[2]);
      return q ? [Number(f[1]) / Number(f[2]), null, [BigInt(f[1]), q]] : null;
    }
    var m = DECIMAL.exec(text);
    if (!m || !(m[2] || m[3])) { return null; }
    var value = Number(text);
    if (!isFinite(value)) { return null; }
    var decimals = m[3] || "";
    return [value, parseInt(m[4] || "0", 10) - decimals.length, BigInt(m[1] + ((m[2] || "") + decimals || "0"))];
  }
  function noise(t) { return Math.abs(t) * NOISE + 1e-15; }
  function abs(n) { return n < 0n ? -n : n; }
  // [2|theirs - correct|, the unit of the last written digit, |theirs| > |correct|], scaled to integers
  function exactCompare(a, exact) {
    var p = BigInt(exact[0]), q = BigInt(exact[1]);
    if (a[1] === null) { return [2n * abs(a[2][0] * q - p * a[2][1]), 0n, false]; }
    var scale = 10n ** BigInt(Math.abs(a[1])), theirs, correct, unit;
    if (a[1] <= 0) { theirs = a[2] * q; correct = p * scale; unit = q; }
    else { theirs = a[2] * scale * q; correct = p; unit = scale * q; }
    return [2n * abs(theirs - correct), unit, abs(theirs) > abs(correct)];
  }
  function roundsRight(a, t, exact) {
    if (exact) {
      var c = exactCompare(a, exact);
      if (a[1] === null || a[0] === 0) { return c[0] === 0n; }
      return c[0] < c[1] || (c[0] === c[1] && c[2]);  // a half rounds away from zero
    }
    if (!isFinite(t)) { return false; }
    if (a[1] === null) { return Math.abs(a[0] - t) <= noise(t); }
    if (a[0] === 0) { return Math.abs(t) <= noise(t); }
    return Math.abs(a[0] - t) <= 0.5 * Math.pow(10, a[1]) * (1 + 1e-12) + noise(t);
  }
  function significant(a) {
    if (a[1] === null || a[0] === 0) { return null; }
    return abs(a[2]).toString().length;
  }
  function isExact(a, t, exact) {
    return exact ? exactCompare(a, exact)[0] === 0n : Math.abs(a[0] - t) <= noise(t);
  }
  function status(a, t, digits, exact) {
    if (!roundsRight(a, t, exact)) { return "wrong"; }
    var written = significant(a);
    if (written === null || written >= digits || isExact(a, t, exact)) { return "right"; }
    return "too coarse";
  }
  function close(a, value) {
    if (!isFinite(value)) { return false; }
    var unit = a[1] === null ? 1e-6 * Math.max(Math.abs(value), 1e-12) : Math.pow(10, a[1]);
    return Math.abs(a[0] - value) <= unit * (1 + 1e-9);
  }
  function reproduces(a, value, reference) {
    return isFinite(value) && (roundsRight(a, value, null) || (close(a, value) && !close(a, reference)));
  }
  function recompute(overrides) {
    var computed = [], used = [];
    for (var i = 0; i < STEPS.length; i++) {
      var n = STEPS[i] === null ? DATA.values[i] : Number(STEPS[i](used));
      computed.push(n);
      used.push(Object.prototype.hasOwnProperty.call(overrides, i) ? overrides[i] : n);
    }
    return computed;
  }
  // written: {quantity name: text}; a blank field is not graded
  function grade(written) {
    var rows = [], overrides = {}, parsed = [], statuses = [], seen = [];
    DATA.questions.forEach(function (q, i) {
      var text = written[q.name];
      parsed[i] = text === undefined || String(text).trim() === "" ? undefined : parse(text);
      statuses[i] = parsed[i] === undefined ? "blank" : parsed[i] === null ? "not a number" : status(parsed[i], q.key, DATA.digits, q.exact);
      if (statuses[i] === "wrong") { overrides[q.node] = parsed[i][0]; }
    });
    var computed = recompute(overrides);
    DATA.questions.forEach(function (q, i) {
      var row = { name: q.name, status: statuses[i], first_wrong: false, carried: false, carried_from: [], mistakes: [] };
      if (statuses[i] === "wrong") {
        row.first_wrong = seen.length === 0;
        if (seen.length && reproduces(parsed[i], computed[q.node], q.key)) {
          row.carried = true;
          row.carried_from = seen.slice();
        } else {
          q.diagnoses.forEach(function (d) {
            if (reproduces(parsed[i], d.raw, q.key) && row.mistakes.indexOf(d.description) < 0) { row.mistakes.push(d.description); }
          });
        }
        seen.push(q.name);
      }
      rows.push(row);
    });
    return rows;
  }
  window.nnstepsGrade = grade;

  function fields() {
    var written = {};
    document.querySelectorAll("input.answer").forEach(function (input) { written[input.dataset.name] = input.value; });
    return written;
  }
  function show() {
    var rows = grade(fields()), first = null;
    rows.forEach(function (row, i) {
      var cell = document.getElementById("verdict-" + i);
      var text = { "blank": "", "right": "\u2713 right", "too coarse": "too coarse: write at least " + DATA.digits +
                   " significant digits", "wrong": "\u2717 wrong", "not a number": "not a number" }[row.status];
      if (row.first_wrong) { text += " \u2014 the first wrong step"; first = row; }
      if (row.carried) { text += " \u2014 carried: right given your " + row.carried_from.join(", "); }
      if (row.mistakes.length) { text += " \u2014 likely mistake: " + row.mistakes.join("; or "); }
      cell.textContent = text;
      cell.dataset.status = row.status;
      cell.dataset.carried = row.carried ? "yes" : "no";
      cell.dataset.first = row.first_wrong ? "yes" : "no";
    });
    var right = rows.filter(function (r) { return r.status === "right"; }).length;
    document.getElementById("summary").textContent = right + " of " + rows.length + " right" +
      (first ? "; the first wrong step is " + first.name : "");
  }
  function download() {
    var written = fields(), lines = ["# answers from the practice page; check them with: nnsteps check spec.toml answers.toml",
      "[meta]", "variant = " + DATA.variant, "", "[answers]"];
    DATA.questions.forEach(function (q) {
      var text = String(written[q.name] || "").trim().replace(/\u2212/g, "-");
      if (text && parse(text)) { lines.push(JSON.stringify(q.name) + " = " + JSON.stringify(text)); }
    });
    var link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([lines.join("\n") + "\n"], { type: "application/toml" }));
    link.download = "answers.toml";
    document.body.appendChild(link);
    link.click();
    link.remove();
  }
  document.querySelectorAll("input.answer").forEach(function (input) { input.addEventListener("input", show); });
  document.getElementById("download").addEventListener("click", download);
  show();
})();
