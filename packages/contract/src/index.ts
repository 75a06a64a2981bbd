export { Text, OneOf, codePoints, type TText, type TOneOf, type TextOptions } from './kinds.js';
export { check, problemsOf, type CheckOptions, type CheckResult, type Problem } from './check.js';
export * from './requests.js';
export * from './responses.js';
export * from './socket.js';
export { toJsonSchema } from './json-schema.js';
export { Type, type Static, type TSchema } from '@sinclair/typebox';
