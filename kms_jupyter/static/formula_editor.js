// Built from js/src by `cd js && npm run build`; do not edit by hand.

// src/tokenize.js
var NAME_START = /[\p{L}_]/u;
var NAME_CHAR = /[\p{L}\p{N}_.]/u;
var DIGIT = /[0-9]/;
var SPACE = /\s/;
var PY_KEYWORDS = /* @__PURE__ */ new Set([
  "False",
  "None",
  "True",
  "and",
  "as",
  "assert",
  "async",
  "await",
  "break",
  "class",
  "continue",
  "def",
  "del",
  "elif",
  "else",
  "except",
  "finally",
  "for",
  "from",
  "global",
  "if",
  "import",
  "in",
  "is",
  "lambda",
  "nonlocal",
  "not",
  "or",
  "pass",
  "raise",
  "return",
  "try",
  "while",
  "with",
  "yield"
]);
var KNOWN_FUNCTIONS = [
  "top",
  "C",
  "I",
  "Q",
  "log",
  "log2",
  "log10",
  "exp",
  "exp2",
  "exp10",
  "center",
  "scale",
  "standardize",
  "poly",
  "bs",
  "cc",
  "cr",
  "cs",
  "lag",
  "hashed",
  "Treatment",
  "Sum",
  "Helmert",
  "Diff",
  "Poly"
];
function isKnownFunction(name, known = KNOWN_FUNCTIONS) {
  return known.includes(name) || /^(np|contr)\.[\p{L}_][\p{L}\p{N}_.]*$/u.test(name);
}
function needsQuoting(name) {
  return !/^[\p{L}_][\p{L}\p{N}_]*$/u.test(name) || PY_KEYWORDS.has(name);
}
function quoteName(name) {
  if (!needsQuoting(name)) return name;
  return "`" + name.replace(/[\\`]/g, "\\$&") + "`";
}
function readQuoted(text, i, quote) {
  let j = i + 1;
  let value = "";
  while (j < text.length) {
    const c = text[j];
    if (c === "\\" && j + 1 < text.length) {
      value += text[j + 1];
      j += 2;
      continue;
    }
    if (c === quote) return [j + 1, value, true];
    value += c;
    j += 1;
  }
  return [j, value, false];
}
function tokenize(text) {
  const tokens = [];
  let i = 0;
  const n = text.length;
  const push = (type, start, end, extra = {}) => {
    const raw = text.slice(start, end);
    tokens.push({ type, text: raw, value: raw, start, end, ...extra });
  };
  while (i < n) {
    const c = text[i];
    if (SPACE.test(c)) {
      i += 1;
      continue;
    }
    if (c === "`") {
      const [end, value, closed] = readQuoted(text, i, "`");
      push("name", i, end, { value, quoted: true, closed });
      i = end;
      continue;
    }
    if (c === "'" || c === '"') {
      const [end, value, closed] = readQuoted(text, i, c);
      push("string", i, end, { value, closed });
      i = end;
      continue;
    }
    if (c === "{") {
      let depth = 0;
      let j = i;
      for (; j < n; j += 1) {
        if (text[j] === "{") depth += 1;
        else if (text[j] === "}") {
          depth -= 1;
          if (depth === 0) break;
        }
      }
      const closed = j < n;
      const end = closed ? j + 1 : n;
      push("python", i, end, { value: text.slice(i + 1, closed ? j : n), closed });
      i = end;
      continue;
    }
    if (DIGIT.test(c) || c === "." && i + 1 < n && DIGIT.test(text[i + 1])) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i));
      const end = i + m[0].length;
      push("number", i, end, { value: Number(m[0]) });
      i = end;
      continue;
    }
    if (NAME_START.test(c) || c === "." && i + 1 < n && NAME_START.test(text[i + 1])) {
      let j = i + 1;
      while (j < n && NAME_CHAR.test(text[j])) j += 1;
      let k = j;
      while (k < n && SPACE.test(text[k])) k += 1;
      push(k < n && text[k] === "(" ? "func" : "name", i, j);
      i = j;
      continue;
    }
    if (c === ".") {
      push("dot", i, i + 1);
      i += 1;
      continue;
    }
    if (c === "(") {
      push("lparen", i, i + 1);
      i += 1;
      continue;
    }
    if (c === ")") {
      push("rparen", i, i + 1);
      i += 1;
      continue;
    }
    if (c === ",") {
      push("comma", i, i + 1);
      i += 1;
      continue;
    }
    if (c === "*" && text[i + 1] === "*") {
      push("op", i, i + 2);
      i += 2;
      continue;
    }
    if (c === "%") {
      const j = text.indexOf("%", i + 1);
      const end = j === -1 ? n : j + 1;
      push("op", i, end, { closed: j !== -1 });
      i = end;
      continue;
    }
    if ("~+-*/:^=|".includes(c)) {
      push("op", i, i + 1);
      i += 1;
      continue;
    }
    const cp = text.codePointAt(i);
    const width = cp > 65535 ? 2 : 1;
    push("unknown", i, i + width);
    i += width;
  }
  return tokens;
}
function annotate(tokens) {
  const stack = [];
  let side = "lhs";
  tokens.forEach((t, idx) => {
    const frame = stack[stack.length - 1];
    t.depth = stack.length;
    t.func = frame ? frame.func : null;
    t.arg = frame ? frame.arg : 0;
    t.side = side;
    if (t.type === "op" && t.value === "~" && stack.length === 0 && side === "lhs") side = "rhs";
    if (t.type === "lparen") {
      const prev = tokens[idx - 1];
      stack.push({ func: prev && prev.type === "func" ? prev.value : null, arg: 0 });
    } else if (t.type === "rparen") {
      stack.pop();
    } else if (t.type === "comma" && frame) {
      frame.arg += 1;
    } else if (t.type === "name") {
      const next = tokens[idx + 1];
      const prev = tokens[idx - 1];
      if (frame && frame.func && next && next.type === "op" && next.value === "=") t.role = "keyword";
      else if (frame && frame.func && frame.arg > 0) t.role = "arg";
      else t.role = "column";
      t.negated = Boolean(prev && prev.type === "op" && prev.value === "-");
    }
  });
  return tokens;
}

