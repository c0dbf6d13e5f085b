const REDACTED = '<redacted>';

/**
 * A credential value (password, token) that redacts itself wherever it could
 * be printed: `String()`, template literals, `JSON.stringify` and
 * `util.inspect`/`console.log` all show `<redacted>`. The value lives in a
 * private field, so spreading or enumerating the object cannot reach it
 * either; only {@link Secret.reveal} returns it, and only the code that
 * authenticates should call that.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself, for the one place that sends it to a registry. */
  reveal(): string {
    return this.#value;
  }

  /** True when the secret is the empty string (skopeo treats empty credentials as none). */
  isEmpty(): boolean {
    return this.#value === '';
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${REDACTED})`;
  }
}
