import { FerryError } from '../errors.ts';

/**
 * The parser of ferry's Go text/template subset: text, `{{pipeline}}`
 * actions with `{{-`/`-}}` trimming and comments, fields (`.A.B`), variables
 * (`$`, `$x.A`, `$x := …`, `$x = …`), string/number/bool/nil constants,
 * function calls, pipes and parentheses, and `if`/`with`/`range` with
 * `else` (and `else if`/`else with`). What Go has beyond that (`define`,
 * `template`, `block`, `break`, `continue`, character constants, method
 * chains on parentheses) is refused with an error naming it, never
 * misread.
 */

/** A constant, field, variable, function name or parenthesised pipeline. */
export type Operand =
  | { kind: 'field'; variable?: string | undefined; path: string[] } // `.` is path [], `$x` is variable x, path []
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'nil' }
  | { kind: 'function'; name: string }
  | { kind: 'pipeline'; pipeline: Pipeline };

/** `$a, $b := cmd | cmd …`. */
export interface Pipeline {
  /** Variables declared (`:=`) or assigned (`=`) by the pipeline. */
  variables: string[];
  assign: boolean;
  commands: Operand[][];
  /** The action's text, for error messages. */
  source: string;
}

/** `{{if}}`, `{{with}}` or `{{range}}` with its body and `{{else}}` part. */
export interface ControlNode {
  kind: 'if' | 'with' | 'range';
  pipeline: Pipeline;
  body: TemplateNode[];
  otherwise: TemplateNode[];
}

export type TemplateNode = { kind: 'text'; text: string } | { kind: 'action'; pipeline: Pipeline } | ControlNode;

/** The error for a template that cannot be parsed; `name` says where it came from (`--format`). */
export function templateError(name: string, message: string, source?: string): FerryError {
  return new FerryError('USAGE', `${name}: ${message}${source !== undefined ? ` in "${source}"` : ''}`, {
    hint: 'Go template syntax: {{.Field}}, {{json .Labels}}, {{index .Labels "key"}}, {{range .RepoTags}}{{.}} {{end}}, {{if .X}}...{{else}}...{{end}}',
  });
}

const UNSUPPORTED_KEYWORDS = new Set(['define', 'template', 'block', 'break', 'continue']);
const WHITESPACE = /^[ \t\r\n]/;

interface RawAction {
  /** Inside the delimiters, trim markers removed. */
  body: string;
  source: string;
}

/** Splits the text into literal text and actions, applying trim markers. */
function split(template: string, name: string): (string | RawAction)[] {
  const parts: (string | RawAction)[] = [];
  let pos = 0;
  let trimNext = false;
  while (pos <= template.length) {
    const open = template.indexOf('{{', pos);
    let text = template.slice(pos, open === -1 ? undefined : open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    if (open === -1) {
      if (text !== '') parts.push(text);
      break;
    }
    const close = template.indexOf('}}', open + 2);
    if (close === -1) throw templateError(name, 'unclosed action', template.slice(open).trimEnd());
    let body = template.slice(open + 2, close);
    // Go: "{{- " trims, "{{-3}}" is the number -3; likewise " -}}".
    if (body.startsWith('-') && WHITESPACE.test(body.slice(1))) {
      text = text.replace(/[ \t\r\n]+$/, '');
      body = body.slice(1);
    }
    trimNext = body.endsWith('-') && WHITESPACE.test(body.slice(-2, -1));
    if (trimNext) body = body.slice(0, -1);
    if (text !== '') parts.push(text);
    const trimmed = body.trim();
    if (trimmed.startsWith('/*')) {
      if (!trimmed.endsWith('*/')) throw templateError(name, 'unclosed comment', template.slice(open, close + 2));
    } else {
      parts.push({ body, source: template.slice(open, close + 2) });
    }
    pos = close + 2;
  }
  return parts;
}

type Token =
  | { t: 'field'; name: string; spaced: boolean } // spaced: whitespace before it, so not part of a chain
  | { t: 'variable'; name: string }
  | { t: 'dot' }
  | { t: 'string'; value: string }
  | { t: 'number'; value: number }
  | { t: 'word'; value: string }
  | { t: 'punct'; value: '|' | '(' | ')' | ':=' | '=' | ',' };

const TOKEN = /\s+|(\.[A-Za-z_][A-Za-z0-9_]*)|(\$[A-Za-z0-9_]*)|(\.)|("(?:[^"\\\n]|\\.)*")|(`[^`]*`)|([+-]?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?))|([A-Za-z_][A-Za-z0-9_]*)|(:=|[|(),=])|(.)/gy;

