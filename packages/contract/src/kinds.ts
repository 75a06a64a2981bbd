/**
 * The two schema kinds that plain JSON Schema keywords cannot check the
 * contract's way, registered with TypeBox so that its compiled checks use
 * them: `Text` (lengths in code points, as JSON Schema means them, where
 * TypeBox would count UTF-16 units; trimming and lower-casing before the
 * checks; control characters; names that show as what they hold) and
 * `OneOf` (a string out of a list, which the document shows as `enum`).
 * Each kind's check also names the problem, in the words the contract's
 * `validation_failed` details use.
 */
import { Kind, TypeRegistry, type TSchema, type TUnsafe } from '@sinclair/typebox';

/** The length of `value` in code points (a lone surrogate counts as one), without building an array. */
export function codePoints(value: string): number {
  let count = 0;
  for (let i = 0; i < value.length; i++, count++) {
    const unit = value.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return count;
}

// A string of n UTF-16 units has between ceil(n / 2) and n code points: most values are decided without counting.
const shorterThan = (value: string, min: number): boolean => value.length < min || (value.length < 2 * min && codePoints(value) < min);
const longerThan = (value: string, max: number): boolean => value.length > max && (value.length > 2 * max || codePoints(value) > max);

/** Control characters other than newline and tab. */
const CONTROL_BUT_NEWLINE_TAB = String.raw`\u0000-\u0008\u000B-\u001F\u007F-\u009F`;
const CONTROL = String.raw`\u0000-\u001F\u007F-\u009F`;

/**
 * What a name may not hold, because it changes how the text around it is
 * shown or shows as nothing (a name is shown beside other people's text, so
 * these are how one user passes for another or hides): the bidi embeddings,
 * overrides and isolates (U+202A–202E, U+2066–2069), the deprecated format
 * characters, the invisible ones (zero-width space, word joiner, invisible
 * operators, soft hyphen, byte order mark, combining grapheme joiner, Khmer
 * inherent vowels, the Hangul fillers, interlinear annotation), line and
 * paragraph separators, musical format characters and tag characters. Kept,
 * because scripts and emoji need them: ZWJ and ZWNJ (U+200C, U+200D), the
 * direction marks LRM, RLM and ALM, variation selectors, and the tag
 * characters of a subdivision flag (🏴 then tags then U+E007F).
 * An explicit list, not `\p{Cf}`: the rule must not move with the Unicode
 * version of whoever checks it.
 */
const HIDDEN_BMP = String.raw`\u00AD\u034F\u115F\u1160\u17B4\u17B5\u180E\u200B\u2028-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB`;
// The classes list combining characters (U+034F, variation selectors, marks) on purpose: each is matched alone.
// eslint-disable-next-line no-misleading-character-class
const HIDDEN = new RegExp(`[${HIDDEN_BMP}\\u{1D173}-\\u{1D17A}\\u{E0000}-\\u{E007F}]`, 'u');
const LINE_BREAKS = /[\u2028\u2029]/;
const FLAG_TAGS = /\u{1F3F4}[\u{E0020}-\u{E007E}]+\u{E007F}/gu;
/** What shows nothing by itself: white space, joiners, direction marks, variation selectors, combining marks, the braille blank. */
// eslint-disable-next-line no-misleading-character-class
const SHOWS_NOTHING = /[\s\u200C-\u200F\u061C\u2800\uFE00-\uFE0F\u{E0100}-\u{E01EF}\p{M}]/gu;

/** Why `value` is no name to show beside other text, or undefined. */
function hiddenProblem(value: string): string | undefined {
  const withoutFlags = value.includes('\u{1F3F4}') ? value.replace(FLAG_TAGS, '\u{1F3F4}') : value;
  if (LINE_BREAKS.test(withoutFlags)) return 'must be one line';
  if (HIDDEN.test(withoutFlags)) return 'must not contain invisible or direction-changing characters';
  if (withoutFlags.replace(SHOWS_NOTHING, '') === '') return 'must show at least one visible character';
  return undefined;
}

export interface TextOptions {
  minLength?: number;
  maxLength?: number;
  /** Checked after trimming and lower-casing; shown in the document. */
  pattern?: string;
  patternMessage?: string;
  /** Leading and trailing white space is dropped before any check (the value is stored trimmed). */
  trim?: boolean;
  lowercase?: boolean;
  /** Refuse control characters: all of them (`'all'`), or all but newline and tab (`'keepNewlineTab'`). */
  noControl?: 'all' | 'keepNewlineTab';
  /** A name shown beside other text: no characters that hide or turn text around, and at least one that shows (see HIDDEN_BMP). */
  visible?: boolean;
  /** An absolute https: URL without credentials. */
  httpsUrl?: boolean;
  description?: string;
  examples?: unknown[];
  default?: string;
}

export interface TText extends TUnsafe<string> {
  [Kind]: 'Text';
  type: 'string';
  'x-text': TextRules;
}

/** The rules a Text value is checked with at run time (kept off the document's JSON Schema keywords). */
export interface TextRules {
  trim: boolean;
  lowercase: boolean;
  noControl?: 'all' | 'keepNewlineTab';
  visible?: boolean;
  pattern?: string;
  patternMessage?: string;
  httpsUrl: boolean;
}

function urlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute https: URL';
  }
  if (url.protocol !== 'https:' || url.hostname === '') return 'must be an https: URL';
  if (url.username !== '' || url.password !== '') return 'must not carry credentials';
  return undefined;
}

