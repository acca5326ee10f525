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

/** The file name as plain ASCII (what `curl -OJ` and older clients use): other characters become `_`. */
export function asciiFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.\-~]/g, '_');
}

/**
 * `attachment; filename="<ascii>"; filename*=UTF-8''<name>`: the name in ASCII for every client,
 * and as it is (RFC 6266's extended form, Python's quoting as Prefect) for those that read it.
 */
export function attachment(name: string): string {
  const ascii = asciiFileName(name);
  const base = `attachment; filename="${ascii}"`;
  return ascii === name ? base : `${base}; filename*=UTF-8''${pythonQuote(name)}`;
}
