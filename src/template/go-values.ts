/**
 * How template data maps onto Go's value kinds, and how Go prints and
 * JSON-encodes them, so a template gives the text skopeo would give:
 * - `string`, `number`, `boolean`; arrays are slices;
 * - a `Map` is a Go map (printed and encoded in key order, a missing key is
 *   "no value");
 * - any other object is a struct: its own keys are its fields, in order; a
 *   `toJSON()` method gives its JSON form (Go's `omitempty` fields);
 * - {@link GoNil} is a typed nil map or slice (`map[]`/`[]`, JSON `null`);
 *   `null` is an untyped nil; `undefined` is Go's invalid value ("<no value>");
 * - {@link GoTime} is a `time.Time`.
 */

/** A nil map or slice: empty when ranged over, `map[]`/`[]` when printed, `null` in JSON. */
export class GoNil {
  readonly type: 'map' | 'slice';
  constructor(type: 'map' | 'slice') {
    this.type = type;
  }
}

/** A `time.Time`: printed as Go's `Time.String()`, encoded as the RFC 3339 text it was read from. */
export class GoTime {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }

  /** `2024-01-01 00:00:00 +0000 UTC`, `2024-05-02 10:00:00.5 +0200 +0200`; the text as given when it is not RFC 3339. */
  goString(): string {
    const m = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(this.text);
    if (!m) return this.text;
    const fraction = (m[3] ?? '').replace(/0+$/, '');
    const zone = m[4]!.toUpperCase() === 'Z' ? '+0000 UTC' : `${m[4]!.replace(':', '')} ${m[4]!.replace(':', '')}`;
    return `${m[1]} ${m[2]}${fraction === '.' ? '' : fraction} ${zone}`;
  }

  toJSON(): string {
    return this.text;
  }
}

export function isStruct(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map) && !(value instanceof GoNil) && !(value instanceof GoTime);
}

/** Go's `truth`: false for false, 0, nil, the empty string and empty maps and slices; structs are true. */
export function truth(value: unknown): boolean {
  if (value === undefined || value === null || value instanceof GoNil) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string' || Array.isArray(value)) return value.length > 0;
  if (value instanceof Map) return value.size > 0;
  return true;
}

function sortedKeys(map: Map<string, unknown>): string[] {
  // Go sorts map keys by byte order, which for strings is code point order.
  return [...map.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Go's `fmt.Sprint` of one value, as `{{.X}}` prints it. */
export function goPrint(value: unknown): string {
  if (value === undefined) return '<no value>';
  return printNested(value);
}

function printNested(value: unknown): string {
  if (value === undefined || value === null) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof GoNil) return value.type === 'map' ? 'map[]' : '[]';
  if (value instanceof GoTime) return value.goString();
  if (Array.isArray(value)) return `[${value.map(printNested).join(' ')}]`;
  if (value instanceof Map) return `map[${sortedKeys(value).map((k) => `${k}:${printNested(value.get(k))}`).join(' ')}]`;
  if (isStruct(value)) return `{${Object.values(value).map(printNested).join(' ')}}`;
  return String(value);
}

/** Go's JSON string escaping with HTML escaping off: JSON.stringify plus the two line separators Go always escapes. */
function jsonString(text: string): string {
  return JSON.stringify(text).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** `encoding/json` of a value, compact, without HTML escaping (the `json` template function). */
export function goJson(value: unknown): string {
  if (value === undefined || value === null || value instanceof GoNil) return 'null';
  if (typeof value === 'string') return jsonString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'boolean') return String(value);
  if (value instanceof GoTime) return jsonString(value.text);
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (value instanceof Map) return `{${sortedKeys(value).map((k) => `${jsonString(k)}:${goJson(value.get(k))}`).join(',')}}`;
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === 'function') return goJson(withJson.toJSON());
  if (isStruct(value)) {
    return `{${Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => `${jsonString(k)}:${goJson(v)}`).join(',')}}`;
  }
  return 'null';
}

/** A short name of the value's Go kind, for error messages. */
export function kindOf(value: unknown): string {
  if (value === undefined) return 'no value';
  if (value === null) return 'nil';
  if (value instanceof GoNil) return `nil ${value.type}`;
  if (value instanceof GoTime) return 'time';
  if (Array.isArray(value)) return 'slice';
  if (value instanceof Map) return 'map';
  if (isStruct(value)) return 'struct';
  return typeof value === 'number' ? 'number' : typeof value;
}
