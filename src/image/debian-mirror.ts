import { readFileSync } from 'node:fs';

/** Used when the host has no Debian apt sources to copy the mirror from. */
export const DEFAULT_DEBIAN_MIRROR = 'http://deb.debian.org/debian';

/** The suite the offline image is made from (the one python:3.11-slim-bookworm is based on). */
export const DEBIAN_SUITE = 'bookworm';

const SOURCES = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'];

/**
 * The Debian mirror this host's apt uses (first deb822 or one-line source that is not a security
 * or ports archive), else deb.debian.org. A local mirror is what makes air-gapped builds possible.
 */
export function readDebianMirror(files: readonly string[] = SOURCES): string {
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const found = file.endsWith('.sources') ? mirrorFromDeb822(text) : mirrorFromSourcesList(text);
    if (found) return found;
  }
  return DEFAULT_DEBIAN_MIRROR;
}

/** First usable URI of a deb822 `.sources` file (stanzas of `Types: deb`), or undefined. */
export function mirrorFromDeb822(text: string): string | undefined {
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m?.[1] && m[2] !== undefined) fields.set(m[1].toLowerCase(), m[2].trim());
    }
    if (fields.get('enabled')?.toLowerCase() === 'no') continue;
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue;
    const uri = (fields.get('uris') ?? '').split(/\s+/).find(isMainArchive);
    if (uri) return stripSlash(uri);
  }
  return undefined;
}

/** First usable URI of a one-line `sources.list`, or undefined. */
export function mirrorFromSourcesList(text: string): string | undefined {
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    // deb [ options ] uri suite components
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+/.exec(line);
    if (m?.[1] && isMainArchive(m[1])) return stripSlash(m[1]);
  }
  return undefined;
}

function isMainArchive(uri: string): boolean {
  return /^(https?|file):\/\//.test(uri) && !/security|ports/.test(uri);
}

function stripSlash(uri: string): string {
  return uri.replace(/\/+$/, '');
}