// src/complete.js
function frameAt(tokens, upto) {
  const stack = [];
  for (let i = 0; i < upto; i += 1) {
    const t = tokens[i];
    if (t.type === "lparen") {
      const prev = tokens[i - 1];
      stack.push({ func: prev && prev.type === "func" ? prev.value : null, arg: 0 });
    } else if (t.type === "rparen") stack.pop();
    else if (t.type === "comma" && stack.length) stack[stack.length - 1].arg += 1;
  }
  return stack[stack.length - 1] || null;
}
var bare = (t) => t.type === "name" && !t.quoted || t.type === "func" || t.type === "unknown" || t.type === "number";
function wordAt(tokens, cursor) {
  const idx = tokens.findIndex((t2) => t2.start < cursor && cursor <= t2.end && (bare(t2) || t2.type === "name" && !(t2.closed && cursor === t2.end)));
  if (idx === -1) return null;
  const t = tokens[idx];
  if (t.quoted) return { start: t.start, end: t.end, tokens: [t] };
  let a = idx;
  let b = idx;
  while (a > 0 && bare(tokens[a - 1]) && tokens[a - 1].end === tokens[a].start) a -= 1;
  while (b < tokens.length - 1 && bare(tokens[b + 1]) && tokens[b].end === tokens[b + 1].start) b += 1;
  const run = tokens.slice(a, b + 1);
  if (run.every((r) => r.type === "number")) return null;
  return { start: run[0].start, end: run[run.length - 1].end, tokens: run };
}
function completions(text, cursor, columns, options = {}) {
  const limit = options.limit ?? 50;
  const cols = Array.from(columns || [], String);
  const tokens = annotate(tokenize(text));
  const word = wordAt(tokens, cursor);
  const cur = word ? word.tokens[0] : null;
  let from = cursor;
  let to = cursor;
  let prefix = "";
  if (word) {
    from = word.start;
    to = word.end;
    prefix = text.slice(from, cursor);
    if (cur.quoted) prefix = prefix.slice(1).replace(/\\(.)/g, "$1");
  }
  const before = tokens.filter((t) => t.end <= from && !(word && word.tokens.includes(t)));
  const prev = before[before.length - 1] || null;
  const frame = frameAt(tokens, before.length);
  const tilde = tokens.some((t) => t.type === "op" && t.value === "~" && t.depth === 0);
  const side = before.some((t) => t.type === "op" && t.value === "~" && t.depth === 0) ? "rhs" : "lhs";
  let context;
  if (frame && frame.func && frame.arg > 0) context = "value";
  else if (cur || !prev || prev.type === "op" || prev.type === "lparen" || prev.type === "comma") context = "term";
  else context = "operator";
  const items = [];
  if (context === "term") {
    const used = new Set(tokens.filter((t) => !(word && word.tokens.includes(t)) && t.type === "name" && t.role === "column").map((t) => t.value));
    const p = prefix.toLowerCase();
    const dotUsed = tokens.some((t) => t.type === "dot");
    if (!p && side === "rhs" && !dotUsed && !(frame && frame.func)) {
      items.push({ label: ".", insert: ".", kind: "dot", detail: "all other columns", used: false });
    }
    const ranked = [];
    cols.forEach((c, order) => {
      const lc = c.toLowerCase();
      let group;
      if (!p || lc.startsWith(p)) group = 0;
      else if (lc.includes(p)) group = 1;
      else return;
      ranked.push({ c, group, used: used.has(c), order });
    });
    ranked.sort((a, b) => a.group - b.group || Number(a.used) - Number(b.used) || a.order - b.order);
    for (const r of ranked) {
      items.push({
        label: r.c,
        insert: quoteName(r.c),
        kind: "column",
        detail: r.used ? "column (already in the formula)" : "column",
        used: r.used
      });
    }
    if (side === "rhs" && !(frame && frame.func) && !(cur && cur.quoted) && "top".startsWith(p)) {
      items.push({
        label: "top(",
        insert: "top(",
        kind: "function",
        detail: "top(column, n): the n most common levels, the rest pooled",
        used: false
      });
    }
  } else if (context === "operator") {
    const sp = cursor > 0 && /\s/.test(text[cursor - 1]) ? "" : " ";
    if (!tilde) items.push({ label: "~", insert: `${sp}~ `, kind: "operator", detail: "outcome ~ predictors", used: false });
    if (tilde || side === "rhs") {
      items.push({ label: "+", insert: `${sp}+ `, kind: "operator", detail: "add a term", used: false });
      items.push({ label: "-", insert: `${sp}- `, kind: "operator", detail: "remove a column", used: false });
    }
  }
  return { from, to, prefix, context, items: items.slice(0, limit) };
}
function applyCompletion(text, completion, item) {
  const next = text.slice(0, completion.from) + item.insert + text.slice(completion.to);
  return { text: next, cursor: completion.from + item.insert.length };
}

