// One event, one log line: whatever a line quotes (a payload, a scanned code, a server's error text), its control
// characters are written as \uXXXX escapes, so a crafted input can neither start a forged line in the journal nor
// move the terminal's cursor.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

export function oneLine(line: string): string {
  return line.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
