import { gunzipSync } from 'node:zlib';
import { normalizeAnswerText } from './image-contents.js';

// A gzip stream inflating past this is a bomb, not a source archive: searched no further.
const MAX_INFLATED = 256 * 1024 * 1024;

/**
 * A workspace file's text as the leak checks search it (whitespace collapsed like answers): a
 * text file as it is; a gzip file (a `.tar.gz` source archive, say) inflated, since a tar holds
 * its files' bytes as they are; null for other binary files (nothing to search as text).
 */
export function leakSearchText(content: Buffer): string | null {
  if (content[0] === 0x1f && content[1] === 0x8b) {
    try {
      return normalizeAnswerText(gunzipSync(content, { maxOutputLength: MAX_INFLATED }).toString('utf8'));
    } catch {
      return null;
    }
  }
  return content.includes(0) ? null : normalizeAnswerText(content.toString('utf8'));
}