// src/validate.js
function longestMatch(a, b, alo, ahi, blo, bhi, b2j) {
  let besti = alo;
  let bestj = blo;
  let bestsize = 0;
  let j2len = /* @__PURE__ */ new Map();
  for (let i = alo; i < ahi; i += 1) {
    const newj2len = /* @__PURE__ */ new Map();
    for (const j of b2j.get(a[i]) || []) {
      if (j < blo) continue;
      if (j >= bhi) break;
      const k = (j2len.get(j - 1) || 0) + 1;
      newj2len.set(j, k);
      if (k > bestsize) {
        besti = i - k + 1;
        bestj = j - k + 1;
        bestsize = k;
      }
    }
    j2len = newj2len;
  }
  return [besti, bestj, bestsize];
}
function similarity(a, b) {
  const A = Array.from(a);
  const B = Array.from(b);
  const total = A.length + B.length;
  if (total === 0) return 1;
  const b2j = /* @__PURE__ */ new Map();
  B.forEach((ch, j) => {
    if (!b2j.has(ch)) b2j.set(ch, []);
    b2j.get(ch).push(j);
  });
  let matches = 0;
  const queue = [[0, A.length, 0, B.length]];
  while (queue.length) {
    const [alo, ahi, blo, bhi] = queue.pop();
    const [i, j, k] = longestMatch(A, B, alo, ahi, blo, bhi, b2j);
    if (k) {
      matches += k;
      if (alo < i && blo < j) queue.push([alo, i, blo, j]);
      if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi]);
    }
  }
  return 2 * matches / total;
}
function closestMatch(name, candidates, cutoff = 0.6) {
  const lower = name.toLowerCase();
  const caseMatch = candidates.find((c) => c.toLowerCase() === lower);
  if (caseMatch !== void 0) return caseMatch;
  let best = null;
  let bestScore = -1;
  for (const c of candidates) {
    const s = similarity(name, c);
    if (s < cutoff) continue;
    if (s > bestScore || s === bestScore && c > best) {
      best = c;
      bestScore = s;
    }
  }
  return best;
}
var q = (s) => `'${s}'`;
function listColumns(columns, max = 8) {
  const shown = columns.slice(0, max).join(", ");
  return columns.length > max ? `${shown}, … (${columns.length} in all)` : shown;
}
function problem(start, end, message, suggestion = null, replacement = null) {
  return { start, end, message, suggestion, replacement };
}
function callArgs(tokens, open) {
  const args = [[]];
  let depth = 0;
  for (let i = open + 1; i < tokens.length; i += 1) {
    const t = tokens[i];
    if (t.type === "lparen") depth += 1;
    if (t.type === "rparen") {
      if (depth === 0) return { args, close: i };
      depth -= 1;
    }
    if (t.type === "comma" && depth === 0) args.push([]);
    else args[args.length - 1].push(t);
  }
  return { args, close: -1 };
}
function checkTop(text, tokens, idx, problems) {
  const f = tokens[idx];
  const open = idx + 1;
  const { args, close } = callArgs(tokens, open);
  if (close === -1) return;
  const end = tokens[close].end;
  const usage = "write it as top(column, n), e.g. top(director, 50)";
  if (args.length !== 2 || args[0].length === 0 || args[1].length === 0) {
    problems.push(problem(f.start, end, `top() takes a column and a count: ${usage}`));
    return;
  }
  const [col, count] = args;
  if (col.length !== 1 || col[0].type !== "name") {
    problems.push(problem(
      col[0].start,
      col[col.length - 1].end,
      `top() takes one column name as its first argument: ${usage}`
    ));
  }
  let num = count;
  if (count.length === 3 && count[0].type === "name" && count[0].value === "n" && count[1].type === "op" && count[1].value === "=") num = [count[2]];
  const ok = num.length === 1 && num[0].type === "number" && Number.isInteger(num[0].value) && num[0].value > 0 && /^\d+$/.test(num[0].text);
  if (!ok) {
    const first = count[0];
    const last = count[count.length - 1];
    problems.push(problem(
      first.start,
      last.end,
      `top(): n must be a whole number above 0, got '${text.slice(first.start, last.end)}'; ${usage}`
    ));
  }
}
function validate(text, columns, options = {}) {
  const functions = options.functions || KNOWN_FUNCTIONS;
  const cols = Array.from(columns || [], String);
  const colSet = new Set(cols);
  const problems = [];
  if (!text || !text.trim()) {
    return [problem(0, 0, "the formula is empty: write it as outcome ~ predictors, e.g. y ~ x1 + x2")];
  }
  const tokens = annotate(tokenize(text));
  const tildes = tokens.filter((t) => t.type === "op" && t.value === "~" && t.depth === 0);
  if (tildes.length === 0) {
    problems.push(problem(
      0,
      text.length,
      `no '~' in the formula: write it as outcome ~ predictors, e.g. ${text.trim()} ~ .`
    ));
  } else if (tildes.length > 1) {
    for (const t of tildes.slice(1)) {
      problems.push(problem(t.start, t.end, "more than one '~': a formula has one outcome ~ predictors"));
    }
  }
  const open = [];
  tokens.forEach((t, i) => {
    if (t.type === "lparen") open.push(i);
    else if (t.type === "rparen") {
      if (open.length === 0) problems.push(problem(t.start, t.end, "')' without a matching '(': remove it"));
      else open.pop();
    }
  });
  for (const i of open) {
    const prev = tokens[i - 1];
    const start = prev && prev.type === "func" ? prev.start : tokens[i].start;
    problems.push(problem(start, tokens[i].end, "'(' is never closed: add ')'"));
  }
  const outcomes = new Set(tokens.filter((t) => t.side === "lhs" && t.type === "name" && t.role === "column").map((t) => t.value));
  tokens.forEach((t, i) => {
    if ((t.type === "name" || t.type === "string" || t.type === "python") && t.closed === false) {
      const what = t.type === "name" ? "backtick" : t.type === "python" ? "brace" : "quote";
      problems.push(problem(t.start, t.end, `unclosed ${what}: add the closing ${t.text[0] === "{" ? "}" : t.text[0]}`));
      return;
    }
    if (t.type === "unknown") {
      problems.push(problem(
        t.start,
        t.end,
        `unexpected character ${q(t.text)}: back-quote names with symbols, e.g. \`odd name\``
      ));
      return;
    }
    if (t.type === "func") {
      if (!isKnownFunction(t.value, functions)) {
        const s = closestMatch(t.value, functions);
        problems.push(problem(
          t.start,
          t.end,
          `unknown function ${q(t.value)}` + (s ? `; did you mean ${q(s)}?` : `; known: ${functions.join(", ")}, np.*, contr.*`),
          s,
          s
        ));
      } else if (t.value === "top") {
        checkTop(text, tokens, i, problems);
      }
      return;
    }
    if (t.type !== "name" || t.role !== "column") return;
    if (!colSet.has(t.value)) {
      const s = closestMatch(t.value, cols);
      const shown = t.quoted ? t.text : t.value;
      const msg = s !== null ? `unknown column ${q(shown)}; did you mean ${q(quoteName(s))}?` : cols.length ? `unknown column ${q(shown)}; columns are: ${listColumns(cols.map(quoteName))}` : `unknown column ${q(shown)}: the data has no columns`;
      problems.push(problem(t.start, t.end, msg, s, s === null ? null : quoteName(s)));
    } else if (t.side === "rhs" && !t.negated && t.depth === 0 && outcomes.has(t.value)) {
      problems.push(problem(
        t.start,
        t.end,
        `the outcome ${q(t.value)} is also a predictor: remove it from the right side`
      ));
    }
  });
  problems.sort((a, b) => a.start - b.start || a.end - b.end);
  return problems;
}

