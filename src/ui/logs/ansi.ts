/**
 * Log text as the viewer draws it: ANSI SGR colours (the 16 colours, bold, dim, italic, underline)
 * as classed spans, other escape sequences dropped, URLs as links, search matches marked.
 * Returns pieces, never HTML: nothing from a log is ever parsed as markup.
 */
export interface Piece {
  text: string;
  classes: string;
  href?: string;
  match?: boolean;
}

const ESCAPE = /\x1b\[([0-9;]*)([A-Za-z])/g;
const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+[^\s<>"'`.,;:!?)\]]/g;

function sgr(codes: number[], state: Set<string>): void {
  if (!codes.length) codes = [0];
  for (const c of codes) {
    if (c === 0) state.clear();
    else if (c === 1) state.add('ansi-bold');
    else if (c === 2) state.add('ansi-dim');
    else if (c === 3) state.add('ansi-italic');
    else if (c === 4) state.add('ansi-underline');
    else if (c === 22) {
      state.delete('ansi-bold');
      state.delete('ansi-dim');
    } else if (c === 23) state.delete('ansi-italic');
    else if (c === 24) state.delete('ansi-underline');
    else if ((c >= 30 && c <= 37) || (c >= 90 && c <= 97)) {
      for (const k of [...state]) if (k.startsWith('ansi-fg')) state.delete(k);
      state.add(`ansi-fg${c >= 90 ? c - 90 + 8 : c - 30}`);
    } else if (c === 39) {
      for (const k of [...state]) if (k.startsWith('ansi-fg')) state.delete(k);
    } else if ((c >= 40 && c <= 47) || (c >= 100 && c <= 107)) {
      for (const k of [...state]) if (k.startsWith('ansi-bg')) state.delete(k);
      state.add(`ansi-bg${c >= 100 ? c - 100 + 8 : c - 40}`);
    } else if (c === 49) {
      for (const k of [...state]) if (k.startsWith('ansi-bg')) state.delete(k);
    }
  }
}

/** Splits a piece's text at URLs and at case-insensitive matches of `terms`. */
function decorate(p: Piece, terms: string[]): Piece[] {
  const out: Piece[] = [];
  let last = 0;
  for (const m of p.text.matchAll(URL_RE)) {
    if (m.index > last) out.push({ ...p, text: p.text.slice(last, m.index) });
    out.push({ ...p, text: m[0], href: m[0] });
    last = m.index + m[0].length;
  }
  if (last < p.text.length) out.push({ ...p, text: p.text.slice(last) });
  if (!terms.length) return out;
  return out.flatMap((q) => {
    const lower = q.text.toLowerCase();
    const parts: Piece[] = [];
    let at = 0;
    while (at < q.text.length) {
      let best = -1;
      let len = 0;
      for (const t of terms) {
        const i = lower.indexOf(t, at);
        if (i >= 0 && (best < 0 || i < best)) [best, len] = [i, t.length];
      }
      if (best < 0) break;
      if (best > at) parts.push({ ...q, text: q.text.slice(at, best) });
      parts.push({ ...q, text: q.text.slice(best, best + len), match: true });
      at = best + len;
    }
    if (at < q.text.length) parts.push({ ...q, text: q.text.slice(at) });
    return parts;
  });
}

export function renderAnsi(text: string, terms: string[] = []): Piece[] {
  const state = new Set<string>();
  const pieces: Piece[] = [];
  let last = 0;
  for (const m of text.matchAll(ESCAPE)) {
    if (m.index > last) pieces.push({ text: text.slice(last, m.index), classes: [...state].join(' ') });
    if (m[2] === 'm') sgr(m[1].split(';').filter(Boolean).map(Number), state);
    last = m.index + m[0].length;
  }
  if (last < text.length) pieces.push({ text: text.slice(last), classes: [...state].join(' ') });
  const lowered = terms.map((t) => t.toLowerCase()).filter(Boolean);
  return pieces.flatMap((p) => decorate(p, lowered));
}

/** The words of a search query worth highlighting (Prefect's grammar: quotes, -negation, OR). */
export function highlightTerms(query: string): string[] {
  const terms: string[] = [];
  for (const m of query.matchAll(/(-?)"([^"]+)"|(-?)(\S+)/g)) {
    const negated = m[1] === '-' || m[3] === '-';
    const word = m[2] ?? m[4];
    if (!negated && word && word !== 'OR' && word !== 'AND') terms.push(word);
  }
  return terms;
}
