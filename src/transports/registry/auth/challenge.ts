/**
 * `WWW-Authenticate` challenges (RFC 9110 §11.6.1): one header may carry
 * several challenges separated by commas, each a scheme followed by either a
 * token68 or comma-separated `name=value` parameters whose values may be
 * quoted strings containing commas. The parser is lenient: registries in the
 * wild send unquoted URLs and stray commas, and a malformed tail is dropped
 * rather than failing the request.
 */

/** One challenge. Scheme and parameter names are lower-cased (they are case-insensitive). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
  /** The token68 form (`Negotiate abc==`), when the challenge used it instead of parameters. */
  token68?: string | undefined;
}

/** The parameters of a Bearer challenge that the token flow needs. */
export interface BearerChallenge {
  realm: string;
  service: string | undefined;
  /** The `scope` parameter split on spaces: what the registry says this request needs. */
  scopes: string[];
  /** `insufficient_scope`, `invalid_token`… when the registry says why. */
  error: string | undefined;
}

const TCHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;
const TOKEN68_CHAR = /[A-Za-z0-9._~+/-]/;

/** Parses one or more `WWW-Authenticate` header values into their challenges, in order. */
export function parseChallenges(header: string | readonly string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  if (typeof header !== 'string') return header.flatMap((value) => parseChallenges(value));
  const parser = new Parser(header);
  const challenges: Challenge[] = [];
  for (;;) {
    parser.skipListSeparators();
    if (parser.done()) return challenges;
    const scheme = parser.token();
    if (scheme === '') {
      parser.skipJunk();
      continue;
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    if (!parser.skipSpaces()) continue;
    const token68 = parser.tryToken68();
    if (token68 !== undefined) {
      challenge.token68 = token68;
      continue;
    }
    parseParams(parser, challenge.params);
  }
}

/** Reads `name=value` pairs until the next challenge starts (a token not followed by `=`). */
function parseParams(parser: Parser, params: Record<string, string>): void {
  for (;;) {
    const mark = parser.pos;
    parser.skipListSeparators();
    const name = parser.token();
    parser.skipSpaces();
    if (name === '' || !parser.eat('=')) {
      parser.pos = mark;
      return;
    }
    parser.skipSpaces();
    const value = parser.peek() === '"' ? parser.quoted() : parser.bareValue();
    const key = name.toLowerCase();
    // RFC 9110: a parameter name occurs once per challenge; the first wins if a server repeats it.
    if (key !== '__proto__' && !Object.hasOwn(params, key)) params[key] = value;
  }
}

class Parser {
  pos = 0;
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text[this.pos] ?? '';
  }

  eat(char: string): boolean {
    if (this.peek() !== char) return false;
    this.pos++;
    return true;
  }

  /** Skips spaces and tabs; true when any were skipped. */
  skipSpaces(): boolean {
    const start = this.pos;
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
    return this.pos > start;
  }

  /** Skips whitespace and empty list elements (`, ,`). */
  skipListSeparators(): void {
    while (this.peek() === ',' || this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }

  /** Skips to the next comma after text that is not a challenge. */
  skipJunk(): void {
    while (!this.done() && this.peek() !== ',') this.pos++;
  }

  token(): string {
    const start = this.pos;
    while (TCHAR.test(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** A token68 is only taken when it stands alone: followed by the end or a comma, not by `=value`. */
  tryToken68(): string | undefined {
    const start = this.pos;
    while (TOKEN68_CHAR.test(this.peek())) this.pos++;
    if (this.pos === start) return undefined;
    while (this.peek() === '=') this.pos++;
    const end = this.pos;
    this.skipSpaces();
    if (this.done() || this.peek() === ',') return this.text.slice(start, end);
    this.pos = start;
    return undefined;
  }

  quoted(): string {
    this.pos++; // opening quote
    let out = '';
    while (!this.done()) {
      const char = this.text[this.pos++]!;
      if (char === '"') return out;
      if (char === '\\' && !this.done()) out += this.text[this.pos++];
      else out += char;
    }
    return out; // unterminated: keep what there was
  }

  /** An unquoted value: a token by the RFC, but registries send bare URLs, so anything up to a comma or space. */
  bareValue(): string {
    const start = this.pos;
    while (!this.done() && this.peek() !== ',' && this.peek() !== ' ' && this.peek() !== '\t') this.pos++;
    return this.text.slice(start, this.pos);
  }
}

/** The first challenge of `scheme` (case-insensitive). */
export function findChallenge(challenges: readonly Challenge[], scheme: string): Challenge | undefined {
  const wanted = scheme.toLowerCase();
  return challenges.find((challenge) => challenge.scheme === wanted);
}

/** The Bearer challenge's realm, service and scopes, or undefined when there is no Bearer challenge with a realm. */
export function bearerChallenge(challenges: readonly Challenge[]): BearerChallenge | undefined {
  const challenge = findChallenge(challenges, 'bearer');
  const realm = challenge?.params.realm;
  if (challenge === undefined || realm === undefined || realm === '') return undefined;
  const scope = challenge.params.scope;
  return {
    realm,
    service: challenge.params.service,
    scopes: scope === undefined ? [] : scope.split(' ').filter((s) => s !== ''),
    error: challenge.params.error,
  };
}
