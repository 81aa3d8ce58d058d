// Tokeniser and light structural analysis of a kerasformula / formulaic formula.
// Pure: no DOM. Positions are UTF-16 offsets into the text (JS string indices).

const NAME_START = /[\p{L}_]/u;
const NAME_CHAR = /[\p{L}\p{N}_.]/u;
const DIGIT = /[0-9]/;
const SPACE = /\s/;

/** Python keywords: a column with such a name must be back-quoted. */
export const PY_KEYWORDS = new Set([
  "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
  "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
  "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return",
  "try", "while", "with", "yield",
]);

/** Functions the engine understands (besides any np.* / contr.* function); same list as
 * KNOWN_FUNCTIONS in kms_jupyter/notebook/formula_check.py. */
export const KNOWN_FUNCTIONS = [
  "top", "C", "I", "Q", "log", "log2", "log10", "exp", "exp2", "exp10",
  "center", "scale", "standardize", "poly", "bs", "cc", "cr", "cs", "lag", "hashed",
  "Treatment", "Sum", "Helmert", "Diff", "Poly",
];

export function isKnownFunction(name, known = KNOWN_FUNCTIONS) {
  return known.includes(name) || /^(np|contr)\.[\p{L}_][\p{L}\p{N}_.]*$/u.test(name);
}

/** True when a column name cannot be written bare in a formula. */
export function needsQuoting(name) {
  return !/^[\p{L}_][\p{L}\p{N}_]*$/u.test(name) || PY_KEYWORDS.has(name);
}

/** The column name as it must be typed in a formula (back-quoted when needed). */
export function quoteName(name) {
  if (!needsQuoting(name)) return name;
  return "`" + name.replace(/[\\`]/g, "\\$&") + "`";
}

function readQuoted(text, i, quote) {
  // returns [endIndex, value, closed]; i points at the opening quote
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

/**
 * Split a formula into tokens.
 * Token: {type, text, value, start, end, quoted?, closed?}
 * types: name, func, number, string, op, lparen, rparen, comma, dot, python, unknown
 *   - name: a column (or keyword) name; `odd name` gives value "odd name", quoted: true
 *   - func: a name directly followed by "(" (e.g. top, np.log, C)
 *   - op: ~ + - * / : ^ ** = | and %...% operators
 */
export function tokenize(text) {
  const tokens = [];
  let i = 0;
  const n = text.length;
  const push = (type, start, end, extra = {}) => {
    const raw = text.slice(start, end);
    tokens.push({ type, text: raw, value: raw, start, end, ...extra });
  };
  while (i < n) {
    const c = text[i];
    if (SPACE.test(c)) { i += 1; continue; }
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
        else if (text[j] === "}") { depth -= 1; if (depth === 0) break; }
      }
      const closed = j < n;
      const end = closed ? j + 1 : n;
      push("python", i, end, { value: text.slice(i + 1, closed ? j : n), closed });
      i = end;
      continue;
    }
    if (DIGIT.test(c) || (c === "." && i + 1 < n && DIGIT.test(text[i + 1]))) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i));
      const end = i + m[0].length;
      push("number", i, end, { value: Number(m[0]) });
      i = end;
      continue;
    }
    if (NAME_START.test(c) || (c === "." && i + 1 < n && NAME_START.test(text[i + 1]))) {
      let j = i + 1;
      while (j < n && NAME_CHAR.test(text[j])) j += 1;
      let k = j;
      while (k < n && SPACE.test(text[k])) k += 1;
      push(k < n && text[k] === "(" ? "func" : "name", i, j);
      i = j;
      continue;
    }
    if (c === ".") { push("dot", i, i + 1); i += 1; continue; }
    if (c === "(") { push("lparen", i, i + 1); i += 1; continue; }
    if (c === ")") { push("rparen", i, i + 1); i += 1; continue; }
    if (c === ",") { push("comma", i, i + 1); i += 1; continue; }
    if (c === "*" && text[i + 1] === "*") { push("op", i, i + 2); i += 2; continue; }
    if (c === "%") {
      const j = text.indexOf("%", i + 1);
      const end = j === -1 ? n : j + 1;
      push("op", i, end, { closed: j !== -1 });
      i = end;
      continue;
    }
    if ("~+-*/:^=|".includes(c)) { push("op", i, i + 1); i += 1; continue; }
    // one unknown code point (keep surrogate pairs together)
    const cp = text.codePointAt(i);
    const width = cp > 0xffff ? 2 : 1;
    push("unknown", i, i + width);
    i += width;
  }
  return tokens;
}

/**
 * Annotate tokens with their place in the formula (mutates and returns the tokens):
 *   side: "lhs" | "rhs" (relative to the first top-level ~)
 *   depth: parenthesis depth; func: name of the enclosing function call or null;
 *   arg: index of the argument inside that call;
 *   role (names only): "column" | "keyword" | "arg"
 *     column: to be checked against the data's columns;
 *     keyword: `n` in top(director, n = 50); arg: a later argument of a function call.
 *   negated (names only): preceded by "-" (a term being removed)
 */
export function annotate(tokens) {
  const stack = []; // frames {func, arg, open}
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
