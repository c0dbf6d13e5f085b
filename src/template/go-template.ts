import { parseGoTemplate, templateError, type ControlNode, type Operand, type Pipeline, type TemplateNode } from './go-template-parse.ts';
import { GoNil, goJson, goPrint, isStruct, kindOf, truth } from './go-values.ts';

/**
 * Executes ferry's Go text/template subset (see go-template-parse.ts for the
 * syntax and go-values.ts for the data model) with Go's built-in functions
 * `and or not eq ne lt le gt ge index len print printf println` and the
 * ones skopeo and podman add: `json join lower upper`. A function outside
 * that list, a missing struct field, an index out of range or a comparison
 * of different kinds is an error, as in Go.
 */

/** The functions a template may call. */
export const TEMPLATE_FUNCTIONS: readonly string[] = ['and', 'eq', 'ge', 'gt', 'index', 'join', 'json', 'le', 'len', 'lower', 'lt', 'ne', 'not', 'or', 'print', 'printf', 'println', 'upper'];

interface Scope {
  vars: Map<string, unknown>;
  parent: Scope | undefined;
}

class Executor {
  private readonly name: string;
  private readonly root: unknown;
  private out = '';

  constructor(name: string, root: unknown) {
    this.name = name;
    this.root = root;
  }

  run(nodes: readonly TemplateNode[]): string {
    this.walk(nodes, this.root, { vars: new Map([['$', this.root]]), parent: undefined });
    return this.out;
  }

  private walk(nodes: readonly TemplateNode[], dot: unknown, scope: Scope): void {
    for (const node of nodes) {
      if (node.kind === 'text') this.out += node.text;
      else if (node.kind === 'action') {
        const value = this.pipeline(node.pipeline, dot, scope);
        if (node.pipeline.variables.length === 0) this.out += goPrint(value);
      } else if (node.kind === 'if') {
        const inner = { vars: new Map(), parent: scope };
        this.walk(truth(this.pipeline(node.pipeline, dot, inner)) ? node.body : node.otherwise, dot, inner);
      } else if (node.kind === 'with') {
        const inner = { vars: new Map(), parent: scope };
        const value = this.pipeline(node.pipeline, dot, inner);
        if (truth(value)) this.walk(node.body, value, inner);
        else this.walk(node.otherwise, dot, inner);
      } else {
        this.range(node, dot, scope);
      }
    }
  }

