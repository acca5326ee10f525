/** `Content-Disposition` for downloads, as Prefect's server writes it. */

// Python's `urllib.parse.quote` (safe='/'): letters, digits, `_.-~` and `/` stay as they are.
const UNRESERVED = /[A-Za-z0-9_.\-~/]/;

export function pythonQuote(text: string): string {
  let out = '';
  for (const ch of text) {
    if (UNRESERVED.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * `attachment; filename="<fallback>"; filename*=UTF-8''<name>`: an ASCII name every client
 * accepts, and the real one (the flow run's name) for those that read RFC 6266's extended form.
 * Without a name only the fallback is given.
 */
export function attachment(fallback: string, name?: string): string {
  const base = `attachment; filename="${fallback}"`;
  return name === undefined ? base : `${base}; filename*=UTF-8''${pythonQuote(name)}`;
}
