// Client-side check of a formula against the column list, for instant feedback while typing.
// Mirrors kms_jupyter/notebook/formula_check.py (the kernel's answer replaces this one).
// Pure: no DOM. Spans are UTF-16 offsets {start, end}.

import { tokenize, annotate, isKnownFunction, KNOWN_FUNCTIONS, quoteName } from "./tokenize.js";

// ---- difflib.SequenceMatcher(None, a, b).ratio() without autojunk (short strings) ----

function longestMatch(a, b, alo, ahi, blo, bhi, b2j) {
  let besti = alo;
  let bestj = blo;
  let bestsize = 0;
  let j2len = new Map();
  for (let i = alo; i < ahi; i += 1) {
    const newj2len = new Map();
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

/** Same value as Python's difflib.SequenceMatcher(None, a, b).ratio() for names < 200 chars. */
export function similarity(a, b) {
  const A = Array.from(a);
  const B = Array.from(b);
  const total = A.length + B.length;
  if (total === 0) return 1;
  const b2j = new Map();
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
  return (2 * matches) / total;
}

/**
 * Closest candidate to `name`, like difflib.get_close_matches(name, candidates, n=1, cutoff)[0],
 * except that a case-insensitive exact match wins outright. null when nothing is close enough.
 */
export function closestMatch(name, candidates, cutoff = 0.6) {
  const lower = name.toLowerCase();
  const caseMatch = candidates.find((c) => c.toLowerCase() === lower);
  if (caseMatch !== undefined) return caseMatch;
  let best = null;
  let bestScore = -1;
  for (const c of candidates) {
    const s = similarity(name, c);
    if (s < cutoff) continue;
    // difflib ranks ties by the larger string
    if (s > bestScore || (s === bestScore && c > best)) {
      best = c;
      bestScore = s;
    }
  }
  return best;
}

const q = (s) => `'${s}'`;

function listColumns(columns, max = 8) {
  const shown = columns.slice(0, max).join(", ");
  return columns.length > max ? `${shown}, … (${columns.length} in all)` : shown;
}

function problem(start, end, message, suggestion = null, replacement = null) {
  return { start, end, message, suggestion, replacement };
}

/** Arguments of the call whose "(" is tokens[open]: list of token lists, and index of ")". */
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
  if (close === -1) return; // reported as an unclosed "("
  const end = tokens[close].end;
  const usage = "write it as top(column, n), e.g. top(director, 50)";
  if (args.length !== 2 || args[0].length === 0 || args[1].length === 0) {
    problems.push(problem(f.start, end, `top() takes a column and a count: ${usage}`));
    return;
  }
  const [col, count] = args;
  if (col.length !== 1 || col[0].type !== "name") {
    problems.push(problem(col[0].start, col[col.length - 1].end,
      `top() takes one column name as its first argument: ${usage}`));
  }
  let num = count;
  if (count.length === 3 && count[0].type === "name" && count[0].value === "n"
      && count[1].type === "op" && count[1].value === "=") num = [count[2]];
  const ok = num.length === 1 && num[0].type === "number"
    && Number.isInteger(num[0].value) && num[0].value > 0 && /^\d+$/.test(num[0].text);
  if (!ok) {
    const first = count[0];
    const last = count[count.length - 1];
    problems.push(problem(first.start, last.end,
      `top(): n must be a whole number above 0, got '${text.slice(first.start, last.end)}'; ${usage}`));
  }
}

/**
 * Check a formula. Returns a list of problems {start, end, message, suggestion, replacement}
 * sorted by position. An empty (blank) formula gives one problem with an empty span.
 * options.functions: names of known functions (np.* is always accepted).
 */
export function validate(text, columns, options = {}) {
  const functions = options.functions || KNOWN_FUNCTIONS;
  const cols = Array.from(columns || [], String);
  const colSet = new Set(cols);
  const problems = [];
  if (!text || !text.trim()) {
    return [problem(0, 0, "the formula is empty: write it as outcome ~ predictors, e.g. y ~ x1 + x2")];
  }
  const tokens = annotate(tokenize(text));

  // ~
  const tildes = tokens.filter((t) => t.type === "op" && t.value === "~" && t.depth === 0);
  if (tildes.length === 0) {
    problems.push(problem(0, text.length,
      `no '~' in the formula: write it as outcome ~ predictors, e.g. ${text.trim()} ~ .`));
  } else if (tildes.length > 1) {
    for (const t of tildes.slice(1)) {
      problems.push(problem(t.start, t.end, "more than one '~': a formula has one outcome ~ predictors"));
    }
  }

  // parentheses
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

  // outcome names (to spot the outcome repeated on the right side)
  const outcomes = new Set(tokens.filter((t) => t.side === "lhs" && t.type === "name" && t.role === "column")
    .map((t) => t.value));

  tokens.forEach((t, i) => {
    if ((t.type === "name" || t.type === "string" || t.type === "python") && t.closed === false) {
      const what = t.type === "name" ? "backtick" : t.type === "python" ? "brace" : "quote";
      problems.push(problem(t.start, t.end, `unclosed ${what}: add the closing ${t.text[0] === "{" ? "}" : t.text[0]}`));
      return;
    }
    if (t.type === "unknown") {
      problems.push(problem(t.start, t.end,
        `unexpected character ${q(t.text)}: back-quote names with symbols, e.g. \`odd name\``));
      return;
    }
    if (t.type === "func") {
      if (!isKnownFunction(t.value, functions)) {
        const s = closestMatch(t.value, functions);
        problems.push(problem(t.start, t.end,
          `unknown function ${q(t.value)}` + (s ? `; did you mean ${q(s)}?` : `; known: ${functions.join(", ")}, np.*, contr.*`),
          s, s));
      } else if (t.value === "top") {
        checkTop(text, tokens, i, problems);
      }
      return;
    }
    if (t.type !== "name" || t.role !== "column") return;
    if (!colSet.has(t.value)) {
      const s = closestMatch(t.value, cols);
      const shown = t.quoted ? t.text : t.value;
      const msg = s !== null
        ? `unknown column ${q(shown)}; did you mean ${q(quoteName(s))}?`
        : cols.length
          ? `unknown column ${q(shown)}; columns are: ${listColumns(cols.map(quoteName))}`
          : `unknown column ${q(shown)}: the data has no columns`;
      problems.push(problem(t.start, t.end, msg, s, s === null ? null : quoteName(s)));
    } else if (t.side === "rhs" && !t.negated && t.depth === 0 && outcomes.has(t.value)) {
      problems.push(problem(t.start, t.end,
        `the outcome ${q(t.value)} is also a predictor: remove it from the right side`));
    }
  });
  problems.sort((a, b) => a.start - b.start || a.end - b.end);
  return problems;
}