// src/style.js
var CSS = `
.kms-fe { font-family: var(--jp-ui-font-family, sans-serif); font-size: 13px; max-width: 100%; }
.kms-fe-field { position: relative; }
.kms-fe-mirror, .kms-fe-input {
  font-family: var(--jp-code-font-family, monospace); font-size: 13px; line-height: 20px;
  padding: 4px 6px; border: 1px solid transparent; box-sizing: border-box; width: 100%;
  letter-spacing: normal; white-space: pre; margin: 0;
}
.kms-fe-mirror {
  position: absolute; inset: 0; overflow: hidden; color: transparent; pointer-events: none;
}
.kms-fe-input {
  position: relative; background: transparent; border-color: var(--jp-border-color1, #bbb);
  color: var(--jp-content-font-color1, #111); outline: none; border-radius: 2px;
}
.kms-fe-input:focus { border-color: var(--jp-brand-color1, #1976d2); }
.kms-fe-underline { text-decoration: underline wavy #d32f2f; text-decoration-skip-ink: none; }
.kms-fe-completions {
  position: absolute; left: 0; top: 100%; z-index: 1000; list-style: none; margin: 2px 0 0; padding: 2px 0;
  min-width: 14em; max-height: 14em; overflow-y: auto; background: var(--jp-layout-color1, #fff);
  border: 1px solid var(--jp-border-color1, #bbb); box-shadow: 0 2px 6px rgba(0,0,0,.2);
}
.kms-fe-completions[hidden] { display: none; }
.kms-fe-item { padding: 1px 8px; cursor: pointer; white-space: pre; display: flex; gap: 1em; }
.kms-fe-item-label { font-family: var(--jp-code-font-family, monospace); }
.kms-fe-item-detail { color: var(--jp-content-font-color2, #777); margin-left: auto; font-size: 11px; }
.kms-fe-item-used .kms-fe-item-label { opacity: .6; }
.kms-fe-item-active { background: var(--jp-brand-color3, #bbdefb); }
.kms-fe-errors { margin: 2px 0 0; padding: 0; list-style: none; }
.kms-fe-error { color: #c62828; white-space: pre-wrap; }
.kms-fe-suggestion {
  margin-left: .5em; font: inherit; font-size: 11px; padding: 0 6px; cursor: pointer;
  border: 1px solid #c62828; background: transparent; color: #c62828; border-radius: 2px;
}
.kms-fe-status { color: var(--jp-content-font-color2, #666); font-size: 11px; min-height: 1.3em; }
`;
function injectStyle(doc) {
  if (!doc || !doc.head || doc.getElementById("kms-fe-style")) return;
  const style = doc.createElement("style");
  style.id = "kms-fe-style";
  style.textContent = CSS;
  doc.head.appendChild(style);
}