function lex(action: RawAction, name: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  let spaced = true;
  while ((m = TOKEN.exec(action.body)) !== null) {
    const [all, field, variable, dot, quoted, raw, number, word, punct, other] = m;
    const afterSpace = spaced;
    spaced = /^\s/.test(all);
    if (field !== undefined) tokens.push({ t: 'field', name: field.slice(1), spaced: afterSpace });
    else if (variable !== undefined) tokens.push({ t: 'variable', name: variable });
    else if (dot !== undefined) tokens.push({ t: 'dot' });
    else if (quoted !== undefined) tokens.push({ t: 'string', value: String(JSON.parse(goEscapes(quoted, name, action.source))) });
    else if (raw !== undefined) tokens.push({ t: 'string', value: raw.slice(1, -1) });
    else if (number !== undefined) {
      const value = Number(number.replace(/_/g, ''));
      if (Number.isNaN(value)) throw templateError(name, `bad number ${number}`, action.source);
      tokens.push({ t: 'number', value });
    } else if (word !== undefined) tokens.push({ t: 'word', value: word });
    else if (punct !== undefined) tokens.push({ t: 'punct', value: punct as '|' });
    else if (other !== undefined) {
      const what = other === "'" ? 'character constants are not supported' : `unexpected "${other}"`;
      throw templateError(name, what, action.source);
    }
  }
  return tokens;
}