type TextCheck = (value: unknown) => string | undefined;

/** One Text schema's rules as one function, built at its first use: regular expressions and messages made once. */
function textCheckOf(schema: TText): TextCheck {
  const rules = schema['x-text'];
  const { minLength, maxLength } = schema as { minLength?: number; maxLength?: number };
  const tooShort = minLength === 1 ? 'must not be empty' : `must be at least ${minLength} characters`;
  const tooLong = `must be at most ${maxLength} characters`;
  const control = rules.noControl ? new RegExp(`[${rules.noControl === 'all' ? CONTROL : CONTROL_BUT_NEWLINE_TAB}]`, 'u') : undefined;
  const pattern = rules.pattern !== undefined ? new RegExp(rules.pattern, 'u') : undefined;
  const patternMessage = rules.patternMessage ?? 'has an invalid format';
  return (value) => {
    if (typeof value !== 'string') return 'must be a string';
    if (minLength !== undefined && shorterThan(value, minLength)) return tooShort;
    if (maxLength !== undefined && longerThan(value, maxLength)) return tooLong;
    if (control?.test(value)) return 'must not contain control characters';
    const hidden = rules.visible ? hiddenProblem(value) : undefined;
    if (hidden) return hidden;
    if (pattern && !pattern.test(value)) return patternMessage;
    return rules.httpsUrl ? urlProblem(value) : undefined;
  };
}

const textChecks = new WeakMap<TText, TextCheck>();

/** What is wrong with `value` as a Text of `schema` (already trimmed / lower-cased), or undefined. */
export function textProblem(schema: TText, value: unknown): string | undefined {
  let checkText = textChecks.get(schema);
  if (!checkText) textChecks.set(schema, (checkText = textCheckOf(schema)));
  return checkText(value);
}

/** The JSON Schema pattern that says what `noControl` refuses, for readers of the document. */
const noControlPattern = (noControl: 'all' | 'keepNewlineTab'): string => `^[^${noControl === 'all' ? CONTROL : CONTROL_BUT_NEWLINE_TAB}]*$`;

/** A string checked the contract's way (see the module comment). */
export function Text(options: TextOptions = {}): TText {
  const { trim = false, lowercase = false, noControl, visible = false, pattern, patternMessage, httpsUrl = false, ...rest } = options;
  // What trimming means for the document: a non-empty Text holds something besides white space.
  const notBlank = trim && (rest.minLength ?? 0) > 0 ? String.raw`\S` : undefined;
  // The document shows the hidden characters of the Basic Multilingual Plane (a pattern without the `u` flag cannot
  // name the others); its description says the rest.
  const hiddenPattern = visible ? `^[^${HIDDEN_BMP}]*$` : undefined;
  const patterns = [pattern, noControl ? noControlPattern(noControl) : undefined, hiddenPattern, notBlank, httpsUrl ? '^https:' : undefined].filter(
    (p): p is string => p !== undefined,
  );
  const shown = patterns.length === 1 ? { pattern: patterns[0] } : patterns.length > 1 ? { allOf: patterns.map((p) => ({ pattern: p })) } : {};
  const rules: TextRules = { trim, lowercase, httpsUrl };
  if (noControl) rules.noControl = noControl;
  if (visible) rules.visible = true;
  if (pattern !== undefined) rules.pattern = pattern;
  if (patternMessage !== undefined) rules.patternMessage = patternMessage;
  return { [Kind]: 'Text', type: 'string', ...rest, ...shown, ...(httpsUrl ? { format: 'uri' } : {}), 'x-text': rules } as unknown as TText;
}

export interface TOneOf<T extends string> extends TUnsafe<T> {
  [Kind]: 'OneOf';
  type: 'string';
  enum: T[];
}

/** One of these strings (`enum` in the document). */
export function OneOf<const T extends string>(values: readonly T[], options: { description?: string; default?: T } = {}): TOneOf<T> {
  return { [Kind]: 'OneOf', type: 'string', enum: [...values], ...options } as unknown as TOneOf<T>;
}

export function oneOfProblem(schema: TOneOf<string>, value: unknown): string | undefined {
  return typeof value === 'string' && schema.enum.includes(value) ? undefined : `must be one of ${schema.enum.join(', ')}`;
}

export const isText = (schema: TSchema): schema is TText => schema[Kind] === 'Text';
export const isOneOf = (schema: TSchema): schema is TOneOf<string> => schema[Kind] === 'OneOf';

TypeRegistry.Set<TText>('Text', (schema, value) => textProblem(schema, value) === undefined);
TypeRegistry.Set<TOneOf<string>>('OneOf', (schema, value) => oneOfProblem(schema, value) === undefined);