// src/index.js
function codePointToIndex(text, cp) {
  let index = 0;
  let count = 0;
  while (index < text.length && count < cp) {
    const c = text.codePointAt(index);
    index += c > 65535 ? 2 : 1;
    count += 1;
  }
  return index;
}
function kernelErrors(text, errors) {
  if (!Array.isArray(errors)) return [];
  return errors.filter((e) => e && typeof e === "object").map((e) => {
    const start = codePointToIndex(text, Math.max(0, Number(e.start) || 0));
    const end = Math.max(start, codePointToIndex(text, Math.max(0, Number(e.end) || 0)));
    return {
      start,
      end,
      message: String(e.message ?? "invalid formula"),
      suggestion: e.suggestion == null ? null : String(e.suggestion),
      replacement: e.replacement == null ? null : String(e.replacement)
    };
  });
}
function h(doc, tag, className) {
  const node = doc.createElement(tag);
  if (className) node.className = className;
  return node;
}
function render({ model, el }) {
  const doc = el.ownerDocument || document;
  injectStyle(doc);
  const listeners = [];
  const listen = (target, type, fn, opts) => {
    target.addEventListener(type, fn, opts);
    listeners.push(() => target.removeEventListener(type, fn, opts));
  };
  const modelHandlers = [];
  const onModel = (name, fn) => {
    model.on(name, fn);
    modelHandlers.push([name, fn]);
  };
  const root = h(doc, "div", "kms-fe");
  const field = h(doc, "div", "kms-fe-field");
  const mirror = h(doc, "div", "kms-fe-mirror");
  mirror.setAttribute("aria-hidden", "true");
  const input = h(doc, "input", "kms-fe-input");
  input.type = "text";
  input.spellcheck = false;
  input.autocomplete = "off";
  input.setAttribute("autocapitalize", "off");
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-label", "formula");
  const list = h(doc, "ul", "kms-fe-completions");
  list.setAttribute("role", "listbox");
  list.hidden = true;
  const errorList = h(doc, "ul", "kms-fe-errors");
  errorList.setAttribute("aria-live", "polite");
  const status = h(doc, "div", "kms-fe-status");
  field.append(mirror, input, list);
  root.append(field, errorList, status);
  el.appendChild(root);
  let kernelFresh = false;
  let comp = null;
  let active = 0;
  let lastSubmit = null;
  const columns = () => Array.isArray(model.get("columns")) ? model.get("columns").map(String) : [];
  function currentErrors() {
    const text = input.value;
    if (!text.trim()) return [];
    const checked = model.get("checked");
    const useKernel = typeof checked === "string" && checked !== "" ? checked === text : kernelFresh;
    if (useKernel) return kernelErrors(text, model.get("errors"));
    return validate(text, columns());
  }
  function syncScroll() {
    mirror.scrollLeft = input.scrollLeft;
  }
  function stillTyping(text, e) {
    if (doc.activeElement !== input || input.selectionEnd !== e.end || e.end <= e.start) return false;
    const typed = text.slice(e.start, e.end).replace(/^`/, "").toLowerCase();
    return columns().some((c) => c.toLowerCase().startsWith(typed) && c.toLowerCase() !== typed);
  }
  function showErrors() {
    const text = input.value;
    const errors = currentErrors().filter((e) => !stillTyping(text, e));
    mirror.replaceChildren();
    let pos = 0;
    const spans = errors.filter((e) => e.end > e.start).sort((a, b) => a.start - b.start);
    for (const e of spans) {
      if (e.start < pos) continue;
      if (e.start > pos) mirror.appendChild(doc.createTextNode(text.slice(pos, e.start)));
      const u = h(doc, "span", "kms-fe-underline");
      u.textContent = text.slice(e.start, e.end);
      u.title = e.message;
      u.dataset.start = String(e.start);
      u.dataset.end = String(e.end);
      mirror.appendChild(u);
      pos = e.end;
    }
    if (pos < text.length) mirror.appendChild(doc.createTextNode(text.slice(pos)));
    syncScroll();
    errorList.replaceChildren();
    for (const e of errors) {
      const li = h(doc, "li", "kms-fe-error");
      li.appendChild(doc.createTextNode(e.message));
      const replacement = e.replacement ?? (e.suggestion == null ? null : quoteName(e.suggestion));
      if (replacement != null && e.end > e.start) {
        const b = h(doc, "button", "kms-fe-suggestion");
        b.type = "button";
        b.textContent = `use ${replacement}`;
        b.title = `replace ${text.slice(e.start, e.end)} by ${replacement}`;
        b.addEventListener("mousedown", (ev) => ev.preventDefault());
        b.addEventListener("click", () => replaceRange(e.start, e.end, replacement));
        li.appendChild(b);
      }
      errorList.appendChild(li);
    }
    input.setAttribute("aria-invalid", errors.length ? "true" : "false");
    if (!text.trim()) status.textContent = "Type a formula, e.g. outcome ~ . - id (Tab completes column names)";
    else if (errors.length) status.textContent = errors.length === 1 ? "1 problem: fix the underlined term (Enter trains anyway)" : `${errors.length} problems: fix the underlined terms (Enter trains anyway)`;
    else if (lastSubmit !== null && lastSubmit === text) status.textContent = `Training requested (#${model.get("submit_count")})`;
    else status.textContent = "Enter to train · Tab or ↓ for completions";
  }
  function saveValue() {
    model.set("value", input.value);
    model.save_changes();
  }
  function replaceRange(start, end, insert) {
    const text = input.value;
    input.value = text.slice(0, start) + insert + text.slice(end);
    const cursor = start + insert.length;
    input.focus();
    input.setSelectionRange(cursor, cursor);
    kernelFresh = false;
    saveValue();
    showErrors();
    closeList();
  }
  function closeList() {
    comp = null;
    list.hidden = true;
    list.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }
  function paintActive() {
    Array.from(list.children).forEach((li, i) => {
      const on = i === active;
      li.classList.toggle("kms-fe-item-active", on);
      li.setAttribute("aria-selected", on ? "true" : "false");
      if (on && typeof li.scrollIntoView === "function") li.scrollIntoView({ block: "nearest" });
    });
  }
  function openList(auto) {
    const text = input.value;
    const cursor = input.selectionStart ?? text.length;
    const c = completions(text, cursor, columns());
    const current = text.slice(c.from, c.to);
    if (!c.items.length || auto && c.context !== "term" || auto && c.items.length === 1 && c.items[0].insert === current || auto && !text.trim()) {
      closeList();
      return;
    }
    comp = c;
    active = 0;
    list.replaceChildren();
    c.items.forEach((item, i) => {
      const li = h(doc, "li", "kms-fe-item");
      li.setAttribute("role", "option");
      li.dataset.index = String(i);
      li.dataset.kind = item.kind;
      if (item.used) li.classList.add("kms-fe-item-used");
      const label = h(doc, "span", "kms-fe-item-label");
      label.textContent = item.label;
      const detail = h(doc, "span", "kms-fe-item-detail");
      detail.textContent = item.detail;
      li.append(label, detail);
      li.addEventListener("mousedown", (ev) => ev.preventDefault());
      li.addEventListener("click", () => accept(i));
      list.appendChild(li);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    paintActive();
  }
  function accept(i) {
    if (!comp || !comp.items[i]) return;
    const item = comp.items[i];
    const r = applyCompletion(input.value, comp, item);
    input.value = r.text;
    input.focus();
    input.setSelectionRange(r.cursor, r.cursor);
    kernelFresh = false;
    saveValue();
    showErrors();
    closeList();
    if (item.kind === "function" || item.kind === "operator") openList(true);
  }
  function submit() {
    const text = input.value;
    if (!text.trim()) {
      status.textContent = "Type a formula first, e.g. outcome ~ .";
      return;
    }
    lastSubmit = text;
    model.set("value", text);
    model.set("submit_count", (Number(model.get("submit_count")) || 0) + 1);
    model.save_changes();
    showErrors();
  }
  listen(input, "input", () => {
    kernelFresh = false;
    saveValue();
    showErrors();
    openList(true);
  });
  listen(input, "keydown", (ev) => {
    if (ev.isComposing) return;
    const open = comp !== null && !list.hidden;
    let handled = true;
    if (open && ev.key === "ArrowDown") {
      active = (active + 1) % comp.items.length;
      paintActive();
    } else if (open && ev.key === "ArrowUp") {
      active = (active - 1 + comp.items.length) % comp.items.length;
      paintActive();
    } else if (open && (ev.key === "Enter" || ev.key === "Tab")) {
      accept(active);
    } else if (open && ev.key === "Escape") {
      closeList();
    } else if (!open && (ev.key === "ArrowDown" || ev.key === " " && ev.ctrlKey)) {
      openList(false);
    } else if (!open && ev.key === "Enter") {
      submit();
    } else {
      handled = false;
    }
    if (handled) {
      ev.preventDefault();
      ev.stopPropagation();
    }
  });
  listen(input, "blur", () => {
    closeList();
    showErrors();
  });
  listen(input, "click", () => {
    closeList();
    showErrors();
  });
  listen(input, "scroll", syncScroll);
  listen(input, "keyup", (ev) => {
    if (ev.key === "ArrowLeft" || ev.key === "ArrowRight" || ev.key === "Home" || ev.key === "End") showErrors();
    syncScroll();
  });
  onModel("change:value", () => {
    const v = model.get("value") ?? "";
    if (input.value !== v) {
      input.value = v;
      kernelFresh = false;
      closeList();
    }
    showErrors();
  });
  onModel("change:columns", () => {
    showErrors();
    if (comp) openList(false);
  });
  onModel("change:errors", () => {
    kernelFresh = true;
    showErrors();
  });
  onModel("change:checked", showErrors);
  onModel("change:submit_count", showErrors);
  onModel("change:placeholder", () => {
    input.placeholder = model.get("placeholder") ?? "";
  });
  input.value = model.get("value") ?? "";
  input.placeholder = model.get("placeholder") ?? "";
  kernelFresh = typeof model.get("checked") === "string" ? false : Array.isArray(model.get("errors")) && model.get("errors").length > 0;
  showErrors();
  return () => {
    listeners.forEach((off) => off());
    for (const [name, fn] of modelHandlers) model.off(name, fn);
    closeList();
  };
}
var index_default = { render };
export {
  annotate,
  applyCompletion,
  closestMatch,
  codePointToIndex,
  completions,
  index_default as default,
  needsQuoting,
  quoteName,
  render,
  similarity,
  tokenize,
  validate
};