/** Go string escapes that JSON lacks (\a \v \x.. \' \ooo \U........) become JSON ones. */
function goEscapes(quoted: string, name: string, source: string): string {
  return quoted.replace(/\\(x[0-9a-fA-F]{2}|U[0-9a-fA-F]{8}|[0-7]{3}|[abfnrtv\\"'/]|u[0-9a-fA-F]{4}|.)/g, (all, e: string) => {
    const hex = (n: number) => `\\u${n.toString(16).padStart(4, '0')}`;
    if (e.startsWith('x')) return hex(parseInt(e.slice(1), 16));
    if (e.startsWith('U')) return JSON.stringify(String.fromCodePoint(parseInt(e.slice(1), 16))).slice(1, -1);
    if (/^[0-7]{3}$/.test(e)) return hex(parseInt(e, 8));
    if (e === 'a') return hex(7);
    if (e === 'v') return hex(11);
    if (e === "'") return "'";
    if ('bfnrt\\"/'.includes(e) || e.startsWith('u')) return all;
    throw templateError(name, `unknown escape \\${e}`, source);
  });
}

class Parser {
  private pos = 0;
  private readonly tokens: Token[];
  private readonly action: RawAction;
  private readonly name: string;

  constructor(tokens: Token[], action: RawAction, name: string) {
    this.tokens = tokens;
    this.action = action;
    this.name = name;
  }

  private fail(message: string): never {
    throw templateError(this.name, message, this.action.source);
  }

  done(): boolean {
    return this.pos >= this.tokens.length;
  }

  peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  keyword(): string | undefined {
    const t = this.peek();
    return t?.t === 'word' && ['if', 'else', 'end', 'range', 'with', ...UNSUPPORTED_KEYWORDS].includes(t.value) ? t.value : undefined;
  }

  next(): Token | undefined {
    return this.tokens[this.pos++];
  }

  pipeline(allowDeclaration: boolean, until?: ')'): Pipeline {
    const pipeline: Pipeline = { variables: [], assign: false, commands: [], source: this.action.source };
    // `$x :=`, `$i, $v :=` (range only) or `$x =`.
    const save = this.pos;
    const names: string[] = [];
    while (this.peek()?.t === 'variable') {
      names.push((this.next() as { name: string }).name);
      const p = this.peek();
      if (p?.t === 'punct' && p.value === ',' && names.length === 1) {
        this.next();
        continue;
      }
      break;
    }
    const op = this.peek();
    if (names.length > 0 && op?.t === 'punct' && (op.value === ':=' || op.value === '=')) {
      if (!allowDeclaration) this.fail('a variable declaration is not allowed here');
      if (names.length > 2) this.fail('too many variables');
      this.next();
      pipeline.variables = names;
      pipeline.assign = op.value === '=';
    } else {
      this.pos = save;
    }
    for (;;) {
      const command = this.command(until);
      if (command.length === 0) this.fail('missing value for command');
      pipeline.commands.push(command);
      const t = this.peek();
      if (t?.t === 'punct' && t.value === '|') {
        this.next();
        continue;
      }
      break;
    }
    return pipeline;
  }

  private command(until?: ')'): Operand[] {
    const operands: Operand[] = [];
    for (;;) {
      const t = this.peek();
      if (t === undefined || (t.t === 'punct' && (t.value === '|' || t.value === until))) return operands;
      operands.push(this.operand());
    }
  }

  private operand(): Operand {
    const t = this.next()!;
    switch (t.t) {
      case 'dot':
        return { kind: 'field', path: this.fieldChain() };
      case 'field':
        return { kind: 'field', path: [t.name, ...this.fieldChain()] };
      case 'variable':
        return { kind: 'field', variable: t.name, path: this.fieldChain() };
      case 'string':
        return { kind: 'string', value: t.value };
      case 'number':
        return { kind: 'number', value: t.value };
      case 'word':
        if (t.value === 'true' || t.value === 'false') return { kind: 'bool', value: t.value === 'true' };
        if (t.value === 'nil') return { kind: 'nil' };
        return { kind: 'function', name: t.value };
      case 'punct':
        if (t.value === '(') {
          const pipeline = this.pipeline(false, ')');
          const close = this.next();
          if (close?.t !== 'punct' || close.value !== ')') this.fail('unclosed left paren');
          const after = this.peek();
          if (after?.t === 'field' && !after.spaced) this.fail('fields of a parenthesised value are not supported');
          return { kind: 'pipeline', pipeline };
        }
        return this.fail(`unexpected "${t.value}"`);
    }
  }

  private fieldChain(): string[] {
    const path: string[] = [];
    for (let t = this.peek(); t?.t === 'field' && !t.spaced; t = this.peek()) path.push((this.next() as { name: string }).name);
    return path;
  }
}

/**
 * Parses a template into nodes.
 *
 * @throws FerryError `USAGE` naming `name` and the action for a syntax error or an unsupported construct.
 */
export function parseGoTemplate(template: string, name = 'template'): TemplateNode[] {
  const parts = split(template, name);
  let index = 0;

  // Reads nodes until {{end}} or {{else}} (returned) or the end of input (undefined).
  function list(inside: string | undefined): { nodes: TemplateNode[]; stop?: { word: 'end' | 'else'; parser: Parser } } {
    const nodes: TemplateNode[] = [];
    while (index < parts.length) {
      const part = parts[index++]!;
      if (typeof part === 'string') {
        nodes.push({ kind: 'text', text: part });
        continue;
      }
      const parser = new Parser(lex(part, name), part, name);
      if (parser.done()) throw templateError(name, 'missing value for command', part.source);
      const word = parser.keyword();
      if (word !== undefined && UNSUPPORTED_KEYWORDS.has(word)) throw templateError(name, `{{${word}}} is not supported`, part.source);
      if (word === 'end' || word === 'else') {
        if (inside === undefined) throw templateError(name, `unexpected {{${word}}}`, part.source);
        parser.next();
        return { nodes, stop: { word, parser } };
      }
      if (word === 'if' || word === 'with' || word === 'range') {
        parser.next();
        nodes.push(control(word, parser, part));
        continue;
      }
      nodes.push({ kind: 'action', pipeline: parser.pipeline(true) });
      if (!parser.done()) throw templateError(name, 'unexpected text after the pipeline', part.source);
    }
    if (inside !== undefined) throw templateError(name, `{{${inside}}} has no {{end}}`);
    return { nodes };
  }

  function control(word: 'if' | 'with' | 'range', parser: Parser, part: RawAction): TemplateNode {
    const pipeline = parser.pipeline(word === 'range');
    if (!parser.done()) throw templateError(name, 'unexpected text after the pipeline', part.source);
    const body = list(word);
    let otherwise: TemplateNode[] = [];
    if (body.stop?.word === 'else') {
      const elseParser = body.stop.parser;
      const chained = elseParser.keyword();
      if (!elseParser.done() && (chained === 'if' || chained === 'with') && word !== 'range') {
        // {{else if …}} is an if nested in the else branch that shares the {{end}}.
        elseParser.next();
        otherwise = [control(chained, elseParser, part)];
      } else {
        if (!elseParser.done()) throw templateError(name, 'unexpected text after {{else}}', part.source);
        const rest = list(word);
        if (rest.stop?.word !== 'end') throw templateError(name, `{{${word}}} has two {{else}}`, part.source);
        otherwise = rest.nodes;
      }
    } else if (body.stop !== undefined && !body.stop.parser.done()) {
      throw templateError(name, 'unexpected text after {{end}}', part.source);
    }
    return { kind: word, pipeline, body: body.nodes, otherwise };
  }

  return list(undefined).nodes;
}
