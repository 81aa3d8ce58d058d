// Completion candidates for the formula editor. Pure: no DOM. Positions are UTF-16 offsets.

import { tokenize, annotate, quoteName } from "./tokenize.js";

function frameAt(tokens, upto) {
  // enclosing call of the position after tokens[0..upto)
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

const bare = (t) => (t.type === "name" && !t.quoted) || t.type === "func" || t.type === "unknown"
  || t.type === "number";

function wordAt(tokens, cursor) {
  const idx = tokens.findIndex((t) => t.start < cursor && cursor <= t.end
    && (bare(t) || (t.type === "name" && !(t.closed && cursor === t.end))));
  if (idx === -1) return null;
  const t = tokens[idx];
  if (t.quoted) return { start: t.start, end: t.end, tokens: [t] };
  let a = idx;
  let b = idx;
  while (a > 0 && bare(tokens[a - 1]) && tokens[a - 1].end === tokens[a].start) a -= 1;
  while (b < tokens.length - 1 && bare(tokens[b + 1]) && tokens[b].end === tokens[b + 1].start) b += 1;
  const run = tokens.slice(a, b + 1);
  if (run.every((r) => r.type === "number")) return null; // a number: nothing to complete
  return { start: run[0].start, end: run[run.length - 1].end, tokens: run };
}

/**
 * Completion candidates at `cursor`.
 * Returns {from, to, prefix, context, items}; replacing text[from, to) by item.insert accepts it.
 *   context: "term" (a column, `.` or top( fits here), "operator" (after a complete term:
 *   + - ~ fit here), "value" (a later argument of a function: nothing to offer)
 *   items: [{label, insert, kind: "column"|"dot"|"function"|"operator", detail, used}]
 * Columns whose name starts with the prefix (any case) come first, then those containing it;
 * within each group, columns not yet in the formula come before used ones.
 */
export function completions(text, cursor, columns, options = {}) {
  const limit = options.limit ?? 50;
  const cols = Array.from(columns || [], String);
  const tokens = annotate(tokenize(text));
  // the word under the cursor: a back-quoted name, or a run of adjacent name / number /
  // stray-character tokens (so typing `<im` looks for a column like "<img ...")
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
    const used = new Set(tokens.filter((t) => !(word && word.tokens.includes(t)) && t.type === "name" && t.role === "column")
      .map((t) => t.value));
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
        used: r.used,
      });
    }
    if (side === "rhs" && !(frame && frame.func) && !(cur && cur.quoted) && "top".startsWith(p)) {
      items.push({ label: "top(", insert: "top(", kind: "function",
        detail: "top(column, n): the n most common levels, the rest pooled", used: false });
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

/** Apply a completion item: returns {text, cursor}. */
export function applyCompletion(text, completion, item) {
  const next = text.slice(0, completion.from) + item.insert + text.slice(completion.to);
  return { text: next, cursor: completion.from + item.insert.length };
}
