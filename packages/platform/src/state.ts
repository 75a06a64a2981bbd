/**
 * The vocabulary every service's state-store port shares: a value read with
 * its version, and the one error a conditional write raises when it loses the
 * race. Adapters over the sidecar and the in-memory ones for tests speak it
 * alike, so domain code retries on `StateConflictError` whatever the store.
 */
import type { Sidecar } from './dapr/sidecar.js';
import { AppError } from './errors.js';

/** A stored value with the version it was read at (for optimistic concurrency). */
export interface Versioned<T> {
  value: T;
  /** Opaque version of the stored value; a conditional write names it. */
  etag: string;
}

/**
 * Raised when a state write loses an optimistic-concurrency race (a stale
 * ETag, or first-write on an existing key). Callers retry or map it to 409.
 */
export class StateConflictError extends AppError {
  override name = 'AppError';
  constructor(message = 'The stored state changed since it was read', cause?: unknown) {
    super('conflict', message, { cause });
  }
}

/**
 * A sidecar read as a `Versioned` value. The stores this platform uses answer
 * a found key with its ETag; without one, '' makes a later write unconditional.
 */
export function asVersioned<T>(item: { value: T; etag?: string | undefined }): Versioned<T> {
  return { value: item.value, etag: item.etag ?? '' };
}

/** One key of a state store through the sidecar, as a `Versioned` value (undefined when absent). */
export async function readVersioned<T>(sidecar: Sidecar, store: string, key: string): Promise<Versioned<T> | undefined> {
  const item = await sidecar.state.get<T>(store, key);
  return item && asVersioned(item);
}
