// A JSON.parse failure said without the text: Node's message quotes up to ten characters either
// side of the mistake ('Unexpected token 'S', ..."token": S3cr3t-TOK"... is not valid JSON'), and
// a configuration or template data file may hold a password or a reset link right there.

/** What is wrong and where (line and column), never the characters of `text`. */
export function jsonSyntaxProblem(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /^(Unexpected token) '.*?', (?:\.\.\.)?"([\s\S]*?)"(?:\.\.\.)? is not valid JSON$/.exec(message);
  if (quoted) {
    // The quoted excerpt locates the mistake: found in the text, it gives the line.
    const at = text.indexOf(quoted[2]!);
    return `unexpected character${at >= 0 ? ` near ${lineAndColumn(text, at + quoted[2]!.length / 2)}` : ''}`;
  }
  const position = /^(.*?) in JSON at position (\d+)/.exec(message) ?? /^(.*? after JSON) at position (\d+)/.exec(message);
  if (position) return `${position[1]!.replace(/^./, (first) => first.toLowerCase())} at ${lineAndColumn(text, Number(position[2]))}`;
  // "Unexpected end of JSON input" and any other wording without an excerpt of the text.
  return /"/.test(message) ? 'not JSON' : message.replace(/^./, (first) => first.toLowerCase());
}

function lineAndColumn(text: string, index: number): string {
  const before = text.slice(0, Math.floor(index));
  const line = before.split('\n').length;
  return `line ${line}, column ${before.length - before.lastIndexOf('\n')}`;
}