  private range(node: ControlNode, dot: unknown, scope: Scope): void {
    const p = node.pipeline;
    const value = this.evalCommands(p, dot, scope);
    let entries: [unknown, unknown][];
    if (Array.isArray(value)) entries = value.map((v, i) => [i, v]);
    else if (value instanceof Map) entries = [...value.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((k) => [k, value.get(k)]);
    else if (value === undefined || value instanceof GoNil) entries = [];
    else throw this.error(`range can't iterate over ${kindOf(value)} ${goPrint(value)}`, p);
    if (entries.length === 0) {
      this.walk(node.otherwise, dot, { vars: new Map(), parent: scope });
      return;
    }
    for (const [key, element] of entries) {
      const inner: Scope = { vars: new Map(), parent: scope };
      if (p.variables.length === 1) inner.vars.set(p.variables[0]!, element);
      if (p.variables.length === 2) {
        inner.vars.set(p.variables[0]!, key);
        inner.vars.set(p.variables[1]!, element);
      }
      this.walk(node.body, element, inner);
    }
  }

  private error(message: string, p: Pipeline) {
    return templateError(this.name, message, p.source);
  }

  /** A pipeline's value, declaring or assigning its variables in `scope`. */
  private pipeline(p: Pipeline, dot: unknown, scope: Scope): unknown {
    const value = this.evalCommands(p, dot, scope);
    const name = p.variables[0];
    if (name !== undefined) {
      if (p.assign) {
        let s: Scope | undefined = scope;
        while (s && !s.vars.has(name)) s = s.parent;
        if (!s) throw this.error(`undefined variable ${name}`, p);
        s.vars.set(name, value);
      } else {
        scope.vars.set(name, value);
      }
    }
    return value;
  }

  private evalCommands(p: Pipeline, dot: unknown, scope: Scope): unknown {
    let value: unknown;
    p.commands.forEach((command, i) => {
      value = this.command(command, dot, scope, p, i === 0 ? [] : [value]);
    });
    return value;
  }

  private command(command: readonly Operand[], dot: unknown, scope: Scope, p: Pipeline, piped: unknown[]): unknown {
    const [head, ...rest] = command;
    if (head?.kind === 'function') {
      const args = rest.map((a) => this.operand(a, dot, scope, p));
      return this.call(head.name, [...args, ...piped], p);
    }
    if (rest.length > 0 || piped.length > 0) throw this.error(`${describe(head!)} is not a function and takes no arguments`, p);
    return this.operand(head!, dot, scope, p);
  }

  private operand(operand: Operand, dot: unknown, scope: Scope, p: Pipeline): unknown {
    switch (operand.kind) {
      case 'string':
      case 'number':
      case 'bool':
        return operand.value;
      case 'nil':
        throw this.error('nil is not a command', p);
      case 'function':
        return this.call(operand.name, [], p);
      case 'pipeline':
        return this.evalCommands(operand.pipeline, dot, { vars: new Map(), parent: scope });
      case 'field': {
        let value = dot;
        if (operand.variable !== undefined) {
          let s: Scope | undefined = scope;
          while (s && !s.vars.has(operand.variable)) s = s.parent;
          if (!s) throw this.error(`undefined variable ${operand.variable}`, p);
          value = s.vars.get(operand.variable);
        }
        for (const field of operand.path) value = this.field(value, field, p);
        return value;
      }
    }
  }

  private field(value: unknown, field: string, p: Pipeline): unknown {
    if (value instanceof Map) return value.get(field);
    if (value instanceof GoNil && value.type === 'map') return undefined;
    if (isStruct(value)) {
      if (Object.hasOwn(value, field)) return value[field];
      throw this.error(`no field "${field}" (fields: ${Object.keys(value).join(', ')})`, p);
    }
    if (value === undefined || value === null || value instanceof GoNil) throw this.error(`cannot read field "${field}" of nil`, p);
    throw this.error(`cannot read field "${field}" of a ${kindOf(value)}`, p);
  }

  private call(name: string, args: unknown[], p: Pipeline): unknown {
    const want = (n: number, exact = true) => {
      if (exact ? args.length !== n : args.length < n) throw this.error(`${name} wants ${exact ? '' : 'at least '}${n} argument${n === 1 ? '' : 's'}, got ${args.length}`, p);
    };
    const str = (v: unknown): string => {
      if (typeof v !== 'string') throw this.error(`${name} wants a string, got ${kindOf(v)}`, p);
      return v;
    };
    switch (name) {
      case 'and':
      case 'or': {
        want(1, false);
        for (const a of args.slice(0, -1)) if (truth(a) === (name === 'or')) return a;
        return args.at(-1);
      }
      case 'not':
        want(1);
        return !truth(args[0]);
      case 'eq':
        want(2, false);
        return args.slice(1).some((b) => this.compare(args[0], b, p) === 0);
      case 'ne':
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge': {
        want(2);
        const c = this.compare(args[0], args[1], p, name !== 'ne');
        return name === 'ne' ? c !== 0 : name === 'lt' ? c < 0 : name === 'le' ? c <= 0 : name === 'gt' ? c > 0 : c >= 0;
      }
      case 'index':
        want(1, false);
        return args.slice(1).reduce((item, key) => this.index(item, key, p), args[0]);
      case 'len': {
        want(1);
        const v = args[0];
        if (typeof v === 'string') return Buffer.byteLength(v);
        if (Array.isArray(v)) return v.length;
        if (v instanceof Map) return v.size;
        if (v instanceof GoNil) return 0;
        throw this.error(`len of ${kindOf(v)}`, p);
      }
      case 'json':
        want(1);
        return goJson(args[0]);
      case 'join': {
        want(2);
        const list = args[0] instanceof GoNil ? [] : args[0];
        if (!Array.isArray(list)) throw this.error(`join wants a list, got ${kindOf(list)}`, p);
        return list.map(str).join(str(args[1]));
      }
      case 'lower':
        want(1);
        return str(args[0]).toLowerCase();
      case 'upper':
        want(1);
        return str(args[0]).toUpperCase();
      case 'print':
        // fmt.Sprint: a space between operands when neither is a string.
        return args.map((a, i) => (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string' ? ' ' : '') + goPrint(a)).join('');
      case 'println':
        return `${args.map(goPrint).join(' ')}\n`;
      case 'printf':
        want(1, false);
        return this.printf(str(args[0]), args.slice(1), p);
      default:
        throw this.error(`function "${name}" is not supported (supported: ${TEMPLATE_FUNCTIONS.join(', ')})`, p);
    }
  }

  private index(item: unknown, key: unknown, p: Pipeline): unknown {
    if (Array.isArray(item) || (item instanceof GoNil && item.type === 'slice')) {
      const list = Array.isArray(item) ? item : [];
      if (typeof key !== 'number' || !Number.isInteger(key)) throw this.error(`cannot index a slice with ${kindOf(key)}`, p);
      if (key < 0 || key >= list.length) throw this.error(`index out of range: ${key}`, p);
      return list[key];
    }
    if (item instanceof Map || (item instanceof GoNil && item.type === 'map')) {
      if (typeof key !== 'string') throw this.error(`cannot index a map with ${kindOf(key)}`, p);
      // A missing key gives the zero value of the map's element type; ferry's maps hold strings.
      return item instanceof Map && item.has(key) ? item.get(key) : '';
    }
    throw this.error(`cannot index ${kindOf(item)}`, p);
  }

  private compare(a: unknown, b: unknown, p: Pipeline, ordered = false): number {
    const kinds = ['string', 'number', 'boolean'];
    if (typeof a !== typeof b || !kinds.includes(typeof a)) throw this.error(`incompatible types for comparison: ${kindOf(a)} and ${kindOf(b)}`, p);
    if (ordered && typeof a === 'boolean') throw this.error('invalid type for comparison: bool', p);
    return a === b ? 0 : (a as string | number) < (b as string | number) ? -1 : 1;
  }

  private printf(format: string, args: unknown[], p: Pipeline): string {
    let next = 0;
    return format.replace(/%(.)/g, (_all, verb: string) => {
      if (verb === '%') return '%';
      if (!'svdq'.includes(verb)) throw this.error(`printf verb %${verb} is not supported (supported: %s %v %d %q %%)`, p);
      if (next >= args.length) return `%!${verb}(MISSING)`;
      const arg = args[next++];
      if (verb === 'd' && (typeof arg !== 'number' || !Number.isInteger(arg))) return `%!d(${kindOf(arg)}=${goPrint(arg)})`;
      return verb === 'q' ? JSON.stringify(goPrint(arg)) : goPrint(arg);
    });
  }
}

function describe(operand: Operand): string {
  if (operand.kind === 'field') return `${operand.variable ?? ''}${operand.path.length === 0 && operand.variable === undefined ? '.' : ''}${operand.path.map((f) => `.${f}`).join('')}`;
  if (operand.kind === 'string') return JSON.stringify(operand.value);
  if (operand.kind === 'number' || operand.kind === 'bool') return String(operand.value);
  return operand.kind;
}

/**
 * Parses and executes a Go template over `data`.
 *
 * @param name what the template is, in errors (`--format`).
 * @throws FerryError `USAGE` naming `name` and the action for a syntax error, an unsupported construct or an execution error.
 */
export function renderGoTemplate(template: string, data: unknown, name = 'template'): string {
  return new Executor(name, data).run(parseGoTemplate(template, name));
}
