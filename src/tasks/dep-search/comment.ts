/** The comment the agent must write above each dependency. */
export function requiredComment(targetName: string): string {
  return `# this function/class is called by the ${targetName} function`;
}

// The sentence with any name; case, surrounding spaces and trailing punctuation are tolerated.
const SENTENCE = /^this\s+function\s*\/\s*class\s+is\s+called\s+by\s+the\s+(\S+)\s+function[\s.!;:,]*$/i;

/** The name written in a comment of the required form (`# this function/class is called by the X function`), or null. */
export function markerName(comment: string): string | null {
  const body = comment.replace(/^\s*#+/, '').trim();
  const m = SENTENCE.exec(body);
  // A name quoted or written as a call (`foo`, foo()) is still that name.
  return m ? (m[1] as string).replace(/^[`'"]+|[`'"]+$/g, '').replace(/\(\)$/, '') : null;
}

/** Whether a comment's name is the target's name (case-insensitive, like the rest of the sentence). */
export function sameName(written: string, targetName: string): boolean {
  return written.toLowerCase() === targetName.toLowerCase();
}
