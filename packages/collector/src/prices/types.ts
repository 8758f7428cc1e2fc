import type { createPriceBook, PriceBook } from '@pilotlight/conventions';

/**
 * A project's price for one model from a moment on (`PriceOverride` of
 * `@pilotlight/conventions`; named here until the conventions index exports it).
 */
export type PriceOverride = NonNullable<Parameters<typeof createPriceBook>[1]>[number];

/** Where a price came from and its period (`PriceMatch` of `@pilotlight/conventions`). */
export type PriceMatch = NonNullable<ReturnType<PriceBook['match']>>;

/** An override as stored for a project. */
export interface StoredPriceOverride extends PriceOverride {
  projectId: string;
  /** When this (model, effectiveFrom) was first written (Unix ms). */
  createdAtMs: number;
  /** When it was last written (Unix ms); equals `createdAtMs` until it is replaced. */
  updatedAtMs: number;
}

/**
 * Storage of per-project price overrides, kept historically: one row per (project,
 * model, effectiveFromMs). Model names are stored trimmed and lower-cased (matching is
 * case-insensitive). Every change bumps the project's version, so other replicas see it
 * with one small read ({@link PriceOverrideStore.versions}).
 */
export interface PriceOverrideStore {
  /** The project's overrides, by model then `effectiveFromMs`. */
  list(projectId: string): Promise<StoredPriceOverride[]>;
  /**
   * Inserts or replaces overrides by (model, effectiveFromMs), in one transaction.
   * @returns the rows as stored, in input order.
   */
  upsert(
    projectId: string,
    overrides: readonly PriceOverride[],
    nowMs: number,
  ): Promise<StoredPriceOverride[]>;
  /**
   * Deletes a model's override starting at `effectiveFromMs`, or every override of the
   * model when it is null. @returns the number deleted.
   */
  remove(projectId: string, model: string, effectiveFromMs: number | null): Promise<number>;
  /** Per project that ever had an override, a number that changes with every write. */
  versions(): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** A stored model name: trimmed, lower-cased (how the price book compares names). */
export function normalizeModelName(model: string): string {
  return model.trim().toLowerCase();
}
