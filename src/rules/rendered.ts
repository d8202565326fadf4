// What an action makes of a template (a checked topic, payload bytes), kept per the value the
// render depends on (Template.key): most rules render the same few topics and payloads again
// and again (`out/${clientid}`), and a template without placeholders renders once.
import { NO_KEY, type Template } from '../sql/index.js';
import type { Fields } from './fields.js';

/** Renders kept per template: a bound on memory, cleared when full. */
export const MAX_KEPT = 1024;
/** Longer keys are not kept: hashing them costs what rendering does, and they would bloat. */
export const MAX_KEY_LENGTH = 256;

/** A key no template gives: nothing rendered yet. */
const NOTHING: unique symbol = Symbol('nothing');

export class Rendered<T> {
  private readonly kept = new Map<string | undefined, T>();
  /** The last render and its key: consecutive messages often come from one client. */
  private lastKey: unknown = NOTHING;
  private lastValue: T | undefined;

  /**
   * `make` renders, told whether the result is kept; it returns undefined for a render not to
   * keep (an invalid topic).
   */
  constructor(
    readonly template: Template,
    private readonly make: (template: Template, output: Fields, kept: boolean) => T | undefined,
  ) {}

  get(output: Fields): T | undefined {
    const key = this.template.key(output);
    if (key === this.lastKey) return this.lastValue;
    if (key === NO_KEY || (key !== undefined && !keepable(key)))
      return this.make(this.template, output, false);
    let value = this.kept.get(key);
    if (value === undefined) {
      value = this.make(this.template, output, true);
      if (value === undefined) return undefined;
      if (this.kept.size >= MAX_KEPT) this.kept.clear();
      this.kept.set(key, value);
    }
    this.lastKey = key;
    this.lastValue = value;
    return value;
  }

  /** How many renders are kept (for tests). */
  get size(): number {
    return this.kept.size;
  }
}

/** Text keys only: numbers would need care (-0 and 0 are one Map key, not one text). */
const keepable = (key: unknown): key is string =>
  typeof key === 'string' && key.length <= MAX_KEY_LENGTH;
